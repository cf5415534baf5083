"""The territory: units of each level with their parents, census population and area, and the
units of a point."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.comun import Geometria, Ref


class Poblacion(BaseModel):
    """Census population; null is "sin dato" (unknown), never zero."""

    pob_2012: int | None = Field(description="Población total, CNPV 2012")
    urbana_2012: int | None = Field(description="Población urbana, CNPV 2012")
    rural_2012: int | None = Field(description="Población rural, CNPV 2012")
    pob_2024: int | None = Field(description="Población total, CPV 2024")


class UnidadTerritorial(BaseModel):
    """A unit of one level; the fields that do not apply to its level are absent."""

    codigo: str = Field(description="Código INE, o de la unidad operativa")
    nombre: str
    nivel: str = Field(description="departamento, provincia, municipio o unidad_operativa")
    departamento: Ref | None = Field(
        None, description="Su departamento (null para una unidad operativa regional)"
    )
    provincia: Ref | None = Field(None, description="Municipio: su provincia")
    unidad_operativa: Ref | None = Field(None, description="Municipio: su unidad operativa")
    codigo_2012: str | None = Field(None, description="Municipio 2012 del que sale una TIOC 2024")
    tipo: str | None = Field(None, description="Unidad operativa: departamental o regional")
    n_municipios: int | None = Field(None, description="Cuántos municipios tiene")
    n_provincias: int | None = Field(None, description="Cuántas provincias toca")
    departamentos: list[str] | None = Field(None, description="Códigos de los departamentos")
    unidades_operativas: list[str] | None = Field(
        None, description="Códigos de las unidades operativas que atienden sus municipios"
    )
    poblacion: Poblacion
    area_km2: float = Field(description="Superficie en km²")


class ListaTerritorio(BaseModel):
    cartografia: str = Field(description="Versión de la cartografía: 2012 o 2024")
    count: int
    data: list[UnidadTerritorial]


class FeatureTerritorial(BaseModel):
    """One unit as a GeoJSON Feature, with its whole geometry."""

    type: Literal["Feature"]
    id: str = Field(description="Su código")
    bbox: list[float] = Field(description="[oeste, sur, este, norte] en grados WGS 84")
    properties: UnidadTerritorial
    geometry: Geometria


class Ubicacion(BaseModel):
    lon: float
    lat: float
    cartografia: str = Field(description="Versión de la cartografía: 2012 o 2024")
    municipio: Ref
    provincia: Ref
    departamento: Ref
    unidad_operativa: Ref
    aproximado: bool = Field(description="Fuera de todo polígono pero dentro de la tolerancia")
    distancia_m: float = Field(description="Distancia al municipio en metros (0 si está dentro)")
