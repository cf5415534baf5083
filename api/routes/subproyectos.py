"""Municipal subprojects (FPS) over HTTP: each route reads its parameters, calls one use case of
geo.registro.subproyectos and shapes the answer with the shared response toolkit."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response
from fastapi.responses import JSONResponse

from api.deps import ConnDep, SessionDep, SettingsDep
from api.idempotencia import IdempotenciaDep
from api.parametros import Desplazamiento, FiltrosSubproyectosDep, Limite, ProgramaDep
from api.respuestas import GeoJSONDep, IfMatch, con_version, pagina
from api.schemas.documento import exito, problemas
from api.schemas.subproyectos import (
    ColeccionSubproyectos,
    FeatureSubproyecto,
    ListaSubproyectos,
    Subproyecto,
)
from api.seguridad import AlcanceDep, PersonalDep
from geo.registro import subproyectos as sp
from geo.registro.esquemas import SubproyectoEntrada

router = APIRouter(
    prefix="/api/v1/subproyectos",
    tags=["subproyectos"],
    responses=problemas(400, 401, 403, 404, 409, 412, 422, 428),
)


@router.get(
    "",
    responses={
        200: exito(ListaSubproyectos, "Una página de subproyectos", geojson=ColeccionSubproyectos)
    },
)
def listar(
    conn: ConnDep,
    filtros: FiltrosSubproyectosDep,
    geojson: GeoJSONDep,
    limit: Limite = 100,
    offset: Desplazamiento = 0,
) -> JSONResponse:
    """Subproyectos municipales (FPS), en JSON o como GeoJSON FeatureCollection; el público
    ve solo los validados."""
    data, total = sp.listar(conn, filtros, limite=limit, desplazamiento=offset)
    return pagina(data, total, limit=limit, offset=offset, geojson=geojson)


@router.post(
    "",
    status_code=201,
    responses={201: exito(Subproyecto, "El subproyecto registrado", version=True)},
)
def crear(
    db: SessionDep,
    quien: PersonalDep,
    settings: SettingsDep,
    entrada: Annotated[SubproyectoEntrada, Body()],
    programa: ProgramaDep,
    idem: IdempotenciaDep,
) -> JSONResponse:
    """Registra un subproyecto; el municipio sale del punto si no se indica."""
    d = sp.crear(
        db.connection(),
        quien,
        programa,
        entrada.model_dump(exclude_unset=True),
        tolerancia_m=settings.tolerancia_borde_m,
    )
    return idem.confirmar(con_version(d, status=201))


@router.get(
    "/{sp_id}",
    responses={200: exito(Subproyecto, "El subproyecto", geojson=FeatureSubproyecto, version=True)},
)
def uno(conn: ConnDep, quien: AlcanceDep, sp_id: int, geojson: GeoJSONDep) -> JSONResponse:
    """Un subproyecto; la cabecera ETag lleva su versión. 404 si quien pregunta no puede verlo."""
    return con_version(sp.uno(conn, sp_id, quien), geojson=geojson)


@router.patch(
    "/{sp_id}", responses={200: exito(Subproyecto, "El subproyecto cambiado", version=True)}
)
def modificar(
    db: SessionDep,
    quien: PersonalDep,
    settings: SettingsDep,
    sp_id: int,
    cambios: Annotated[dict[str, Any], Body()],
    idem: IdempotenciaDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Cambia un subproyecto (If-Match obligatorio); la etapa avanza de a una."""
    d = sp.modificar(
        db.connection(),
        quien,
        sp_id,
        cambios,
        if_match=if_match,
        tolerancia_m=settings.tolerancia_borde_m,
    )
    return idem.confirmar(con_version(d))


@router.delete("/{sp_id}", status_code=204)
def borrar(db: SessionDep, quien: PersonalDep, sp_id: int, if_match: IfMatch = None) -> Response:
    """Borra un subproyecto no validado (queda en la auditoría). Exige If-Match."""
    sp.borrar(db.connection(), quien, sp_id, if_match=if_match)
    db.commit()
    return Response(status_code=204)
