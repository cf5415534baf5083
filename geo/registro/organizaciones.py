"""Producer organizations (OPP) and the monitoring of alliances per productive cycle."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select, update

from geo.plataforma.errors import NoEncontrado
from geo.plataforma.models import Alianza, Organizacion, Programa, Seguimiento, tabla

O = tabla(Organizacion)  # noqa: E741
S = tabla(Seguimiento)
A = tabla(Alianza)
PR = tabla(Programa)


class OrganizacionEntrada(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    nombre: str = Field(min_length=1, max_length=500)
    formalizada: bool | None = Field(None, description="Con personería jurídica")
    familias_miembro: int | None = Field(None, ge=0)


class SeguimientoEntrada(BaseModel):
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


def crear_organizacion(conn: Connection, programa_id: int, e: OrganizacionEntrada) -> int:
    return int(
        conn.execute(
            insert(O).values(programa_id=programa_id, **e.model_dump()).returning(O.c.id)
        ).scalar_one()
    )


def modificar_organizacion(conn: Connection, org_id: int, cambios: dict[str, Any]) -> None:
    actual = organizacion(conn, org_id)
    datos = OrganizacionEntrada.model_validate(
        {k: actual[k] for k in OrganizacionEntrada.model_fields} | cambios
    )
    conn.execute(update(O).where(O.c.id == org_id).values(**datos.model_dump()))


def seguimientos(conn: Connection, alianza_id: int) -> list[dict[str, Any]]:
    if conn.execute(select(A.c.id).where(A.c.id == alianza_id)).first() is None:
        raise NoEncontrado(f"alianza {alianza_id} no existe", campo="alianza_id")
    filas = conn.execute(select(S).where(S.c.alianza_id == alianza_id).order_by(S.c.ciclo))
    return [_plano(f) for f in filas]


def _con_ingreso(e: SeguimientoEntrada) -> dict[str, Any]:
    """Income is sales minus costs when not given."""
    datos = e.model_dump()
    if e.ingreso_bs is None and e.ventas_bs is not None and e.costos_bs is not None:
        datos["ingreso_bs"] = e.ventas_bs - e.costos_bs
    return datos


def crear_seguimiento(conn: Connection, alianza_id: int, e: SeguimientoEntrada) -> dict[str, Any]:
    seguimientos(conn, alianza_id)  # 404 for an unknown alliance
    fila = conn.execute(insert(S).values(alianza_id=alianza_id, **_con_ingreso(e)).returning(S))
    return _plano(fila.one())


def seguimiento_id(conn: Connection, alianza_id: int, ciclo: int) -> int:
    sid = conn.execute(
        select(S.c.id).where(S.c.alianza_id == alianza_id, S.c.ciclo == ciclo)
    ).scalar()
    if sid is None:
        raise NoEncontrado(
            f"la alianza {alianza_id} no tiene seguimiento del ciclo {ciclo}", campo="ciclo"
        )
    return int(sid)


def modificar_seguimiento(conn: Connection, sid: int, cambios: dict[str, Any]) -> dict[str, Any]:
    actual = _plano(conn.execute(select(S).where(S.c.id == sid)).one())
    if {"ventas_bs", "costos_bs"} & cambios.keys() and "ingreso_bs" not in cambios:
        actual["ingreso_bs"] = None  # recomputed from the new sales and costs
    datos = SeguimientoEntrada.model_validate(
        {k: actual[k] for k in SeguimientoEntrada.model_fields} | cambios
    )
    fila = conn.execute(update(S).where(S.c.id == sid).values(**_con_ingreso(datos)).returning(S))
    return _plano(fila.one())
