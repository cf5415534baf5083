"""Aggregation endpoint latency per level against the bare SQL GROUP BY on the same data, in
the same run, for 10,000 / 100,000 / 1,000,000 alliances (the calibrated demo, replicated).

    .venv/bin/python -m bench.agregacion [--tamanos 10000,100000,1000000] [--repeticiones 5]

The endpoint is served by uvicorn in a second process and asked over loopback with httpx, as the
public (validated records only). The bare query is the smallest GROUP BY that gives the same
per-unit sums over the same validated records. Results go to bench/RESULTS_agregacion.md; the
ratio is the headline. bench/suite.py reuses ``base``, ``llenar`` and ``sql_desnudo``."""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import text

from bench.comun import base_con_territorio, dsn, servidor_sigg
from etl.demo_carga import cargar_demo
from geo.acceso.alcance import PUBLICO
from geo.analisis.agregacion import SUMAS, Consulta, NivelAgregacion, estadisticas
from geo.plataforma.config import Settings
from geo.plataforma.db import make_engine, postgis_version
from geo.registro.consultas import Filtros
from geo.vocabulario.catalogos import ETAPAS, ETAPAS_CICLO, ORDEN_ETAPA

NIVELES = {
    "municipio": "m.codigo",
    "provincia": "m.provincia_codigo",
    "departamento": "m.departamento_codigo",
    "unidad_operativa": "m.unidad_operativa_codigo",
    "nacional": "'BO'",
}
PUERTO = 8765


SEMILLAS = {"alianza": "_semilla", "subproyecto_municipal": "_semilla_sp"}
VALIDADO = "a.estado = 'validado'"
MOVIDO = (
    "ST_SetSRID(ST_MakePoint(round((ST_X(geom) + (random() - 0.5) / 10)::numeric, 6)::float8, "
    "round((ST_Y(geom) + (random() - 0.5) / 10)::numeric, 6)::float8), 4326)"
)
RESUMENES = (
    "resumen_alianza", "resumen_alianza_delta", "resumen_subproyecto",
    "resumen_subproyecto_delta",
)  # fmt: skip


def base(settings: Settings, nombre: str = "sigg_bench_agregacion") -> str:
    """A database with the territory and the demo, whose records are kept as the seeds."""
    url = base_con_territorio(settings, nombre)
    engine = make_engine(url)
    with engine.begin() as conn:
        cargar_demo(conn, settings.directorio_referencia())
        for tabla, semilla in SEMILLAS.items():
            conn.execute(text(f"CREATE TABLE {semilla} AS SELECT * FROM {tabla}"))
    engine.dispose()
    return url


def _copiar(c: psycopg.Connection, tabla: str, n: int, esparcir: bool) -> None:
    """n rows of ``tabla``: its seed's, copied with new codes, all validated (the public sees
    them); with ``esparcir``, each copy's point moved by up to 0.05 degrees (about 5 km, to 6
    decimals as the demo's), so that the copies do not stack on one point (the vector tiles
    then hold what a real map would; municipality and sums are untouched)."""
    semilla = SEMILLAS[tabla]
    en_semilla = c.execute(f"SELECT count(*) FROM {semilla}").fetchone()[0]  # type: ignore[index]
    cols = [
        r[0]
        for r in c.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
            "AND column_name NOT IN ('id', 'codigo', 'organizacion_id', 'estado') "
            "ORDER BY ordinal_position",
            (semilla,),
        )
    ]
    lista = ", ".join(cols)
    valores = ", ".join(MOVIDO if esparcir and col == "geom" else col for col in cols)
    c.execute(
        f"INSERT INTO {tabla} (codigo, estado, {lista}) "
        f"SELECT s.codigo || '-' || g, 'validado', {valores} "
        f"FROM {semilla} s, generate_series(1, {-(-n // en_semilla)}) g LIMIT {n}"
    )


def llenar(url: str, n: int, esparcir: bool = False) -> int:
    """n alliances and the subprojects in the demo's proportion to them, all validated
    (triggers off: this measures reading), then the aggregate summary rebuilt from them (the
    triggers that keep it were off too), and a checkpoint (``asentar``). Returns the number of
    alliances."""
    with psycopg.connect(dsn(url), autocommit=True) as c:
        proporcion = c.execute(
            "SELECT (SELECT count(*) FROM _semilla_sp)::float / (SELECT count(*) FROM _semilla)"
        ).fetchone()[0]  # type: ignore[index]
        for tabla, filas in (("alianza", n), ("subproyecto_municipal", round(n * proporcion))):
            c.execute(f"ALTER TABLE {tabla} DISABLE TRIGGER USER")
            c.execute(f"TRUNCATE {tabla} CASCADE")
            _copiar(c, tabla, filas, esparcir)
            c.execute(f"ALTER TABLE {tabla} ENABLE TRIGGER USER")
            c.execute(f"VACUUM ANALYZE {tabla}")
        # The copies carry no movements: movimiento stays empty, with the statistics TRUNCATE
        # leaves (autovacuum off for it). Analyzed while empty, the ledger trigger's per-row
        # subquery is planned as a sequential scan over the movements a bulk write adds
        # (bench/suite.py's import shows it), and the writes measured here would measure that.
        c.execute("ALTER TABLE movimiento SET (autovacuum_enabled = false)")
        c.execute("TRUNCATE movimiento")
        rehacer_resumen(c)
        asentar(c)
        return c.execute("SELECT count(*) FROM alianza").fetchone()[0]  # type: ignore[index]


