"""Errors as RFC 9457 problem details (application/problem+json), with a stable shape:
``type``, ``title``, ``status``, ``detail``, and where it helps ``campo`` or ``errores``."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolAgotado
from starlette.exceptions import HTTPException

from geo.plataforma.errors import (
    ArchivoDemasiadoGrande,
    Conflicto,
    DemasiadasSolicitudes,
    EntradaInvalida,
    ErrorCargaTerritorio,
    FaltaVersion,
    NoAutenticado,
    NoEncontrado,
    ParametroInvalido,
    Prohibido,
    SiggError,
    TerritorioNoCargado,
    TipoNoAdmitido,
    VersionObsoleta,
)
from geo.registro.esquemas import traducir

log = logging.getLogger("sigg.api")

STATUS: dict[type[SiggError], int] = {
    NoAutenticado: 401,
    Prohibido: 403,
    DemasiadasSolicitudes: 429,
    NoEncontrado: 404,
    ParametroInvalido: 400,
    ArchivoDemasiadoGrande: 413,
    TipoNoAdmitido: 415,
    Conflicto: 409,
    FaltaVersion: 428,
    VersionObsoleta: 412,
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


def _traducir(error: dict[str, Any]) -> dict[str, Any]:
    loc = [p for p in error.get("loc", ()) if p not in ("body", "query", "path", "header")]
    _, mensaje = traducir(error)
    campo = ".".join(str(p) for p in loc) or "cuerpo"
    if error["type"] == "enum":
        mensaje = "valor no válido"
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
        respuesta = problema(_status(exc), exc.titulo, exc.mensaje, exc.codigo, **exc.extra)
        if isinstance(exc, NoAutenticado):
            respuesta.headers["WWW-Authenticate"] = "Bearer"
        if "reintentar_en" in exc.extra:  # 429, and a 409 for a request still running
            respuesta.headers["Retry-After"] = str(exc.extra["reintentar_en"])
        return respuesta

    @app.exception_handler(RequestValidationError)
    async def _validacion(request: Request, exc: RequestValidationError) -> JSONResponse:
        errores = [_traducir(e) for e in exc.errors()]
        detalle = "; ".join(f"{e['campo']}: {e['mensaje']}" for e in errores)
        # OGC API - Features requires 400 for an invalid query parameter value.
        estado = 400 if request.url.path.startswith("/ogc") else 422
        return problema(estado, "Parámetros no válidos", detalle, "parametros", errores=errores)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        titulo = "No encontrado" if exc.status_code == 404 else "Error HTTP"
        detalle = "recurso inexistente" if exc.detail == "Not Found" else str(exc.detail)
        return problema(exc.status_code, titulo, detalle, f"http-{exc.status_code}")

    @app.exception_handler(IntegrityError)
    async def _integridad(_: Request, exc: IntegrityError) -> JSONResponse:
        estado, detalle = _integridad_a_http(exc)
        return problema(
            estado,
            "Conflicto con los datos" if estado == 409 else "Dato no válido",
            detalle,
            "integridad",
        )

    @app.exception_handler(OperationalError)
    async def _sin_base(_: Request, exc: OperationalError) -> JSONResponse:
        if (negado := _negado_por_la_base(exc)) is not None:
            return negado
        log.error("base de datos no disponible: %s", exc)
        return problema(
            503,
            "Base de datos no disponible",
            "no se pudo contactar la base de datos; intente de nuevo en un momento",
            "base-no-disponible",
        )

    @app.exception_handler(DBAPIError)
    async def _db(request: Request, exc: DBAPIError) -> JSONResponse:
        if (negado := _negado_por_la_base(exc)) is not None:
            return negado
        if (dato := _dato_rechazado(exc)) is not None:
            return dato
        return _interno(request, exc)

    @app.exception_handler(PoolAgotado)
    async def _sin_conexiones(_: Request, exc: PoolAgotado) -> JSONResponse:
        log.warning("sin conexiones libres: %s", exc)
        respuesta = problema(
            503,
            "Servicio ocupado",
            "todas las conexiones a la base de datos están en uso; intente de nuevo en unos "
            "segundos",
            "ocupado",
        )
        respuesta.headers["Retry-After"] = str(REINTENTAR_S)
        return respuesta

    @app.exception_handler(Exception)
    async def _cualquiera(request: Request, exc: Exception) -> JSONResponse:
        return _interno(request, exc)


# How long a client waits before retrying when the connection pool is exhausted.
REINTENTAR_S = 5


def _interno(request: Request, exc: BaseException) -> JSONResponse:
    """The last resort: never a plain-text 500. The trace goes to the log under an id that the
    response carries, so a user's report leads to it."""
    ident = uuid.uuid4().hex[:12]
    log.error("error interno %s en %s %s", ident, request.method, request.url.path, exc_info=exc)
    respuesta = problema(
        500,
        "Error interno",
        f"ocurrió un error inesperado; si se repite, informe el código {ident}",
        "interno",
        id_solicitud=ident,
    )
    respuesta.headers["X-Request-ID"] = ident
    return respuesta


def _dato_rechazado(exc: DBAPIError) -> JSONResponse | None:
    """A value the database could not take (SQLSTATE class 22: out of range, not a date, a NUL
    character) that slipped past the input boundary: the client's data, so a 422."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if not sqlstate.startswith("22") and not isinstance(exc, DataError):
        return None
    diag = getattr(exc.orig, "diag", None)
    mensaje = getattr(diag, "message_primary", None) or str(exc.orig).splitlines()[0]
    return problema(422, "Dato no válido", mensaje, "dato-invalido")


# Database errors are translated where the database layer ends: a unique violation is a
# conflict (409), anything else that breaks a constraint is invalid data (422).
_RESTRICCIONES = {
    "uq_alianza_programa_codigo": "ya existe una alianza con ese código en el programa",
    "uq_organizacion_programa_nombre": "ya existe una organización con ese nombre en el programa",
    "uq_seguimiento_alianza_ciclo": "ya hay un seguimiento de ese ciclo para la alianza",
    "uq_subproyecto_municipal_programa_codigo": "ya existe un subproyecto con ese código",
    "fk_alianza_organizacion_id_organizacion": "la organización tiene alianzas: no se puede borrar",
    "transicion_etapa": "cambio de etapa no permitido",
    # Behind the advisory lock of geo/plataforma/idempotencia.py: a backstop, not the rule.
    "pk_operacion_idempotente": "otra solicitud con esta Idempotency-Key terminó a la vez: "
    "reintente y recibirá su respuesta",
}


def _integridad_a_http(exc: IntegrityError) -> tuple[int, str]:
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None)
    diag = getattr(orig, "diag", None)
    nombre = getattr(diag, "constraint_name", None) or ""
    detalle = _RESTRICCIONES.get(nombre) or getattr(diag, "message_primary", None) or str(orig)
    return (409 if sqlstate in ("23505", "23503") else 422), detalle


def _negado_por_la_base(exc: DBAPIError) -> JSONResponse | None:
    """The guard trigger's refusals (geo.acceso): outside the user's unit or role (42501) and
    changes to a validated record (55000)."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    diag = getattr(exc.orig, "diag", None)
    mensaje = getattr(diag, "message_primary", None) or str(exc.orig)
    if sqlstate == "42501":
        return problema(403, Prohibido.titulo, mensaje, Prohibido.codigo)
    if sqlstate == "55000":
        return problema(409, "Registro validado", mensaje, "registro-bloqueado")
    return None
