"""Who may see and change what. The scope is applied in the queries themselves: reads add a
condition (public: validated only; a unit's staff: validated, plus anything of their unit;
national: everything), and writes name the user, role and unit to the database, whose trigger
refuses changes outside the unit and to validated records whatever path they take."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, TableClause, and_, column, or_, select, table, text, tuple_
from sqlalchemy.sql.elements import ColumnElement

from geo.plataforma.db import como_sql
from geo.plataforma.errors import Bloqueado, NoAutenticado, NoEncontrado, Prohibido
from geo.plataforma.models import Municipio, tabla
from geo.plataforma.versiones import bloquear

M = tabla(Municipio).alias("m_alcance")

# Records under verification, and how to name them to a person.
VERIFICADAS = {"alianza": "alianza", "subproyecto_municipal": "subproyecto"}


@dataclass(frozen=True)
class Alcance:
    """Who is asking: a staff user (rol nacional, unidad or tecnico) or the public (rol None)."""

    usuario: str | None = None
    rol: str | None = None
    unidad: str | None = None

    @property
    def publico(self) -> bool:
        return self.rol is None

    @property
    def nacional(self) -> bool:
        return self.rol == "nacional"


PUBLICO = Alcance()


def condicion_lectura(
    t: TableClause, alcance: Alcance | None, solo_validados: bool = False
) -> ColumnElement[bool] | None:
    """The WHERE condition that limits a verified table to what ``alcance`` may read; None for
    no limit (national coordination, or a trusted caller passing no scope)."""
    if solo_validados or (alcance is not None and alcance.publico):
        return t.c.estado == "validado"
    if alcance is None or alcance.nacional:
        return None
    de_su_unidad = tuple_(t.c.cartografia, t.c.municipio_codigo).in_(
        select(M.c.cartografia, M.c.codigo).where(M.c.unidad_operativa_codigo == alcance.unidad)
    )
    return or_(t.c.estado == "validado", de_su_unidad)


def condicion_lectura_sql(
    alias: str, alcance: Alcance | None, solo_validados: bool = False
) -> tuple[str | None, dict[str, Any]]:
    """The same condition as SQL text over ``alias`` (a trusted name), with bound values: the
    rule above, compiled, so that it is written once."""
    registro = table(alias, column("estado"), column("cartografia"), column("municipio_codigo"))
    limite = condicion_lectura(registro, alcance, solo_validados)
    if limite is None:
        return None, {}
    sql, valores = como_sql(limite)
    return f"({sql})", valores


def fijar(conn: Connection, alcance: Alcance) -> None:
    """Name the user, role and unit to the database for the rest of this transaction: the audit
    trail records the user, and the guard trigger enforces the role and the unit. The one way
    to name a user: a trusted caller (the command line, the demo loader) passes a name only,
    ``Alcance("cli:ana")``, which no role or unit limits."""
    conn.execute(
        text(
            "SELECT set_config('sigg.usuario', :u, true), set_config('sigg.rol', :r, true), "
            "set_config('sigg.unidad', :uo, true)"
        ),
        {"u": alcance.usuario or "publico", "r": alcance.rol or "", "uo": alcance.unidad or ""},
    )


def exigir_personal(alcance: Alcance) -> None:
    if alcance.publico:
        raise NoAutenticado("esta operación requiere iniciar sesión")


def registro(conn: Connection, tabla_: str, registro_id: int) -> dict[str, Any] | None:
    """Code, state, version and unit of one verified record (None if it does not exist)."""
    if tabla_ not in VERIFICADAS:
        raise KeyError(tabla_)
    fila = (
        conn.execute(
            text(
                f"SELECT r.id, r.codigo, r.estado, r.version, r.municipio_codigo, "  # noqa: S608
                f"m.unidad_operativa_codigo AS unidad FROM {tabla_} r JOIN municipio m "
                "ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo WHERE r.id = :i"
            ),
            {"i": registro_id},
        )
        .mappings()
        .first()
    )
    return dict(fila) if fila else None


def puede_ver(alcance: Alcance | None, fila: dict[str, Any]) -> bool:
    if alcance is None or alcance.nacional or fila["estado"] == "validado":
        return True
    return not alcance.publico and fila["unidad"] == alcance.unidad


def bloquear_para_escribir(
    conn: Connection, alcance: Alcance, tabla_: str, registro_id: int, if_match: str | None
) -> dict[str, Any]:
    """The record, locked at the client's version (If-Match) and with the user named to the
    database, if ``alcance`` may change it: 404 if it may not even see it, 403 if it is another
    unit's (or not a draft, for a técnico), 409 if it is validated; then 428/412 as for any
    versioned write."""
    exigir_personal(alcance)
    nombre = VERIFICADAS[tabla_]
    fila = registro(conn, tabla_, registro_id)
    if fila is None or not puede_ver(alcance, fila):
        raise NoEncontrado(f"{nombre} {registro_id} no existe", campo="id")
    que = f"la {nombre} {fila['codigo']}"
    comprobar_unidad(alcance, fila["unidad"], que)
    comprobar_borrador(alcance, fila["estado"], que)
    bloquear(conn, tabla_, registro_id, if_match)
    fijar(conn, alcance)
    return fila


def comprobar_borrador(
    alcance: Alcance,
    estado: str,
    que: str,
    cambio: str = "cambiarla",
    tecnico_cambia: str = "cambia solo registros en borrador",
) -> None:
    """The verification's write rule, for a record and for what hangs on it (attachments): a
    validated record is locked (409) until national coordination reopens it; a técnico changes
    drafts only (403)."""
    if estado == "validado":
        raise Bloqueado(
            f"{que} está validada: la coordinación nacional debe reabrirla antes de {cambio}"
        )
    if alcance.rol == "tecnico" and estado not in ("registrado", "observado"):
        raise Prohibido(
            f"{que} ya fue verificada por su unidad: un técnico {tecnico_cambia} "
            "(registrados u observados)"
        )


def comprobar_unidad(alcance: Alcance, unidad: str | None, que: str) -> None:
    """403 unless national coordination or the staff of ``unidad``."""
    exigir_personal(alcance)
    if not alcance.nacional and unidad != alcance.unidad:
        raise Prohibido(f"{que} es de la unidad {unidad}; su unidad es {alcance.unidad}")


def unidad_de(conn: Connection, cartografia: str, municipio_codigo: str) -> str | None:
    return conn.execute(
        select(M.c.unidad_operativa_codigo).where(
            and_(M.c.cartografia == cartografia, M.c.codigo == municipio_codigo)
        )
    ).scalar()
