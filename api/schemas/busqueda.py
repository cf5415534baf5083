"""The answer of the one search box: places and alliances, in two lists."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.comun import vocabulario
from geo.vocabulario.catalogos import ESTADOS


class Lugar(BaseModel):
    """A unit of the territory whose name or code matches."""

    nivel: Literal["departamento", "provincia", "municipio", "unidad_operativa"]
    codigo: str = Field(description="Código INE, o de la unidad operativa (p. ej. CHACO)")
    nombre: str
    contexto: str = Field(
        description="Dónde está: provincia · departamento · unidad (municipio), departamento "
        "(provincia), 'Bolivia' (departamento) o 'Unidad operativa'"
    )


class AlianzaEncontrada(BaseModel):
    """An alliance whose code, name or organization matches, as the reader may see it."""

    id: int
    codigo: str
    nombre: str
    municipio: str = Field(description="Nombre del municipio")
    etapa: str = Field(description="Código de la etapa del ciclo")
    etapa_nombre: str
    estado: str = Field(description=vocabulario(ESTADOS))
    lon: float
    lat: float


class ResultadoBusqueda(BaseModel):
    """Places and alliances matching ``q``: exact matches first, then those that start with it,
    then those that contain it; at most ``limit`` of each."""

    q: str = Field(description="El texto buscado, sin los espacios de los extremos")
    lugares: list[Lugar]
    alianzas: list[AlianzaEncontrada]
