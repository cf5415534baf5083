"""Every figure of issues 8 ("Performance and scale") and 17 ("Performance, next level") in one
run, each beside its ceiling or peer measured on the same data in the same run, written to
bench/RESULTS.md:

    .venv/bin/python -m bench.suite [--tamanos 10000,100000,1000000] [--repeticiones 5]

Per size (alliances, subprojects scaled with them, all validated): aggregation per level vs the
bare GROUP BY; the choropleth's values cold and warm; the aggregate summary after a write, by
filter, vs the bare GROUP BY with the same filter, the first answer for each department not
asked for before (bench/primeras.py), and the price a write pays for it; vector
tiles vs the bare ST_AsMVT query and tipg; the full GeoJSON export vs tipg and ogr2ogr, with
the API's peak memory; sustained load with wrk at 1, 8 and 64 connections (and 256 on the
cached choropleth). Once: the load on the demo data itself (with a no-database ceiling),
point-in-municipality for many points vs a bare spatial join, the bulk import vs COPY in a
database of its own, and the import as a background job of the server under a second user's
map requests, against a plain COPY under the same requests (bench/importacion_trabajo.py: a
tenth of --filas-trabajo, then all of them with the map's two kinds of request). The suite's
databases (sigg_bench_suite, sigg_bench_suite_importacion and sigg_bench_suite_trabajo on the
configured server, or as --base names them) are dropped at the end.

Sizes where the tiles, exports and import would take hours (10,000,000 alliances): the
aggregates, the summary by filter, the price of a write and the load alone, to a file of their
own:

    .venv/bin/python -m bench.suite --tamanos 10000000 --solo-agregados --repeticiones 3 \\
        --largas 2 --salida bench/RESULTS_10M.md

A quick check at small sizes, written elsewhere than RESULTS.md, on ports of its own:

    .venv/bin/python -m bench.suite --tamanos 2000,5000 --repeticiones 2 --largas 1 \\
        --duracion 2 --filas-importacion 5000 --puntos 1000 --filas-trabajo 5000 \\
        --reposo-trabajo 5 --salida /tmp/RESULTS.md \\
        --base sigg_bench_suite_prueba --puertos 8870,8871,8872,8873"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from functools import partial
from pathlib import Path

import httpx
import psycopg

from bench import exportar
from bench.agregacion import NIVELES, base, llenar
from bench.carga import CONEXIONES, Carga, asegurar_wrk, cargar
from bench.comun import base_con_territorio, borrar_base, dsn, servidor_sigg
from bench.exportar import Exportacion
from bench.importacion import comparar
from bench.importacion_trabajo import en_otro_proceso
from bench.informe import documento
from bench.informe_17 import ANALIZADA, FRESCA, PAR
from bench.maquina import fase, versiones
from bench.primeras import medir_en
from bench.respuestas import (
    MEDIDA,
    RUTAS,
    PorNivel,
    cabeceras_personal,
    en_caliente,
    frios,
    tocar,
)
from bench.resultados import CAPA, SIGG_EXPORT, TECHO_CARGA, Resultados
from bench.resumen import por_filtros, precio
from bench.teselas import ZOOMS, ZOOMS_CAUDAL, Caudal, Medidor, caudales, por_zoom, servidor_tipg
from bench.ubicacion import ubicar
from geo.analisis.teselas import ZOOM_PUNTOS
from geo.plataforma.config import Settings
from geo.plataforma.db import make_engine

PUERTOS = "8781,8771,8772,8773"  # the suite's server, the export's SIGG and tipg, tiles' tipg
BASE = "sigg_bench_suite"
SALIDA = Path(__file__).parent / "RESULTS.md"
CARGADA = f"/api/v1/mapa/valores?nivel=municipio&medida={MEDIDA}"
# (route, gzip, connection counts): 256 only on the cached choropleth, to keep the run short.
RUTAS_CARGA = (
    ("/api/v1/estadisticas?nivel=municipio", False, CONEXIONES),
    (CARGADA, False, (*CONEXIONES, 256)),
    (CAPA, True, CONEXIONES),
)
TECHO = ((TECHO_CARGA, False, (*CONEXIONES, 256)),)
ESCRITURAS, LOTE = 200, 100_000  # single-row writes per setting, rows of the bulk INSERT


def opciones() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tamanos", default="10000,100000,1000000", help="alliances per size")
    p.add_argument("--repeticiones", type=int, default=5, help="warm requests, bare SQL, points")
    p.add_argument("--largas", type=int, default=3, help="cold requests, exports, imports, tiles")
    p.add_argument("--duracion", type=int, default=10, help="seconds per load run")
    p.add_argument("--filas-importacion", type=int, default=100_000, help="0: no import")
    p.add_argument("--puntos", type=int, default=100_000, help="0: no point location")
    p.add_argument(
        "--filas-trabajo",
        type=int,
        default=1_000_000,
        help="rows of the import job under the map's requests (and a tenth of them, for its "
        "memory); 0: no job",
    )
    p.add_argument(
        "--reposo-trabajo", type=float, default=60, help="seconds of the map's idle baseline"
    )
    p.add_argument("--salida", type=Path, default=SALIDA, help="the Markdown file written")
    p.add_argument(
        "--solo-agregados",
        action="store_true",
        help="per size only the aggregates (sections 1-4) and the load: no demo load, point "
        "location, tiles, exports or import (for sizes where the rest would take hours)",
    )
    p.add_argument("--base", default=BASE, help="the suite's database (dropped at the end)")
    p.add_argument(
        "--puertos", default=PUERTOS, help="suite's SIGG, export SIGG, export tipg, tiles tipg"
    )
    a = p.parse_args()
    if a.solo_agregados:  # neither of the runs done once, besides the per-size ones
        a.puntos = a.filas_importacion = a.filas_trabajo = 0
    a.puerto, a.puerto_export, a.puerto_tipg, a.puerto_teselas = map(int, a.puertos.split(","))
    return a


def paso(mensaje: str, t0: float) -> None:
    print(f"[{(time.perf_counter() - t0) / 60:5.1f} min] {mensaje}", flush=True)


def cargas(
    wrk: str | None, puerto: int, datos: str, segundos: int, rutas: tuple
) -> list[tuple[str, Carga]]:
    """Every route at each of its connection counts, against the server running on
    ``puerto``, after one warm-up request (sustained load is measured on a warm server)."""
    base_url = f"http://127.0.0.1:{puerto}"
    res = []
    for ruta, gzip, conexiones in rutas:
        httpx.get(base_url + ruta, timeout=600).raise_for_status()
        res += [(datos, cargar(wrk, base_url, ruta, c, segundos, gzip)) for c in conexiones]
    return res


def exportes(url: str, n: int, veces: int, a: argparse.Namespace) -> dict[str, list[Exportacion]]:
    """Exporter -> its ``veces`` full exports of ``n`` features, in the order they ran, the
    exporters taking turns (as bench/exportar.py runs them): a change in the machine's load
    falls on each alike, where one exporter's runs all after another's put it on one."""
    exportadores = (
        (SIGG_EXPORT, partial(exportar.sigg, puerto=a.puerto_export)),
        ("tipg", partial(exportar.tipg, puerto=a.puerto_tipg)),
        ("ogr2ogr", exportar.ogr2ogr),
    )
    todas: dict[str, list[Exportacion]] = {nombre: [] for nombre, _ in exportadores}
    for _ in range(veces):
        for nombre, f in exportadores:
            todas[nombre].append(f(url, n))
    return todas


def respuestas(r: Resultados, url: str, n: int, wrk: str | None, a: argparse.Namespace) -> None:
    """Per-level times, the summary's by filter and the load on a running server at one size,
    then the times after a restart."""
    settings = Settings()
    personal = cabeceras_personal(settings, url)
    with (
        servidor_sigg(url, a.puerto),
        httpx.Client(base_url=f"http://127.0.0.1:{a.puerto}", timeout=600) as cliente,
        psycopg.connect(dsn(url), autocommit=True) as crudo,
    ):
        medidos = {
            nv: en_caliente(url, cliente, crudo, nv, a.repeticiones, personal) for nv in NIVELES
        }
        r.filtros += por_filtros(url, cliente, crudo, n, settings.programa, a.repeticiones)
        r.primeras.append(medir_en(url, cliente, crudo, n, settings.programa, a.repeticiones))
        r.cargas += cargas(wrk, a.puerto, f"{n:,}", a.duracion, RUTAS_CARGA)
    frio = frios(url, a.puerto, a.largas)
    for nv, (desnudo, ms) in medidos.items():
        ms |= {f"{q}:reinicio": frio[q, nv] for q in RUTAS}
        r.niveles.append(PorNivel(n, nv, desnudo, ms))


def teselas(r: Resultados, url: str, n: int, a: argparse.Namespace) -> None:
    """The vector tiles per zoom (tipg from ZOOM_PUNTOS on) and their throughput."""
    with servidor_sigg(url, a.puerto), servidor_tipg(url, a.puerto_teselas):
        m = Medidor(url, Settings().programa, a.puerto, a.puerto_teselas)
        r.teselas += [por_zoom(m, n, z, a.largas, z >= ZOOM_PUNTOS) for z in ZOOMS]
        r.caudales += [Caudal(n, z, caudales(m, z)) for z in ZOOMS_CAUDAL]


def importaciones(r: Resultados, settings: Settings, a: argparse.Namespace) -> None:
    """The import vs COPY in a database of its own (the territory only, as bench/importacion.py
    runs it); then, on a fifth of the rows, the same with the emptied tables as TRUNCATE left
    them and analyzed (what an emptied database that autovacuum visited looks like)."""
    nombre = f"{a.base}_importacion"
    engine = make_engine(base_con_territorio(settings, nombre))
    try:
        r.importacion[FRESCA] = comparar(engine, settings, a.filas_importacion, a.largas)
        pocas = max(1, a.filas_importacion // 5)
        r.importacion[PAR] = comparar(engine, settings, pocas, 1)
        r.importacion[ANALIZADA] = comparar(engine, settings, pocas, 1, analizar=True)
    finally:
        engine.dispose()
        borrar_base(settings, nombre)


def trabajos(r: Resultados, a: argparse.Namespace, t0: float) -> None:
    """The import as a background job of the server under a second user's map requests, each
    run with its idle baseline and a plain COPY of the same rows under the same requests, on a
    fresh database of its own (bench/importacion_trabajo.py, as a command of its own): a tenth
    of the rows with the requests the summary answers (the job's memory at a smaller file),
    then all of them with those requests and with requests that take the full query."""
    corridas = (
        (max(1, a.filas_trabajo // 10), True),
        (a.filas_trabajo, True),
        (a.filas_trabajo, False),
    )
    with tempfile.TemporaryDirectory() as tmp:
        for filas, resumen in corridas:
            como = "summary" if resumen else "full-query"
            paso(f"import job of {filas:,} rows under the map's {como} requests", t0)
            r.trabajos.append(
                en_otro_proceso(
                    filas,
                    reposo=a.reposo_trabajo,
                    base=f"{a.base}_trabajo",
                    puerto=a.puerto,
                    carpeta=Path(tmp),
                    nombre=f"{filas}-{como}",
                    resumen=resumen,
                    copia=True,
                )
            )


def por_tamano(
    r: Resultados, url: str, n: int, wrk: str | None, a: argparse.Namespace, t0: float
) -> None:
    paso(f"{n:,} alliances: fill, aggregation, summary by filter, choropleth, load", t0)
    with fase(r.fases, url, n, "fill (ending with a CHECKPOINT)"):
        total = llenar(url, n, esparcir=True)
    with fase(r.fases, url, total, "aggregation, summary by filter, choropleth, load"):
        tocar(url)
        respuestas(r, url, total, wrk, a)
    if not a.solo_agregados:
        paso(f"{n:,} alliances: vector tiles", t0)
        with fase(r.fases, url, total, "vector tiles"):
            teselas(r, url, total, a)
    paso(f"{n:,} alliances: the price a write pays", t0)
    with fase(r.fases, url, total, "the price a write pays"):
        r.precios.append(precio(url, total, ESCRITURAS, LOTE, max(1, a.largas - 1)))
    if a.solo_agregados:
        return
    paso(f"{n:,} alliances: exports", t0)
    with fase(r.fases, url, total, "exports"):
        r.corridas_export[total] = exportes(url, total, a.largas, a)


def correr(r: Resultados, url: str, wrk: str | None, a: argparse.Namespace, t0: float) -> None:
    settings = Settings()
    if not a.solo_agregados:
        paso("load on the demo data", t0)
        with psycopg.connect(dsn(url)) as c:
            demo = c.execute("SELECT count(*) FROM alianza").fetchone()[0]  # type: ignore[index]
        with servidor_sigg(url, a.puerto):
            r.cargas += cargas(wrk, a.puerto, f"demo ({demo:,})", a.duracion, TECHO + RUTAS_CARGA)
        escribir(r, a.salida, t0)
    if a.puntos:
        paso(f"point in municipality, {a.puntos:,} points", t0)
        engine = make_engine(url)
        r.ubicacion = ubicar(engine, a.puntos, settings.tolerancia_borde_m, a.repeticiones)
        engine.dispose()
    for n in (int(x) for x in a.tamanos.split(",")):
        por_tamano(r, url, n, wrk, a, t0)
        escribir(r, a.salida, t0)
    if a.filas_importacion:
        paso(f"bulk import of {a.filas_importacion:,} alliances", t0)
        with fase(r.fases, url, a.filas_importacion, "bulk import (a database of its own)"):
            importaciones(r, settings, a)
        escribir(r, a.salida, t0)
    if a.filas_trabajo:
        with fase(r.fases, url, a.filas_trabajo, "import jobs (a database of their own)"):
            trabajos(r, a, t0)


def escribir(r: Resultados, salida: Path, t0: float) -> None:
    """The results file with what has been measured so far (the last call has everything)."""
    r.minutos = (time.perf_counter() - t0) / 60
    salida.write_text(documento(r) + "\n")


def faltan() -> list[str]:
    """The peers the suite compares with that this machine lacks, each with how to get it."""
    return [
        como
        for falta, como in (
            (not exportar.TIPG.is_file(),
             "tipg: python3 -m venv bench/.venv-tipg && bench/.venv-tipg/bin/pip install tipg "
             "uvicorn"),
            (shutil.which("ogr2ogr") is None, "ogr2ogr: apt-get install gdal-bin"),
        )
        if falta
    ]  # fmt: skip


def main() -> None:
    a = opciones()
    if ausentes := faltan():  # found now, not after the first half hour of the run
        raise SystemExit("faltan los pares de la comparación:\n  " + "\n  ".join(ausentes))
    t0 = time.perf_counter()
    settings = Settings()
    wrk = asegurar_wrk()
    paso(f"load generator: {wrk or 'bench/carga_httpx.py (wrk unavailable)'}", t0)
    url = base(settings, a.base)
    try:
        datos = vars(a) | {"herramienta": "wrk" if wrk else "httpx generator"}
        r = Resultados(versiones(url), datos)
        correr(r, url, wrk, a, t0)
    finally:
        borrar_base(settings, a.base)
    escribir(r, a.salida, t0)
    paso(f"written {a.salida}", t0)


if __name__ == "__main__":
    main()
