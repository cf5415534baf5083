"""``sigg programas``: programs and their results framework from the command line (the same use
cases as the page: geo.analisis.programas), acting as national coordination."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from geo.plataforma.config import Settings
from geo.plataforma.db import connect
from geo.plataforma.errors import SiggError

app = typer.Typer(help="Programas y su marco de resultados", no_args_is_help=True)
console = Console()
err = Console(stderr=True, soft_wrap=True)
COLUMNAS_MARCO = (
    "codigo", "nombre", "unidad", "linea_base", "meta", "frecuencia", "como_se_calcula", "calculo"
)  # fmt: skip


def _alcance():  # type: ignore[no-untyped-def]
    from geo.acceso.alcance import Alcance

    return Alcance(usuario=f"cli:{os.environ.get('USER', 'desconocido')}", rol="nacional")


def _fallar(exc: Exception) -> None:
    if isinstance(exc, ValidationError):
        for e in exc.errors():
            campo = ".".join(str(x) for x in e["loc"])
            err.print(f"[bold red]Error:[/] {campo}: {e['msg']}")
    elif isinstance(exc, SiggError):
        err.print(f"[bold red]Error:[/] {exc.mensaje}")
    raise typer.Exit(1)


def _mostrar(d: dict[str, Any]) -> None:
    cambio = f"{d['tipo_cambio']} Bs/USD" if d["tipo_cambio"] else "el de la instalación"
    console.print(f"[bold]{d['codigo']}[/] · {d['nombre']} · cartografía {d['cartografia']} · "
                  f"tipo de cambio {cambio} · versión {d['version']}")  # fmt: skip
    if d.get("indicadores"):
        t = Table("Código", "Indicador", "Unidad", "Línea de base", "Meta", "Cálculo")
        for i in d["indicadores"]:
            t.add_row(i["codigo"], i["nombre"], i["unidad"], str(i["linea_base"] or ""),
                      str(i["meta"] or ""), i["calculo"] or "valor registrado")  # fmt: skip
        console.print(t)


@app.command("listar")
def listar() -> None:
    """Los programas de esta instalación."""
    from geo.analisis import programas as pg

    with connect(Settings()) as engine, engine.connect() as conn:
        for d in pg.listar(conn):
            _mostrar(d)


@app.command("crear")
def crear(
    codigo: str,
    nombre: Annotated[str, typer.Option(help="Nombre del programa")],
    cartografia: Annotated[str, typer.Option(help="Cartografía de sus registros")] = "2012",
    tipo_cambio: Annotated[
        float | None, typer.Option(help="Bs por dólar; si se omite, SIGG_TIPO_CAMBIO")
    ] = None,
    permite_excesos: Annotated[
        bool, typer.Option(help="Acepta (y marca) transferido mayor que comprometido")
    ] = False,
) -> None:
    """Crea un programa; su código no cambia después."""
    from geo.analisis import programas as pg

    try:
        datos = pg.ProgramaEntrada.model_validate(
            {"codigo": codigo, "nombre": nombre, "cartografia": cartografia,
             "tipo_cambio": tipo_cambio, "permite_excesos": permite_excesos}
        )  # fmt: skip
        with connect(Settings()) as engine, engine.begin() as conn:
            _mostrar(pg.crear(conn, _alcance(), datos))
    except (SiggError, ValidationError) as exc:
        _fallar(exc)


@app.command("marco")
def marco(
    codigo: str,
    archivo: Annotated[
        Path,
        typer.Argument(help=f"CSV (',' o ';') con las columnas {', '.join(COLUMNAS_MARCO)}"),
    ],
) -> None:
    """Reemplaza el marco de resultados del programa por el del archivo, todo o nada."""
    from geo.analisis import programas as pg

    try:
        texto = archivo.read_text(encoding="utf-8-sig")
        dialecto = csv.Sniffer().sniff(texto.splitlines()[0], delimiters=",;")
        filas = list(csv.DictReader(io.StringIO(texto), dialect=dialecto))
        indicadores = [
            pg.IndicadorEntrada.model_validate(
                {k: (v or "").strip() or None for k, v in f.items() if k}
            )
            for f in filas
        ]
        with connect(Settings()) as engine, engine.begin() as conn:
            actual = pg.uno(conn, codigo)
            _mostrar(pg.fijar_marco(conn, _alcance(), codigo, indicadores, str(actual["version"])))
    except (SiggError, ValidationError) as exc:
        _fallar(exc)
    except (OSError, csv.Error) as exc:
        err.print(f"[bold red]Error:[/] no se pudo leer {archivo}: {exc}")
        raise typer.Exit(1) from exc
