"""``sigg usuarios``: staff accounts (created here, never through the web)."""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from geo.acceso import cuentas
from geo.plataforma.config import Settings
from geo.plataforma.db import connect
from geo.plataforma.errors import SiggError
from geo.vocabulario.catalogos import ROLES

app = typer.Typer(help="Cuentas del personal (nacional, unidad, técnico)", no_args_is_help=True)
console = Console()
err = Console(stderr=True, soft_wrap=True)

# Demo accounts for a development machine: one of each kind, Chaco and Tarija side by side.
DEMO = (
    ("nacional", "Coordinación nacional (demo)", "nacional", None),
    ("chaco", "Unidad Operativa Chaco (demo)", "unidad", "CHACO"),
    ("tarija", "Unidad Operativa Tarija (demo)", "unidad", "TJA"),
    ("tecnico.chaco", "Técnico de campo, Chaco (demo)", "tecnico", "CHACO"),
)


@app.command("crear")
def crear(
    nombre_usuario: str,
    rol: Annotated[str, typer.Option(help=f"Uno de: {', '.join(ROLES)}")],
    nombre: Annotated[str, typer.Option(help="Nombre completo")],
    unidad: Annotated[
        str | None, typer.Option(help="Código de la unidad operativa (p. ej. CHACO, TJA)")
    ] = None,
    clave_stdin: Annotated[
        bool, typer.Option("--clave-stdin", help="Leer la contraseña de la entrada estándar")
    ] = False,
) -> None:
    """Crea una cuenta; la contraseña se pide sin mostrarla (o se lee de stdin)."""
    if clave_stdin:
        clave = sys.stdin.readline().rstrip("\n")
    else:
        clave = typer.prompt("Contraseña", hide_input=True, confirmation_prompt=True)
    try:
        with connect(Settings()) as engine, engine.begin() as conn:
            u = cuentas.crear(conn, nombre_usuario, nombre, rol, unidad, clave)
    except SiggError as exc:
        err.print(f"[bold red]Error:[/] {exc.mensaje}")
        raise typer.Exit(1) from exc
    donde = f" de la unidad {u.unidad_operativa_codigo}" if u.unidad_operativa_codigo else ""
    console.print(f"Usuario [bold]{u.nombre_usuario}[/] creado: {ROLES[u.rol]}{donde}")


@app.command("listar")
def listar() -> None:
    """Las cuentas, con su rol y unidad."""
    with connect(Settings()) as engine, engine.connect() as conn:
        usuarios = cuentas.listar(conn)
    tabla = Table("usuario", "nombre", "rol", "unidad", "activo")
    for u in usuarios:
        tabla.add_row(
            u.nombre_usuario,
            u.nombre,
            ROLES[u.rol],
            u.unidad_operativa_codigo or "",
            "sí" if u.activo else "no",
        )
    console.print(tabla)


@app.command("desactivar")
def desactivar(nombre_usuario: str) -> None:
    """Impide nuevos ingresos de la cuenta (un token ya emitido vence en minutos)."""
    try:
        with connect(Settings()) as engine, engine.begin() as conn:
            cuentas.desactivar(conn, nombre_usuario)
    except SiggError as exc:
        err.print(f"[bold red]Error:[/] {exc.mensaje}")
        raise typer.Exit(1) from exc
    console.print(f"Usuario {nombre_usuario} desactivado")


@app.command("demo")
def demo() -> None:
    """Solo en desarrollo: una cuenta de cada tipo (nacional, chaco, tarija, tecnico.chaco) con
    contraseñas al azar, guardadas en .sigg/usuarios_demo.txt (modo 600)."""
    settings = Settings()
    if settings.environment != "development":
        err.print("[bold red]Error:[/] las cuentas de demostración son solo para desarrollo")
        raise typer.Exit(1)
    archivo = settings.state_dir / "usuarios_demo.txt"
    creadas = []
    with connect(settings) as engine, engine.begin() as conn:
        existentes = {u.nombre_usuario for u in cuentas.listar(conn)}
        for nombre_usuario, nombre, rol, unidad in DEMO:
            if nombre_usuario not in existentes:
                clave = secrets.token_urlsafe(9)
                cuentas.crear(conn, nombre_usuario, nombre, rol, unidad, clave)
                creadas.append(f"{nombre_usuario}\t{clave}\t{ROLES[rol]} {unidad or ''}")
    if creadas:
        archivo.parent.mkdir(parents=True, exist_ok=True)
        with archivo.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(creadas) + "\n")
        archivo.chmod(0o600)
    console.print(
        f"Cuentas de demostración: {len(creadas)} nuevas; usuarios y contraseñas en {archivo}"
    )
