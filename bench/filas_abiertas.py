"""Why the map slows down while a large import writes (issue 17: "other users' p99 unchanged
while it runs"): does a transaction holding N uncommitted alliances slow other users' requests,
with the machine otherwise idle? An import is all or nothing, so its rows sit in ``alianza``,
written and not committed, until its end. Every reader skips them (PostgreSQL's MVCC), but a
reader that scans the records still reads their pages.

    .venv/bin/python -m bench.filas_abiertas [--filas 1000000] [--pedidos 100]

On a database of its own (``--base``: territory and the calibrated demo), served by uvicorn,
a Chaco unit user asks for ``/api/v1/mapa/valores`` in turns: a request with a date filter
(``hasta``), which the full query over the records answers, then one the summary answers
(``bench.importacion_trabajo --resumen``'s requests); each computed afresh, never from the
cache. Three spells of ``--pedidos`` pairs: nothing open; while another session holds a plain
COPY of ``--filas`` alliances uncommitted (nothing else running: the COPY has ended); after it
is rolled back and vacuumed. Writes bench/RESULTS_filas_abiertas.md."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from bench import importacion_trabajo as trabajo
from bench.comun import borrar_base, servidor_sigg
from bench.importacion import medir_copy
from geo.plataforma.config import Settings

RUTA = "/api/v1/mapa/valores"


def medir(
    cliente: httpx.Client, cabeceras: dict[str, str], n: int
) -> tuple[list[float], list[float]]:
    """``n`` pairs of requests, in turns: full query, summary. Each one's milliseconds."""
    completa, resumen = trabajo.pedidos(), trabajo.del_resumen()
    tiempos: tuple[list[float], list[float]] = ([], [])
    for _ in range(n):
        for pedidos, lista in zip((completa, resumen), tiempos, strict=True):
            t0 = time.perf_counter()
            cliente.get(RUTA, params=next(pedidos), headers=cabeceras).raise_for_status()
            lista.append((time.perf_counter() - t0) * 1000)
    return tiempos


def fila(nombre: str, completa: list[float], resumen: list[float]) -> str:
    def cifras(ms: list[float]) -> str:
        return (
            f"{statistics.median(ms):.1f} | {trabajo.percentil(ms, 95):.1f} | "
            f"{trabajo.percentil(ms, 99):.1f}"
        )

    return f"| {nombre} | {cifras(completa)} | {cifras(resumen)} |"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filas", type=int, default=1_000_000)
    parser.add_argument("--pedidos", type=int, default=100, help="pairs of requests a spell")
    parser.add_argument("--base", default="sigg_bench_abiertas")
    parser.add_argument("--puerto", type=int, default=trabajo.PUERTO + 5)
    args = parser.parse_args()
    settings = Settings()
    carga = os.getloadavg()
    url, engine, pts = trabajo.preparar(settings, args.base, args.filas)
    _, mira = trabajo.cuentas(url, settings)
    filas: list[str] = []
    try:
        with (
            servidor_sigg(url, args.puerto),
            httpx.Client(base_url=f"http://127.0.0.1:{args.puerto}", timeout=600) as cliente,
        ):
            medir(cliente, mira, 20)  # warm-up
            filas.append(fila("nothing open", *medir(cliente, mira, args.pedidos)))
            abiertas: list[tuple[list[float], list[float]]] = []
            copia = medir_copy(
                engine,
                pts,
                confirmar=False,
                mientras=lambda: abiertas.append(medir(cliente, mira, args.pedidos)),
            )
            filas.append(fila(f"{args.filas:,} rows written, not committed", *abiertas[0]))
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM (ANALYZE)"))
            filas.append(fila("rolled back and vacuumed", *medir(cliente, mira, args.pedidos)))
    finally:
        engine.dispose()
        borrar_base(settings, args.base)
    al_final = os.getloadavg()
    texto = "\n".join(
        [
            "# Other users' requests while an import's rows sit uncommitted (issue 17)",
            "",
            f"Written by `python -m bench.filas_abiertas --filas {args.filas} --pedidos "
            f"{args.pedidos}` on {time.strftime('%Y-%m-%d %H:%M')}. Machine: "
            f"{platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; load average at start {carga[0]:.2f}, at the end "
            f"{al_final[0]:.2f}.",
            "",
            f"A Chaco unit user's `{RUTA}`, {args.pedidos} requests of each kind a spell, in "
            "turns, each computed afresh: with a date filter (`hasta`, answered by the full "
            "query over the records) and without one (answered by the summary, with another "
            "Chaco department or none and stage reached each time). In the middle spell "
            f"another session holds a plain COPY of {args.filas:,} alliances into `alianza` "
            f"(it took {copia:.1f} s, its triggers firing) written and not committed, as an "
            "import job's rows are until its end; nothing else runs meanwhile.",
            "",
            "| spell | full query p50 ms | p95 | p99 | summary p50 ms | p95 | p99 |",
            "|---|---:|---:|---:|---:|---:|---:|",
            *filas,
            "",
        ]
    )
    print(texto)
    (Path(__file__).parent / "RESULTS_filas_abiertas.md").write_text(texto)


if __name__ == "__main__":
    main()
