"""Programs and their results framework."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Indicador(BaseModel):
    codigo: str
    nombre: str
    unidad: str
    linea_base: float | None
    meta: float | None
    frecuencia: str | None
    como_se_calcula: str | None
    calculo: str | None = Field(description="Cálculo de SIGG a partir de los registros, o nada")


class Programa(BaseModel):
    id: int
    codigo: str
    nombre: str
    cartografia: str
    tipo_cambio: float | None = Field(description="Bs por dólar; nada: el de la instalación")
    permite_excesos: bool
    sintetico: bool
    version: int


class ProgramaConMarco(Programa):
    indicadores: list[Indicador]


class Calculo(BaseModel):
    codigo: str
    nombre: str


class ListaProgramas(BaseModel):
    data: list[Programa]
    count: int
    calculos: list[Calculo] = Field(description="Los cálculos que un indicador puede nombrar")
