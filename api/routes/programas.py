"""Programs and their results framework over HTTP (geo.analisis.programas): anyone reads them;
national coordination creates and changes them, with the program's version as If-Match."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path
from fastapi.responses import JSONResponse

from api.deps import ConnDep, SessionDep
from api.respuestas import IfMatch, con_version
from api.schemas.documento import exito, problemas
from api.schemas.programas import ListaProgramas, ProgramaConMarco
from api.seguridad import AlcanceDep, PersonalDep
from geo.analisis import programas as pg
from geo.analisis.indicadores import CALCULOS

router = APIRouter(
    prefix="/api/v1/programas",
    tags=["programas"],
    responses=problemas(400, 401, 403, 404, 409, 412, 422, 428),
)

Codigo = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,16}$")]


@router.get("", response_model=ListaProgramas)
def listar(conn: ConnDep, _quien: AlcanceDep) -> dict[str, Any]:
    """Los programas que sigue esta instalación, y los cálculos que un indicador puede nombrar."""
    data = pg.listar(conn)
    calculos = [{"codigo": k, "nombre": v} for k, v in CALCULOS.items()]
    return {"data": data, "count": len(data), "calculos": calculos}


@router.get("/{codigo}", responses={200: exito(ProgramaConMarco, "El programa", version=True)})
def uno(conn: ConnDep, _quien: AlcanceDep, codigo: Codigo) -> JSONResponse:
    """Un programa con su marco de resultados; la ETag es su versión (para If-Match)."""
    return con_version(pg.uno(conn, codigo))


@router.post(
    "",
    status_code=201,
    responses={201: exito(ProgramaConMarco, "El programa creado", version=True)},
)
def crear(
    db: SessionDep, quien: PersonalDep, programa: Annotated[pg.ProgramaEntrada, Body()]
) -> JSONResponse:
    """Crea un programa (solo la coordinación nacional). Su código no cambia después."""
    d = pg.crear(db.connection(), quien, programa)
    db.commit()
    return con_version(d, status=201)


@router.patch(
    "/{codigo}", responses={200: exito(ProgramaConMarco, "El programa cambiado", version=True)}
)
def modificar(
    db: SessionDep,
    quien: PersonalDep,
    codigo: Codigo,
    cambios: Annotated[pg.ProgramaCambios, Body()],
    if_match: IfMatch = None,
) -> JSONResponse:
    """Cambia el nombre, el tipo de cambio o si acepta excesos (solo la coordinación nacional;
    exige If-Match)."""
    d = pg.modificar(db.connection(), quien, codigo, cambios, if_match)
    db.commit()
    return con_version(d)


@router.put(
    "/{codigo}/indicadores",
    responses={200: exito(ProgramaConMarco, "El programa con su nuevo marco", version=True)},
)
def fijar_marco(
    db: SessionDep,
    quien: PersonalDep,
    codigo: Codigo,
    indicadores: Annotated[list[pg.IndicadorEntrada], Body(max_length=200)],
    if_match: IfMatch = None,
) -> JSONResponse:
    """Reemplaza el marco de resultados (línea de base, meta, unidad, frecuencia y, si SIGG lo
    calcula, su cálculo), en el orden dado. Un indicador con valores registrados no se puede
    quitar (409). Solo la coordinación nacional; exige If-Match con la versión del programa."""
    d = pg.fijar_marco(db.connection(), quien, codigo, indicadores, if_match)
    db.commit()
    return con_version(d)
