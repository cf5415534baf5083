"""A streaming replica on this machine (docs/scale.md, section 5): how far behind the primary
it runs, and the API reading from it beside the API reading from the primary, on the same demo
data. Run: .venv/bin/python -m bench.replica  ->  bench/RESULTS_replica.md"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

from bench.comun import base_con_territorio, borrar_base, dsn, esperar
from etl.demo_carga import cargar_demo
from geo.plataforma.cluster import DEBIAN_BIN, PrivateCluster
from geo.plataforma.config import PROJECT_ROOT, Settings
from geo.plataforma.db import make_engine
from tests.conftest import cabeceras, cuentas_de_prueba

BASE = "sigg_bench_replica"
PUERTO_REPLICA = 54330
RUTAS = (
    "/api/v1/estadisticas?nivel=municipio",
    "/api/v1/mapa/valores?nivel=municipio&medida=familias_por_mil_rurales",
    "/api/v1/indicadores",
)


def _como_postgres(args: list[str], **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    prefijo = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(prefijo + args, check=True, text=True, capture_output=True, **kw)


@contextmanager
def replica(cluster: PrivateCluster) -> Iterator[str]:
    """pg_basebackup of the private cluster, started as a hot standby; yields its libpq DSN."""
    carpeta = cluster.state_dir / "replica"
    shutil.rmtree(carpeta, ignore_errors=True)
    origen = f"host=127.0.0.1 port={cluster.port} user=sigg password={cluster.password()}"
    _como_postgres([str(DEBIAN_BIN / "pg_basebackup"), "-d", origen, "-D", str(carpeta),
                    "-R", "-X", "stream", "-c", "fast"])  # fmt: skip
    log = cluster.state_dir / "replica.log"
    _como_postgres([str(DEBIAN_BIN / "pg_ctl"), "-D", str(carpeta), "-l", str(log), "-w",
                    "-o", f"-p {PUERTO_REPLICA}", "start"])  # fmt: skip
    try:
        yield origen.replace(f"port={cluster.port}", f"port={PUERTO_REPLICA}")
    finally:
        _como_postgres([str(DEBIAN_BIN / "pg_ctl"), "-D", str(carpeta), "-m", "fast", "stop"])
        shutil.rmtree(carpeta, ignore_errors=True)


def retraso_ms(primaria: str, replica_dsn: str, veces: int = 30) -> list[float]:
    """Commit a write on the primary, then poll the replica until it shows it."""
    salida = []
    with (
        psycopg.connect(primaria, autocommit=True) as p,
        psycopg.connect(replica_dsn, autocommit=True) as r,
    ):
        for _ in range(veces):
            t0 = time.perf_counter()
            n = p.execute("UPDATE generacion SET n = n + 1 RETURNING n").fetchone()[0]  # type: ignore[index]
            while r.execute("SELECT n FROM generacion").fetchone()[0] < n:  # type: ignore[index]
                time.sleep(0.0005)
            salida.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.05)
    return salida


@contextmanager
def api(url_db: str, puerto: int, lectura: str | None) -> Iterator[str]:
    entorno = os.environ | {"SIGG_DATABASE_URL": url_db}
    if lectura:
        entorno["SIGG_DATABASE_URL_LECTURA"] = lectura
    proceso = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port",
         str(puerto), "--log-level", "warning"], env=entorno, cwd=PROJECT_ROOT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{puerto}"
    try:
        esperar(base + "/api/v1/health")
        yield base
    finally:
        proceso.terminate()
        proceso.wait(timeout=20)


def tiempos(base: str, ruta: str, veces: int = 7) -> tuple[float, float, str]:
    """First (cold: computed) and median warm (cached) latency, and the ETag."""
    with httpx.Client(base_url=base, timeout=60) as c:
        t0 = time.perf_counter()
        primera = c.get(ruta)
        frio = (time.perf_counter() - t0) * 1000
        calientes = []
        for _ in range(veces):
            t0 = time.perf_counter()
            c.get(ruta)
            calientes.append((time.perf_counter() - t0) * 1000)
    return frio, statistics.median(calientes), primera.headers.get("etag", "")


def lee_lo_escrito_ms(base_primaria: str, base_replica: str) -> float:
    """A record written through the primary's API, then read through the replica's API."""
    settings = Settings()
    nacional = cabeceras(settings, "nacional")
    alianza = {
        "codigo": f"REP-{time.time_ns()}",
        "nombre": "Réplica",
        "sector": "apicultura",
        "modelo": 1,
        "financiamiento": "adicional",
        "lon": -63.677,
        "lat": -22.015,
    }
    r = httpx.post(base_primaria + "/api/v1/alianzas", json=alianza, headers=nacional)
    t0 = time.perf_counter()
    aid = r.json()["id"]
    while httpx.get(f"{base_replica}/api/v1/alianzas/{aid}", headers=nacional).status_code != 200:
        time.sleep(0.001)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    settings = Settings()
    cluster = PrivateCluster.from_settings(settings)
    url = base_con_territorio(settings, BASE)
    with make_engine(url).begin() as conn:
        cargar_demo(conn, settings.directorio_referencia())
        cuentas_de_prueba(conn)  # a token speaks only for an account that exists
    try:
        with replica(cluster) as rep:
            rep_url = make_url(url).set(port=PUERTO_REPLICA).render_as_string(hide_password=False)
            lag = retraso_ms(dsn(url), f"{rep} dbname={BASE}")
            filas = []
            with api(url, 8771, None) as b1, api(url, 8772, rep_url) as b2:
                for ruta in RUTAS:
                    filas.append((ruta, tiempos(b1, ruta), tiempos(b2, ruta)))
                ryw = [lee_lo_escrito_ms(b1, b2) for _ in range(5)]
        escribir(lag, filas, ryw)
    finally:
        borrar_base(settings, BASE)


def escribir(lag: list[float], filas: list, ryw: list[float]) -> None:  # type: ignore[type-arg]
    lineas = [
        "# Streaming replica on this machine",
        "",
        "`python -m bench.replica`: the private cluster copied with `pg_basebackup -R` and started "
        "as a hot standby on another port; one API process reads from the primary, another "
        "(`SIGG_DATABASE_URL_LECTURA`) from the replica, over the calibrated demo data. Same "
        "machine, so this shows correctness and lag, not added capacity.",
        "",
        f"- Replication lag (commit on the primary until visible on the replica), median of "
        f"{len(lag)}: **{statistics.median(lag):.1f} ms** (max {max(lag):.1f} ms)",
        f"- Read-your-write through the two APIs (POST to the primary's API, GET from the "
        f"replica's until 200), median of {len(ryw)}: **{statistics.median(ryw):.1f} ms**",
        "",
        "| request | primary cold ms | primary warm ms | replica cold ms | replica warm ms | "
        "replica / primary (cold) | same ETag |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for ruta, (f1, c1, e1), (f2, c2, e2) in filas:
        lineas.append(
            f"| `{ruta}` | {f1:.1f} | {c1:.1f} | {f2:.1f} | {c2:.1f} | {f2 / f1:.2f}x | "
            f"{'yes' if e1 == e2 else 'no'} |"
        )
    Path(__file__).with_name("RESULTS_replica.md").write_text("\n".join(lineas) + "\n")
    print("\n".join(lineas))


if __name__ == "__main__":
    main()
