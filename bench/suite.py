"""Every figure of issue 8 ("Performance and scale") in one run, each beside its ceiling or
peer measured on the same data in the same run, written to bench/RESULTS.md:

    .venv/bin/python -m bench.suite [--tamanos 10000,100000,1000000] [--repeticiones 5]

Per size (alliances, subprojects scaled with them, all validated): aggregation per level vs the
bare GROUP BY; the choropleth's values cold and warm; the full GeoJSON export vs tipg and
ogr2ogr, with the API's peak memory; sustained load with wrk at 1, 8 and 64 connections. Once:
the load on the demo data itself (with a no-database ceiling), point-in-municipality for many
points vs a bare spatial join, and the bulk import vs COPY. The suite's database
(sigg_bench_suite on the configured server) is dropped at the end."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import httpx
import psycopg

from bench import exportar
from bench.agregacion import NIVELES, base, llenar
from bench.carga import CONEXIONES, Carga, asegurar_wrk, cargar
from bench.comun import borrar_base, dsn, servidor_sigg
from bench.exportar import Exportacion
from bench.importacion import comparar
from bench.informe import SIGG_EXPORT, TECHO_CARGA, Resultados, documento
from bench.maquina import versiones
from bench.respuestas import (
    MEDIDA,
    RUTAS,
    PorNivel,
    cabeceras_personal,
    en_caliente,
    frios,
    tocar,
)
from bench.ubicacion import ubicar
from geo.plataforma.config import Settings
from geo.plataforma.db import make_engine

PUERTO = 8781
BASE = "sigg_bench_suite"
SALIDA = Path(__file__).parent / "RESULTS.md"
RUTAS_CARGA = (
    ("/api/v1/estadisticas?nivel=municipio", False),
    (f"/api/v1/mapa/valores?nivel=municipio&medida={MEDIDA}", False),
    ("/api/v1/mapa/capa", True),
)
EXPORTADORES = (
    (SIGG_EXPORT, exportar.sigg),
    ("tipg", exportar.tipg),
    ("ogr2ogr", exportar.ogr2ogr),
)


def opciones() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tamanos", default="10000,100000,1000000", help="alliances per size")
    p.add_argument("--repeticiones", type=int, default=5, help="warm requests, bare SQL, points")
    p.add_argument("--largas", type=int, default=3, help="cold requests, exports, imports")
    p.add_argument("--duracion", type=int, default=10, help="seconds per load run")
    p.add_argument("--filas-importacion", type=int, default=100_000, help="0: no import")
    p.add_argument("--puntos", type=int, default=100_000, help="0: no point location")
    return p.parse_args()


def paso(mensaje: str, t0: float) -> None:
    print(f"[{(time.perf_counter() - t0) / 60:5.1f} min] {mensaje}", flush=True)


def cargas(
    wrk: str | None, datos: str, segundos: int, rutas: tuple[tuple[str, bool], ...]
) -> list[tuple[str, Carga]]:
    """Every route at every connection count, against the server running on PUERTO, after one
    warm-up request (sustained load is measured on a warm server)."""
    base_url = f"http://127.0.0.1:{PUERTO}"
    res = []
    for ruta, gzip in rutas:
        httpx.get(base_url + ruta, timeout=600).raise_for_status()
        res += [(datos, cargar(wrk, base_url, ruta, c, segundos, gzip)) for c in CONEXIONES]
    return res


def exportes(url: str, n: int, veces: int) -> dict[str, Exportacion]:
    """Exporter -> its median run (by time) of ``veces`` full exports of ``n`` features."""
    res = {}
    for nombre, f in EXPORTADORES:
        corridas = sorted((f(url, n) for _ in range(veces)), key=lambda e: e.segundos)
        res[nombre] = corridas[len(corridas) // 2]
    return res


def respuestas(r: Resultados, url: str, n: int, wrk: str | None, a: argparse.Namespace) -> None:
    """Per-level times and the load on a running server at one size, then the times after a
    restart."""
    personal = cabeceras_personal(Settings(), url)
    with (
        servidor_sigg(url, PUERTO),
        httpx.Client(base_url=f"http://127.0.0.1:{PUERTO}", timeout=600) as cliente,
        psycopg.connect(dsn(url), autocommit=True) as crudo,
    ):
        medidos = {
            nv: en_caliente(url, cliente, crudo, nv, a.repeticiones, personal) for nv in NIVELES
        }
        r.cargas += cargas(wrk, f"{n:,}", a.duracion, RUTAS_CARGA)
    frio = frios(url, PUERTO, a.largas)
    for nv, (desnudo, ms) in medidos.items():
        ms |= {f"{q}:reinicio": frio[q, nv] for q in RUTAS}
        r.niveles.append(PorNivel(n, nv, desnudo, ms))


def correr(r: Resultados, url: str, wrk: str | None, a: argparse.Namespace, t0: float) -> None:
    settings = Settings()
    paso("load on the demo data", t0)
    with psycopg.connect(dsn(url)) as c:
        demo = c.execute("SELECT count(*) FROM alianza").fetchone()[0]  # type: ignore[index]
    with servidor_sigg(url, PUERTO):
        rutas = ((TECHO_CARGA, False), *RUTAS_CARGA)
        r.cargas += cargas(wrk, f"demo ({demo:,})", a.duracion, rutas)
    escribir(r, t0)
    engine = make_engine(url)
    if a.puntos:
        paso(f"point in municipality, {a.puntos:,} points", t0)
        r.ubicacion = ubicar(engine, a.puntos, settings.tolerancia_borde_m, a.repeticiones)
    for n in (int(x) for x in a.tamanos.split(",")):
        paso(f"{n:,} alliances: fill, aggregation, choropleth, load", t0)
        total = llenar(url, n)
        tocar(url)
        respuestas(r, url, total, wrk, a)
        paso(f"{n:,} alliances: exports", t0)
        r.exportes[total] = exportes(url, total, a.largas)
        escribir(r, t0)
    if a.filas_importacion:
        paso(f"bulk import of {a.filas_importacion:,} alliances", t0)
        r.importacion = comparar(engine, settings, a.filas_importacion, a.largas)
    engine.dispose()


def escribir(r: Resultados, t0: float) -> None:
    """RESULTS.md with what has been measured so far (the last call has everything)."""
    r.minutos = (time.perf_counter() - t0) / 60
    SALIDA.write_text(documento(r) + "\n")


def main() -> None:
    a = opciones()
    t0 = time.perf_counter()
    settings = Settings()
    wrk = asegurar_wrk()
    paso(f"load generator: {wrk or 'bench/carga_httpx.py (wrk unavailable)'}", t0)
    url = base(settings, BASE)
    try:
        datos = vars(a) | {"herramienta": "wrk" if wrk else "httpx generator"}
        r = Resultados(versiones(url), datos)
        correr(r, url, wrk, a, t0)
    finally:
        borrar_base(settings, BASE)
    escribir(r, t0)
    paso(f"written {SALIDA}", t0)


if __name__ == "__main__":
    main()
