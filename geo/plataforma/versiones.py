"""Optimistic concurrency: a change names the version it read; if the record moved on, the
change is refused instead of silently overwriting someone else's."""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo.plataforma.errors import FaltaVersion, NoEncontrado, VersionObsoleta

# Tables that carry a version, and how to name them to a person.
VERSIONADAS = {
    "alianza": "alianza",
    "organizacion": "organización",
    "subproyecto_municipal": "subproyecto",
    "seguimiento": "seguimiento",
    "programa": "programa",
}


def version_de(if_match: str | None) -> int | None:
    """The version in an If-Match header ("3", W/"3" or 3)."""
    if if_match is None:
        return None
    limpio = if_match.strip().removeprefix("W/").strip('"')
    return int(limpio) if limpio.isdigit() else -1


def bloquear(conn: Connection, tabla: str, registro_id: int, if_match: str | None) -> int:
    """Lock the row for this transaction and check the client's version; returns it."""
    nombre = VERSIONADAS[tabla]  # KeyError for anything not whitelisted
    actual = conn.execute(
        text(f"SELECT version FROM {tabla} WHERE id = :i FOR UPDATE"),  # noqa: S608
        {"i": registro_id},
    ).scalar()
    if actual is None:
        raise NoEncontrado(f"{nombre} {registro_id} no existe", campo="id")
    leida = version_de(if_match)
    if leida is None:
        raise FaltaVersion(
            f"envíe la cabecera If-Match con la ETag leída de la {nombre}, para "
            "no sobrescribir cambios de otros"
        )
    if leida != actual:
        raise VersionObsoleta(
            f"otra persona modificó la {nombre} (versión actual {actual}, "
            f"usted leyó {if_match}); vuelva a leerla",
            version_actual=actual,
        )
    return int(actual)
