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
import bisect
import contextlib
import itertools
import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, text

from bench.comun import base_con_territorio, borrar_base, servidor_sigg
from bench.importacion import csv_de, medir_copy, puntos
from geo.plataforma.config import Settings
from geo.plataforma.db import make_engine
from geo.registro.trabajos import FASES
from geo.vocabulario.catalogos import ETAPAS_CICLO

BASE = "sigg_bench_trabajo"
PUERTO = 8791
NIVELES = ("municipio", "provincia", "departamento", "unidad_operativa")
MEDIDAS = (
    "familias_por_mil_rurales", "familias", "pct_mujeres", "hectareas_riego",
    "monto_par_comprometido_bs", "monto_transferido_bs", "alianzas",
)  # fmt: skip
CLASIFICACIONES = ("cuantiles", "jenks", "intervalos")


def preparar(
    settings: Settings, nombre: str, filas: int
) -> tuple[str, Engine, list[tuple[str, float, float]]]:
    """A fresh database ``nombre`` with the territory and the calibrated demo: its URL, an
    engine on it, and ``filas`` points to import (``bench.importacion.puntos``)."""
    from etl.demo_carga import cargar_demo

    url = base_con_territorio(settings, nombre)
    engine = make_engine(url)
    with engine.begin() as conn:
        cargar_demo(conn, settings.directorio_referencia())
    with engine.begin() as conn:
        pts = puntos(conn, filas)
    return url, engine, pts


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


# --resumen: the requests the summary answers (no date filter), each combination of measure,
# level, classification, classes, department of the Chaco (or none) and stage reached once
# only, shuffled, in one count for the whole run as the dates are.
RESUMEN = {"activo": False}
_COMBINACIONES = itertools.count()
# Requests the server answered from its cache (``X-Cache: hit``): left out of every figure.
DEL_CACHE = {"n": 0}
CHACO = (None, "01", "06", "07")  # the Chaco's three departments


def pedidos() -> Iterator[dict[str, Any]]:
    if RESUMEN["activo"]:
        yield from del_resumen()
        return
    combinaciones = itertools.cycle(
        itertools.product(MEDIDAS, NIVELES, CLASIFICACIONES, range(3, 8))
    )
    for dia, (m, n, c, k) in zip(_DIAS, combinaciones, strict=False):
        hasta = date(2030, 1, 1) + timedelta(days=dia)
        yield {"medida": m, "nivel": n, "clasificacion": c, "clases": k, "hasta": str(hasta)}


_TODAS = list(
    itertools.product(MEDIDAS, NIVELES, CLASIFICACIONES, range(3, 8), CHACO, (None, *ETAPAS_CICLO))
)
random.Random(3).shuffle(_TODAS)


def del_resumen() -> Iterator[dict[str, Any]]:
    for i in _COMBINACIONES:
        m, n, c, k, dep, etapa = _TODAS[i % len(_TODAS)]  # past them all: repeats, cached
        params = {"medida": m, "nivel": n, "clasificacion": c, "clases": k}
        yield (
            params
            | ({"etapa_alcanzada": etapa} if etapa else {})
            | ({"departamento": dep} if dep else {})
        )


def mirar(
    cliente: httpx.Client,
    cabeceras: dict[str, str],
    hasta: threading.Event,
    inicios: list[float] | None = None,
) -> list[float]:
    """The map's requests, one after another, until ``hasta`` is set: each one's seconds (and,
    into ``inicios``, when each began, on ``time.perf_counter``'s clock), those the server
    computed only; those it answered from its cache are counted in DEL_CACHE."""
    tiempos: list[float] = []
    for params in pedidos():
        if hasta.is_set():
            break
        t0 = time.perf_counter()
        r = cliente.get("/api/v1/mapa/valores", params=params, headers=cabeceras)
        t = time.perf_counter() - t0
        r.raise_for_status()
        if r.headers.get("x-cache") == "hit":
            DEL_CACHE["n"] += 1
            continue
        tiempos.append(t)
        if inicios is not None:
            inicios.append(t0)
    return tiempos


@contextlib.contextmanager
def mirando(
    cliente: httpx.Client, cabeceras: dict[str, str] | None, inicios: list[float] | None = None
) -> Iterator[list[float]]:
    """The map's requests (``mirar``) in a thread of their own while the block runs, their
    seconds into the list given to the block (none if ``cabeceras`` is None)."""
    hasta = threading.Event()
    tiempos: list[float] = []
    hilo = threading.Thread(
        target=lambda: tiempos.extend(
            mirar(cliente, cabeceras, hasta, inicios) if cabeceras else []
        )
    )
    hilo.start()
    try:
        yield tiempos
    finally:
        hasta.set()
        hilo.join()


def percentil(valores: list[float], p: float) -> float:
    ordenados = sorted(valores)
    return ordenados[min(len(ordenados) - 1, int(len(ordenados) * p / 100))]


def en_reposo(cliente: httpx.Client, cabeceras: dict[str, str], segundos: float) -> list[float]:
    with mirando(cliente, cabeceras) as tiempos:
        time.sleep(segundos)
    return tiempos


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


