"""The ``sigg`` command line: database, loads, server.

Commands import the domain modules they use inside their bodies: ``sigg db start`` or
``sigg --help`` then start without loading geopandas, GDAL and the registry."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.engine import make_url

from etl.cli_formularios import app as formularios_app
from etl.cli_programas import app as programas_app
from etl.cli_usuarios import app as usuarios_app
from geo.plataforma.cluster import PrivateCluster
from geo.plataforma.config import PROJECT_ROOT, Settings
from geo.plataforma.db import connect, database_url, postgis_version, safe_url
from geo.plataforma.errors import ErrorCargaTerritorio, SiggError

if TYPE_CHECKING:
    from geo.plataforma.respaldo import Restauracion

app = typer.Typer(
    help="SIGG: Sistema de Información Gerencial Georreferenciado", no_args_is_help=True
)
db_app = typer.Typer(help="La base de datos PostGIS (privada o externa)", no_args_is_help=True)
etl_app = typer.Typer(help="Cargas de datos", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(etl_app, name="etl")
app.add_typer(usuarios_app, name="usuarios")
app.add_typer(programas_app, name="programas")
app.add_typer(formularios_app, name="formularios")

console = Console()
err = Console(stderr=True, soft_wrap=True)


def _fail(exc: SiggError) -> None:
    err.print(f"[bold red]Error:[/] {exc.mensaje}")
    for linea in getattr(exc, "errores", [])[1:] if isinstance(exc, ErrorCargaTerritorio) else []:
        err.print(f"  - {linea}")
    raise typer.Exit(1)


@contextmanager
def _pasos(pasos: Sequence[str], final: str) -> Iterator[Callable[[str], None]]:
    """A progress bar over named steps; the work reports each step by its name."""
    with _progress() as progress:
        tarea = progress.add_task(pasos[0], total=len(pasos))

        def avance(msg: str) -> None:
            progress.update(tarea, description=msg, completed=pasos.index(msg))

        yield avance
        progress.update(tarea, description=final, completed=len(pasos))


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


@db_app.command("start")
def db_start() -> None:
    """Arranca el PostgreSQL privado (lo inicializa la primera vez). Con SIGG_DATABASE_URL
    definida, solo comprueba la base externa."""
    settings = Settings()
    try:
        if not settings.usa_cluster_privado:
            with connect(settings) as engine, engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            console.print(
                f"Base externa alcanzable: {safe_url(database_url(settings))} (no se arranca nada)"
            )
            return
        cluster = PrivateCluster.from_settings(settings)
        with console.status("Arrancando PostgreSQL privado..."):
            started = cluster.start()
        estado = "arrancado" if started else "ya estaba en marcha"
        console.print(
            f"PostgreSQL privado {estado}: {safe_url(cluster.url())} (datos en {cluster.data_dir})"
        )
    except SiggError as exc:
        _fail(exc)


@db_app.command("stop")
def db_stop() -> None:
    """Detiene el PostgreSQL privado (nada, si la base es externa)."""
    settings = Settings()
    if not settings.usa_cluster_privado:
        console.print("Base externa (SIGG_DATABASE_URL): nada que detener")
        return
    try:
        stopped = PrivateCluster.from_settings(settings).stop()
    except SiggError as exc:
        _fail(exc)
    console.print(
        "PostgreSQL privado detenido" if stopped else "PostgreSQL privado no estaba en marcha"
    )


@db_app.command("status")
def db_status() -> None:
    """Estado de la base: en marcha, PostGIS, migración, territorio cargado."""
    from geo.plataforma.migrate import current_revision, head_revision
    from geo.territorio.consultas import conteos

    settings = Settings()
    tabla = Table(show_header=False)
    if settings.usa_cluster_privado:
        cluster = PrivateCluster.from_settings(settings)
        tabla.add_row("clúster privado", str(cluster.data_dir))
        if not cluster.running():
            tabla.add_row("estado", "[red]detenido[/] (sigg db start)")
            console.print(tabla)
            raise typer.Exit(3)
    try:
        with connect(settings) as engine, engine.connect() as conn:
            tabla.add_row("url", safe_url(database_url(settings)))
            tabla.add_row("PostGIS", postgis_version(conn) or "no instalado")
            rev = current_revision(conn)
            tabla.add_row("migración", f"{rev or 'ninguna'} (última: {head_revision()})")
            if rev:
                for version, n in conteos(conn).items():
                    tabla.add_row(
                        f"territorio {version}", ", ".join(f"{k}: {v}" for k, v in n.items())
                    )
    except Exception as exc:  # the point of status is to report, not to crash
        tabla.add_row("estado", f"[red]inalcanzable[/]: {exc}")
        console.print(tabla)
        raise typer.Exit(3) from exc
    console.print(tabla)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Aplica las migraciones de Alembic (el esquema solo existe a través de ellas)."""
    from geo.plataforma.migrate import current_revision, upgrade

    with connect(Settings()) as engine, engine.begin() as conn:
        upgrade(conn, revision)
        console.print(f"Esquema en la revisión {current_revision(conn)}")


