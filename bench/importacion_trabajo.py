"""Does a large import job keep the map answering for everyone else (issue 14)? One user's
100,000-row import runs as a job of the server (POST /api/v1/importaciones/trabajos) while a
second user keeps asking for the choropleth (/api/v1/mapa/valores, one request after another,
as a person clicking through the map does); the same requests with the server idle, just
before, are the baseline. Every request names another measure, level, classification or number
of classes, and another end date (``hasta``, after every record's, so the figures are the
program's whole): never served from the cache, always computed afresh, the hard case.

    .venv/bin/python -m bench.importacion_trabajo [--filas 100000] [--simulacro]
        [--base sigg_bench_trabajo] [--puerto 8791]

Runs on a database of its own (``--base``: territory and the calibrated demo) on the
configured server, serves SIGG with uvicorn on ``--puerto``, and writes bench/RESULTS_trabajo.md.
The aim: p99 of the map under one second during the import. It also reports the job's rows per
second, how often its progress moved while it ran, and the server process's memory (resident
set, from /proc: before the job, its peak while the job ran, sampled every 0.2 s, and the
kernel's high-water mark), so that runs at two sizes show whether memory grows with the file.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import platform
import secrets
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench.comun import base_con_territorio, borrar_base, servidor_sigg
from bench.importacion import csv_de, puntos
from geo.plataforma.config import Settings
from geo.plataforma.db import make_engine

BASE = "sigg_bench_trabajo"
PUERTO = 8791
NIVELES = ("municipio", "provincia", "departamento", "unidad_operativa")
MEDIDAS = (
    "familias_por_mil_rurales", "familias", "pct_mujeres", "hectareas_riego",
    "monto_par_comprometido_bs", "monto_transferido_bs", "alianzas",
)  # fmt: skip
CLASIFICACIONES = ("cuantiles", "jenks", "intervalos")


def cuentas(url: str, settings: Settings) -> tuple[dict[str, str], dict[str, str]]:
    """Tokens of the importer (national coordination) and of the map's user (the Chaco unit),
    for accounts made in the benchmark database."""
    from api.seguridad import emitir
    from geo.acceso.cuentas import crear

    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM usuario WHERE nombre_usuario LIKE 'bench.%'"))
        importa = crear(conn, "bench.importa", "b", "nacional", None, secrets.token_urlsafe(24))
        mira = crear(conn, "bench.mapa", "b", "unidad", "CHACO", secrets.token_urlsafe(24))
    engine.dispose()
    return tuple(  # type: ignore[return-value]
        {"Authorization": f"Bearer {emitir(settings, u)[0]}"} for u in (importa, mira)
    )


# One count of end dates for the whole run: no request repeats one of an earlier phase (the
# warm-up's, the idle spell's), which the cache would answer. Until this count was shared, each
# phase started again from the first date: the idle spell's first requests were the warm-up's,
# answered from the cache, and the idle baseline looked faster than the map is.
_DIAS = itertools.count()


def pedidos() -> Iterator[dict[str, Any]]:
    combinaciones = itertools.cycle(
        itertools.product(MEDIDAS, NIVELES, CLASIFICACIONES, range(3, 8))
    )
    for dia, (m, n, c, k) in zip(_DIAS, combinaciones, strict=False):
        hasta = date(2030, 1, 1) + timedelta(days=dia)
        yield {"medida": m, "nivel": n, "clasificacion": c, "clases": k, "hasta": str(hasta)}


def mirar(cliente: httpx.Client, cabeceras: dict[str, str], hasta: threading.Event) -> list[float]:
    """The map's requests, one after another, until ``hasta`` is set: each one's seconds."""
    tiempos: list[float] = []
    for params in pedidos():
        if hasta.is_set():
            break
        t0 = time.perf_counter()
        r = cliente.get("/api/v1/mapa/valores", params=params, headers=cabeceras)
        tiempos.append(time.perf_counter() - t0)
        r.raise_for_status()
    return tiempos


def percentil(valores: list[float], p: float) -> float:
    ordenados = sorted(valores)
    return ordenados[min(len(ordenados) - 1, int(len(ordenados) * p / 100))]


def en_reposo(cliente: httpx.Client, cabeceras: dict[str, str], segundos: float) -> list[float]:
    hasta = threading.Event()
    threading.Timer(segundos, hasta.set).start()
    return mirar(cliente, cabeceras, hasta)


def memoria_mb(pid: int) -> tuple[float, float]:
    """The process's resident set now and its high-water mark, in MiB (Linux /proc)."""
    campos = dict(
        linea.split(":", 1)
        for linea in Path(f"/proc/{pid}/status").read_text().splitlines()
        if ":" in linea
    )
    return tuple(int(campos[c].split()[0]) / 1024 for c in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def hijos(pid: int) -> list[int]:
    """The process's children (Linux /proc): a job run in a process of its own."""
    encontrados = []
    for tarea in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            encontrados += [int(h) for h in (tarea / "children").read_text().split()]
    return encontrados


def memoria_hijos_mb(pid: int) -> float:
    """The resident set of the process's children together, in MiB (0: none)."""
    total = 0.0
    for hijo in hijos(pid):
        with contextlib.suppress(FileNotFoundError, KeyError):  # it ended meanwhile
            total += memoria_mb(hijo)[0]
    return total


def vigilar_memoria(
    pid: int, hasta: threading.Event, picos: list[float], picos_hijos: list[float]
) -> None:
    """The highest resident set seen, of the process and of its children (the job's
    process), sampled every 0.2 s until ``hasta`` is set."""
    while not hasta.is_set():
        picos.append(max([memoria_mb(pid)[0], *picos[-1:]]))
        picos_hijos.append(max([memoria_hijos_mb(pid), *picos_hijos[-1:]]))
        del picos[:-1], picos_hijos[:-1]
        time.sleep(0.2)


def durante_importacion(
    cliente: httpx.Client,
    importa: dict[str, str],
    mira: dict[str, str],
    datos: bytes,
    simulacro: bool,
    pid: int,
) -> tuple[list[float], dict[str, Any], float, float, tuple[float, float], list[int]]:
    """The map's requests while the job runs: their times, the finished job, the job's
    duration (from the upload's answer to its end), how long the upload took to answer, the
    highest resident sets while the job ran (MiB: the server's, and its children's, the job's
    process) and the percentages the job showed."""
    hasta = threading.Event()
    tiempos: list[float] = []
    picos: list[float] = []
    picos_hijos: list[float] = [0.0]
    hilo = threading.Thread(target=lambda: tiempos.extend(mirar(cliente, mira, hasta)))
    memoria = threading.Thread(target=vigilar_memoria, args=(pid, hasta, picos, picos_hijos))
    memoria.start()
    t0 = time.perf_counter()
    r = cliente.post(
        "/api/v1/importaciones/trabajos",
        files={"archivo": ("bench.csv", datos)},
        data={"programa": "PAR2", "simulacro": str(simulacro).lower()},
        headers=importa,
    )
    subida = time.perf_counter() - t0
    r.raise_for_status()
    hilo.start()
    inicio = time.perf_counter()
    porcentajes: list[int] = []
    while True:
        trabajo = cliente.get(r.headers["location"], headers=importa).json()
        if trabajo["estado"] not in ("en_cola", "en_curso"):
            break
        porcentajes.append(trabajo["porcentaje"])
        time.sleep(0.5)
    duracion = time.perf_counter() - inicio
    hasta.set()
    hilo.join()
    memoria.join()
    return tiempos, trabajo, duracion, subida, (picos[-1], picos_hijos[-1]), porcentajes


def fila(nombre: str, t: list[float]) -> str:
    ms = [x * 1000 for x in t]
    lentas = sum(1 for x in t if x >= 1)
    return (
        f"| {nombre} | {len(t):,} | {statistics.median(ms):.0f} | {percentil(ms, 95):.0f} | "
        f"{percentil(ms, 99):.0f} | {max(ms):.0f} | {lentas} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filas", type=int, default=100_000)
    parser.add_argument("--simulacro", action="store_true", help="a dry-run job instead")
    parser.add_argument("--conservar", action="store_true", help="keep the database")
    parser.add_argument("--reposo", type=float, default=60, help="seconds of idle baseline")
    parser.add_argument("--base", default=BASE, help="the benchmark's database")
    parser.add_argument("--puerto", type=int, default=PUERTO)
    parser.add_argument(
        "--resultado", default="RESULTS_trabajo.md", help="the file written, in bench/"
    )
    parser.add_argument("--cifras", type=Path, help="also the figures, as JSON, to this file")
    args = parser.parse_args()
    settings = Settings()
    carga = os.getloadavg()
    url = base_con_territorio(settings, args.base)
    engine = make_engine(url)
    from etl.demo_carga import cargar_demo

    with engine.begin() as conn:
        cargar_demo(conn, settings.directorio_referencia())
    with engine.begin() as conn:
        datos = csv_de(puntos(conn, args.filas))
    engine.dispose()
    importa, mira = cuentas(url, settings)
    try:
        with (
            servidor_sigg(url, args.puerto) as servidor,
            httpx.Client(base_url=f"http://127.0.0.1:{args.puerto}", timeout=600) as cliente,
        ):
            en_reposo(cliente, mira, 5)  # warm-up: the municipal layer, the first queries
            # Idle first: the same data the import job's requests see (it commits at its end).
            reposo = en_reposo(cliente, mira, args.reposo)
            antes = memoria_mb(servidor.pid)[0]
            durante, trabajo, duracion, subida, (pico, pico_hijo), porcentajes = (
                durante_importacion(cliente, importa, mira, datos, args.simulacro, servidor.pid)
            )
            marca = memoria_mb(servidor.pid)[1]
    finally:
        if not args.conservar:
            borrar_base(settings, args.base)
    al_final = os.getloadavg()
    informe = trabajo["informe"] or {}
    cumple = percentil(durante, 99) < 1
    tipo = "dry-run (simulacro)" if args.simulacro else "real (written, all or nothing)"
    donde = (
        f"in a process of its own (`SIGG_IMPORTACION_APARTE=true`): {pico_hijo:,.0f} MiB "
        "resident at its highest"
        if settings.importacion_aparte
        else "in the server's worker thread (`SIGG_IMPORTACION_APARTE=false`)"
    )
    lineas = [
        "# The map while a large import job runs (issue 14)",
        "",
        f"Written by `python -m bench.importacion_trabajo` on {time.strftime('%Y-%m-%d %H:%M')}."
        f" Machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average at start {carga[0]:.2f} / {carga[1]:.2f} / "
        f"{carga[2]:.2f}, at the end {al_final[0]:.2f} / {al_final[1]:.2f} / {al_final[2]:.2f}.",
        "",
        f"One national user's {tipo} import job of {args.filas:,} rows "
        f"(`POST /api/v1/importaciones/trabajos`): the upload answered in {subida:.2f} s; the job "
        f"ended `{trabajo['estado']}` after {duracion:.1f} s "
        f"({informe.get('insertadas', 0):,} inserted, {len(informe.get('errores', [])):,} "
        f"errors; message: {trabajo.get('mensaje') or 'none'}): "
        f"**{args.filas / duracion:,.0f} rows/s**. Its progress, polled every 0.5 s, showed "
        f"{len(set(porcentajes))} different percentages ({min(porcentajes, default=0)} to "
        f"{max(porcentajes, default=0)} %). The job ran {donde}. The server process's "
        "resident memory: "
        f"{antes:,.0f} MiB before the job, **{pico:,.0f} MiB at its highest while the job ran "
        f"(+{pico - antes:,.0f} MiB)**; the kernel's high-water mark for the process at the end: "
        f"{marca:,.0f} MiB. Meanwhile a Chaco unit user asked for `/api/v1/mapa/valores` one "
        "request after another, each with another measure, level, classification, class count "
        "and end date (none served from the cache); before it, the same for "
        f"{args.reposo:.0f} s with the server idle. Other work on the machine shows in the load "
        "average above.",
        "",
        "| map requests | n | p50 ms | p95 ms | p99 ms | max ms | ≥ 1 s |",
        "|---|---:|---:|---:|---:|---:|---:|",
        fila("idle", reposo),
        fila("during the import job", durante),
        "",
        f"Aim: p99 under 1 s during the import: **{'met' if cumple else 'NOT met'}**.",
    ]
    texto = "\n".join(lineas) + "\n"
    print(texto)
    (Path(__file__).parent / args.resultado).write_text(texto)
    if args.cifras:
        ms = {n: [x * 1000 for x in t] for n, t in (("reposo", reposo), ("durante", durante))}
        cifras = {
            "aparte": settings.importacion_aparte,
            "estado": trabajo["estado"],
            "filas_s": args.filas / duracion,
            "reposo_s": args.reposo,
            "durante_s": duracion,
            "servidor_mas_mib": pico - antes,
            "proceso_mib": pico_hijo,
            **{f"{n}_n": len(v) for n, v in ms.items()},
            **{f"{n}_p50": statistics.median(v) for n, v in ms.items()},
            **{f"{n}_p99": percentil(v, 99) for n, v in ms.items()},
            **{f"{n}_max": max(v) for n, v in ms.items()},
            "carga": [carga[0], al_final[0]],
        }
        args.cifras.write_text(json.dumps(cifras))


if __name__ == "__main__":
    main()
