"""The three-level verification of alliances and subprojects, and each user's tray of what
waits for them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from api.deps import ConnDep, SessionDep
from api.idempotencia import IdempotenciaDep
from api.parametros import Desplazamiento, Limite, UnidadOperativa
from api.respuestas import IfMatch, con_version
from api.schemas.documento import exito, problemas
from api.schemas.verificacion import EstadoVerificacion, PasosVerificacion, Pendientes
from api.seguridad import PersonalDep
from geo.plataforma.entrada import Entrada
from geo.registro.bandeja import FiltroBandeja, bandeja
from geo.registro.verificacion import mover
from geo.registro.verificacion import pasos as pasos_de
from geo.vocabulario.catalogos import ESTADOS
from geo.vocabulario.parametros import FILTROS

router = APIRouter(
    prefix="/api/v1",
    tags=["verificación"],
    responses=problemas(400, 401, 403, 404, 409, 412, 422, 428),
)

TABLAS = {"alianzas": "alianza", "subproyectos": "subproyecto_municipal"}


class Paso(Entrada):
    model_config = ConfigDict(extra="forbid")

    accion: Literal["verificar", "observar", "validar", "reabrir"] = Field(
        description="verificar (unidad), observar (unidad o nacional, con comentario), "
        "validar (nacional), reabrir (nacional, con comentario)"
    )
    comentario: str | None = Field(None, max_length=2000)


@router.post(
    "/{recurso}/{registro_id}/verificacion",
    responses={200: exito(EstadoVerificacion, "El nuevo estado del registro", version=True)},
)
def verificar(
    db: SessionDep,
    quien: PersonalDep,
    recurso: Literal["alianzas", "subproyectos"],
    registro_id: int,
    paso: Annotated[Paso, Body()],
    idem: IdempotenciaDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Mueve el registro en la verificación: registrado → verificado (su unidad) → validado
    (coordinación nacional), u observado con comentario. Un registro validado queda bloqueado
    hasta que la coordinación nacional lo reabre. Exige If-Match."""
    conn = db.connection()
    r = mover(conn, quien, TABLAS[recurso], registro_id, paso.accion, paso.comentario, if_match)
    r["estado_nombre"] = ESTADOS[r["estado"]]
    return idem.confirmar(con_version(r))


@router.get("/{recurso}/{registro_id}/verificacion", response_model=PasosVerificacion)
def pasos(
    conn: ConnDep,
    quien: PersonalDep,
    recurso: Literal["alianzas", "subproyectos"],
    registro_id: int,
) -> dict[str, Any]:
    """Cada paso de la verificación del registro: quién, cuándo, de qué estado a cuál y por qué."""
    estado, data = pasos_de(conn, quien, TABLAS[recurso], registro_id)
    return {"estado": estado, "data": jsonable_encoder(data), "count": len(data)}


@router.get("/verificacion/pendientes", response_model=Pendientes)
def pendientes(
    conn: ConnDep,
    quien: PersonalDep,
    q: Annotated[
        str | None,
        Query(max_length=100, description="Parte del código, del nombre o del municipio"),
    ] = None,
    unidad_operativa: UnidadOperativa = None,
    municipio: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description=FILTROS["municipio"])
    ] = None,
    limite: Limite = 20,
    desplazamiento: Desplazamiento = 0,
) -> dict[str, Any]:
    """Lo que espera a este usuario, de a una página (lo cambiado hace más tiempo, primero): a
    una unidad, lo registrado en sus municipios; a la coordinación nacional, lo verificado; a
    un técnico, lo observado de su unidad. Cada uno con su último paso (quién, cuándo, con qué
    comentario) y los campos que cambiaron desde la última vez que se lo revisó."""
    f = FiltroBandeja(q, unidad_operativa, municipio, limite, desplazamiento)
    total, data = bandeja(conn, quien, f)
    for d in data:
        d["recurso"] = "alianzas" if d.pop("tabla") == "alianza" else "subproyectos"
    return {
        "data": jsonable_encoder(data),
        "count": total,
        "limit": limite,
        "offset": desplazamiento,
    }
