"""The money ledger of a record (migration 0012): each transfer and accounting (descargo) of an
alliance, each executed amount of a subproject, dated, with its document. The record's totals
are the ledger's sums; the database keeps them so in the same transaction, whatever writes.

A movement is never changed or deleted through SIGG: a correction is another movement (a
negative amount reverses one), so that the ledger says what was known when."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from geo.acceso.alcance import Alcance, bloquear_para_escribir, exigir_personal
from geo.plataforma.errors import RegistroInvalido
from geo.registro.verificacion import visible
from geo.vocabulario.catalogos import FECHA_MINIMA, TIPOS_MOVIMIENTO

# Per record kind: its table, the movement's key, and (kind, total it adds up to).
REGISTROS: dict[str, tuple[str, tuple[tuple[str, str], ...]]] = {
    "alianza": (
        "alianza_id",
        (("transferencia", "monto_transferido_bs"), ("descargo", "monto_descargado_bs")),
    ),
    "subproyecto_municipal": (
        "subproyecto_id",
        (
            ("ejecucion_empoderar", "monto_empoderar_ejecutado_bs"),
            ("ejecucion_contraparte", "monto_contraparte_ejecutado_bs"),
        ),
    ),
}


def listar(conn: Connection, alcance: Alcance, tabla: str, registro_id: int) -> dict[str, Any]:
    """The record's movements, oldest first, and its totals (staff who may see the record:
    the movements name who recorded them)."""
    exigir_personal(alcance)
    visible(conn, alcance, tabla, registro_id)
    clave, pares = REGISTROS[tabla]
    filas = conn.execute(
        text(
            "SELECT id, fecha, tipo, monto_bs, documento, origen, usuario, registrado_en "  # noqa: S608
            f"FROM movimiento WHERE {clave} = :i ORDER BY fecha, id"
        ),
        {"i": registro_id},
    ).mappings()
    data = [_leido(f) for f in filas]
    totales = _leido_totales(_totales(conn, tabla, registro_id))
    return {"count": len(data), "data": data, "totales": totales}


def _leido(fila: Any) -> dict[str, Any]:
    """A movement as the API shows it: money as a number (as every record's money), the kind's
    label beside its code."""
    d = dict(fila)
    return d | {"monto_bs": float(d["monto_bs"]), "tipo_nombre": TIPOS_MOVIMIENTO[d["tipo"]]}


def _leido_totales(t: dict[str, Any]) -> dict[str, Any]:
    return {k: float(v) if isinstance(v, Decimal) else v for k, v in t.items()}


def _totales(conn: Connection, tabla: str, registro_id: int) -> dict[str, Decimal]:
    _, pares = REGISTROS[tabla]
    cols = ", ".join(c for _, c in pares)
    fila = conn.execute(
        text(f"SELECT {cols}, version FROM {tabla} WHERE id = :i"),  # noqa: S608
        {"i": registro_id},
    ).one()
    return {c: getattr(fila, c) for _, c in pares} | {"version": fila.version}


def _errores(tabla: str, datos: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with a movement, field by field (the schema has checked the types)."""
    _, pares = REGISTROS[tabla]
    tipos = [t for t, _ in pares]
    errores = []
    if datos["tipo"] not in tipos:
        otro = f"'{datos['tipo']}' no es un movimiento de este registro"
        errores.append(("tipo", f"{otro}; use: {', '.join(tipos)}"))
    if not FECHA_MINIMA <= datos["fecha"] <= date.today():
        desde = FECHA_MINIMA.isoformat()
        errores.append(("fecha", f"debe estar entre {desde} y hoy: se registra lo ocurrido"))
    if datos["monto_bs"] == 0:
        errores.append(("monto_bs", "un movimiento de 0 Bs no cambia nada"))
    return errores


def agregar(
    conn: Connection,
    alcance: Alcance,
    tabla: str,
    registro_id: int,
    datos: dict[str, Any],
    *,
    if_match: str | None,
) -> dict[str, Any]:
    """Add a movement to the record at the version the client read (If-Match), with the write
    rules of the record itself (unit, draft for a técnico, validated is locked), and answer
    the movement with the record's new totals. Totals may not go below zero, nor the
    accounted money above the transferred (422 naming ``monto_bs``)."""
    errores = _errores(tabla, datos)
    if errores:
        raise RegistroInvalido(errores)
    bloquear_para_escribir(conn, alcance, tabla, registro_id, if_match)
    antes = _totales(conn, tabla, registro_id)
    total = dict(REGISTROS[tabla][1])[datos["tipo"]]
    despues = antes | {total: antes[total] + datos["monto_bs"]}
    _saldos(tabla, despues)
    if tabla == "alianza":
        _dentro_de_lo_comprometido(conn, registro_id, despues["monto_transferido_bs"])
    clave, _ = REGISTROS[tabla]
    fila = (
        conn.execute(
            text(
                f"INSERT INTO movimiento ({clave}, fecha, tipo, monto_bs, documento, origen) "  # noqa: S608
                "VALUES (:i, :f, :t, :m, :d, 'libro') "
                "RETURNING id, fecha, tipo, monto_bs, documento, origen, usuario, registrado_en"
            ),
            {
                "i": registro_id,
                "f": datos["fecha"],
                "t": datos["tipo"],
                "m": datos["monto_bs"],
                "d": datos.get("documento"),
            },
        )
        .mappings()
        .one()
    )
    return _leido(fila) | {"totales": _leido_totales(_totales(conn, tabla, registro_id))}


def _dentro_de_lo_comprometido(conn: Connection, alianza_id: int, transferido: Decimal) -> None:
    """The record's own rule, said of the movement: no more transferred than committed, unless
    the record carries the alert that lets it (a program that allows excesses)."""
    comprometido, alertas = conn.execute(
        text("SELECT monto_par_comprometido_bs, alertas FROM alianza WHERE id = :i"),
        {"i": alianza_id},
    ).one()
    if transferido > comprometido and "transferido_excede_comprometido" not in alertas:
        raise RegistroInvalido(
            [
                (
                    "monto_bs",
                    f"lo transferido ({transferido} Bs) superaría el aporte comprometido "
                    f"({comprometido} Bs)",
                )
            ]
        )


def _saldos(tabla: str, t: dict[str, Decimal]) -> None:
    if any(v < 0 for k, v in t.items() if k != "version"):
        raise RegistroInvalido([("monto_bs", "el total quedaría negativo")])
    if tabla == "alianza" and t["monto_descargado_bs"] > t["monto_transferido_bs"]:
        raise RegistroInvalido(
            [
                (
                    "monto_bs",
                    f"lo descargado ({t['monto_descargado_bs']} Bs) superaría lo transferido "
                    f"({t['monto_transferido_bs']} Bs)",
                )
            ]
        )
