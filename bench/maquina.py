"""What the figures were measured on: the machine (cores, RAM, CPU model) and the versions of
Python, PostgreSQL, PostGIS, GDAL, tipg, wrk and of SIGG itself, for the top of RESULTS.md; and
what the cluster's checkpoints wrote during each phase of a run (``fase``)."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.comun import dsn
from bench.exportar import TIPG
from geo.plataforma.config import PROJECT_ROOT


def _salida(*orden: str) -> str:
    """First line of a command's output, or 'not available'."""
    try:
        r = subprocess.run(orden, capture_output=True, text=True, timeout=30, cwd=PROJECT_ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return "not available"
    lineas = (r.stdout or r.stderr).strip().splitlines()
    return lineas[0] if lineas else "not available"


def _cpu() -> str:
    for linea in Path("/proc/cpuinfo").read_text().splitlines():
        if linea.startswith("model name"):
            return linea.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _ram_gib() -> float:
    for linea in Path("/proc/meminfo").read_text().splitlines():
        if linea.startswith("MemTotal:"):
            return int(linea.split()[1]) / 1024**2
    return 0.0


def _sigg() -> str:
    commit = _salida("git", "rev-parse", "--short", "HEAD")
    limpio = _salida("git", "status", "--porcelain") == "not available"  # no output: clean
    return commit if limpio else f"{commit} (with uncommitted changes)"


def versiones(url_db: str) -> dict[str, str]:
    """Name -> version of everything that shapes the figures."""
    with psycopg.connect(dsn(url_db)) as c:
        pg = c.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        postgis = c.execute("SELECT postgis_lib_version()").fetchone()[0]  # type: ignore[index]
        work_mem = c.execute("SHOW work_mem").fetchone()[0]  # type: ignore[index]
    wrk = shutil.which("wrk")
    return {
        "Machine": f"{platform.machine()}, {os.cpu_count()} cores, {_ram_gib():.0f} GiB RAM, "
        f"{_cpu()}",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "PostgreSQL": f"{pg} (work_mem {work_mem})",
        "PostGIS": postgis,
        "GDAL": _salida("ogr2ogr", "--version"),
        "tipg": _salida(str(TIPG), "-c", "import tipg; print(tipg.__version__)"),
        "wrk": _salida(wrk, "-v") if wrk else "not installed (httpx load generator used)",
        "SIGG": _sigg(),
        "Load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


@dataclass(frozen=True)
class Fase:
    """One phase of a run at one size (``alianzas``) and what the cluster's checkpoints did
    while it ran (pg_stat_bgwriter, cluster-wide): how many ended, and how many buffers
    checkpoints wrote meanwhile (counted as they are written, so a checkpoint still running
    when the phase ends counts too). A phase measured while a checkpoint writes shares the disk
    and a core with it."""

    alianzas: int
    nombre: str
    minutos: float
    checkpoints: int
    buffers: int


def _bgwriter(url_db: str) -> tuple[int, int]:
    with psycopg.connect(dsn(url_db), autocommit=True) as c:
        fila = c.execute(
            "SELECT checkpoints_timed + checkpoints_req, buffers_checkpoint FROM pg_stat_bgwriter"
        ).fetchone()
    return int(fila[0]), int(fila[1])  # type: ignore[index]


@contextmanager
def fase(fases: list[Fase], url_db: str, alianzas: int, nombre: str) -> Iterator[None]:
    """Record the block as phase ``nombre`` in ``fases`` (when it ends well)."""
    t0, (n0, b0) = time.perf_counter(), _bgwriter(url_db)
    yield
    n1, b1 = _bgwriter(url_db)
    fases.append(Fase(alianzas, nombre, (time.perf_counter() - t0) / 60, n1 - n0, b1 - b0))