@db_app.command("url")
def db_url(mostrar_clave: bool = False) -> None:
    """Imprime la URL de la base (para psql, QGIS u ogr2ogr)."""
    url = database_url(Settings())
    console.print(url if mostrar_clave else safe_url(url), soft_wrap=True)


@db_app.command("respaldar")
def db_respaldar(
    archivo: Annotated[
        Path | None,
        typer.Argument(help="Archivo .tar, o una carpeta (nombre con la fecha); por defecto, aquí"),
    ] = None,
) -> None:
    """Respalda en un solo archivo la base (pg_dump -Fc) con su manifiesto y los archivos de
    .sigg/ que una restauración necesita (la clave de firma, si existe)."""
    from geo.plataforma.respaldo import ARCHIVOS_DE_ESTADO, PASOS_RESPALDO, respaldar

    settings = Settings()
    try:
        url = database_url(settings)
        with _pasos(PASOS_RESPALDO, "Respaldo escrito") as avance:
            hecho = respaldar(
                url, archivo or Path.cwd(), settings.state_dir, bin_dir=settings.pg_bin_dir,
                avance=avance,
            )  # fmt: skip
    except SiggError as exc:
        _fail(exc)
    m = hecho.manifiesto
    tabla = Table(title=f"Respaldo de {safe_url(url)}", show_header=False)
    tabla.add_row("archivo", f"{hecho.archivo} ({hecho.bytes / 1e6:.1f} MB, modo 600)")
    tabla.add_row("migración", str(m.migracion))
    tabla.add_row("servidor", f"PostgreSQL {m.postgresql}, PostGIS {m.postgis}")
    tabla.add_row("contenido", _tablas_y_filas(m.tablas))
    tabla.add_row("base.dump", f"{m.pg_dump}, sha256 {m.volcado_sha256[:16]}…")
    for nombre in ARCHIVOS_DE_ESTADO:
        motivo = m.archivos.get(nombre)
        tabla.add_row(nombre, f"incluida: {motivo}" if motivo else "no existe: no se incluye")
    tabla.add_row("tiempo", f"{hecho.segundos:.1f} s")
    console.print(tabla)
    console.print(
        "Contiene datos personales y los hashes de las contraseñas: guárdelo fuera de esta "
        "máquina y con acceso restringido. No contiene la contraseña del servidor."
    )


@db_app.command("restaurar")
def db_restaurar(
    archivo: Annotated[Path, typer.Argument(help="Un respaldo de 'sigg db respaldar'")],
    base: Annotated[
        str | None,
        typer.Option(help="Base destino; por defecto, una nueva con la fecha del respaldo"),
    ] = None,
    reemplazar: Annotated[
        bool,
        typer.Option(
            "--reemplazar",
            help="Si la base destino existe (por defecto, la actual), la restaurada ocupa su "
            "lugar; la anterior se conserva con otro nombre",
        ),
    ] = False,
) -> None:
    """Restaura un respaldo en una base NUEVA del mismo servidor, comprueba la migración y que
    cada tabla tenga las filas del manifiesto, y dice cómo usarla."""
    from geo.plataforma.respaldo import PASOS_RESTAURACION, restaurar

    settings = Settings()
    try:
        url = database_url(settings)
        actual = make_url(url).database
        with _pasos(PASOS_RESTAURACION, "Base restaurada y comprobada") as avance:
            hecho = restaurar(
                archivo, url, base or (actual if reemplazar else None), settings.state_dir,
                reemplazar=reemplazar, bin_dir=settings.pg_bin_dir, avance=avance,
            )  # fmt: skip
    except SiggError as exc:
        _fail(exc)
    m, servidor = hecho.manifiesto, make_url(hecho.url)
    tabla = Table(title=f"Restaurado {archivo.name}", show_header=False)
    tabla.add_row("base", f"{hecho.base} (en {servidor.host}:{servidor.port})")
    tabla.add_row("respaldo", f"{m.fecha} de la base '{m.base}', SIGG {m.sigg}")
    tabla.add_row("migración", str(m.migracion))
    tabla.add_row("comprobado", f"{_tablas_y_filas(m.tablas)}: iguales al manifiesto")
    for nombre, que in hecho.archivos.items():
        tabla.add_row(nombre, que)
    tabla.add_row("tiempo", f"{hecho.segundos:.1f} s")
    console.print(tabla)
    _como_usar(hecho, actual, settings)