@dataclass
class Durante:
    """What happened while the job ran."""

    tiempos: list[float]  # the map's requests: seconds each
    inicios: list[float]  # and when each began (time.perf_counter)
    trabajo: dict[str, Any]  # the finished job, as its page reads it
    duracion: float  # from the upload's answer to the job's end, s
    subida: float  # how long the upload took to answer, s
    pico: float  # the server's highest resident set, MiB
    pico_hijo: float  # its children's (the job's process), MiB
    porcentajes: list[int]  # the percentages the job showed
    pasos: list[tuple[float, int]]  # (when polled, the job's step then)

    def por_paso(self) -> dict[int, list[float]]:
        """The map's request times by the job's step when each request began (as last polled,
        every 0.5 s, before it began)."""
        grupos: dict[int, list[float]] = {}
        cuando = [t for t, _ in self.pasos]
        for t0, segundos in zip(self.inicios, self.tiempos, strict=True):
            i = bisect.bisect_right(cuando, t0) - 1
            if i >= 0:
                grupos.setdefault(self.pasos[i][1], []).append(segundos)
        return dict(sorted(grupos.items()))


def durante_importacion(
    cliente: httpx.Client,
    importa: dict[str, str],
    mira: dict[str, str] | None,
    datos: bytes,
    simulacro: bool,
    pid: int,
) -> Durante:
    """The map's requests while the job runs (none if ``mira`` is None: the job alone), the
    job, and the memory meanwhile."""
    hasta = threading.Event()
    inicios: list[float] = []
    picos: list[float] = []
    picos_hijos: list[float] = [0.0]
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
    porcentajes: list[int] = []
    pasos: list[tuple[float, int]] = []
    with mirando(cliente, mira, inicios) as tiempos:
        inicio = time.perf_counter()
        while True:
            cuando = time.perf_counter()
            trabajo = cliente.get(r.headers["location"], headers=importa).json()
            if trabajo["estado"] not in ("en_cola", "en_curso"):
                break
            porcentajes.append(trabajo["porcentaje"])
            pasos.append((cuando, trabajo["paso"]))
            time.sleep(0.5)
        duracion = time.perf_counter() - inicio
    hasta.set()
    memoria.join()
    return Durante(
        tiempos, inicios, trabajo, duracion, subida, picos[-1], picos_hijos[-1], porcentajes, pasos
    )


def durante_copia(
    url: str, pts: list[tuple[str, float, float]], cliente: httpx.Client, mira: dict[str, str]
) -> tuple[float, list[float]]:
    """The ceiling, under the same map requests: a plain COPY of the same rows into
    ``alianza``, its triggers firing, rolled back once timed and the dead rows vacuumed, so the
    job then writes into the table as it was. Its seconds, and the map's request times."""
    engine = make_engine(url)
    with mirando(cliente, mira) as tiempos:
        segundos = medir_copy(engine, pts, confirmar=False)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))
    engine.dispose()
    return segundos, tiempos


