"""Sustained load on the API from a second process on loopback, bounded in time: wrk (Debian's
package, installed here when missing and running as root) or, if wrk cannot be had, the small
asyncio + httpx generator of bench/carga_httpx.py. Each case gives requests/s, p50/p95/p99
latency and the errors (non-2xx responses plus socket errors and timeouts), which must be 0."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from geo.plataforma.config import PROJECT_ROOT

LUA = Path(__file__).parent / "resumen.lua"
CONEXIONES = (1, 8, 64)


@dataclass(frozen=True)
class Carga:
    """One bounded run against one URL with a fixed number of open connections."""

    ruta: str
    conexiones: int
    peticiones: int
    segundos: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errores: int

    @property
    def por_segundo(self) -> float:
        return self.peticiones / self.segundos if self.segundos else 0.0


def asegurar_wrk() -> str | None:
    """wrk's path; Debian's package is installed first if it is missing and this runs as root
    (nothing happens when it is already there). None: use the httpx generator."""
    wrk = shutil.which("wrk")
    if wrk or os.geteuid() != 0 or not shutil.which("apt-get"):
        return wrk
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    instalar = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"]
    if subprocess.run(instalar, env=env, capture_output=True, check=False).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, check=False)
        subprocess.run(instalar, env=env, capture_output=True, check=False)
    return shutil.which("wrk")


def _orden(wrk: str | None, url: str, conexiones: int, segundos: int, gzip: bool) -> list[str]:
    if wrk is None:
        orden = [sys.executable, "-m", "bench.carga_httpx", url, "-c", str(conexiones)]
        return [*orden, "-d", str(segundos), *(["--gzip"] if gzip else [])]
    orden = [wrk, "-t1", f"-c{conexiones}", f"-d{segundos}s", "--timeout", "30s", "--latency"]
    return [*orden, "-s", str(LUA), *(["-H", "Accept-Encoding: gzip"] if gzip else []), url]


def cargar(
    wrk: str | None, base: str, ruta: str, conexiones: int, segundos: int, gzip: bool = False
) -> Carga:
    """Load ``base + ruta`` with ``conexiones`` connections for ``segundos`` seconds."""
    r = subprocess.run(
        _orden(wrk, base + ruta, conexiones, segundos, gzip),
        capture_output=True,
        text=True,
        check=True,
        timeout=segundos + 120,
        cwd=PROJECT_ROOT,
    )
    linea = next(x for x in r.stdout.splitlines() if x.startswith("SIGG_JSON "))
    d = json.loads(linea.removeprefix("SIGG_JSON "))
    errores = d["no_2xx"] + d["connect"] + d["read"] + d["write"] + d["timeout"]
    return Carga(
        ruta,
        conexiones,
        int(d["peticiones"]),
        d["duracion_us"] / 1e6,
        d["p50_us"] / 1000,
        d["p95_us"] / 1000,
        d["p99_us"] / 1000,
        int(errores),
    )
