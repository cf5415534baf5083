"""Does running an import job in a process of its own spare the map (issue 17: "other users'
p99 unchanged while it runs")? ``bench.importacion_trabajo`` run in turns with the job in the
server's worker thread (``SIGG_IMPORTACION_APARTE=false``) and in a process of its own
(``true``), the two alternating so that the machine's drift falls on both; each run has its
own idle baseline just before its job, on its own fresh database.

    .venv/bin/python -m bench.trabajo_aparte [--rondas 4] [--filas 100000] [--reposo 30]
        [--resumen]

The map's requests carry a date filter, answered by the full query over the records; with
``--resumen`` they are those the summary answers (``bench.importacion_trabajo --resumen``).
Writes bench/RESULTS_trabajo_aparte.md (``_resumen.md`` with ``--resumen``): per run, the
job's rows per second, the server's memory while it ran, the job process's, and the map's p50
/ p99 / max idle and during the job, with the ratio of the two p99s; then the medians per
mode."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.importacion_trabajo import PUERTO, en_otro_proceso

MODOS = (("false", "worker thread"), ("true", "process of its own"))


def correr(modo: str, ronda: int, a: argparse.Namespace, carpeta: Path) -> dict[str, Any]:
    datos = en_otro_proceso(
        a.filas,
        reposo=a.reposo,
        base="sigg_bench_trabajo_aparte",
        puerto=a.puerto,
        carpeta=carpeta,
        nombre=f"{modo}-{ronda}",
        resumen=a.resumen,
        entorno=os.environ | {"SIGG_IMPORTACION_APARTE": modo},
    )
    return datos | {"ronda": ronda}


def _ritmo(c: dict[str, Any], cuando: str) -> float:
    """The map user's requests answered per second, idle or during the job."""
    return float(c[f"{cuando}_n"] / c[f"{cuando}_s"])


def fila(c: dict[str, Any], nombre: str) -> str:
    proceso = f"{c['proceso_mib']:,.0f}" if c["aparte"] else "—"
    return (
        f"| {c['ronda']} | {nombre} | {c['estado']} | {c['filas_s']:,.0f} | "
        f"+{c['servidor_mas_mib']:,.0f} | {proceso} | {_ritmo(c, 'reposo'):.1f} / "
        f"{_ritmo(c, 'durante'):.1f} | "
        f"{c['reposo_p50']:.0f} / {c['durante_p50']:.0f} | "
        f"{c['reposo_p99']:.0f} / {c['durante_p99']:.0f} | "
        f"{c['durante_p99'] / c['reposo_p99']:.2f}x | {c['reposo_max']:.0f} / "
        f"{c['durante_max']:.0f} | {c['carga'][0]:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rondas", type=int, default=4)
    parser.add_argument(
        "--resumen", action="store_true", help="the map's requests answered by the summary"
    )
    parser.add_argument("--filas", type=int, default=100_000)
    parser.add_argument("--reposo", type=float, default=30, help="seconds of idle baseline")
    parser.add_argument("--puerto", type=int, default=PUERTO + 1)
    parser.add_argument("--salida", type=Path, help="the file written")
    a = parser.parse_args()
    salida = a.salida or Path(__file__).parent / (
        "RESULTS_trabajo_aparte_resumen.md" if a.resumen else "RESULTS_trabajo_aparte.md"
    )
    t0 = time.perf_counter()
    filas: list[str] = []
    por_modo: dict[str, list[dict[str, Any]]] = {m: [] for m, _ in MODOS}
    with tempfile.TemporaryDirectory() as tmp:
        for ronda in range(1, a.rondas + 1):
            for modo, nombre in MODOS:
                c = correr(modo, ronda, a, Path(tmp))
                por_modo[modo].append(c)
                filas.append(fila(c, nombre))
                print(filas[-1], flush=True)
    medianas = []
    for modo, nombre in MODOS:
        cs = por_modo[modo]

        def med(clave: str, cs: list[dict[str, Any]] = cs) -> float:
            return statistics.median(c[clave] for c in cs)

        cociente = statistics.median(c["durante_p99"] / c["reposo_p99"] for c in cs)
        medianas.append(
            f"| {nombre} | {med('filas_s'):,.0f} | +{med('servidor_mas_mib'):,.0f} | "
            f"{med('reposo_p50'):.0f} / {med('durante_p50'):.0f} | "
            f"{med('reposo_p99'):.0f} / {med('durante_p99'):.0f} | {cociente:.2f}x | "
            f"{statistics.median(_ritmo(c, 'durante') / _ritmo(c, 'reposo') for c in cs):.2f} |"
        )
    carga = os.getloadavg()
    texto = "\n".join(
        [
            "# The map while an import job runs: worker thread or process of its own (issue 17)",
            "",
            f"Written by `python -m bench.trabajo_aparte --rondas {a.rondas} --filas {a.filas}"
            f"{' --resumen' if a.resumen else ''} "
            f"--reposo {a.reposo:g}` on {time.strftime('%Y-%m-%d %H:%M')} in "
            f"{(time.perf_counter() - t0) / 60:.0f} min. Machine: {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}; load average at the "
            f"end {carga[0]:.2f}.",
            "",
            f"Each run is `bench.importacion_trabajo`: a fresh database with the demo, a "
            f"{a.filas:,}-row real import job (`POST /api/v1/importaciones/trabajos`, written, "
            "all or nothing) sent by national coordination while a Chaco unit user asks for "
            "`/api/v1/mapa/valores` one request after another, each computed afresh "
            + (
                "from the summary (another measure, level, classification, class count, Chaco "
                "department or none and stage reached each time, no date filter)"
                if a.resumen
                else "by the full query over the records (another measure, level, "
                "classification and end date each time)"
            )
            + "; before it, "
            f"{a.reposo:g} s of the same requests with the server idle. The two modes "
            "alternate, thread first. *Server memory*: the server process's highest resident "
            "set while the job ran, over its own before the job. *Job process*: the job's "
            "process's highest resident set (MiB). *Requests/s*: how many the map user got "
            "answered per second, idle / during the job.",
            "",
            "| run | job in | job | rows/s | server memory (MiB) | job process (MiB) | "
            "requests/s idle / during | p50 ms idle / during | p99 ms idle / during | "
            "p99 during / idle | max ms idle / during | load at start |",
            "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            *filas,
            "",
            "Medians over the runs of each mode (*rate*: the map's requests per second during "
            "the job over its rate idle):",
            "",
            "| job in | rows/s | server memory (MiB) | p50 ms idle / during | "
            "p99 ms idle / during | p99 during / idle | rate during / idle |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *medianas,
            "",
        ]
    )
    salida.write_text(texto)
    print(texto)


if __name__ == "__main__":
    main()
