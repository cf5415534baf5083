"""How much CPU an import spends per row, beside a plain COPY of the same rows (issue 17).

    .venv/bin/python -m bench.cpu_importacion [--filas 100000] [--rondas 3]

Alone, an import job's Python and the database overlap on two cores, and its time says little
about a machine whose cores are busy with other users' requests: there the job gets a share of
the CPU, and its rate is that share over the CPU it spends per row. So the ratio that decides
whether a job keeps half of COPY's rate under load (bench/importacion_trabajo.py ``--copia``) is
COPY's CPU over the import's, and this bench measures it without the load's noise.

On a fresh database (territory and the calibrated demo, as bench/importacion_trabajo.py
prepares it), in turns, each ``--rondas`` times:

- a plain COPY of the rows into ``alianza``, its triggers firing (bench.importacion.medir_copy,
  rolled back);
- the import of the same rows as a CSV on disk, as a job's process runs it
  (``importar_alianzas`` over ``CsvEnDisco``, written in one transaction, rolled back), first
  with the collector as CPython sets it, then as the job's process sets it
  (geo/plataforma/memoria.py).

Each is measured in seconds, in the CPU of this process (Python: both threads of the import),
and in the CPU of the database: this database's sessions and the cluster's background
processes (WAL writer, checkpointer, background writer, autovacuum), from /proc. Between runs
the dead rows are vacuumed (not counted). Writes bench/RESULTS_cpu_importacion.md."""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text

from bench.comun import borrar_base
from bench.importacion import csv_de, medir_copy
from bench.importacion_trabajo import preparar
from geo.acceso.alcance import Alcance
from geo.formatos.lectura import CsvEnDisco
from geo.plataforma import memoria
from geo.plataforma.config import Settings
from geo.registro.alianzas import programa
from geo.registro.importacion import importar_alianzas

BASE = "sigg_bench_cpu_importacion"
COPIA = "plain COPY into `alianza`, its triggers firing"
POR_DEFECTO = "import, the collector as CPython sets it"
AJUSTADO = "import, the collector as the job's process sets it"
# Processes of the cluster that work for every database (their titles name none).
_FONDO = ("walwriter", "checkpointer", "background writer", "autovacuum", "logical replication")


@dataclass
class Medida:
    segundos: float
    python: float
    base: float
    colecciones: tuple[int, ...] = ()  # the collector's runs, by generation (young first)

    @property
    def total(self) -> float:
        return self.python + self.base


def cpu_base(nombre: str) -> float:
    """CPU seconds so far of the database ``nombre``'s sessions and of the cluster's background
    processes (the processes named postgres whose title names that database or none)."""
    tic = os.sysconf("SC_CLK_TCK")
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            titulo = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended meanwhile
            continue
        if stat[stat.index("(") + 1 : stat.rindex(")")] != "postgres":
            continue
        if f" {nombre} " not in titulo and not any(f in titulo for f in _FONDO):
            continue
        campos = stat.rsplit(")", 1)[1].split()
        total += int(campos[11]) + int(campos[12])  # utime + stime
    return total / tic


def medir(nombre: str, hacer: Callable[[], object]) -> Medida:
    g0 = [g["collections"] for g in gc.get_stats()]
    t0, p0, b0 = time.perf_counter(), time.process_time(), cpu_base(nombre)
    hacer()
    segundos, python, base = (
        time.perf_counter() - t0,
        time.process_time() - p0,
        cpu_base(nombre) - b0,
    )
    colecciones = tuple(g["collections"] - a for g, a in zip(gc.get_stats(), g0, strict=True))
    return Medida(segundos, python, base, colecciones)


def importar(engine: Engine, ruta: Path, settings: Settings) -> None:
    with engine.connect() as conn:
        transaccion = conn.begin()
        informe = importar_alianzas(
            conn,
            programa(conn, settings.programa),
            CsvEnDisco(ruta),
            archivo=ruta.name,
            tolerancia_m=settings.tolerancia_borde_m,
            alcance=Alcance("bench", "nacional", None),
            max_errores=100,
        )
        transaccion.rollback()
    if informe.errores or informe.insertadas == 0:
        raise SystemExit(f"the import did not write its rows: {informe.errores[:3]}")


