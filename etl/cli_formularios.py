"""``sigg formularios``: the field forms (XLSForms for KoboToolbox / KoboCollect / ODK Collect)
written from the server's vocabulary and rules (geo/registro/formularios_campo.py) into
formularios/, where they are shipped; ``--comprobar`` only tells whether the shipped files
still match (for CI, or before uploading them to Kobo)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from geo.plataforma.config import PROJECT_ROOT

app = typer.Typer(
    help="Formularios de campo (XLSForm) para KoboToolbox y ODK Collect",
    invoke_without_command=True,
)
console = Console()
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def formularios(
    carpeta: Annotated[
        Path | None, typer.Option(help="Dónde escribirlos (por defecto, formularios/)")
    ] = None,
    comprobar: Annotated[
        bool,
        typer.Option("--comprobar", help="No escribe: falla si alguno no está al día"),
    ] = False,
) -> None:
    """Regenera los formularios de registro de alianza y de visita de seguimiento a partir del
    vocabulario del servidor (sectores, modelos, etapas, etiquetas, reglas)."""
    from geo.formatos.xlsform import leer_valores, libro
    from geo.registro.formularios_campo import CARPETA, FORMULARIOS

    destino = carpeta or PROJECT_ROOT / CARPETA
    tabla = Table("Formulario", "Archivo", "Versión", "Estado")
    atrasados = 0
    for nombre, hacer in FORMULARIOS.items():
        formulario = hacer()
        valores = formulario.valores()
        archivo = destino / f"{nombre}.xlsx"
        al_dia = archivo.exists() and leer_valores(archivo.read_bytes()) == valores
        if comprobar:
            estado = "al día" if al_dia else "[red]desactualizado[/]"
            atrasados += not al_dia
        elif al_dia:
            estado = "sin cambios"
        else:
            destino.mkdir(parents=True, exist_ok=True)
            archivo.write_bytes(libro(formulario))
            estado = "[green]escrito[/]"
        mostrado = (
            archivo.relative_to(PROJECT_ROOT) if archivo.is_relative_to(PROJECT_ROOT) else archivo
        )
        tabla.add_row(formulario.titulo, str(mostrado), formulario.version(), estado)
    console.print(tabla)
    if atrasados:
        err.print(
            f"[bold red]Error:[/] {atrasados} formulario(s) no coinciden con el vocabulario: "
            "ejecute 'sigg formularios' y vuelva a subirlos a KoboToolbox / ODK Central"
        )
        raise typer.Exit(1)
