"""What a route declares in ``responses=``: its success body (with the ETag a record carries, or
its GeoJSON alternative), the files it answers, and the problems (errors) it may answer.

FastAPI places a response ``model`` under the route's own media type only. A body under another
one (application/problem+json for errors, application/geo+json beside JSON) is referenced here
by name, and ``completar`` adds its schema, and those it uses, to the document's components."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from api.respuestas import GEOJSON
from api.schemas.comun import Problema

REF = "#/components/schemas/"
PROBLEMA = "application/problem+json"
HTML = "text/html"

_OTROS: dict[str, type[BaseModel]] = {}

_ETAG_REGISTRO = {
    "ETag": {
        "description": "La versión del registro: envíela en If-Match para cambiarlo",
        "schema": {"type": "string"},
    }
}

_ETAG_DATOS = {
    "ETag": {
        "description": "La versión de los datos: envíela en If-None-Match (304 si no cambió)",
        "schema": {"type": "string"},
    }
}

_AGREGADO = {
    "X-SIGG-Agregado": {
        "description": "resumen: calculado del resumen que mantienen las escrituras (su tiempo "
        "no crece con los registros); consulta-completa: un filtro que el resumen no responde "
        "obligó a sumar los registros",
        "schema": {"type": "string", "enum": ["resumen", "consulta-completa"]},
    },
    "X-SIGG-Agregado-Motivo": {
        "description": "Con consulta-completa: los filtros que la obligaron, separados por coma",
        "schema": {"type": "string"},
    },
}

_PROBLEMAS = {
    400: "Parámetro desconocido (lo nombra y lista los aceptados) o no válido",
    401: "Sin sesión, o token vencido o no válido",
    403: "La sesión no permite esto (rol, o registro de otra unidad)",
    404: "No existe, o quien pregunta no puede verlo",
    409: "Conflicto con los datos: código duplicado, registro validado (bloqueado), ya hecho, "
    "u otra solicitud con la misma Idempotency-Key aún en curso",
    412: "El registro cambió desde que se leyó (If-Match no coincide)",
    413: "El cuerpo o el archivo es demasiado grande",
    422: "Datos no válidos: cada campo con su motivo; o una Idempotency-Key ya usada con otra "
    "solicitud",
    428: "Falta la cabecera If-Match con la versión leída",
    429: "Demasiadas solicitudes desde esta dirección (Retry-After dice cuánto esperar)",
    503: "Base de datos no disponible, o territorio no cargado",
}


def cuerpo(modelo: type[BaseModel], tipo: str) -> dict[str, Any]:
    """``content`` for ``modelo`` under media type ``tipo``."""
    otro = _OTROS.setdefault(modelo.__name__, modelo)
    assert otro is modelo, f"two response models named {modelo.__name__}"
    return {tipo: {"schema": {"$ref": REF + modelo.__name__}}}


def exito(
    modelo: type[BaseModel],
    descripcion: str,
    *,
    geojson: type[BaseModel] | None = None,
    version: bool = False,
) -> dict[str, Any]:
    """A success answer: ``modelo`` as JSON, ``geojson`` as its GeoJSON alternative (?formato=
    geojson or Accept), and the ETag header when it is one record with its version."""
    respuesta: dict[str, Any] = {"model": modelo, "description": descripcion}
    if geojson is not None:
        respuesta["content"] = cuerpo(geojson, GEOJSON)
    if version:
        respuesta["headers"] = _ETAG_REGISTRO
    return respuesta


def con_cache(
    modelo: type[BaseModel], descripcion: str, agregado: bool = False
) -> dict[int | str, dict[str, Any]]:
    """An answer computed once per version of the data (api/cache.py), with that version as
    ETag; 304 when the client already holds it. ``agregado``: it says how it was summed."""
    cabeceras = _ETAG_DATOS | (_AGREGADO if agregado else {})
    return {
        200: {"model": modelo, "description": descripcion, "headers": cabeceras},
        304: {"description": "Sin cambios desde la versión que el cliente tiene (If-None-Match)"},
    }


def solo(modelo: type[BaseModel], tipo: str, descripcion: str, **otros: Any) -> dict[str, Any]:
    """An answer whose only body is ``modelo`` under ``tipo`` (GeoJSON, JSON Schema...) and,
    in ``otros``, further content (e.g. the HTML of an OGC page)."""
    return {"description": descripcion, "content": cuerpo(modelo, tipo) | otros}


def archivos(descripcion: str, *tipos: str) -> dict[str, Any]:
    """A file to download, in one of ``tipos``."""
    return {
        "description": descripcion,
        "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in tipos},
    }


def pagina_html() -> dict[str, Any]:
    """The HTML alternative of an OGC answer (?f=html or Accept: text/html)."""
    return {HTML: {"schema": {"type": "string"}}}


def problemas(*codigos: int) -> dict[int | str, dict[str, Any]]:
    """The problems a router (or a route) may answer, each as application/problem+json."""
    return {
        c: {"description": _PROBLEMAS[c], "content": cuerpo(Problema, PROBLEMA)} for c in codigos
    }


def completar(app: FastAPI) -> None:
    """Make ``app.openapi()`` hold the schemas that ``cuerpo`` referenced."""
    generar = app.openapi

    def openapi() -> dict[str, Any]:
        documento = generar()
        esquemas = documento.setdefault("components", {}).setdefault("schemas", {})
        if any(nombre not in esquemas for nombre in _OTROS):
            _, definiciones = models_json_schema(
                [(m, "serialization") for m in _OTROS.values()], ref_template=REF + "{model}"
            )
            for nombre, esquema in definiciones.get("$defs", {}).items():
                esquemas.setdefault(nombre, esquema)
        return documento

    app.openapi = openapi  # type: ignore[method-assign]
