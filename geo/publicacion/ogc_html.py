"""The OGC API - Features pages for people (``f=html``, issue 16): every attribute under its
Spanish label (the vocabulary's, with the attribute's own name beside it for GIS users), codes
read by their label, numbers and dates as Bolivia writes them, empty values empty (never
"None"), and a small Leaflet map of the page's features.

The map needs no inline script (the Content-Security-Policy forbids them): the features travel
in a JSON data block that web/static/ogc_mapa.js draws, over the municipal borders of
/api/v1/mapa/capa. Leaflet is the local copy at /vendor/leaflet/."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from geo.analisis.mapa import MEDIDAS_MAPA
from geo.formatos.documentos import fecha_es
from geo.formatos.numeros import numero_es
from geo.publicacion.colecciones import MEDIDAS_TERRITORIO, Atributo, Coleccion
from geo.vocabulario.catalogos import (
    CAMPOS_ALIANZA,
    CAMPOS_SUBPROYECTO,
    ESTADOS,
    ETAPAS,
    ETAPAS_SUBPROYECTO,
    FINANCIAMIENTOS,
    MODELOS,
    PRECISIONES,
    SECTORES,
)

# Labels of the attributes the vocabulary has no word for (the places and the census).
_COMUNES = {
    "programa": "Programa",
    "codigo": "Código",
    "nombre": "Nombre",
    "municipio_codigo": "Código INE del municipio",
    "municipio_nombre": "Municipio",
    "provincia_codigo": "Código de la provincia",
    "departamento_codigo": "Código del departamento",
    "unidad_operativa_codigo": "Unidad operativa",
    "pob_2012": "Población 2012 (CNPV)",
    "rural_2012": "Población rural 2012 (CNPV)",
    "pob_2024": "Población 2024 (CPV)",
    "area_km2": "Superficie (km²)",
    "tipo": "Tipo de unidad",
    "familias_mujeres": "Familias representadas por mujeres",
}
_TERRITORIO = {m: MEDIDAS_MAPA.get(m, _COMUNES.get(m, m)) for m in MEDIDAS_TERRITORIO}
# Codes a person reads by their label (the JSON keeps the codes).
_VALORES: dict[str, dict[Any, str]] = {
    "sector": SECTORES,
    "etapa": ETAPAS | ETAPAS_SUBPROYECTO,
    "estado": ESTADOS,
    "modelo": MODELOS,
    "financiamiento": FINANCIAMIENTOS,
    "precision_ubicacion": PRECISIONES,
    "tipo": {"departamental": "Departamental", "regional": "Regional"},
}
_TIPOS = {"string": "texto", "integer": "entero", "number": "número"}
PLANTILLAS = Path(__file__).parent / "plantillas"


@cache
def _plantilla() -> Template:
    entorno = Environment(
        loader=FileSystemLoader(PLANTILLAS),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return entorno.get_template("ogc.html")


def etiquetas(c: Coleccion) -> dict[str, str]:
    """Every attribute of ``c`` (and, for territory, every aggregated measure) -> its label."""
    if c.id == "alianzas":
        propias = CAMPOS_ALIANZA
    elif c.id == "subproyectos":
        propias = CAMPOS_SUBPROYECTO
    else:
        propias = _TERRITORIO
    # The vocabulary's "Municipio" for municipio_codigo is a form's field; here the municipality's
    # name has a column of its own and the code is labelled as a code.
    return _COMUNES | {k: v for k, v in propias.items() if k != "municipio_codigo"}


def texto(nombre: str, valor: Any) -> tuple[str, bool]:
    """A value as a person in Bolivia reads it, and whether it is a number: a code by its label,
    1.234,56, 31/12/2020, "sí"/"no", and nothing at all for an empty value."""
    if valor is None or valor == "":
        return "", False
    if nombre in _VALORES and valor in _VALORES[nombre]:
        return _VALORES[nombre][valor], False
    if isinstance(valor, bool):
        return ("sí" if valor else "no"), False
    if isinstance(valor, int | float):
        entero = isinstance(valor, int) or float(valor).is_integer()
        return numero_es(valor, 0 if entero else 2), True
    cadena = str(valor)
    if len(cadena) == 10 and cadena[4] == cadena[7] == "-" and cadena[:4].isdigit():
        try:
            return fecha_es(date.fromisoformat(cadena)), False
        except ValueError:
            return cadena, False
    return cadena, False


def _mapa(features: Iterable[dict[str, Any]], enlace: str, fondo: str) -> dict[str, str]:
    """The features for ogc_mapa.js: geometry, name and the link to each one's page."""
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f["id"],
                "geometry": f.get("geometry"),
                "properties": {
                    "nombre": str(f["properties"].get("nombre") or f["id"]),
                    "enlace": enlace.format(id=f["id"]),
                },
            }
            for f in features
        ],
    }
    # "</script>" inside a name must not close the data block.
    datos = json.dumps(fc, ensure_ascii=False, separators=(",", ":")).replace("<", "\\u003c")
    return {"geojson": datos, "fondo": fondo}


