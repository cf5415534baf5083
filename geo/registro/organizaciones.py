"""Producer organizations (OPP) and the monitoring of alliances per productive cycle: reading
them, and the use cases that write them (the API and the forms call these), each naming the
user to the database for the audit trail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Connection, delete, func, insert, select, update

from geo.acceso.alcance import (
    Alcance,
    comprobar_unidad,
    condicion_lectura,
    exigir_personal,
    fijar,
)
from geo.plataforma.entrada import Entrada
from geo.plataforma.errors import NoEncontrado, RegistroInvalido
from geo.plataforma.models import Alianza, Organizacion, Programa, Seguimiento, tabla
from geo.plataforma.versiones import bloquear
from geo.registro.alianzas import programa
from geo.registro.consultas import una
from geo.registro.esquemas import errores_de, fecha_plausible

O = tabla(Organizacion)  # noqa: E741
S = tabla(Seguimiento)
A = tabla(Alianza)
PR = tabla(Programa)


class OrganizacionEntrada(Entrada):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    nombre: str = Field(min_length=1, max_length=500)
    formalizada: bool | None = Field(None, description="Con personería jurídica")
    familias_miembro: int | None = Field(None, ge=0)


class SeguimientoEntrada(Entrada):
    """One productive cycle of an alliance; cycle 0 is the baseline (sin proyecto)."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    ciclo: int = Field(ge=0, le=50)
    fecha: date | None = None
    volumen_vendido: Decimal | None = Field(None, ge=0)
    unidad_volumen: str | None = Field(None, max_length=32)
    precio_bs: Decimal | None = Field(None, ge=0)
    ventas_bs: Decimal | None = Field(None, ge=0)
    costos_bs: Decimal | None = Field(None, ge=0)
    ingreso_bs: Decimal | None = None
    relacion_comercial_mantenida: bool | None = None
    medidas_ambientales: bool | None = None

    @field_validator("fecha")
    @classmethod
    def _fecha(cls, v: date | None) -> date | None:
        return fecha_plausible(v)


def _plano(fila: Any) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in fila._mapping.items()}


def _org_select() -> Any:
    n = select(func.count()).where(A.c.organizacion_id == O.c.id).scalar_subquery()
    return select(
        O.c.id,
        PR.c.codigo.label("programa"),
        O.c.nombre,
        O.c.formalizada,
        O.c.familias_miembro,
        O.c.version,
        n.label("n_alianzas"),
    ).join(PR, PR.c.id == O.c.programa_id)


def listar_organizaciones(
    conn: Connection, programa: str | None, q: str | None, limite: int, desplazamiento: int
) -> tuple[list[dict[str, Any]], int]:
    consulta = _org_select()
    if programa:
        consulta = consulta.where(PR.c.codigo == programa)
    if q:
        consulta = consulta.where(O.c.nombre.ilike("%" + q.replace("%", "\\%") + "%"))
    total = conn.execute(select(func.count()).select_from(consulta.subquery())).scalar_one()
    filas = conn.execute(consulta.order_by(O.c.nombre, O.c.id).limit(limite).offset(desplazamiento))
    return [_plano(f) for f in filas], int(total)


def organizacion(conn: Connection, org_id: int) -> dict[str, Any]:
    fila = conn.execute(_org_select().where(O.c.id == org_id)).first()
    if fila is None:
        raise NoEncontrado(f"organización {org_id} no existe", campo="id")
    return _plano(fila)


def crear_organizacion(
    conn: Connection, alcance: Alcance, programa_codigo: str, e: OrganizacionEntrada
) -> dict[str, Any]:
    """Register an organization in the program (409 for a name it already has) and return it."""
    _nombrar(conn, alcance)
    programa_id = programa(conn, programa_codigo).id
    nuevo = conn.execute(
        insert(O).values(programa_id=programa_id, **e.model_dump()).returning(O.c.id)
    ).scalar_one()
    return organizacion(conn, int(nuevo))


def modificar_organizacion(
    conn: Connection,
    alcance: Alcance,
    org_id: int,
    cambios: dict[str, Any],
    *,
    if_match: str | None,
) -> dict[str, Any]:
    """Change an organization at the version the client read (``if_match``) and return it."""
    _nombrar(conn, alcance)
    bloquear(conn, "organizacion", org_id, if_match)
    actual = organizacion(conn, org_id)
    datos = _validar(
        OrganizacionEntrada, {k: actual[k] for k in OrganizacionEntrada.model_fields} | cambios
    )
    conn.execute(update(O).where(O.c.id == org_id).values(**datos.model_dump()))
    return organizacion(conn, org_id)


