"""Does a background import job reach half of a plain COPY (issue 17: "1,000,000 rows imported
as a background job with progress, memory flat, ≥ 0.5x of COPY into the same table with its
triggers")? The job alone, nobody else asking the server anything.

    .venv/bin/python -m bench.trabajo_solo [--filas 1000000]

On a fresh database (``--base``: territory and the calibrated demo), in one run: first a plain
COPY of the rows into ``alianza``, its triggers firing, timed to its end and rolled back, the
dead rows vacuumed (``bench.importacion.medir_copy``); then the same rows as a CSV, imported
by a real job through the API of a SIGG served by uvicorn (``POST
/api/v1/importaciones/trabajos``, in a process of its own, committed), from the upload's
answer to the job's end. Writes bench/RESULTS_trabajo_solo.md: both rates, their ratio, the
memory of the server and of the job's process. The COPY writes ``alianza`` only; the job also
reads and checks the file, locates each point and writes the organizations, the stage history
and the audit."""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from bench import importacion_trabajo as trabajo
from bench.comun import borrar_base, servidor_sigg
from bench.importacion import csv_de, medir_copy
from geo.plataforma.config import Settings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filas", type=int, default=1_000_000)
    parser.add_argument("--base", default="sigg_bench_trabajo_solo")
    parser.add_argument("--puerto", type=int, default=trabajo.PUERTO + 6)
    args = parser.parse_args()
    settings = Settings()
    carga = os.getloadavg()
    url, engine, pts = trabajo.preparar(settings, args.base, args.filas)
    datos = csv_de(pts)
    importa, _ = trabajo.cuentas(url, settings)
    try:
        copia = medir_copy(engine, pts, confirmar=False)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE)"))
        with (
            servidor_sigg(url, args.puerto) as servidor,
            httpx.Client(base_url=f"http://127.0.0.1:{args.puerto}", timeout=600) as cliente,
        ):
            antes = trabajo.memoria_mb(servidor.pid)[0]
            d = trabajo.durante_importacion(cliente, importa, None, datos, False, servidor.pid)
    finally:
        engine.dispose()
        borrar_base(settings, args.base)
    al_final = os.getloadavg()
    insertadas = (d.trabajo["informe"] or {}).get("insertadas", 0)
    n = args.filas
    texto = "\n".join(
        [
            "# An import job alone against a plain COPY (issue 17)",
            "",
            f"Written by `python -m bench.trabajo_solo --filas {n}` on "
            f"{time.strftime('%Y-%m-%d %H:%M')}. Machine: {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; load average at "
            f"start {carga[0]:.2f}, at the end {al_final[0]:.2f}.",
            "",
            "| what | seconds | rows/s | vs COPY |",
            "|---|---:|---:|---:|",
            f"| plain COPY of the rows into `alianza`, its triggers firing (ceiling) | "
            f"{copia:.1f} | {n / copia:,.0f} | 1.00x |",
            f"| import job through the API (`{d.trabajo['estado']}`, {insertadas:,} inserted) "
            f"| {d.duracion:.1f} | {n / d.duracion:,.0f} | **{copia / d.duracion:.2f}x** |",
            "",
            f"Aim: the job ≥ 0.5x the COPY: **{'met' if copia / d.duracion >= 0.5 else 'NOT met'}"
            "**. The job ran in a process of its own (nice 10); that process's"
            f" resident memory at its highest: {d.pico_hijo:,.0f} MiB; the "
            f"server's: {antes:,.0f} MiB before the job, {d.pico:,.0f} MiB at its highest. "
            f"Its progress showed {len(set(d.porcentajes))} different percentages. The upload "
            f"answered in {d.subida:.2f} s (not counted in the job's seconds). The COPY writes "
            "`alianza` only; the job also reads and checks the file, locates each point, and "
            "writes the organizations, the stage history and the audit.",
            "",
        ]
    )
    print(texto)
    (Path(__file__).parent / "RESULTS_trabajo_solo.md").write_text(texto)


if __name__ == "__main__":
    main()
