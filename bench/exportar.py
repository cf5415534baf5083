"""Full GeoJSON export of N alliances: features per second and peak memory of the serving
process, for SIGG beside two peers in the same run on the same table: tipg (serving the same
PostGIS) and ogr2ogr from PostGIS to GeoJSON (the near-physical ceiling).

    .venv/bin/python -m bench.exportar [--tamanos 100000,1000000] [--repeticiones 3]
        [--base sigg_bench_exportar --reusar]

SIGG is measured twice: as httpx asks by default (gzip accepted: the export compresses at
level 1) and with ``Accept-Encoding: identity``. ``--reusar`` keeps a database that already
holds the size asked for (loading 1,000,000 alliances takes minutes).

Needs Debian's gdal-bin (ogr2ogr) and tipg in bench/.venv-tipg:
    apt-get install gdal-bin
    python3 -m venv bench/.venv-tipg && bench/.venv-tipg/bin/pip install tipg uvicorn
Writes bench/RESULTS_exportar.md."""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from pathlib import Path
from typing import NamedTuple

import httpx
import psycopg
from sqlalchemy.engine import make_url

from bench.agregacion import base, llenar
from bench.comun import dsn, esperar, servidor_sigg
from geo.plataforma.config import Settings
from geo.plataforma.db import database_url

TIPG = Path(__file__).parent / ".venv-tipg" / "bin" / "python"


class Exportacion(NamedTuple):
    """One full export: wall seconds, bytes out, and the server's VmHWM before and after (kB;
    0 for ogr2ogr, which writes a file and is no server)."""

    segundos: float
    bytes: int
    memoria_antes_kb: int
    memoria_pico_kb: int

    @property
    def crecimiento_kb(self) -> int:
        return self.memoria_pico_kb - self.memoria_antes_kb


def _memoria_pico_kb(pid: int) -> int:
    for linea in Path(f"/proc/{pid}/status").read_text().splitlines():
        if linea.startswith("VmHWM:"):
            return int(linea.split()[1])
    return 0


def _descargar(url: str, cabeceras: dict[str, str] | None = None) -> tuple[float, int]:
    t0 = time.perf_counter()
    total = 0
    with httpx.stream("GET", url, timeout=3600, headers=cabeceras) as r:
        r.raise_for_status()
        for trozo in r.iter_bytes(1 << 20):
            total += len(trozo)
    return time.perf_counter() - t0, total


def sigg(
    url_db: str, n: int, cabeceras: dict[str, str] | None = None, puerto: int = 8771
) -> Exportacion:
    """SIGG's streamed GeoJSON export, as the public, from a freshly started server."""
    with servidor_sigg(url_db, puerto) as proceso:
        antes = _memoria_pico_kb(proceso.pid)
        segundos, tam = _descargar(
            f"http://127.0.0.1:{puerto}/api/v1/exportar/alianzas?formato=geojson", cabeceras
        )
        return Exportacion(segundos, tam, antes, _memoria_pico_kb(proceso.pid))


def sigg_binario(url_db: str, formato: str) -> Exportacion:
    """A GeoPackage, zipped Shapefile or KML of every alliance, from a freshly started
    server: written to disk a part at a time, then sent from there."""
    with servidor_sigg(url_db, 8771) as proceso:
        antes = _memoria_pico_kb(proceso.pid)
        segundos, tam = _descargar(
            f"http://127.0.0.1:8771/api/v1/exportar/alianzas?formato={formato}"
        )
        return Exportacion(segundos, tam, antes, _memoria_pico_kb(proceso.pid))


def sigg_sin_gzip(url_db: str, n: int) -> Exportacion:
    """The same export asked with ``Accept-Encoding: identity``: nothing compressed."""
    return sigg(url_db, n, {"Accept-Encoding": "identity"})


def tipg(url_db: str, n: int, puerto: int = 8772) -> Exportacion:
    """tipg's items of the same table in one page of n features, from a freshly started
    server."""
    pg = dsn(url_db)
    proceso = subprocess.Popen(
        [str(TIPG), "-m", "uvicorn", "tipg.main:app", "--port", str(puerto)]
        + ["--log-level", "warning"],
        env=os.environ
        | {
            "DATABASE_URL": pg,
            "TIPG_MAX_FEATURES_PER_QUERY": str(n + 1),
            "TIPG_DB_TABLES": '["public.alianza"]',
        },
        cwd="/tmp",
    )
    try:
        esperar(f"http://127.0.0.1:{puerto}/collections")
        antes = _memoria_pico_kb(proceso.pid)
        segundos, tam = _descargar(
            f"http://127.0.0.1:{puerto}/collections/public.alianza/items?limit={n}&f=geojson"
        )
        return Exportacion(segundos, tam, antes, _memoria_pico_kb(proceso.pid))
    finally:
        proceso.terminate()
        proceso.wait()


def ogr2ogr(url_db: str, n: int) -> Exportacion:
    """ogr2ogr from PostGIS to a GeoJSON file: the near-physical ceiling."""
    u = make_url(url_db)
    pg = (
        f"PG:host={u.host} port={u.port} dbname={u.database} user={u.username} "
        f"password={u.password}"
    )
    destino = Path("/tmp/sigg_bench_ogr.geojson")
    t0 = time.perf_counter()
    subprocess.run(
        ["ogr2ogr", "-f", "GeoJSON", str(destino), pg, "alianza", "-overwrite"],
        check=True,
        capture_output=True,
    )
    segundos = time.perf_counter() - t0
    tam = destino.stat().st_size
    destino.unlink()
    return Exportacion(segundos, tam, 0, 0)