def _al(href: str, corte: date | None) -> str:
    """A link to a feature's page kept at the reader's cut-off date: from a page at a corte,
    the feature must read as it stood then, not as it stands today."""
    return href if corte is None else f"{href}&corte={corte.isoformat()}"


def _situacion(corte: date | None) -> str:
    return "" if corte is None else f" · situación al {fecha_es(corte)}"


def pagina(
    titulo: str,
    migas: list[dict[str, str | None]],
    descripcion: str | None = None,
    lista: list[dict[str, str]] | None = None,
    enlaces: list[dict[str, str]] | None = None,
) -> str:
    """A plain page: the landing, the conformance, the collections, one collection."""
    return _plantilla().render(
        titulo=titulo, migas=migas, descripcion=descripcion, lista=lista, enlaces=enlaces
    )


def elementos(
    c: Coleccion,
    features: list[dict[str, Any]],
    total: int,
    desde: int,
    migas: list[dict[str, str | None]],
    paginas: list[dict[str, str]],
    enlaces: list[dict[str, str]],
    fondo: str,
    corte: date | None = None,
) -> str:
    """A page of features: the count, the map, and a table with every attribute; at a cut-off
    date (``corte``) the count says so and each feature's link keeps it."""
    nombres = etiquetas(c)
    hay = [a.nombre for a in c.atributos]
    hay += [k for k in MEDIDAS_TERRITORIO if any(k in f["properties"] for f in features)]
    columnas = [{"nombre": "id", "etiqueta": "id"}] + [
        {"nombre": k, "etiqueta": nombres.get(k, k)} for k in dict.fromkeys(hay)
    ]
    filas = []
    for f in features:
        enlace = _al(f"items/{f['id']}?f=html", corte)
        fila = [{"texto": str(f["id"]), "href": enlace, "numero": False}]
        for col in columnas[1:]:
            t, numero = texto(col["nombre"], f["properties"].get(col["nombre"]))
            fila.append({"texto": t, "numero": numero, "href": None})
        filas.append(fila)
    mostrados = len(features)
    rango = f" (del {numero_es(desde + 1)} al {numero_es(desde + mostrados)})" if mostrados else ""
    return _plantilla().render(
        titulo=c.titulo,
        descripcion=c.descripcion,
        migas=migas,
        cuenta=f"{numero_es(mostrados)} de {numero_es(total)} elementos{rango}{_situacion(corte)}",
        mapa=_mapa(features, _al("items/{id}?f=html", corte), fondo) if features else None,
        tabla={"columnas": columnas, "filas": filas},
        paginas=paginas,
        enlaces=enlaces,
    )


def elemento(
    c: Coleccion,
    feature: dict[str, Any],
    migas: list[dict[str, str | None]],
    enlaces: list[dict[str, str]],
    fondo: str,
    corte: date | None = None,
) -> str:
    """One feature: its map and every attribute with its label and its name (at ``corte``,
    as it stood at the end of that day)."""
    nombres = etiquetas(c)
    atributos = [
        {"nombre": k, "etiqueta": nombres.get(k, k), "texto": texto(k, v)[0]}
        for k, v in feature["properties"].items()
    ]
    titulo = str(feature["properties"].get("nombre") or feature["id"])
    return _plantilla().render(
        titulo=titulo,
        descripcion=f"{c.titulo} · id {feature['id']}{_situacion(corte)}",
        migas=migas,
        mapa=_mapa([feature], _al("?f=html", corte), fondo) if feature.get("geometry") else None,
        atributos=atributos,
        enlaces=enlaces,
    )


def filtrables(c: Coleccion, migas: list[dict[str, str | None]]) -> str:
    """The queryables as a table: name, label, type, description and an example filter."""
    nombres = etiquetas(c)

    def fila(a: Atributo) -> list[dict[str, Any]]:
        ejemplo = f"…/items?{a.nombre}=…"
        tipo = "fecha (AAAA-MM-DD)" if a.formato == "date" else _TIPOS.get(a.tipo, a.tipo)
        return [
            {"texto": a.nombre, "numero": False, "href": None},
            {"texto": nombres.get(a.nombre, a.nombre), "numero": False, "href": None},
            {"texto": tipo, "numero": False, "href": None},
            {"texto": a.descripcion, "numero": False, "href": None},
            {"texto": ejemplo, "numero": False, "href": None},
        ]

    columnas = [{"etiqueta": e} for e in ("Atributo", "Etiqueta", "Tipo", "Descripción", "Ejemplo")]
    return _plantilla().render(
        titulo=f"Atributos filtrables: {c.titulo}",
        descripcion="Cualquiera de estos atributos filtra los elementos por igualdad "
        "(OGC API - Features, parte 3), p. ej. ?municipio_codigo=060301.",
        migas=migas,
        tabla={"columnas": columnas, "filas": [fila(a) for a in c.atributos]},
    )
