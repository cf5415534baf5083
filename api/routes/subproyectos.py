from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete

from api.deps import ConnDep, SessionDep, SettingsDep
from api.seguridad import AlcanceDep, PersonalDep
from geo.acceso.alcance import bloquear_para_escribir
from geo.plataforma.models import SubproyectoMunicipal, tabla
from geo.registro import subproyectos as sp
from geo.registro.alianzas import programa
from geo.registro.consultas import como_feature, para
from geo.registro.esquemas import SubproyectoEntrada

router = APIRouter(prefix="/api/v1/subproyectos", tags=["subproyectos"])
GEOJSON = "application/geo+json"


def _salida(d: dict[str, Any], geojson: bool = False, status: int = 200) -> JSONResponse:
    cuerpo = como_feature(d) if geojson else d
    return JSONResponse(
        jsonable_encoder(cuerpo),
        status_code=status,
        headers={"ETag": f'"{d["version"]}"'},
        media_type=GEOJSON if geojson else "application/json",
    )


@router.get("")
def listar(
    request: Request,
    conn: ConnDep,
    quien: AlcanceDep,
    programa: str | None = None,
    departamento: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None,
    unidad_operativa: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,16}$")] = None,
    municipio: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    etapa: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    formato: Annotated[str | None, Query(pattern="^(json|geojson)$")] = None,
    validados: bool = False,
) -> Any:
    """Subproyectos municipales (FPS), en JSON o como GeoJSON FeatureCollection; el público
    ve solo los validados."""
    filtros = {
        "programa": programa,
        "departamento": departamento,
        "unidad_operativa": unidad_operativa and unidad_operativa.upper(),
        "municipio": municipio,
        "etapa": etapa,
    }
    data, total = sp.listar(conn, filtros, limit, offset, quien, validados)
    data = [para(quien, d) for d in data]
    if formato == "geojson" or GEOJSON in request.headers.get("accept", ""):
        cuerpo = {
            "type": "FeatureCollection",
            "numberMatched": total,
            "numberReturned": len(data),
            "features": [como_feature(d) for d in data],
        }
        return JSONResponse(jsonable_encoder(cuerpo), media_type=GEOJSON)
    return {"data": jsonable_encoder(data), "count": total, "limit": limit, "offset": offset}


@router.post("", status_code=201)
def crear(
    db: SessionDep,
    quien: PersonalDep,
    settings: SettingsDep,
    entrada: Annotated[SubproyectoEntrada, Body()],
    programa_codigo: Annotated[str, Query(alias="programa")] = "PAR2",
) -> JSONResponse:
    """Registra un subproyecto; el municipio sale del punto si no se indica."""
    conn = db.connection()
    nuevo = sp.crear(
        conn,
        programa(conn, programa_codigo),
        entrada.model_dump(exclude_unset=True),
        settings.tolerancia_borde_m,
        quien,
    )
    db.commit()
    return _salida(sp.uno(db.connection(), nuevo), status=201)


@router.get("/{sp_id}")
def uno(
    request: Request,
    conn: ConnDep,
    quien: AlcanceDep,
    sp_id: int,
    formato: Annotated[str | None, Query(pattern="^(json|geojson)$")] = None,
) -> JSONResponse:
    geojson = formato == "geojson" or GEOJSON in request.headers.get("accept", "")
    return _salida(para(quien, sp.uno(conn, sp_id, quien)), geojson)


@router.patch("/{sp_id}")
def modificar(
    db: SessionDep,
    quien: PersonalDep,
    settings: SettingsDep,
    sp_id: int,
    cambios: Annotated[dict[str, Any], Body()],
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Cambia un subproyecto (If-Match obligatorio); la etapa avanza de a una."""
    conn = db.connection()
    bloquear_para_escribir(conn, quien, "subproyecto_municipal", sp_id, if_match)
    prog = programa(conn, sp.uno(conn, sp_id)["programa"])
    sp.modificar(conn, prog, sp_id, cambios, settings.tolerancia_borde_m, quien)
    db.commit()
    return _salida(sp.uno(db.connection(), sp_id))


@router.delete("/{sp_id}", status_code=204)
def borrar(
    db: SessionDep,
    quien: PersonalDep,
    sp_id: int,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    conn = db.connection()
    bloquear_para_escribir(conn, quien, "subproyecto_municipal", sp_id, if_match)
    t = tabla(SubproyectoMunicipal)
    conn.execute(delete(t).where(t.c.id == sp_id))
    db.commit()
    return Response(status_code=204)