def borrar_organizacion(
    conn: Connection, alcance: Alcance, org_id: int, *, if_match: str | None
) -> None:
    """Delete an organization with no alliances (with alliances the database refuses: 409)."""
    _nombrar(conn, alcance)
    bloquear(conn, "organizacion", org_id, if_match)
    conn.execute(delete(O).where(O.c.id == org_id))


def seguimientos(
    conn: Connection, alcance: Alcance | None, alianza_id: int
) -> list[dict[str, Any]]:
    """The monitoring of an alliance ``alcance`` may read (404 otherwise), by cycle."""
    existe = select(A.c.id).where(A.c.id == alianza_id)
    limite = condicion_lectura(A, alcance)
    if limite is not None:
        existe = existe.where(limite)
    if conn.execute(existe).first() is None:
        raise NoEncontrado(f"alianza {alianza_id} no existe", campo="id")
    filas = conn.execute(select(S).where(S.c.alianza_id == alianza_id).order_by(S.c.ciclo))
    return [_plano(f) for f in filas]


def con_ingreso(e: SeguimientoEntrada) -> dict[str, Any]:
    """Income is sales minus costs when not given."""
    datos = e.model_dump()
    if e.ingreso_bs is None and e.ventas_bs is not None and e.costos_bs is not None:
        datos["ingreso_bs"] = e.ventas_bs - e.costos_bs
    return datos


def crear_seguimiento(
    conn: Connection, alcance: Alcance, alianza_id: int, e: SeguimientoEntrada
) -> dict[str, Any]:
    """Record one productive cycle of an alliance of the user's unit (409 for a cycle it
    already has) and return it."""
    _de_su_unidad(conn, alcance, alianza_id)
    fila = conn.execute(insert(S).values(alianza_id=alianza_id, **con_ingreso(e)).returning(S))
    return _plano(fila.one())


def modificar_seguimiento(
    conn: Connection,
    alcance: Alcance,
    alianza_id: int,
    ciclo: int,
    cambios: dict[str, Any],
    *,
    if_match: str | None,
) -> dict[str, Any]:
    """Change one cycle's monitoring at the version the client read; income is recomputed from
    new sales or costs unless given."""
    sid = _seguimiento_id(conn, alcance, alianza_id, ciclo, if_match)
    actual = _plano(conn.execute(select(S).where(S.c.id == sid)).one())
    if {"ventas_bs", "costos_bs"} & cambios.keys() and "ingreso_bs" not in cambios:
        actual["ingreso_bs"] = None  # recomputed from the new sales and costs
    datos = _validar(
        SeguimientoEntrada, {k: actual[k] for k in SeguimientoEntrada.model_fields} | cambios
    )
    fila = conn.execute(update(S).where(S.c.id == sid).values(**con_ingreso(datos)).returning(S))
    return _plano(fila.one())


def borrar_seguimiento(
    conn: Connection, alcance: Alcance, alianza_id: int, ciclo: int, *, if_match: str | None
) -> None:
    sid = _seguimiento_id(conn, alcance, alianza_id, ciclo, if_match)
    conn.execute(delete(S).where(S.c.id == sid))


def _seguimiento_id(
    conn: Connection, alcance: Alcance, alianza_id: int, ciclo: int, if_match: str | None
) -> int:
    """The cycle's row, locked at the client's version, if the user may write it."""
    _de_su_unidad(conn, alcance, alianza_id)
    sid = conn.execute(
        select(S.c.id).where(S.c.alianza_id == alianza_id, S.c.ciclo == ciclo)
    ).scalar()
    if sid is None:
        raise NoEncontrado(
            f"la alianza {alianza_id} no tiene seguimiento del ciclo {ciclo}", campo="ciclo"
        )
    bloquear(conn, "seguimiento", sid, if_match)
    return int(sid)


def _de_su_unidad(conn: Connection, alcance: Alcance, alianza_id: int) -> None:
    """Monitoring is written by the alliance's unit (or national coordination); it goes on
    after validation, so a validated alliance does not lock it."""
    a = una(conn, alianza_id, alcance=alcance)
    comprobar_unidad(alcance, a["unidad_operativa"]["codigo"], f"la alianza {a['codigo']}")
    fijar(conn, alcance)


def _nombrar(conn: Connection, alcance: Alcance) -> None:
    """Staff only; the user named to the database for the audit trail."""
    exigir_personal(alcance)
    fijar(conn, alcance)


Modelo = TypeVar("Modelo", bound=BaseModel)


def _validar(modelo: type[Modelo], datos: dict[str, Any]) -> Modelo:
    """The record as ``modelo``, or every field's reason in one error (422)."""
    try:
        return modelo.model_validate(datos)
    except ValidationError as exc:
        raise RegistroInvalido(errores_de(exc).items()) from exc
