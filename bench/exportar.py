"""Full GeoJSON export of N alliances: features per second and peak memory of the serving
process, for SIGG beside two peers in the same run on the same table: tipg (serving the same
PostGIS) and ogr2ogr from PostGIS to GeoJSON (the near-physical ceiling).

    .venv/bin/python -m bench.exportar [--tamanos 100000,1000000]

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
from sqlalchemy.engine import make_url

from bench.agregacion import base, llenar
from bench.comun import dsn, esperar, servidor_sigg
from geo.plataforma.config import Settings

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


def _descargar(url: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    total = 0
    with httpx.stream("GET", url, timeout=3600) as r:
        r.raise_for_status()
        for trozo in r.iter_bytes(1 << 20):
            total += len(trozo)
    return time.perf_counter() - t0, total


def sigg(url_db: str, n: int) -> Exportacion:
    """SIGG's streamed GeoJSON export, as the public, from a freshly started server."""
    with servidor_sigg(url_db, 8771) as proceso:
        antes = _memoria_pico_kb(proceso.pid)
        segundos, tam = _descargar("http://127.0.0.1:8771/api/v1/exportar/alianzas?formato=geojson")
        return Exportacion(segundos, tam, antes, _memoria_pico_kb(proceso.pid))


def tipg(url_db: str, n: int) -> Exportacion:
    """tipg's items of the same table in one page of n features, from a freshly started
    server."""
    pg = dsn(url_db)
    proceso = subprocess.Popen(
        [str(TIPG), "-m", "uvicorn", "tipg.main:app", "--port", "8772", "--log-level", "warning"],
        env=os.environ
        | {
            "DATABASE_URL": pg,
            "TIPG_MAX_FEATURES_PER_QUERY": str(n + 1),
            "TIPG_DB_TABLES": '["public.alianza"]',
        },
        cwd="/tmp",
    )
    try:
        esperar("http://127.0.0.1:8772/collections")
        antes = _memoria_pico_kb(proceso.pid)
        segundos, tam = _descargar(
            f"http://127.0.0.1:8772/collections/public.alianza/items?limit={n}&f=geojson"
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tamanos", default="100000,1000000")
    args = parser.parse_args()
    settings = Settings()
    url = base(settings, "sigg_bench_exportar")
    lineas = [
        "| alianzas | exporter | seconds | features/s | MB out | peak memory growth MB "
        "| vs tipg | vs ogr2ogr |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for n in (int(x) for x in args.tamanos.split(",")):
        total = llenar(url, n)
        res = {
            nombre: f(url, total)
            for nombre, f in (("SIGG /api/v1/exportar", sigg), ("tipg", tipg), ("ogr2ogr", ogr2ogr))
        }
        for nombre, (seg, tam, antes, pico) in res.items():
            mem = pico - antes
            fps = total / seg
            lineas.append(
                f"| {total:,} | {nombre} | {seg:.1f} | {fps:,.0f} | {tam / 1e6:,.0f} | "
                f"{mem / 1024:,.0f} | {fps / (total / res['tipg'][0]):.2f}x | "
                f"{fps / (total / res['ogr2ogr'][0]):.2f}x |"
            )
            print(lineas[-1], flush=True)
    texto = "\n".join(
        [
            "# Full GeoJSON export benchmark",
            "",
            "One run on the same table, loopback; peak memory growth is the serving "
            "process's VmHWM after the export minus before it (ogr2ogr writes a file "
            "and is not a server: not measured).",
            "",
            *lineas,
            "",
        ]
    )
    print(texto)
    (Path(__file__).parent / "RESULTS_exportar.md").write_text(texto)


if __name__ == "__main__":
    main()
