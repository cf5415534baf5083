"""The three-level verification of alliances and subprojects (geo/registro/verificacion.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.comun import Lista, vocabulario
from geo.vocabulario.catalogos import ACCIONES_VERIFICACION, ESTADOS

_ESTADO = f"Estado de la verificación: {vocabulario(ESTADOS)}"


class EstadoVerificacion(BaseModel):
    """Where a record stands after a step."""

    id: int
    codigo: str
    estado: str = Field(description=_ESTADO)
    estado_nombre: str = Field(description="El estado, para leer")
    version: int = Field(description="La nueva versión del registro (también en ETag)")


class PasoVerificacion(BaseModel):
    accion: str = Field(description=f"Una de: {', '.join(ACCIONES_VERIFICACION)}")
    desde: str = Field(description="Estado anterior")
    hacia: str = Field(description="Estado nuevo")
    usuario: str = Field(description="Quién dio el paso")
    momento: datetime
    comentario: str | None = Field(description="La observación, al observar o reabrir")


class PasosVerificacion(Lista[PasoVerificacion]):
    estado: str = Field(description=_ESTADO)


class Pendiente(BaseModel):
    """A record waiting for the user: to verify, to validate or to correct."""

    recurso: Literal["alianzas", "subproyectos"]
    id: int
    codigo: str
    nombre: str
    estado: str = Field(description=_ESTADO)
    observacion: str | None = Field(description="La última observación, si fue observado")
    version: int = Field(description="Versión del registro, para If-Match")
    actualizado_en: datetime
    municipio_codigo: str = Field(description="Código INE del municipio")
    municipio: str = Field(description="Nombre del municipio")
    unidad_operativa: str = Field(description="Código de la unidad operativa")
    lon: float
    lat: float


class Pendientes(Lista[Pendiente]):
    pass
