"""Complaints of the public site (geo/reclamos.py): anyone files one and follows it by its
code; the staff of the unit lists, reads and answers them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ConfigDict, Field, ValidationError, field_validator
from starlette.exceptions import HTTPException

from api.deps import ConnDep, SessionDep
from api.parametros import Desplazamiento, Limite, ProgramaDep, UnidadOperativa
from api.schemas.documento import problemas
from api.schemas.reclamos import (
    ListaReclamos,
    Reclamo,
    ReclamoPresentado,
    ReclamoSeguimiento,
    Vencidos,
)
from api.seguridad import AlcanceDep, PersonalDep, limitador
from geo.plataforma.entrada import Entrada
from geo.reclamos import atencion as reclamos
from geo.reclamos.atencion import LARGOS

router = APIRouter(
    prefix="/api/v1/reclamos",
    tags=["reclamos"],
    responses=problemas(400, 401, 403, 404, 409, 422),
)

LIMITE_CUERPO = 16 * 1024  # bytes: a complaint at its longest is well under this
Canal = Literal["web", "telefono", "presencial", "buzon", "correo"]
Estado = Literal["recibido", "en_atencion", "respondido"]
ReclamoId = Annotated[int, Path(ge=1, le=2**63 - 1)]
SIN_CACHE = {"Cache-Control": "no-store"}


class ReclamoNuevo(Entrada):
    """A complaint as filed. ``canal`` and ``recibido`` are for staff recording one received by
    phone, in person, in the mailbox or by letter; the public files on the web, today."""

    model_config = ConfigDict(extra="forbid")

    municipio_codigo: str | None = Field(None, pattern=r"^[0-9]{6}$", examples=["060301"])
    alianza_id: int | None = Field(None, ge=1, le=2**63 - 1)
    asunto: str = Field(max_length=LARGOS["asunto"])
    descripcion: str = Field(max_length=LARGOS["descripcion"])
    nombre_contacto: str | None = Field(None, max_length=LARGOS["nombre_contacto"])
    contacto: str | None = Field(
        None,
        max_length=LARGOS["contacto"],
        description="Teléfono o correo: solo lo ve el personal del programa",
    )
    canal: Canal | None = None
    recibido: date | None = None

    @field_validator("asunto", "descripcion", "nombre_contacto", "contacto", mode="before")
    @classmethod
    def _sin_nulos(cls, valor: Any) -> Any:
        """The public's text is cleaned of control characters rather than refused (the domain
        removes the rest, geo.reclamos): a NUL pasted from elsewhere goes with them."""
        return valor.replace("\x00", "") if isinstance(valor, str) else valor


class Respuesta(Entrada):
    model_config = ConfigDict(extra="forbid")

    respuesta: str = Field(max_length=LARGOS["respuesta"])
    respondido: date | None = Field(None, description="Por defecto hoy")


def _mensaje(e: Any) -> Any:
    """A pydantic error under ``body``, with a clear message (and no echo) when too long."""
    e = dict(e) | {"loc": ("body", *e["loc"])}
    if e["type"] == "string_too_long":
        maximo = e["ctx"]["max_length"]
        texto = f"tiene {len(e.pop('input'))} caracteres; el máximo es {maximo}"
        e |= {"type": "value_error", "ctx": {"error": texto}}
    return e


async def reclamo_nuevo(request: Request) -> ReclamoNuevo:
    """The body, refused with 413 past 16 KB before it is parsed: by its Content-Length and by
    the bytes actually received (a chunked body declares no length)."""
    demasiado = HTTPException(413, f"el reclamo supera el máximo de {LIMITE_CUERPO} bytes")
    largo = request.headers.get("content-length")
    if largo is not None and (not largo.isdigit() or int(largo) > LIMITE_CUERPO):
        raise demasiado
    cuerpo = bytearray()
    async for trozo in request.stream():
        cuerpo += trozo
        if len(cuerpo) > LIMITE_CUERPO:
            raise demasiado
    try:
        return ReclamoNuevo.model_validate_json(bytes(cuerpo))
    except ValidationError as e:
        raise RequestValidationError([_mensaje(x) for x in e.errors(include_url=False)]) from e


_CUERPO_RECLAMO = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ReclamoNuevo.model_json_schema()}},
    }
}


@router.post(
    "",
    status_code=201,
    openapi_extra=_CUERPO_RECLAMO,
    # The public's answer has no id: unset fields stay out, not null.
    response_model=ReclamoPresentado,
    response_model_exclude_unset=True,
    responses=problemas(413, 429),
)
def presentar(
    request: Request,
    db: SessionDep,
    quien: AlcanceDep,
    entrada: Annotated[ReclamoNuevo, Depends(reclamo_nuevo)],
    response: Response,
    programa: ProgramaDep,
) -> dict[str, Any]:
    """Presenta un reclamo sobre un municipio o una alianza validada; devuelve el código de
    seguimiento. El público lo presenta por la web con fecha de hoy (a lo sumo 5 por dirección
    cada 10 minutos); el personal registra también los recibidos por otro canal, con su fecha,
    en los municipios de su unidad. El cuerpo no puede pasar de 16 KB."""
    if quien.publico:
        limitador(request, "reclamos").contar(request, "reclamo")
    conn = db.connection()
    salida = reclamos.presentar(conn, quien, programa, **entrada.model_dump())
    db.commit()
    response.headers.update(SIN_CACHE)
    return salida


@router.get("/seguimiento/{codigo}", response_model=ReclamoSeguimiento)
def seguimiento(
    conn: ConnDep, response: Response, codigo: Annotated[str, Path(max_length=32)]
) -> dict[str, Any]:
    """El estado de un reclamo por su código de seguimiento (R-XXXX-XXXX-XXXX): fechas,
    municipio, asunto y respuesta; nunca los datos de contacto."""
    response.headers.update(SIN_CACHE)
    return reclamos.seguimiento(conn, codigo)


@router.get("", response_model=ListaReclamos)
def listar(
    conn: ConnDep,
    quien: PersonalDep,
    response: Response,
    programa: ProgramaDep,
    estado: Estado | None = None,
    unidad_operativa: UnidadOperativa = None,
    vencidos: Annotated[
        bool, Query(description="Solo los sin respuesta pasado el plazo de 30 días")
    ] = False,
    limit: Limite = 100,
    offset: Desplazamiento = 0,
) -> dict[str, Any]:
    """Los reclamos que ve el usuario (su unidad; la coordinación nacional, todos), con sus
    datos de contacto: primero los sin respuesta, de los más antiguos."""
    data, total = reclamos.listar(
        conn,
        quien,
        estado=estado,
        unidad_operativa=unidad_operativa,
        vencidos=vencidos,
        programa=programa,
        limite=limit,
        desplazamiento=offset,
    )
    response.headers.update(SIN_CACHE)
    return {"data": data, "count": total, "limit": limit, "offset": offset}


@router.get("/vencidos", response_model=Vencidos)
def vencidos(
    conn: ConnDep,
    quien: PersonalDep,
    response: Response,
    programa: ProgramaDep,
) -> dict[str, Any]:
    """Los reclamos sin respuesta pasado el plazo, por unidad operativa (todas para la
    coordinación nacional, la propia para su personal), con los días de atraso."""
    data = reclamos.vencidos(conn, quien, programa)
    response.headers.update(SIN_CACHE)
    return {"programa": programa, "count": sum(u["count"] for u in data), "data": data}


@router.get("/{reclamo_id}", response_model=Reclamo)
def uno(conn: ConnDep, quien: PersonalDep, response: Response, reclamo_id: ReclamoId) -> Any:
    """Un reclamo con sus datos de contacto (404 si es de otra unidad)."""
    response.headers.update(SIN_CACHE)
    return reclamos.uno(conn, quien, reclamo_id)


@router.post("/{reclamo_id}/respuesta", response_model=Reclamo)
def responder(
    db: SessionDep, quien: PersonalDep, reclamo_id: ReclamoId, entrada: Respuesta
) -> dict[str, Any]:
    """Responde un reclamo (personal de su unidad o coordinación nacional); 409 si ya tiene
    respuesta. La fecha de respuesta es hoy salvo que se indique otra (no futura ni anterior
    a la recepción)."""
    salida = reclamos.responder(
        db.connection(), quien, reclamo_id, entrada.respuesta, entrada.respondido
    )
    db.commit()
    return salida


@router.post("/{reclamo_id}/en-atencion", response_model=Reclamo)
def en_atencion(db: SessionDep, quien: PersonalDep, reclamo_id: ReclamoId) -> dict[str, Any]:
    """Marca un reclamo recibido como "en atención" (sin efecto si ya lo está; 409 si ya tiene
    respuesta)."""
    salida = reclamos.marcar_en_atencion(db.connection(), quien, reclamo_id)
    db.commit()
    return salida
