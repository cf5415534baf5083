"""OGC API - Features documents (Part 1 Core, Part 3 queryables): the landing page,
conformance, collections, queryables and items."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.comun import ColeccionPaginada, Geometria


class Enlace(BaseModel):
    href: str
    rel: str
    type: str = Field(description="Tipo de medio del destino")
    title: str


class Inicio(BaseModel):
    title: str
    description: str
    links: list[Enlace]


class Conformidad(BaseModel):
    conformsTo: list[str] = Field(description="Clases de conformidad OGC que cumple")


class ExtensionEspacial(BaseModel):
    bbox: list[list[float]] = Field(description="[[oeste, sur, este, norte]] en CRS84")
    crs: str


class ExtensionTemporal(BaseModel):
    interval: list[list[str | None]] = Field(description="[[desde, hasta]] (fechas ISO 8601)")
    trs: str


class Extension(BaseModel):
    spatial: ExtensionEspacial
    temporal: ExtensionTemporal | None = Field(
        None, description="Solo en las colecciones con fecha"
    )


class ColeccionOGC(BaseModel):
    id: str
    title: str
    description: str
    itemType: Literal["feature"]
    crs: list[str]
    storageCrs: str
    extent: Extension
    links: list[Enlace]


class Colecciones(BaseModel):
    links: list[Enlace]
    collections: list[ColeccionOGC]


class Filtrable(BaseModel):
    type: str = Field(description="Tipo JSON Schema: string, integer o number")
    title: str
    description: str
    format: str | None = Field(None, description="p. ej. date")


class Filtrables(BaseModel):
    """The queryables of a collection, as a JSON Schema (Part 3)."""

    model_config = ConfigDict(populate_by_name=True)

    esquema: str = Field(alias="$schema")
    id: str = Field(alias="$id")
    type: Literal["object"]
    title: str
    properties: dict[str, Filtrable]
    additionalProperties: bool


class ElementoOGC(BaseModel):
    type: Literal["Feature"]
    id: int | str = Field(description="Id del registro, o código de la unidad territorial")
    geometry: Geometria
    properties: dict[str, Any] = Field(
        description="Los atributos de la colección (vea /queryables); las unidades "
        "territoriales traen también sus medidas agregadas"
    )


class ElementoConEnlaces(ElementoOGC):
    links: list[Enlace]


class Elementos(ColeccionPaginada[ElementoOGC]):
    timeStamp: datetime
    links: list[Enlace] = Field(description="self, collection, y next/prev entre páginas")