def _tablas_y_filas(tablas: dict[str, int]) -> str:
    filas = f"{sum(tablas.values()):,}".replace(",", ".")  # Bolivian thousands separator
    return f"{len(tablas)} tablas, {filas} filas"


def _como_usar(hecho: Restauracion, actual: str | None, settings: Settings) -> None:
    if not hecho.revision_vigente:
        console.print(
            f"[yellow]Aviso:[/] la base está en la migración {hecho.manifiesto.migracion}; "
            "antes de servirla, aplique las nuevas con 'sigg db upgrade' apuntando a ella."
        )
    if hecho.base == actual:
        console.print(
            f"SIGG ya usa la base restaurada ('{actual}'); reinicie 'sigg serve'. La anterior "
            f"quedó como '{hecho.apartada}': bórrela cuando haya comprobado la restaurada."
        )
        return
    if hecho.apartada:
        console.print(f"La base que tenía ese nombre quedó como '{hecho.apartada}'.")
    clave = "" if settings.database_url else " (la clave: sigg db url --mostrar-clave)"
    console.print(
        f"Para usarla: SIGG_DATABASE_URL='{safe_url(hecho.url)}' sigg serve{clave}; "
        f"o restaure con --reemplazar para que ocupe el lugar de '{actual}'.",
        soft_wrap=True,
    )


@etl_app.command("territorio")
def etl_territorio(
    source: Annotated[
        Path | None,
        typer.Option(
            "--source",
            help="Carpeta con los límites "
            "(por defecto ../shared/data/bolivia o SIGG_BOUNDARIES_DIR)",
        ),
    ] = None,
    cartografia: Annotated[
        str | None, typer.Option(help="Versión: 2012 (la del programa) o 2024")
    ] = None,
    archivo: Annotated[
        Path | None,
        typer.Option(help="Archivo propio: GeoJSON, GeoPackage o Shapefile (.shp o .zip)"),
    ] = None,
    capa: Annotated[str | None, typer.Option(help="Capa dentro del archivo (GeoPackage)")] = None,
    campo: Annotated[
        list[str] | None,
        typer.Option(
            help="Mapeo clave=CAMPO, repetible; claves: "
            "codigo, nombre, provincia_codigo, provincia_nombre, departamento_codigo, "
            "departamento_nombre, codigo_2012, pob_2012, urbana_2012, rural_2012, "
            "pob_2024"
        ),
    ] = None,
    mapeo: Annotated[Path | None, typer.Option(help="Mapeo de campos en un JSON")] = None,
    lagos: Annotated[Path | None, typer.Option(help="Capa de lagos y salares")] = None,
    si_falta: Annotated[
        bool, typer.Option("--si-falta", help="Solo si esa versión no está cargada")
    ] = False,
) -> None:
    """Carga municipios, y disuelve provincias, departamentos y unidades operativas."""
    from etl.fuente_territorio import (
        FuenteTerritorio,
        MapeoCampos,
        ReglasTerritorio,
        fuente_por_defecto,
    )
    from etl.territorio import PASOS, cargar_territorio
    from geo.territorio.consultas import conteos

    settings = Settings()
    version = cartografia or settings.cartografia
    try:
        if archivo is not None:
            base = MapeoCampos.desde_json(mapeo) if mapeo else MapeoCampos()
            fuente = FuenteTerritorio(
                cartografia=version,
                descripcion=f"archivo propio {archivo.name}",
                municipios=archivo,
                mapeo=base.con(campo or []),
                capa=capa,
                cuerpos_agua=lagos,
            )
        else:
            fuente = fuente_por_defecto(source or settings.directorio_limites(), version)
        reglas = ReglasTerritorio.desde_directorio(PROJECT_ROOT / "data" / "municipios")
        with connect(settings) as engine:
            if si_falta:
                with engine.connect() as conn:
                    if conteos(conn).get(version, {}).get("municipios"):
                        console.print(f"Territorio {version} ya cargado: nada que hacer")
                        return
            with _pasos(PASOS, "Territorio cargado") as avance, engine.begin() as conn:
                reporte = cargar_territorio(conn, fuente, reglas, avance)
    except SiggError as exc:
        _fail(exc)
    _imprimir_reporte(reporte)


