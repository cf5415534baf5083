"""The three-level verification of alliances and subprojects (geo/registro/verificacion.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.comun import Lista, Pagina, vocabulario
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


class UltimoPaso(BaseModel):
    """A step of the verification as the tray shows it."""

    accion: str = Field(description=f"Una de: {', '.join(ACCIONES_VERIFICACION)}")
    desde: str = Field(description="Estado anterior")
    hacia: str = Field(description="Estado nuevo")
    usuario: str = Field(description="Quién dio el paso (su usuario)")
    nombre: str = Field(description="Quién dio el paso (su nombre)")
    momento: datetime
    comentario: str | None = Field(description="El comentario del paso, si lo tiene")


Valor = str | int | float | list[float] | None


class Cambio(BaseModel):
    """A data field that changed since the reference step: its value then and now, as people
    read them (catalogue labels, municipality and organization names; a point as lon, lat)."""

    campo: str = Field(description="Nombre del campo en la API")
    etiqueta: str = Field(description="El campo, para leer")
    antes: Valor = Field(description="Valor en la referencia")
    despues: Valor = Field(description="Valor ahora")


class Pendiente(BaseModel):
    """A record waiting for the user: to verify, to validate or to correct."""

    recurso: Literal["alianzas", "subproyectos"]
    id: int
    codigo: str
    nombre: str
    estado: str = Field(description=_ESTADO)
    estado_nombre: str = Field(description="El estado, para leer")
    observacion: str | None = Field(description="La última observación, si alguna vez lo fue")
    version: int = Field(description="Versión del registro, para If-Match")
    actualizado_en: datetime
    municipio_codigo: str = Field(description="Código INE del municipio")
    municipio: str = Field(description="Nombre del municipio")
    unidad_operativa: str = Field(description="Código de la unidad operativa")
    unidad_operativa_nombre: str = Field(description="Nombre de la unidad operativa")
    lon: float
    lat: float
    ultimo_paso: UltimoPaso | None = Field(
        description="El último paso de su verificación (null: nunca se movió)"
    )
    referencia: UltimoPaso | None = Field(
        description="El paso desde el que se cuentan los cambios: el último, si después se "
        "cambiaron datos; si no, el anterior (lo que se corrigió tras una observación). null: "
        "no hubo revisión anterior"
    )
    cambios: list[Cambio] = Field(description="Los campos que cambiaron desde la referencia")


class Pendientes(Pagina[Pendiente]):
    pass
