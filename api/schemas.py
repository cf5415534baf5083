"""Response shapes, for the OpenAPI document and for stable field names."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Ref(BaseModel):
    codigo: str
    nombre: str


class Poblacion(BaseModel):
    """Census population; null is "sin dato" (unknown), never zero."""

    pob_2012: int | None = Field(description="Población total, CNPV 2012")
    urbana_2012: int | None
    rural_2012: int | None
    pob_2024: int | None = Field(description="Población total, CPV 2024")


class UnidadTerritorial(BaseModel):
    codigo: str
    nombre: str
    nivel: str = Field(description="departamento, provincia, municipio o unidad_operativa")
    departamento: Ref | None = None
    provincia: Ref | None = None
    unidad_operativa: Ref | None = None
    codigo_2012: str | None = Field(None, description="Municipio 2012 del que sale una TIOC 2024")
    tipo: str | None = Field(None, description="Unidad operativa: departamental o regional")
    n_municipios: int | None = None
    n_provincias: int | None = None
    departamentos: list[str] | None = None
    unidades_operativas: list[str] | None = None
    poblacion: Poblacion
    area_km2: float


class ListaTerritorio(BaseModel):
    cartografia: str
    count: int
    data: list[UnidadTerritorial]


class Ubicacion(BaseModel):
    lon: float
    lat: float
    cartografia: str
    municipio: Ref
    provincia: Ref
    departamento: Ref
    unidad_operativa: Ref
    aproximado: bool = Field(description="Fuera de todo polígono pero dentro de la tolerancia")
    distancia_m: float


class BaseDeDatos(BaseModel):
    alcanzable: bool
    postgis: str | None = None
    migracion: str | None = None
    migracion_esperada: str | None = None


class Salud(BaseModel):
    estado: str = Field(description="ok, incompleto (falta migrar o cargar) o sin_base")
    base_de_datos: BaseDeDatos
    territorio: dict[str, dict[str, int]] = {}
    tipo_cambio: float
