"""Staff accounts: argon2 password hashes (pwdlib), created from the command line."""

from __future__ import annotations

from dataclasses import dataclass

from pwdlib import PasswordHash
from sqlalchemy import Connection, text

from geo.plataforma.errors import Conflicto, EntradaInvalida, NoAutenticado, NoEncontrado
from geo.vocabulario.catalogos import ROLES

_HASH = PasswordHash.recommended()
# Verified against when the user does not exist, so that the answer takes as long either way.
_SIN_USUARIO = _HASH.hash("sin-usuario")
LARGO_MINIMO = 10


@dataclass(frozen=True)
class Usuario:
    id: int
    nombre_usuario: str
    nombre: str
    rol: str
    unidad_operativa_codigo: str | None
    activo: bool


def crear(
    conn: Connection,
    nombre_usuario: str,
    nombre: str,
    rol: str,
    unidad: str | None,
    clave: str,
) -> Usuario:
    if rol not in ROLES:
        raise EntradaInvalida(f"rol desconocido '{rol}'; use: {', '.join(ROLES)}", campo="rol")
    unidad = unidad.upper() if unidad else None
    if rol == "nacional" and unidad:
        raise EntradaInvalida("un usuario nacional no pertenece a una unidad", campo="unidad")
    if rol != "nacional":
        if not unidad:
            raise EntradaInvalida(f"un usuario '{rol}' necesita su unidad", campo="unidad")
        existe = conn.execute(
            text("SELECT 1 FROM unidad_operativa WHERE codigo = :u LIMIT 1"), {"u": unidad}
        ).first()
        if existe is None:
            raise EntradaInvalida(f"unidad operativa desconocida '{unidad}'", campo="unidad")
    if len(clave) < LARGO_MINIMO:
        raise EntradaInvalida(
            f"la contraseña debe tener al menos {LARGO_MINIMO} caracteres", campo="clave"
        )
    if conn.execute(
        text("SELECT 1 FROM usuario WHERE nombre_usuario = :n"), {"n": nombre_usuario}
    ).first():
        raise Conflicto(f"ya existe el usuario '{nombre_usuario}'", campo="nombre_usuario")
    fila = conn.execute(
        text(
            "INSERT INTO usuario (nombre_usuario, nombre, rol, unidad_operativa_codigo, "
            "clave_hash) VALUES (:n, :nombre, :r, :u, :h) RETURNING id"
        ),
        {"n": nombre_usuario, "nombre": nombre, "r": rol, "u": unidad, "h": _HASH.hash(clave)},
    ).scalar_one()
    return Usuario(fila, nombre_usuario, nombre, rol, unidad, True)


def autenticar(conn: Connection, nombre_usuario: str, clave: str) -> Usuario | None:
    """The active user with this password, or None (same work whether or not the user exists)."""
    fila = conn.execute(
        text(
            "SELECT id, nombre_usuario, nombre, rol, unidad_operativa_codigo, activo, clave_hash "
            "FROM usuario WHERE nombre_usuario = :n"
        ),
        {"n": nombre_usuario},
    ).first()
    if fila is None:
        _HASH.verify(clave, _SIN_USUARIO)
        return None
    if not _HASH.verify(clave, fila.clave_hash) or not fila.activo:
        return None
    return Usuario(*fila[:6])


def comprobar_vigente(conn: Connection, nombre_usuario: str, rol: str, unidad: str | None) -> None:
    """A signed token still speaks for its account: the account exists, is active, and holds
    the role and unit the token was issued with. Checked on every authenticated request (one
    lookup on the unique name), so that deactivating an account or changing its role takes
    effect at once, not when its tokens expire."""
    fila = conn.execute(
        text("SELECT rol, unidad_operativa_codigo, activo FROM usuario WHERE nombre_usuario = :n"),
        {"n": nombre_usuario},
    ).first()
    if fila is None:
        raise NoAutenticado(f"la cuenta '{nombre_usuario}' no existe")
    if not fila.activo:
        raise NoAutenticado("la cuenta ya no está activa")
    if (fila.rol, fila.unidad_operativa_codigo) != (rol, unidad):
        raise NoAutenticado(
            f"el rol o la unidad de la cuenta '{nombre_usuario}' cambiaron desde que inició "
            "sesión: vuelva a iniciar sesión"
        )


def listar(conn: Connection) -> list[Usuario]:
    filas = conn.execute(
        text(
            "SELECT id, nombre_usuario, nombre, rol, unidad_operativa_codigo, activo "
            "FROM usuario ORDER BY nombre_usuario"
        )
    ).all()
    return [Usuario(*f) for f in filas]


def desactivar(conn: Connection, nombre_usuario: str) -> None:
    if not conn.execute(
        text("UPDATE usuario SET activo = false WHERE nombre_usuario = :n"), {"n": nombre_usuario}
    ).rowcount:
        raise NoEncontrado(f"no existe el usuario '{nombre_usuario}'", campo="nombre_usuario")