def _imprimir_reporte(reporte) -> None:  # type: ignore[no-untyped-def]
    tabla = Table(title=f"Territorio {reporte.cartografia}: {reporte.fuente}")
    for col in (
        "municipios",
        "provincias",
        "departamentos",
        "unidades operativas",
        "lagos/salares",
    ):
        tabla.add_column(col, justify="right")
    tabla.add_row(
        *(
            str(x)
            for x in (
                reporte.municipios,
                reporte.provincias,
                reporte.departamentos,
                reporte.unidades_operativas,
                reporte.cuerpos_agua,
            )
        )
    )
    console.print(tabla)
    if reporte.reproyectado_desde:
        console.print(f"Reproyectado a EPSG:4326 desde {reporte.reproyectado_desde}")
    for r in reporte.reparadas:
        console.print(f"[yellow]Geometría reparada[/] {r['codigo']} {r['nombre']}: {r['motivo']}")
    if reporte.codigos_completados:
        console.print(f"Códigos completados con ceros: {len(reporte.codigos_completados)}")
    if reporte.nombres_corregidos:
        console.print(
            f"Nombres corregidos (data/municipios/nombres_corregidos.csv): "
            f"{len(reporte.nombres_corregidos)}"
        )
    for aviso in reporte.avisos:
        console.print(f"[yellow]Aviso:[/] {aviso}")


@etl_app.command("importar")
def etl_importar(
    archivo: Annotated[Path, typer.Argument(help="CSV, XLSX o exportación de KoboToolbox/ODK")],
    programa: Annotated[
        str | None, typer.Option(help="Código del programa; si se omite, SIGG_PROGRAMA")
    ] = None,
    simulacro: Annotated[bool, typer.Option("--simulacro", help="Informa sin escribir")] = False,
    informe: Annotated[
        Path | None, typer.Option(help="Escribe el informe fila a fila en un CSV")
    ] = None,
    tipo: Annotated[
        str,
        typer.Option(
            help="alianzas (registro) o seguimientos (visitas: un ciclo por fila, la alianza "
            "por su código)"
        ),
    ] = "alianzas",
) -> None:
    """Importa alianzas o ciclos de seguimiento (CSV, XLSX, o la exportación de los formularios
    de campo de KoboToolbox/ODK): todo o nada; el informe nombra fila, columna y motivo de cada
    error, y los nombres de las fotos que la exportación trae (quedan en KoboToolbox)."""
    from geo.formatos.lectura import leer_tabla
    from geo.registro.alianzas import programa as buscar_programa
    from geo.registro.importacion import PASOS, importar_alianzas
    from geo.registro.importacion_seguimiento import importar_seguimientos

    if tipo not in ("alianzas", "seguimientos"):
        raise typer.BadParameter("use alianzas o seguimientos", param_hint="--tipo")
    settings = Settings()
    usuario = f"cli:{os.environ.get('USER', 'desconocido')}"
    try:
        if not archivo.exists():
            raise ErrorCargaTerritorio([f"el archivo {archivo} no existe"])
        tabla = leer_tabla(archivo.read_bytes(), archivo.name)
        with (
            connect(settings) as engine,
            _pasos(PASOS, "Hecho") as avance,
            engine.begin() as conn,
        ):
            prog = buscar_programa(conn, programa or settings.programa)
            if tipo == "seguimientos":
                resultado = importar_seguimientos(
                    conn, prog, tabla, archivo=archivo.name, simulacro=simulacro, usuario=usuario
                )
            else:
                resultado = importar_alianzas(
                    conn,
                    prog,
                    tabla,
                    archivo=archivo.name,
                    tolerancia_m=settings.tolerancia_borde_m,
                    simulacro=simulacro,
                    usuario=usuario,
                    avance=avance,
                )
    except SiggError as exc:
        _fail(exc)
    _imprimir_importacion(resultado, informe)
    if resultado.errores:
        raise typer.Exit(1)


