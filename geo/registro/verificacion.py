"""The three-level verification: a record is registered (by a técnico or the unit), verified by
its operational unit, validated by national coordination; either may send it back with
observations, and only national coordination reopens a validated (locked) record. Each move is
kept in ``verificacion`` with who, when and why."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from geo.acceso.alcance import (
    VERIFICADAS,
    Alcance,
    comprobar_unidad,
    exigir_personal,
    fijar,
    puede_ver,
    registro,
)
from geo.plataforma.errors import Conflicto, EntradaInvalida, NoEncontrado, Prohibido
from geo.plataforma.versiones import bloquear
from geo.vocabulario.catalogos import ACCIONES_VERIFICACION, ESTADOS


def mover(
    conn: Connection,
    alcance: Alcance,
    tabla: str,
    registro_id: int,
    accion: str,
    comentario: str | None,
    if_match: str | None,
) -> dict[str, Any]:
    """Apply ``accion`` (verificar, observar, validar, reabrir); returns the new state."""
    if accion not in ACCIONES_VERIFICACION:
        raise EntradaInvalida(
            f"acción desconocida '{accion}'; use: {', '.join(ACCIONES_VERIFICACION)}",
            campo="accion",
        )
    desde, hacia, roles = ACCIONES_VERIFICACION[accion]
    nombre = VERIFICADAS[tabla]
    fila = visible(conn, alcance, tabla, registro_id)
    comprobar_unidad(alcance, fila["unidad"], f"la {nombre} {fila['codigo']}")
    if alcance.rol not in roles:
        quien = " o ".join("la coordinación nacional" if r == "nacional" else "su unidad"
                           for r in roles)  # fmt: skip
        raise Prohibido(f"solo {quien} puede {accion} un registro")
    comentario = (comentario or "").strip() or None
    if accion in ("observar", "reabrir") and not comentario:
        raise EntradaInvalida(f"para {accion} escriba la observación", campo="comentario")
    bloquear(conn, tabla, registro_id, if_match)
    actual = registro(conn, tabla, registro_id)
    assert actual is not None
    if actual["estado"] not in desde:
        raise Conflicto(
            f"la {nombre} {fila['codigo']} está {ESTADOS[actual['estado']].lower()}: no se "
            f"puede {accion} (solo desde: {', '.join(desde)})"
        )
    fijar(conn, alcance)
    nuevo = conn.execute(
        text(
            f"UPDATE {tabla} SET estado = CAST(:h AS varchar), observacion = CASE WHEN "  # noqa: S608
            "CAST(:h AS varchar) = 'observado' THEN :c ELSE observacion END WHERE id = :i "
            "RETURNING version"
        ),
        {"h": hacia, "c": comentario, "i": registro_id},
    ).scalar_one()
    conn.execute(
        text(
            "INSERT INTO verificacion (tabla, registro_id, accion, desde, hacia, usuario, "
            "comentario) VALUES (:t, :i, :a, :d, :h, :u, :c)"
        ),
        {"t": tabla, "i": registro_id, "a": accion, "d": actual["estado"], "h": hacia,
         "u": alcance.usuario, "c": comentario},
    )  # fmt: skip
    return {"id": registro_id, "codigo": fila["codigo"], "estado": hacia, "version": nuevo}


def visible(
    conn: Connection, alcance: Alcance | None, tabla: str, registro_id: int
) -> dict[str, Any]:
    """Code, state, version and unit of a record ``alcance`` may see; 404 otherwise (never
    "forbidden": that would tell that it exists)."""
    fila = registro(conn, tabla, registro_id)
    if fila is None or not puede_ver(alcance, fila):
        raise NoEncontrado(f"{VERIFICADAS[tabla]} {registro_id} no existe", campo="id")
    return fila


def pasos(
    conn: Connection, alcance: Alcance, tabla: str, registro_id: int
) -> tuple[str, list[dict[str, Any]]]:
    """The record's state and each step of its verification (who, when, from which state to
    which and why), for staff who may see the record: the steps name users."""
    exigir_personal(alcance)
    fila = visible(conn, alcance, tabla, registro_id)
    return fila["estado"], historial(conn, tabla, registro_id)


def historial(conn: Connection, tabla: str, registro_id: int) -> list[dict[str, Any]]:
    filas = conn.execute(
        text(
            "SELECT accion, desde, hacia, usuario, momento, comentario FROM verificacion "
            "WHERE tabla = :t AND registro_id = :i ORDER BY id"
        ),
        {"t": tabla, "i": registro_id},
    ).mappings()
    return [dict(f) for f in filas]
