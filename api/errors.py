"""Errors as RFC 9457 problem details (application/problem+json), with a stable shape:
``type``, ``title``, ``status``, ``detail``, and where it helps ``campo`` or ``errores``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException

from geo.errors import (
    EntradaInvalida,
    ErrorCargaTerritorio,
    NoEncontrado,
    SiggError,
    TerritorioNoCargado,
)

log = logging.getLogger("sigg.api")

STATUS: dict[type[SiggError], int] = {
    NoEncontrado: 404,
    EntradaInvalida: 422,
    ErrorCargaTerritorio: 422,
    TerritorioNoCargado: 503,
}

MEDIA_TYPE = "application/problem+json"


def problema(status: int, titulo: str, detalle: str, tipo: str, **extra: Any) -> JSONResponse:
    cuerpo = {
        "type": f"urn:sigg:problema:{tipo}",
        "title": titulo,
        "status": status,
        "detail": detalle,
        **extra,
    }
    return JSONResponse(cuerpo, status_code=status, media_type=MEDIA_TYPE)


def _status(exc: SiggError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


_MENSAJES = {
    "float_parsing": "debe ser un número",
    "int_parsing": "debe ser un número entero",
    "missing": "es obligatorio",
    "enum": "valor no válido",
    "string_pattern_mismatch": "formato no válido",
    "finite_number": "debe ser un número finito",
}


def _traducir(error: dict[str, Any]) -> dict[str, Any]:
    campo = str(error["loc"][-1]) if error.get("loc") else ""
    mensaje = _MENSAJES.get(error["type"], error.get("msg", "valor no válido"))
    if error["type"] == "enum" and "expected" in error.get("ctx", {}):
        mensaje += f"; se espera {error['ctx']['expected']}"
    if error["type"] == "string_pattern_mismatch" and "pattern" in error.get("ctx", {}):
        mensaje += f" (patrón {error['ctx']['pattern']})"
    salida = {"campo": campo, "mensaje": mensaje}
    if "input" in error and error["type"] != "missing":
        salida["valor"] = error["input"]
    return salida


def install(app: FastAPI) -> None:
    @app.exception_handler(SiggError)
    async def _sigg(_: Request, exc: SiggError) -> JSONResponse:
        return problema(_status(exc), exc.titulo, exc.mensaje, exc.codigo, **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def _validacion(_: Request, exc: RequestValidationError) -> JSONResponse:
        errores = [_traducir(e) for e in exc.errors()]
        detalle = "; ".join(f"{e['campo']}: {e['mensaje']}" for e in errores)
        return problema(422, "Parámetros no válidos", detalle, "parametros", errores=errores)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        titulo = "No encontrado" if exc.status_code == 404 else "Error HTTP"
        detalle = "recurso inexistente" if exc.detail == "Not Found" else str(exc.detail)
        return problema(exc.status_code, titulo, detalle, f"http-{exc.status_code}")

    @app.exception_handler(OperationalError)
    async def _sin_base(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("base de datos no disponible: %s", exc)
        return problema(
            503,
            "Base de datos no disponible",
            "no se pudo contactar la base de datos; intente de nuevo en un momento",
            "base-no-disponible",
        )

    @app.exception_handler(DBAPIError)
    async def _db(_: Request, exc: DBAPIError) -> JSONResponse:
        log.exception("error de base de datos", exc_info=exc)
        return problema(500, "Error interno", "error de base de datos", "interno")