def _imprimir_importacion(resultado, destino: Path | None) -> None:  # type: ignore[no-untyped-def]
    import csv

    from geo.formatos.celdas import para_csv

    for aviso in resultado.avisos:
        console.print(f"[yellow]Aviso:[/] {aviso}")
    if resultado.adjuntos:
        adjuntos = Table(title="Archivos adjuntos que nombra la exportación (en KoboToolbox)")
        for col in ("fila", "código", "archivos"):
            adjuntos.add_column(col)
        for a in resultado.adjuntos[:100]:
            adjuntos.add_row(str(a["fila"]), a["codigo"] or "", ", ".join(a["archivos"]))
        console.print(adjuntos)
    if resultado.errores:
        tabla = Table(
            title=f"{len(resultado.errores)} errores en {resultado.archivo}: no se escribió nada"
        )
        for col in ("fila", "columna", "código", "motivo"):
            tabla.add_column(col)
        for e in resultado.errores[:100]:
            tabla.add_row(str(e["fila"]), e["columna"], e["codigo"] or "", e["mensaje"])
        console.print(tabla)
    else:
        verbo = "se insertarían" if resultado.simulacro else "insertadas"
        console.print(
            f"{resultado.filas} filas: {resultado.insertadas} {verbo}, "
            f"{resultado.actualizadas} actualizadas, {resultado.sin_cambios} sin cambios"
            + (" (simulacro: nada escrito)" if resultado.simulacro else "")
        )
    if destino is not None:
        with destino.open("w", newline="", encoding="utf-8") as fh:
            escritor = csv.DictWriter(fh, fieldnames=["fila", "columna", "codigo", "mensaje"])
            escritor.writeheader()
            # The report quotes the offending cells: they may be formulas (geo.formatos.celdas).
            escritor.writerows({k: para_csv(v) for k, v in e.items()} for e in resultado.errores)
        console.print(f"Informe escrito en {destino}")


@etl_app.command("demo")
def etl_demo(
    referencia: Annotated[
        Path | None, typer.Option(help="Tablas publicadas (por defecto ../shared/reference)")
    ] = None,
    semilla: int = 2023,
    si_falta: Annotated[bool, typer.Option("--si-falta", help="Solo si PAR II está vacío")] = False,
) -> None:
    """Datos de demostración SINTÉTICOS de PAR II, calibrados a las tablas publicadas."""
    from etl.demo import PASOS
    from etl.demo_carga import cargar_demo

    settings = Settings()
    origen = referencia or settings.directorio_referencia()
    try:
        with connect(settings) as engine:
            if si_falta:
                with engine.connect() as conn:
                    if conn.execute(
                        text(
                            "SELECT count(*) FROM alianza a JOIN programa p ON "
                            "p.id = a.programa_id WHERE p.codigo = 'PAR2'"
                        )
                    ).scalar():
                        console.print("Datos de demostración ya cargados: nada que hacer")
                        return
            with _pasos(PASOS, "Demo cargada") as avance, engine.begin() as conn:
                resumen = cargar_demo(conn, origen, semilla, avance)
    except SiggError as exc:
        _fail(exc)
    console.print(
        "Datos SINTÉTICOS cargados: " + ", ".join(f"{k}: {v}" for k, v in resumen.items())
    )


@app.command("serve")
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    reload: bool = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Procesos que atienden (el modo multiproceso de uvicorn); por omisión "
            "SIGG_WORKERS, o uno por núcleo",
        ),
    ] = None,
    keep_alive: Annotated[
        int,
        typer.Option(
            min=1,
            max=3600,
            help="Segundos que una conexión HTTP inactiva sigue abierta (más que los del proxy "
            "que esté delante, si lo hay)",
        ),
    ] = 5,
) -> None:
    """Sirve la API y la aplicación web."""
    import uvicorn

    settings = Settings()
    # Here, once, before any worker starts: a refused signing key is one clear message instead
    # of every worker failing (and being restarted) in turn, and the installation's own key is
    # made before the workers read it.
    try:
        settings.comprobar_secretos()
    except ValueError as exc:
        err.print(f"[bold red]Error:[/] {exc}")
        raise typer.Exit(1) from exc
    # uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise, and the server
    # listens there: any local client could then name its own address and walk past the rate
    # limits. Proxy headers are read only from the proxies this installation names.
    proxies = [str(red) for red in settings.proxies_confiables]
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=host,
        port=port,
        reload=reload,
        # Reloading watches one process; otherwise each worker is a process of its own on the
        # same socket. What they must agree on (the data generation, the rate-limit counts,
        # jobs, idempotency keys, the signing key) lives in PostgreSQL or the state folder.
        workers=1 if reload else (workers or settings.procesos()),
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
        timeout_keep_alive=keep_alive,
    )


if __name__ == "__main__":
    app()