def en_otro_proceso(
    filas: int,
    *,
    reposo: float,
    base: str,
    puerto: int,
    carpeta: Path,
    nombre: str,
    resumen: bool = False,
    copia: bool = False,
    entorno: dict[str, str] | None = None,
) -> dict[str, Any]:
    """This benchmark run as a command of its own (its module's counts start afresh, and the
    server it starts reads ``entorno``'s settings): its figures (``--cifras``), its report
    written to ``carpeta``/``nombre``.md beside them."""
    cifras = carpeta / f"{nombre}.json"
    orden = [
        sys.executable, "-m", "bench.importacion_trabajo", "--filas", str(filas),
        "--reposo", str(reposo), "--base", base, "--puerto", str(puerto),
        "--resultado", str(carpeta / f"{nombre}.md"), "--cifras", str(cifras),
        *(["--resumen"] if resumen else []), *(["--copia"] if copia else []),
    ]  # fmt: skip
    subprocess.run(orden, env=entorno or dict(os.environ), check=True, stdout=subprocess.DEVNULL)
    datos: dict[str, Any] = json.loads(cifras.read_text())
    return datos


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
    parser.add_argument(
        "--resumen",
        action="store_true",
        help="the map's requests answered by the summary (no date filter), not the full query",
    )
    parser.add_argument(
        "--copia",
        action="store_true",
        help="before the job, time a plain COPY of the same rows under the same map requests",
    )
    args = parser.parse_args()
    RESUMEN["activo"] = args.resumen
    settings = Settings()
    carga = os.getloadavg()
    url, engine, pts = preparar(settings, args.base, args.filas)
    datos = csv_de(pts)
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
            copia, en_copia = durante_copia(url, pts, cliente, mira) if args.copia else (None, [])
            antes = memoria_mb(servidor.pid)[0]
            d = durante_importacion(cliente, importa, mira, datos, args.simulacro, servidor.pid)
            marca = memoria_mb(servidor.pid)[1]
    finally:
        if not args.conservar:
            borrar_base(settings, args.base)
    al_final = os.getloadavg()
    trabajo, duracion, durante = d.trabajo, d.duracion, d.tiempos
    informe = trabajo["informe"] or {}
    cumple = percentil(durante, 99) < 1
    tipo = "dry-run (simulacro)" if args.simulacro else "real (written, all or nothing)"
    donde = (
        f"in a process of its own (`SIGG_IMPORTACION_APARTE=true`): {d.pico_hijo:,.0f} MiB "
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
        "(`POST /api/v1/importaciones/trabajos`): the upload answered in "
        f"{d.subida:.2f} s; the job ended `{trabajo['estado']}` after {duracion:.1f} s "
        f"({informe.get('insertadas', 0):,} inserted, {len(informe.get('errores', [])):,} "
        f"errors; message: {trabajo.get('mensaje') or 'none'}): "
        f"**{args.filas / duracion:,.0f} rows/s**. Its progress, polled every 0.5 s, showed "
        f"{len(set(d.porcentajes))} different percentages ({min(d.porcentajes, default=0)} to "
        f"{max(d.porcentajes, default=0)} %). The job ran {donde}. The server process's "
        "resident memory: "
        f"{antes:,.0f} MiB before the job, **{d.pico:,.0f} MiB at its highest while the job ran "
        f"(+{d.pico - antes:,.0f} MiB)**; the kernel's high-water mark for the process at the "
        "end: "
        f"{marca:,.0f} MiB. Meanwhile a Chaco unit user asked for `/api/v1/mapa/valores` one "
        "request after another, each with another measure, level, classification, class count "
        + (
            "and Chaco department or none and stage reached, answered by the summary (no date "
            f"filter; about {next(_COMBINACIONES):,} requests of {len(_TODAS):,} "
            "combinations, each computed by the server the first time it is asked)"
            if args.resumen
            else "and end date, computed by the full query over the records (a date filter)"
        )
        + f". The {DEL_CACHE['n']:,} requests the server answered from its cache (`X-Cache: "
        "hit`, a combination asked again while the data had not changed) are left out of the "
        "figures" + "; before it, the same for "
        f"{args.reposo:.0f} s with the server idle. Other work on the machine shows in the load "
        "average above.",
        "",
        "| map requests | n | p50 ms | p95 ms | p99 ms | max ms | ≥ 1 s |",
        "|---|---:|---:|---:|---:|---:|---:|",
        fila("idle", reposo),
        fila("during the import job", durante),
        *(
            fila(f"… while the job was at step {paso + 1}, {FASES[paso].lower()}", t)
            for paso, t in d.por_paso().items()
        ),
        *([fila("during the plain COPY (below)", en_copia)] if copia else []),
        "",
        f"Aim: p99 under 1 s during the import: **{'met' if cumple else 'NOT met'}**.",
    ]
    if copia:
        lineas += [
            "",
            f"The ceiling, in the same run: a plain COPY of the same {args.filas:,} rows into "
            "`alianza`, its triggers firing, under the same map requests, just before the job "
            "(timed to the end of the COPY, then rolled back and the dead rows vacuumed, so "
            f"that the job wrote into the table as it was): {copia:.1f} s, "
            f"**{args.filas / copia:,.0f} rows/s**. The job against it: "
            f"**{copia / duracion:.2f}x** (aim: ≥ 0.5x). The COPY writes `alianza` only; "
            "the job also reads and checks the file, locates each point, and writes the "
            "organizations, the stage history and the audit.",
        ]
    texto = "\n".join(lineas) + "\n"
    print(texto)
    (Path(__file__).parent / args.resultado).write_text(texto)
    if args.cifras:
        ms = {n: [x * 1000 for x in t] for n, t in (("reposo", reposo), ("durante", durante))}
        cifras = {
            "filas": args.filas,
            "aparte": settings.importacion_aparte,
            "estado": trabajo["estado"],
            "filas_s": args.filas / duracion,
            "reposo_s": args.reposo,
            "durante_s": duracion,
            "servidor_mas_mib": d.pico - antes,
            "proceso_mib": d.pico_hijo,
            **{f"{n}_n": len(v) for n, v in ms.items()},
            **{f"{n}_p50": statistics.median(v) for n, v in ms.items()},
            **{f"{n}_p99": percentil(v, 99) for n, v in ms.items()},
            **{f"{n}_max": max(v) for n, v in ms.items()},
            "carga": [carga[0], al_final[0]],
            "resumen": args.resumen,
            **(
                {
                    "copia_filas_s": args.filas / copia,
                    "copia_p50": statistics.median([x * 1000 for x in en_copia]),
                    "copia_p99": percentil([x * 1000 for x in en_copia], 99),
                }
                if copia
                else {}
            ),
            **{
                f"paso{p + 1}_p99": percentil([x * 1000 for x in t], 99)
                for p, t in d.por_paso().items()
            },
        }
        args.cifras.write_text(json.dumps(cifras))


if __name__ == "__main__":
    main()
