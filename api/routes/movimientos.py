"""The money ledger of a record over HTTP: the same two routes under an alliance and under a
municipal subproject (``/movimientos``), made by one factory; each reads its parameters, calls
one use case of geo.registro.movimientos and shapes the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.deps import ConnDep, SessionDep
from api.idempotencia import IdempotenciaDep
from api.respuestas import IfMatch
from api.schemas.documento import problemas
from api.schemas.movimientos import ListaMovimientos, MovimientoAgregado, MovimientoEntrada
from api.seguridad import PersonalDep
from geo.registro import movimientos
from geo.vocabulario.catalogos import TIPOS_MOVIMIENTO


def _router(prefijo: str, tabla: str, nombre: str) -> APIRouter:
    router = APIRouter(
        prefix=prefijo,
        tags=["libro de movimientos"],
        responses=problemas(400, 401, 403, 404, 409, 412, 422, 428),
    )
    tipos = ", ".join(f"{k} ({v})" for k, v in TIPOS_MOVIMIENTO.items())

    @router.get(
        "/{registro_id}/movimientos",
        response_model=ListaMovimientos,
        summary=f"Movimientos de dinero de una {nombre}",
        description=f"Los movimientos de dinero de la {nombre} (fecha, tipo, monto, documento, "
        "quién y cuándo), del más antiguo al más reciente, y sus totales, que son sus sumas. "
        "Solo personal que puede ver el registro.",
    )
    def listar(conn: ConnDep, quien: PersonalDep, registro_id: int) -> dict[str, Any]:
        return movimientos.listar(conn, quien, tabla, registro_id)

    @router.post(
        "/{registro_id}/movimientos",
        status_code=201,
        response_model=MovimientoAgregado,
        summary=f"Registrar un movimiento de dinero de una {nombre}",
        description=f"Registra un movimiento de la {nombre}; sus totales cambian en la misma "
        f"transacción. Exige If-Match con la versión leída de la {nombre} y sigue las reglas "
        "de escritura del registro (su unidad; un técnico, solo borradores; validada, "
        "bloqueada). Una corrección es otro movimiento, con monto negativo. Tipos: "
        f"{tipos}. La respuesta lleva en ETag la nueva versión del registro.",
    )
    def agregar(
        db: SessionDep,
        quien: PersonalDep,
        registro_id: int,
        movimiento: Annotated[MovimientoEntrada, Body()],
        idem: IdempotenciaDep,
        if_match: IfMatch = None,
    ) -> JSONResponse:
        d = movimientos.agregar(
            db.connection(), quien, tabla, registro_id, movimiento.model_dump(), if_match=if_match
        )
        etag = {"ETag": f'"{d["totales"]["version"]}"'}
        return idem.confirmar(JSONResponse(jsonable_encoder(d), status_code=201, headers=etag))

    return router


router = APIRouter()
router.include_router(_router("/api/v1/alianzas", "alianza", "alianza"))
router.include_router(_router("/api/v1/subproyectos", "subproyecto_municipal", "subproyecto"))