def mediana(corridas: list[Exportacion]) -> Exportacion:
    return sorted(corridas, key=lambda e: e.segundos)[len(corridas) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tamanos", default="100000,1000000")
    parser.add_argument("--repeticiones", type=int, default=1)
    parser.add_argument("--base", default="sigg_bench_exportar")
    parser.add_argument("--reusar", action="store_true")
    parser.add_argument("--binarios", default="gpkg,shp,kml", help="'' to skip them")
    parser.add_argument("--sin-geojson", action="store_true", help="the binary formats only")
    args = parser.parse_args()
    settings = Settings()
    url = make_url(database_url(settings)).set(database=args.base)
    url_db = url.render_as_string(hide_password=False)
    if not (args.reusar and _alianzas(url_db) is not None):
        url_db = base(settings, args.base)
    lineas = [
        "| alianzas | exporter | seconds (median) | all runs | features/s | MB out "
        "| peak memory growth MB | vs tipg | vs ogr2ogr | load at each run's start |",
        "|---:|---|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    exportadores = (
        ("SIGG /api/v1/exportar (gzip, as httpx asks)", sigg),
        ("SIGG /api/v1/exportar (identity)", sigg_sin_gzip),
        ("tipg", tipg),
        ("ogr2ogr", ogr2ogr),
    )
    binarios = [
        "| alianzas | format | seconds | features/s | MB out | peak memory growth MB "
        "| load at start |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for n in (int(x) for x in args.tamanos.split(",")):
        total = n if args.reusar and _alianzas(url_db) == n else llenar(url_db, n)
        # Round robin: a change in the machine's load falls on every exporter alike.
        todas: dict[str, list[Exportacion]] = {nombre: [] for nombre, _ in exportadores}
        cargas: dict[str, list[float]] = {nombre: [] for nombre, _ in exportadores}
        for _ in range(0 if args.sin_geojson else args.repeticiones):
            for nombre, f in exportadores:
                cargas[nombre].append(os.getloadavg()[0])
                todas[nombre].append(f(url_db, total))
        res = {nombre: mediana(corridas) for nombre, corridas in todas.items() if corridas}
        for nombre, (seg, tam, antes, pico) in res.items():
            fps = total / seg
            corridas = ", ".join(f"{e.segundos:.1f}" for e in todas[nombre])
            lineas.append(
                f"| {total:,} | {nombre} | {seg:.1f} | {corridas} | {fps:,.0f} | {tam / 1e6:,.0f} "
                f"| {(pico - antes) / 1024:,.0f} | {res['tipg'].segundos / seg:.2f}x "
                f"| {res['ogr2ogr'].segundos / seg:.2f}x "
                f"| {', '.join(f'{c:.1f}' for c in cargas[nombre])} |"
            )
            print(lineas[-1], flush=True)
        _escribir(lineas, binarios)
        for formato in filter(None, args.binarios.split(",")):
            carga = os.getloadavg()[0]
            e = sigg_binario(url_db, formato)
            binarios.append(
                f"| {total:,} | {formato} | {e.segundos:.1f} | {total / e.segundos:,.0f} "
                f"| {e.bytes / 1e6:,.0f} | {e.crecimiento_kb / 1024:,.0f} "
                f"| {carga:.1f} |"
            )
            print(binarios[-1], flush=True)
            _escribir(lineas, binarios)


def _escribir(lineas: list[str], binarios: list[str]) -> None:
    """RESULTS_exportar.md, rewritten after every stage: an interrupted run keeps what it
    measured."""
    texto = "\n".join(
        [
            "# Full GeoJSON export benchmark",
            "",
            "Runs on the same table, loopback, each from a fresh server process; the median "
            "run's figures (all runs' seconds beside them). Peak memory growth is the serving "
            "process's VmHWM after the export minus before it (ogr2ogr writes a file and is "
            "not a server: not measured). Each repetition runs every exporter in turn, so that a "
            "change in the machine's load (2 cores, shared with other work) falls on all of "
            "them; the load column is the 1-minute load average as each run starts. vs tipg "
            "and vs ogr2ogr are throughput ratios (their seconds over these).",
            "",
            *lineas,
            "",
            "## Binary formats (SIGG only)",
            "",
            "The whole collection as GeoPackage, zipped Shapefile and KML, one run each from a "
            "fresh server: written to disk in parts of "
            "`geo.publicacion.exportar.FILAS_POR_PARTE` rows, then sent from the file.",
            "",
            *binarios,
            "",
        ]
    )
    (Path(__file__).parent / "RESULTS_exportar.md").write_text(texto)


def _alianzas(url_db: str) -> int | None:
    """How many alliances the database holds, or None when it is not there."""
    try:
        with psycopg.connect(dsn(url_db)) as c:
            return int(c.execute("SELECT count(*) FROM alianza").fetchone()[0])  # type: ignore[index]
    except psycopg.Error:
        return None


if __name__ == "__main__":
    main()
