"""Producer organizations and the monitoring of alliances over HTTP: each route reads its
parameters, calls one use case of geo.registro.organizaciones and shapes the answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.deps import ConnDep, SessionDep
from api.idempotencia import IdempotenciaDep
from api.parametros import Desplazamiento, Limite, ProgramaDep
from api.respuestas import IfMatch, con_version
from api.schemas.documento import exito, problemas
from api.schemas.organizaciones import (
    ListaOrganizaciones,
    ListaSeguimientos,
    Organizacion,
    Seguimiento,
)
from api.seguridad import PersonalDep
from geo.registro import organizaciones as org

router = APIRouter(
    tags=["organizaciones y seguimiento"],
    responses=problemas(400, 401, 403, 404, 409, 412, 422, 428),
)


@router.get("/api/v1/organizaciones", response_model=ListaOrganizaciones)
def listar(
    conn: ConnDep,
    _quien: PersonalDep,
    programa: ProgramaDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Limite = 100,
    offset: Desplazamiento = 0,
) -> dict[str, Any]:
    """Organizaciones de productores (OPP), con cuántas alianzas tiene cada una."""
    data, total = org.listar_organizaciones(conn, programa, q, limit, offset)
    return {"data": data, "count": total, "limit": limit, "offset": offset}


@router.post(
    "/api/v1/organizaciones",
    status_code=201,
    responses={201: exito(Organizacion, "La organización registrada", version=True)},
)
def crear(
    quien: PersonalDep,
    db: SessionDep,
    entrada: org.OrganizacionEntrada,
    programa: ProgramaDep,
    idem: IdempotenciaDep,
) -> JSONResponse:
    """Registra una organización en el programa (409 si ya tiene una con ese nombre)."""
    d = org.crear_organizacion(db.connection(), quien, programa, entrada)
    return idem.confirmar(con_version(d, status=201))


@router.get(
    "/api/v1/organizaciones/{org_id}",
    responses={200: exito(Organizacion, "La organización", version=True)},
)
def una(conn: ConnDep, _quien: PersonalDep, org_id: int) -> JSONResponse:
    return con_version(org.organizacion(conn, org_id))


@router.patch(
    "/api/v1/organizaciones/{org_id}",
    responses={200: exito(Organizacion, "La organización cambiada", version=True)},
)
def modificar(
    quien: PersonalDep,
    db: SessionDep,
    org_id: int,
    cambios: Annotated[dict[str, Any], Body()],
    idem: IdempotenciaDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Cambia una organización (If-Match obligatorio)."""
    d = org.modificar_organizacion(db.connection(), quien, org_id, cambios, if_match=if_match)
    return idem.confirmar(con_version(d))


@router.delete("/api/v1/organizaciones/{org_id}", status_code=204)
def borrar(quien: PersonalDep, db: SessionDep, org_id: int, if_match: IfMatch = None) -> Response:
    """Borra una organización sin alianzas (con alianzas: 409)."""
    org.borrar_organizacion(db.connection(), quien, org_id, if_match=if_match)
    db.commit()
    return Response(status_code=204)


@router.get("/api/v1/alianzas/{alianza_id}/seguimientos", response_model=ListaSeguimientos)
def listar_seguimientos(conn: ConnDep, quien: PersonalDep, alianza_id: int) -> dict[str, Any]:
    """El seguimiento de una alianza por ciclo productivo (ciclo 0: línea base)."""
    data = org.seguimientos(conn, quien, alianza_id)
    return {"data": jsonable_encoder(data), "count": len(data)}


@router.post(
    "/api/v1/alianzas/{alianza_id}/seguimientos",
    status_code=201,
    responses={201: exito(Seguimiento, "El ciclo registrado", version=True)},
)
def crear_seguimiento(
    quien: PersonalDep,
    db: SessionDep,
    alianza_id: int,
    entrada: org.SeguimientoEntrada,
    idem: IdempotenciaDep,
) -> JSONResponse:
    """Registra un ciclo del seguimiento de una alianza de su unidad (409 si ya existe)."""
    fila = org.crear_seguimiento(db.connection(), quien, alianza_id, entrada)
    return idem.confirmar(con_version(fila, status=201))


@router.patch(
    "/api/v1/alianzas/{alianza_id}/seguimientos/{ciclo}",
    responses={200: exito(Seguimiento, "El ciclo cambiado", version=True)},
)
def modificar_seguimiento(
    quien: PersonalDep,
    db: SessionDep,
    alianza_id: int,
    ciclo: int,
    cambios: Annotated[dict[str, Any], Body()],
    idem: IdempotenciaDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Cambia el seguimiento de un ciclo (If-Match obligatorio); el ingreso se recalcula."""
    fila = org.modificar_seguimiento(
        db.connection(), quien, alianza_id, ciclo, cambios, if_match=if_match
    )
    return idem.confirmar(con_version(fila))


@router.delete("/api/v1/alianzas/{alianza_id}/seguimientos/{ciclo}", status_code=204)
def borrar_seguimiento(
    quien: PersonalDep, db: SessionDep, alianza_id: int, ciclo: int, if_match: IfMatch = None
) -> Response:
    """Borra el seguimiento de un ciclo (If-Match obligatorio)."""
    org.borrar_seguimiento(db.connection(), quien, alianza_id, ciclo, if_match=if_match)
    db.commit()
    return Response(status_code=204)
