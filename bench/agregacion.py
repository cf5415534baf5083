"""Aggregation endpoint latency per level against the bare SQL GROUP BY on the same data, in
the same run, for 10,000 / 100,000 / 1,000,000 alliances (the calibrated demo, replicated).

    .venv/bin/python bench/agregacion.py [--tamanos 10000,100000,1000000] [--repeticiones 5]

The endpoint is served by uvicorn in a second process and asked over loopback with httpx. The
bare query is the smallest GROUP BY that gives the same per-unit sums. Results go to
bench/RESULTS_agregacion.md; the ratio is the headline."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

import httpx
import psycopg
from comun import base_con_territorio, servidor_sigg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from etl.demo_carga import cargar_demo
from geo.agregacion import SUMAS, Consulta, NivelAgregacion, estadisticas
from geo.config import Settings
from geo.db import make_engine, postgis_version
from geo.dominio import ETAPAS, ETAPAS_CICLO, ORDEN_ETAPA
from geo.registro.consultas import Filtros

NIVELES = {
    "municipio": "m.codigo",
    "provincia": "m.provincia_codigo",
    "departamento": "m.departamento_codigo",
    "unidad_operativa": "m.unidad_operativa_codigo",
    "nacional": "'BO'",
}
PUERTO = 8765


def base(settings: Settings) -> str:
    url = base_con_territorio(settings, "sigg_bench_agregacion")
    engine = make_engine(url)
    with engine.begin() as conn:
        cargar_demo(conn, settings.directorio_referencia())
        conn.execute(text("CREATE TABLE _semilla AS SELECT * FROM alianza"))
    engine.dispose()
    return url


def llenar(url: str, n: int) -> int:
    """n alliances: the demo's, copied with new codes (triggers off: this measures reading)."""
    with psycopg.connect(
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
        autocommit=True,
    ) as c:
        c.execute("ALTER TABLE alianza DISABLE TRIGGER USER")
        c.execute("TRUNCATE alianza CASCADE")
        semilla = c.execute("SELECT count(*) FROM _semilla").fetchone()[0]
        cols = [
            r[0]
            for r in c.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = '_semilla' "
                "AND column_name NOT IN ('id', 'codigo', 'organizacion_id') "
                "ORDER BY ordinal_position"
            )
        ]
        lista = ", ".join(cols)
        c.execute(
            f"INSERT INTO alianza (codigo, {lista}) SELECT s.codigo || '-' || g, {lista} "
            f"FROM _semilla s, generate_series(1, {-(-n // semilla)}) g LIMIT {n}"
        )
        c.execute("ALTER TABLE alianza ENABLE TRIGGER USER")
        c.execute("VACUUM ANALYZE alianza")
        return c.execute("SELECT count(*) FROM alianza").fetchone()[0]


def sql_desnudo(nivel: str) -> str:
    """The same answer the endpoint gives (count, per-stage and reached-stage counts, the nine
    sums) in the plainest single GROUP BY: the ceiling."""
    etapas = ", ".join(f"count(*) FILTER (WHERE a.etapa = '{e}')" for e in ETAPAS)
    alcanzo = ", ".join(
        f"count(*) FILTER (WHERE a.etapa_alcanzada >= {ORDEN_ETAPA[e]})" for e in ETAPAS_CICLO
    )
    sumas = ", ".join(f"sum(a.{c})" for c in SUMAS)
    return (
        f"SELECT {NIVELES[nivel]} AS clave, count(*), {etapas}, {alcanzo}, {sumas} "
        "FROM alianza a JOIN municipio m "
        "ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo GROUP BY 1"
    )


def medir(fn, repeticiones: int) -> float:  # type: ignore[no-untyped-def]
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
        crudo = psycopg.connect(
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False),
            autocommit=True,
        )
        motor = make_engine(url)
        for n in (int(x) for x in args.tamanos.split(",")):
            total = llenar(url, n)
            for nivel in NIVELES:

                def pedir(nivel: str = nivel) -> None:
                    r = cliente.get("/api/v1/estadisticas", params={"nivel": nivel})
                    r.raise_for_status()

                def desnudo(nivel: str = nivel) -> None:
                    crudo.execute(sql_desnudo(nivel)).fetchall()

                def motor_local(nivel: str = nivel) -> None:
                    with motor.connect() as conn:
                        consulta = Consulta(
                            NivelAgregacion(nivel), "2012", Filtros(programa="PAR2"), 6.86
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
            "the bare GROUP BY computes the same counts and sums in one plain query, the ceiling. "
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
