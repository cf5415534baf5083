"""What a request pays on this machine for coming after a pause (issue 17).

    .venv/bin/python -m bench.reposo [--url URL] [--pedidos 40]

The suite measures an aggregate computed afresh after a write with a pause before each request
(the write, then the freshness bound: bench.respuestas.tras_cambio), and the bare GROUP BY it
is compared with back to back. This measures the pause's own price, with nothing computed:
the same request sent back to back and after pauses of 1 ms to 0.6 s, to two servers on
127.0.0.1, each run by uvicorn as the suite runs SIGG, asked through httpx as the suite asks:

- the floor: a bare ASGI app (``app`` below) answering 10 KB of text, no framework, no database;
- SIGG: ``/api/v1/estadisticas`` answered from its cache (a repeat: no statement runs; after
  pauses longer than the generation's freshness it reads the generation again, one round trip
  to the database).

And, as the control, the loopback itself: a one-byte ping-pong over a socket pair between two
processes, five round trips, after the same pauses. Medians of ``--pedidos``. Writes
bench/RESULTS_reposo.md."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.comun import esperar, servidor_sigg
from bench.maquina import versiones
from geo.plataforma.config import PROJECT_ROOT, Settings
from geo.plataforma.db import database_url

PAUSAS = (0.0, 0.001, 0.01, 0.1, 0.6)
PUERTO_SIGG, PUERTO_PISO = 8798, 8799
RUTA = "/api/v1/estadisticas?nivel=departamento"
SALIDA = Path(__file__).parent / "RESULTS_reposo.md"
CUERPO = b"x" * 10_000


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The floor: an ASGI app that answers every request with 10 KB of text."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": CUERPO})


def tras_pausas(fn: Callable[[], object], pedidos: int) -> dict[float, float]:
    """Median ms of ``fn`` after each pause, the pauses taken in turns."""
    fn()
    ms: dict[float, list[float]] = {p: [] for p in PAUSAS}
    for _ in range(pedidos):
        for pausa in PAUSAS:
            if pausa:
                time.sleep(pausa)
            else:
                fn()  # back to back: right after another request
            t0 = time.perf_counter()
            fn()
            ms[pausa].append((time.perf_counter() - t0) * 1000)
    return {p: statistics.median(v) for p, v in ms.items()}


def ping_pong(pedidos: int) -> dict[float, float]:
    """Five one-byte round trips between two processes over a socket pair."""
    a, b = socket.socketpair()
    hijo = os.fork()
    if hijo == 0:  # the other process: echoes until the pair closes
        a.close()
        while dato := b.recv(1):
            b.send(dato)
        os._exit(0)
    b.close()

    def cinco() -> None:
        for _ in range(5):
            a.send(b"x")
            a.recv(1)

    try:
        return tras_pausas(cinco, pedidos)
    finally:
        a.close()
        os.waitpid(hijo, 0)


def medir(url: str, pedidos: int) -> dict[str, dict[float, float]]:
    res = {"loopback: 5 round trips between two processes": ping_pong(pedidos)}
    piso = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bench.reposo:app", "--port", str(PUERTO_PISO),
         "--log-level", "warning"],
        cwd=PROJECT_ROOT,
    )  # fmt: skip
    try:
        esperar(f"http://127.0.0.1:{PUERTO_PISO}/")
        with httpx.Client(base_url=f"http://127.0.0.1:{PUERTO_PISO}") as c:
            res["a bare ASGI app, 10 KB"] = tras_pausas(lambda: c.get("/").content, pedidos)
    finally:
        piso.terminate()
        piso.wait()
    with (
        servidor_sigg(url, PUERTO_SIGG),
        httpx.Client(base_url=f"http://127.0.0.1:{PUERTO_SIGG}", timeout=60) as c,
    ):
        res[f"SIGG `{RUTA}` from its cache"] = tras_pausas(lambda: c.get(RUTA).content, pedidos)
    return res


def informe(res: dict[str, dict[float, float]], pedidos: int, maquina: dict[str, str]) -> str:
    cabecera = " | ".join("back to back" if p == 0 else f"after {p * 1000:g} ms" for p in PAUSAS)
    lineas = [
        "# What a request pays for coming after a pause",
        "",
        f"Written by `python -m bench.reposo --pedidos {pedidos}` (bench/reposo.py; its "
        f"docstring says what is measured), {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        "",
        *(f"- {k}: {v}" for k, v in maquina.items()),
        "",
        f"Median ms of {pedidos} requests per cell, the pauses taken in turns.",
        "",
        f"| what | {cabecera} | after 0.6 s / back to back |",
        "|---|" + "---:|" * (len(PAUSAS) + 1),
    ]
    for nombre, ms in res.items():
        celdas = " | ".join(f"{ms[p]:.2f}" for p in PAUSAS)
        lineas.append(f"| {nombre} | {celdas} | {ms[PAUSAS[-1]] / ms[0.0]:.1f}x |")
    return "\n".join(lineas) + "\n"


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__)
    a.add_argument("--url", help="SIGG's database (default: the installation's)")
    a.add_argument("--pedidos", type=int, default=40)
    a.add_argument("--salida", type=Path, default=SALIDA)
    args = a.parse_args()
    url = args.url or database_url(Settings())
    texto = informe(medir(url, args.pedidos), args.pedidos, versiones(url))
    args.salida.write_text(texto)
    print(texto)


if __name__ == "__main__":
    main()
