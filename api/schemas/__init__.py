"""Response shapes, one module per resource, for the OpenAPI document and for stable field
names. As in fastapi/full-stack-fastapi-template: a record (``Alianza``), its public variant
where the public sees less (``AlianzaPublica``), and its list (``ListaAlianzas``: data, count).

``comun`` holds what every resource shares (codes with names, pages, GeoJSON, the problem
document); ``documento`` the helpers that put them in a route's ``responses``."""
