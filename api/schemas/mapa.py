"""The map: what can be mapped, the values of one measure with their classes, the municipal
layer (TopoJSON), the points, and the lakes and salt flats (geo/analisis/mapa.py)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.comun import ColeccionGeoJSON, Geometria, Numero, PuntoGeoJSON
from geo.analisis.agregacion import NivelAgregacion


class Medidas(BaseModel):
    medidas: dict[str, str] = Field(description="Cada medida mapeable con su etiqueta")
    clasificaciones: list[str] = Field(description="Métodos de clasificación (mapclassify)")
    teselas: str | None = Field(description="URL del mapa base ({z}/{x}/{y}); null: sin mapa base")


class Clase(BaseModel):
    desde: float = Field(description="Límite inferior (el superior de la clase anterior)")
    hasta: float = Field(description="Límite superior, incluido")
    color: str = Field(description="Color de la clase (#rrggbb, ColorBrewer YlGnBu)")
    n: int = Field(description="Unidades en la clase")
    etiqueta: str = Field(
        description="La clase para la leyenda, con separadores bolivianos: «1.250 – 3.464,5»; "
        "un solo número cuando la clase tiene un solo valor («0»)"
    )
    cero: bool = Field(description="La clase propia de las unidades con valor cero")


class SinDatoMapa(BaseModel):
    color: str = Field(description="Color de las unidades sin dato")
    n: int = Field(description="Unidades sin dato")
    etiqueta: str = Field(description="«Sin dato», para la leyenda")


class ValorEnUnidad(BaseModel):
    nombre: str
    valor: Numero | None
    clase: int | None = Field(description="Índice en clases; null: sin dato")
    sin_dato: str | None = Field(description="Por qué no hay dato")


class ValoresMapa(BaseModel):
    nivel: NivelAgregacion
    datos_sinteticos: bool = Field(description="Datos de demostración, no reales")
    medida: str
    etiqueta: str = Field(description="La medida, para leer")
    unidad: str = Field(
        description="En qué se cuenta el valor, para la leyenda y los tooltips: «familias», "
        "«Bs», «ha», «%»"
    )
    clasificacion: str
    clases: list[Clase]
    sin_dato: SinDatoMapa
    unidades: dict[str, ValorEnUnidad] = Field(description="Por código de unidad")


class Transformacion(BaseModel):
    scale: list[float]
    translate: list[float]


class CapaTopoJSON(BaseModel):
    """The municipalities simplified for the screen, as TopoJSON (objects.municipios)."""

    type: Literal["Topology"]
    objects: dict[str, dict[str, Any]] = Field(description="municipios: la colección de formas")
    arcs: list[Any] = Field(description="Los bordes compartidos, cuantizados")
    bbox: list[float]
    transform: Transformacion


class NombreLago(BaseModel):
    nombre: str


class Lago(BaseModel):
    type: Literal["Feature"]
    properties: NombreLago
    geometry: Geometria


class Lagos(ColeccionGeoJSON[Lago]):
    """Lakes and salt flats, lightly simplified, for the background."""


class PropiedadesPunto(BaseModel):
    codigo: str
    nombre: str
    etapa: str
    familias: int
    municipio: str = Field(description="Nombre del municipio")
    estado: str = Field(description="Estado de la verificación")
    etapa_nombre: str = Field(description="La etapa, como la lee una persona")
    estado_nombre: str = Field(description="El estado de la verificación, como lo lee una persona")


class PuntoMapa(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: PuntoGeoJSON
    properties: PropiedadesPunto


class PuntosMapa(ColeccionGeoJSON[PuntoMapa]):
    """Alliances or subprojects as points."""