def sin_filas_muertas(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (ANALYZE)"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filas", type=int, default=100_000)
    parser.add_argument("--rondas", type=int, default=3)
    parser.add_argument("--base", default=BASE)
    args = parser.parse_args()
    settings = Settings()
    carga = os.getloadavg()
    comienzo = time.monotonic()
    _, engine, pts = preparar(settings, args.base, args.filas)
    ruta = Path(f"/tmp/{args.base}.csv")
    ruta.write_bytes(csv_de(pts))
    umbral = gc.get_threshold()
    medidas: dict[str, list[Medida]] = {COPIA: [], POR_DEFECTO: [], AJUSTADO: []}
    try:
        sin_filas_muertas(engine)
        for _ in range(args.rondas):
            medidas[COPIA].append(
                medir(args.base, lambda: medir_copy(engine, pts, confirmar=False))
            )
            sin_filas_muertas(engine)
            medidas[POR_DEFECTO].append(medir(args.base, lambda: importar(engine, ruta, settings)))
            sin_filas_muertas(engine)
            memoria.para_tarea_masiva()
            medidas[AJUSTADO].append(medir(args.base, lambda: importar(engine, ruta, settings)))
            gc.unfreeze()
            gc.set_threshold(*umbral)
            sin_filas_muertas(engine)
    finally:
        engine.dispose()
        borrar_base(settings, args.base)
        ruta.unlink(missing_ok=True)
    escribir(args, medidas, carga, time.monotonic() - comienzo)


def escribir(
    args: argparse.Namespace,
    medidas: dict[str, list[Medida]],
    carga: tuple[float, float, float],
    duracion: float,
) -> None:
    n = args.filas
    mediana = {
        que: Medida(
            statistics.median(m.segundos for m in lista),
            statistics.median(m.python for m in lista),
            statistics.median(m.base for m in lista),
            tuple(
                int(statistics.median(m.colecciones[g] for m in lista))
                for g in range(len(lista[0].colecciones))
            ),
        )
        for que, lista in medidas.items()
    }
    copia = mediana[COPIA]
    filas = [
        f"| {que} | {m.segundos:.1f} | {m.python:.1f} | {m.base:.1f} | {m.total:.1f} | "
        f"{m.total / n * 1e6:,.0f} | {copia.total / m.total:.2f}x |"
        for que, m in mediana.items()
    ]
    rondas = [
        f"| {i} | {que} | {m.segundos:.1f} | {m.python:.1f} | {m.base:.1f} | {m.total:.1f} | "
        f"{' / '.join(f'{c:,}' for c in m.colecciones)} |"
        for que, lista in medidas.items()
        for i, m in enumerate(lista, start=1)
    ]
    ajustado, defecto = mediana[AJUSTADO], mediana[POR_DEFECTO]
    texto = "\n".join(
        [
            "# The CPU an import spends per row, beside a plain COPY (issue 17)",
            "",
            f"Written by `python -m bench.cpu_importacion --filas {n} --rondas {args.rondas}` on "
            f"{time.strftime('%Y-%m-%d %H:%M')} in {duracion / 60:.0f} min. Machine: "
            f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; load average at the start {carga[0]:.2f}.",
            "",
            f"{n:,} rows, a fresh database with the territory and the calibrated demo. Each run "
            "in turn, rolled back, the dead rows vacuumed before the next. *Python*: this "
            "process's CPU (the import's two threads); *database*: the CPU of this database's "
            "sessions and of the cluster's background processes. *COPY / this*: COPY's CPU over "
            "this run's, the share of COPY's rate it keeps when both get the same CPU (a machine "
            "whose cores are busy). Medians:",
            "",
            "| what | seconds | Python CPU s | database CPU s | CPU s | CPU µs per row "
            "| COPY / this |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *filas,
            "",
            f"The job's collector setting spares {defecto.python - ajustado.python:.1f} s of "
            f"Python CPU ({(1 - ajustado.python / defecto.python) * 100:.0f}%): the collector ran "
            f"{_veces(defecto)} times with CPython's thresholds, {_veces(ajustado)} with the "
            "job's (young / middle / old generation, medians; the old generation's runs walk "
            "everything the process holds). Every run:",
            "",
            "| round | what | seconds | Python CPU s | database CPU s | CPU s | collections "
            "(young / middle / old) |",
            "|---:|---|---:|---:|---:|---:|---:|",
            *rondas,
            "",
        ]
    )
    print(texto)
    (Path(__file__).parent / "RESULTS_cpu_importacion.md").write_text(texto)


def _veces(m: Medida) -> str:
    return " / ".join(f"{c:,}" for c in m.colecciones)


if __name__ == "__main__":
    main()
