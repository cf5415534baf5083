from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import delete

from api.deps import ConnDep, SessionDep
from api.errors import problema
from api.seguridad import PersonalDep
from geo.acceso.alcance import Alcance, comprobar_unidad, fijar
from geo.plataforma.models import Organizacion, Seguimiento, tabla
from geo.plataforma.versiones import bloquear
from geo.registro import organizaciones as org
from geo.registro.alianzas import programa
from geo.registro.consultas import una as alianza
from geo.registro.esquemas import errores_de

router = APIRouter(tags=["organizaciones y seguimiento"])
IfMatch = Annotated[str | None, Header(description="La versión leída (ETag)")]


def _etag(d: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(
        jsonable_encoder(d), status_code=status, headers={"ETag": f'"{d["version"]}"'}
    )


def _invalido(exc: ValidationError) -> JSONResponse:
    errores = [{"campo": c, "mensaje": m} for c, m in errores_de(exc).items()]
    return problema(
        422,
        "Registro no válido",
        "; ".join(f"{e['campo']}: {e['mensaje']}" for e in errores),
        "registro-invalido",
        errores=errores,
    )


@router.get("/api/v1/organizaciones")
def listar(
    conn: ConnDep,
    _quien: PersonalDep,
    programa: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """Organizaciones de productores (OPP), con cuántas alianzas tiene cada una."""
    data, total = org.listar_organizaciones(conn, programa, q, limit, offset)
    return {"data": data, "count": total, "limit": limit, "offset": offset}


@router.post("/api/v1/organizaciones", status_code=201)
def crear(
    quien: PersonalDep,
    db: SessionDep,
    entrada: org.OrganizacionEntrada,
    programa_codigo: Annotated[str, Query(alias="programa")] = "PAR2",
) -> JSONResponse:
    conn = db.connection()
    fijar(conn, quien)
    nuevo = org.crear_organizacion(conn, programa(conn, programa_codigo).id, entrada)
    db.commit()
    return _etag(org.organizacion(db.connection(), nuevo), 201)


@router.get("/api/v1/organizaciones/{org_id}")
def una(conn: ConnDep, _quien: PersonalDep, org_id: int) -> JSONResponse:
    return _etag(org.organizacion(conn, org_id))


@router.patch("/api/v1/organizaciones/{org_id}")
def modificar(
    quien: PersonalDep,
    db: SessionDep,
    org_id: int,
    cambios: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> JSONResponse:
    conn = db.connection()
    bloquear(conn, "organizacion", org_id, if_match)
    fijar(conn, quien)
    try:
        org.modificar_organizacion(conn, org_id, cambios)
    except ValidationError as exc:
        return _invalido(exc)
    db.commit()
    return _etag(org.organizacion(db.connection(), org_id))


@router.delete("/api/v1/organizaciones/{org_id}", status_code=204)
def borrar(quien: PersonalDep, db: SessionDep, org_id: int, if_match: IfMatch = None) -> Response:
    """Borra una organización sin alianzas (con alianzas: 409)."""
    conn = db.connection()
    bloquear(conn, "organizacion", org_id, if_match)
    fijar(conn, quien)
    conn.execute(delete(tabla(Organizacion)).where(tabla(Organizacion).c.id == org_id))
    db.commit()
    return Response(status_code=204)


@router.get("/api/v1/alianzas/{alianza_id}/seguimientos")
def listar_seguimientos(conn: ConnDep, quien: PersonalDep, alianza_id: int) -> dict[str, Any]:
    """El seguimiento de una alianza por ciclo productivo (ciclo 0: línea base)."""
    alianza(conn, alianza_id, alcance=quien)  # 404 if this user may not read the alliance
    data = org.seguimientos(conn, alianza_id)
    return {"data": jsonable_encoder(data), "count": len(data)}


@router.post("/api/v1/alianzas/{alianza_id}/seguimientos", status_code=201)
def crear_seguimiento(
    quien: PersonalDep, db: SessionDep, alianza_id: int, entrada: org.SeguimientoEntrada
) -> JSONResponse:
    conn = db.connection()
    _de_su_unidad(conn, quien, alianza_id)
    fila = org.crear_seguimiento(conn, alianza_id, entrada)
    db.commit()
    return _etag(fila, 201)


@router.patch("/api/v1/alianzas/{alianza_id}/seguimientos/{ciclo}")
def modificar_seguimiento(
    quien: PersonalDep,
    db: SessionDep,
    alianza_id: int,
    ciclo: int,
    cambios: Annotated[dict[str, Any], Body()],
    if_match: IfMatch = None,
) -> JSONResponse:
    conn = db.connection()
    _de_su_unidad(conn, quien, alianza_id)
    sid = org.seguimiento_id(conn, alianza_id, ciclo)
    bloquear(conn, "seguimiento", sid, if_match)
    try:
        fila = org.modificar_seguimiento(conn, sid, cambios)
    except ValidationError as exc:
        return _invalido(exc)
    db.commit()
    return _etag(fila)


@router.delete("/api/v1/alianzas/{alianza_id}/seguimientos/{ciclo}", status_code=204)
def borrar_seguimiento(
    quien: PersonalDep, db: SessionDep, alianza_id: int, ciclo: int, if_match: IfMatch = None
) -> Response:
    conn = db.connection()
    _de_su_unidad(conn, quien, alianza_id)
    sid = org.seguimiento_id(conn, alianza_id, ciclo)
    bloquear(conn, "seguimiento", sid, if_match)
    conn.execute(delete(tabla(Seguimiento)).where(tabla(Seguimiento).c.id == sid))
    db.commit()
    return Response(status_code=204)


def _de_su_unidad(conn: Any, quien: Alcance, alianza_id: int) -> None:
    """Monitoring is written by the alliance's unit (or national coordination); it goes on
    after validation, so a validated alliance does not lock it."""
    a = alianza(conn, alianza_id, alcance=quien)
    comprobar_unidad(quien, a["unidad_operativa"]["codigo"], f"la alianza {a['codigo']}")
    fijar(conn, quien)