def asentar(c: psycopg.Connection) -> None:
    """A CHECKPOINT, so that what is measured next does not share the machine with the
    checkpoints the fill's WAL brings on: after the 1,000,000 fill they wrote for six minutes
    (43,177 buffers, the cluster's log), through the reads measured right after it. Skipped
    where the role may not (neither superuser nor pg_checkpoint)."""
    with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
        c.execute("CHECKPOINT")


def rehacer_resumen(c: psycopg.Connection) -> bool:
    """Recompute the aggregate summary from the records (migration 0014's
    ``sigg_resumen_rehacer``) and analyze its tables; False, doing nothing, on a database
    without it."""
    if c.execute("SELECT to_regproc('sigg_resumen_rehacer') IS NULL").fetchone()[0]:  # type: ignore[index]
        return False
    c.execute("SELECT sigg_resumen_rehacer()")
    for tabla in RESUMENES:
        c.execute(f"VACUUM ANALYZE {tabla}")
    return True


def sql_desnudo(nivel: str, donde: str = "") -> str:
    """The same answer the endpoint gives the public (count, per-stage and reached-stage counts,
    the nine sums over validated alliances) in the plainest single GROUP BY: the ceiling.
    ``donde``: more conditions on ``a`` (alianza) and ``m`` (municipio), ANDed, with psycopg
    placeholders for their values."""
    etapas = ", ".join(f"count(*) FILTER (WHERE a.etapa = '{e}')" for e in ETAPAS)
    alcanzo = ", ".join(
        f"count(*) FILTER (WHERE a.etapa_alcanzada >= {ORDEN_ETAPA[e]})" for e in ETAPAS_CICLO
    )
    sumas = ", ".join(f"sum(a.{c})" for c in SUMAS)
    return (
        f"SELECT {NIVELES[nivel]} AS clave, count(*), {etapas}, {alcanzo}, {sumas} "
        "FROM alianza a JOIN municipio m "
        "ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo "
        f"WHERE {VALIDADO}{donde and ' AND ' + donde} GROUP BY 1"
    )


def sql_desnudo_subproyectos(nivel: str, donde: str = "") -> str:
    """The subprojects' count and sums per unit (validated only) in one plain GROUP BY;
    ``donde`` as above, ``a`` being subproyecto_municipal."""
    return (
        f"SELECT {NIVELES[nivel]} AS clave, count(*), sum(a.familias), "
        "sum(a.monto_empoderar_comprometido_bs + a.monto_contraparte_comprometido_bs), "
        "sum(a.monto_empoderar_ejecutado_bs + a.monto_contraparte_ejecutado_bs) "
        "FROM subproyecto_municipal a JOIN municipio m "
        "ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo "
        f"WHERE {VALIDADO}{donde and ' AND ' + donde} GROUP BY 1"
    )


def medir(fn: Callable[[], object], repeticiones: int) -> float:
    """Median milliseconds of ``repeticiones`` calls after one warm-up call."""
    fn()  # warm
    tiempos = []
    for _ in range(repeticiones):
        t0 = time.perf_counter()
        fn()
        tiempos.append(time.perf_counter() - t0)
    return statistics.median(tiempos) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tamanos", default="10000,100000,1000000")
    parser.add_argument("--repeticiones", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    url = base(settings)
    lineas = [
        "| alianzas | nivel | endpoint ms (HTTP) | engine in-process ms | bare GROUP BY ms "
        "| endpoint / bare |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    with servidor_sigg(url, PUERTO):
        cliente = httpx.Client(base_url=f"http://127.0.0.1:{PUERTO}", timeout=120)
        crudo = psycopg.connect(dsn(url), autocommit=True)
        motor = make_engine(url)
        for n in (int(x) for x in args.tamanos.split(",")):
            total = llenar(url, n)
            for nivel in NIVELES:

                def pedir(nivel: str = nivel) -> None:
                    r = cliente.get("/api/v1/estadisticas", params={"nivel": nivel})
                    r.raise_for_status()

                def desnudo(nivel: str = nivel) -> None:
                    crudo.execute(sql_desnudo(nivel)).fetchall()
                    crudo.execute(sql_desnudo_subproyectos(nivel)).fetchall()

                def motor_local(nivel: str = nivel) -> None:
                    with motor.connect() as conn:
                        consulta = Consulta(
                            NivelAgregacion(nivel),
                            "2012",
                            Filtros(programa="PAR2", alcance=PUBLICO),
                            6.86,
                        )
                        estadisticas(conn, consulta)

                api, sql = medir(pedir, args.repeticiones), medir(desnudo, args.repeticiones)
                local = medir(motor_local, args.repeticiones)
                lineas.append(
                    f"| {total:,} | {nivel} | {api:.1f} | {local:.1f} | {sql:.1f} | "
                    f"{api / sql:.2f}x |"
                )
                print(lineas[-1], flush=True)
        with make_engine(url).connect() as conn:
            version = postgis_version(conn)
    texto = "\n".join(
        [
            "# Aggregation benchmark",
            "",
            f"Median of {args.repeticiones} runs after one warm-up; machine {platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, PostGIS {version}. The "
            "endpoint returns every measure (counts per stage, sums, US$, ratios) for every unit; "
            "the bare GROUP BYs compute the same counts and sums (alliances, then subprojects) in "
            "plain queries, the ceiling. Public path: validated records only. "
            "The private cluster runs with work_mem = 32MB.",
            "",
            *lineas,
            "",
        ]
    )
    print(texto)
    (Path(__file__).parent / "RESULTS_agregacion.md").write_text(texto)


if __name__ == "__main__":
    main()
