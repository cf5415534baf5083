"""Serving (issue 17): the municipal layer as a body built once per load of the territory, and
the cached choropleth under many connections, with one and with two worker processes.

    .venv/bin/python -m bench.servir [--duracion 10] [--repeticiones 3]

Serves the configured database (the demo data of `sigg db start`) with `sigg serve --workers N`
on port 8891, and loads it with wrk (bench/carga.py) from the same machine. For each number of
workers, in turns so that other work on the machine falls on both alike:

- ``/api/v1/mapa/capa`` (gzip) against the ceiling, ``TECHO_CARGA`` (no database: what the
  server and the framework alone answer), at 64 connections; the ratio is the headline.
- ``/api/v1/mapa/valores?nivel=municipio&medida=familias_por_mil_rurales`` (gzip, public,
  from the cache) at 256 connections: its p99, aim 100 ms.

Each figure is the median of ``--repeticiones`` runs. Writes bench/RESULTS_servir.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx

from bench.carga import Carga, asegurar_wrk, cargar
from bench.comun import esperar
from bench.informe import TECHO_CARGA
from geo.plataforma.config import PROJECT_ROOT, Settings
from geo.plataforma.db import database_url

PUERTO = 8891
CAPA = "/api/v1/mapa/capa"
VALORES = "/api/v1/mapa/valores?nivel=municipio&medida=familias_por_mil_rurales"
# (route, connections): the layer against its ceiling, and the choropleth under many readers.
CASOS = ((TECHO_CARGA, 64), (CAPA, 64), (VALORES, 256))
SALIDA = Path(__file__).parent / "RESULTS_servir.md"


@contextmanager
def sigg_serve(url_db: str, trabajadores: int) -> Iterator[None]:
    """``sigg serve --workers N`` over ``url_db`` until the block ends."""
    orden = [sys.executable, "-m", "etl.cli", "serve", "--port", str(PUERTO)]
    proceso = subprocess.Popen(
        [*orden, "--workers", str(trabajadores)],
        env=os.environ | {"SIGG_DATABASE_URL": url_db},
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,  # the access log, written as in production, not kept
        stderr=subprocess.DEVNULL,
    )
    try:
        esperar(f"http://127.0.0.1:{PUERTO}{TECHO_CARGA}", intentos=1200)
        yield
    finally:
        proceso.terminate()
        try:
            proceso.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proceso.kill()
            proceso.wait()


def calentar(base: str) -> None:
    """Every worker builds the layer and computes the values once, one request at a time (a
    cold cache under hundreds of connections is not what is measured here). Each request on a
    connection of its own, so that each worker gets some."""
    for ruta, _ in CASOS:
        for _ in range(12):
            httpx.get(base + ruta, headers={"Accept-Encoding": "gzip"}, timeout=120)


def medir(wrk: str | None, trabajadores: int, duracion: int, veces: int) -> dict[str, Carga]:
    """The median run (by requests/s; by p99 for the choropleth) of each case."""
    base = f"http://127.0.0.1:{PUERTO}"
    with sigg_serve(database_url(Settings()), trabajadores):
        calentar(base)
        for ruta, _ in CASOS:
            cargar(wrk, base, ruta, 16, 5, gzip=True)  # not measured
        corridas: dict[str, list[Carga]] = {ruta: [] for ruta, _ in CASOS}
        for _ in range(veces):
            for ruta, conexiones in CASOS:
                corridas[ruta].append(cargar(wrk, base, ruta, conexiones, duracion, gzip=True))
    return {ruta: _mediana(ruta, c) for ruta, c in corridas.items()}


def _mediana(ruta: str, corridas: list[Carga]) -> Carga:
    clave = (lambda c: c.p99_ms) if ruta == VALORES else (lambda c: c.por_segundo)
    return sorted(corridas, key=clave)[len(corridas) // 2]


def _carga() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def documento(
    resultados: dict[int, dict[str, Carga]], inicio: str, fin: str, args: argparse.Namespace
) -> str:
    filas, objetivos = [], []
    for n, casos in resultados.items():
        techo = casos[TECHO_CARGA].por_segundo
        for ruta, conexiones in CASOS:
            c = casos[ruta]
            razon = f"{c.por_segundo / techo:.2f}x" if ruta != VALORES else ""
            filas.append(
                f"| {n} | `{ruta}` | {conexiones} | {c.por_segundo:,.0f} | {c.p50_ms:.1f} | "
                f"{c.p99_ms:.1f} | {c.errores} | {razon} |"
            )
        capa = casos[CAPA].por_segundo / techo
        p99 = casos[VALORES].p99_ms
        objetivos.append(
            f"| {n} | {capa:.2f}x | {'met' if capa >= 0.8 else '**not met**'} | {p99:.1f} ms | "
            f"{'met' if p99 <= 100 else '**not met**'} |"
        )
    return "\n".join(
        [
            "# Serving: the map layer as a static body, and several workers (issue 17)",
            "",
            f"Written by `python -m bench.servir --duracion {args.duracion} --repeticiones "
            f"{args.repeticiones}` on {datetime.now():%Y-%m-%d %H:%M}. Machine: "
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()};"
            f" load average at start {inicio}, at the end {fin} (other work on the machine "
            "shows there). The server is `sigg serve --workers N` over the demo database; wrk "
            "(one thread, `Accept-Encoding: gzip`) runs on the same cores, so two workers share "
            "them with the load generator.",
            "",
            f"Each row is the median of {args.repeticiones} runs of {args.duracion} s (by "
            "requests/s; by p99 for the choropleth), the cases taken in turns. The ceiling "
            f"`{TECHO_CARGA}` touches no database: what uvicorn and FastAPI alone answer. "
            f"`{CAPA}` is the TopoJSON layer, built once per load of the territory and answered "
            "before routing, gzipped, without a database round trip (the load is checked at "
            "most once a second). The choropleth is the public cached answer.",
            "",
            "| workers | route | connections | req/s | p50 ms | p99 ms | errors | vs ceiling |",
            "|---:|---|---:|---:|---:|---:|---:|---:|",
            *filas,
            "",
            "| workers | layer / ceiling | aim ≥ 0.8x | choropleth p99 at 256 | aim ≤ 100 ms |",
            "|---:|---:|---|---:|---|",
            *objetivos,
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duracion", type=int, default=10, help="seconds of each run")
    parser.add_argument("--repeticiones", type=int, default=3)
    args = parser.parse_args()
    wrk = asegurar_wrk()
    if wrk is None:
        sys.exit("wrk is needed: apt-get install wrk")
    inicio = _carga()
    resultados = {}
    for n in (1, 2):
        resultados[n] = medir(wrk, n, args.duracion, args.repeticiones)
        time.sleep(2)  # the port is free again
    SALIDA.write_text(documento(resultados, inicio, _carga(), args))
    print(SALIDA.read_text())


if __name__ == "__main__":
    main()
