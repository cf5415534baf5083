"""Bulk import throughput: rows per second for N alliances (CSV as an office exports it),
beside a plain COPY of the same rows into the same table as the ceiling, in one run.

    .venv/bin/python -m bench.importacion [--filas 100000] [--repeticiones 3] [--base sigg_bench]

Runs on a database of its own (``--base``, made afresh) on the configured server; prints a
Markdown table and writes it to bench/RESULTS_importacion.md, with the load average at the start
and the end (the machine is shared: the ratio, measured in the same run, is the headline;
absolute times vary).

Every run starts on emptied tables whose statistics are kept as TRUNCATE leaves them
(autovacuum is off for them while measuring): an emptied table that autovacuum analyzes has
statistics saying it is empty, and the planner's choices for the import's statements and
triggers differ (bench/suite.py measures that case too, with ``analizar``).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text

from bench.comun import base_con_territorio
from geo.formatos.lectura import leer_tabla
from geo.plataforma.config import Settings
from geo.plataforma.db import make_engine, postgis_version
from geo.registro.alianzas import programa
from geo.registro.importacion import importar_alianzas

ENCABEZADO = (
    "Código;Nombre;OPP;Sector;Modelo;Financiamiento;Etapa;Familias;"
    "Familias (mujeres);Monto PAR comprometido (Bs);Monto transferido (Bs);"
    "Latitud;Longitud"
)
SECTORES = ("Riego tecnificado", "Agua para ganadería", "Apicultura", "Piscicultura")


def puntos(conn, n: int) -> list[tuple[str, float, float]]:  # type: ignore[no-untyped-def]
    """n random points inside the real municipalities, spread by rural population."""
    filas = conn.execute(
        text("""
        WITH pesos AS (
            SELECT codigo, geom, greatest(1, round(:n * rural_2012::numeric
                   / sum(rural_2012) OVER ()))::int AS k
            FROM municipio WHERE cartografia = '2012')
        SELECT codigo, ST_X(d.geom), ST_Y(d.geom)
        FROM pesos, LATERAL ST_Dump(ST_GeneratePoints(pesos.geom, pesos.k, 42)) d"""),
        {"n": n},
    ).all()
    return [(c, x, y) for c, x, y in filas][:n]


def csv_de(pts: list[tuple[str, float, float]]) -> bytes:
    rnd = random.Random(7)
    lineas = [ENCABEZADO]
    for i, (_, x, y) in enumerate(pts):
        fam = rnd.randint(8, 60)
        comp = rnd.randint(50, 600) * 1000
        lineas.append(
            f"B-{i:07d};Alianza {i};OPP {i % 5000};{SECTORES[i % 4]};{1 + i % 3};adicional;"
            f"convenio firmado;{fam};{rnd.randint(0, fam)};{comp:.2f};{comp // 2:.2f};"
            f"{str(round(y, 6)).replace('.', ',')};{str(round(x, 6)).replace('.', ',')}"
        )
    return ("\n".join(lineas) + "\n").encode("cp1252")


VACIADAS = ("alianza", "alianza_etapa", "organizacion", "auditoria", "movimiento")


def vaciar(conn, analizar: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Empty the tables an import writes (movements go with their alliances); with
    ``analizar``, analyze them right after, as autovacuum does to a table that held rows."""
    conn.execute(text("TRUNCATE alianza, alianza_etapa, organizacion, auditoria CASCADE"))
    if analizar:
        for tabla in VACIADAS:
            conn.execute(text(f"ANALYZE {tabla}"))


def autovacuum(conn, activo: bool) -> None:  # type: ignore[no-untyped-def]
    """Autovacuum on or off for the emptied tables (off: each run starts from the same
    statistics)."""
    for tabla in VACIADAS:
        conn.execute(text(f"ALTER TABLE {tabla} SET (autovacuum_enabled = {str(activo).lower()})"))


def libro(conn) -> float:  # type: ignore[no-untyped-def]
    """What the planner's statistics say of ``movimiento``: -1 never analyzed since emptied,
    else its number of rows."""
    return float(
        conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = 'movimiento'")).scalar()
    )


def medir_importacion(engine, datos: bytes, settings: Settings) -> tuple[float, dict[str, float]]:  # type: ignore[no-untyped-def]
    fases: dict[str, float] = {}
    t0 = time.perf_counter()
    tabla = leer_tabla(datos, "bench.csv")
    fases["leer"] = time.perf_counter() - t0
    marcas: dict[str, float] = {}

    def marcar(fase: str) -> None:
        marcas.setdefault(fase, time.perf_counter())

    with engine.begin() as conn:
        informe = importar_alianzas(
            conn,
            programa(conn, "PAR2"),
            tabla,
            archivo="bench.csv",
            tolerancia_m=settings.tolerancia_borde_m,
            avance=marcar,
        )
        assert not informe.errores, informe.errores[:3]
    fin = time.perf_counter()
    pasos = list(marcas.values()) + [fin]
    for (nombre, _), a, b in zip(marcas.items(), pasos, pasos[1:], strict=False):
        fases[nombre] = b - a
    return fin - t0, fases


def medir_copy(  # type: ignore[no-untyped-def]
    engine,
    pts: list[tuple[str, float, float]],
    confirmar: bool = True,
    mientras: Callable[[], object] | None = None,
) -> float:
    """Seconds of a plain COPY of the rows into ``alianza``, its triggers firing; committed, or
    with ``confirmar=False`` rolled back once timed (the table is left as it was, but for dead
    rows a VACUUM removes). ``mientras``: called once the COPY is timed and, with
    ``confirmar=False``, before the rollback: its rows written, never committed."""
    rnd = random.Random(7)
    buf = io.StringIO()
    for i, (mun, x, y) in enumerate(pts):
        fam = rnd.randint(8, 60)
        comp = rnd.randint(50, 600) * 1000
        buf.write(
            f"1\tB-{i:07d}\tAlianza {i}\t{SECTORES[i % 4]}\t{1 + i % 3}\tadicional\t"
            f"convenio_firmado\t{fam}\t{rnd.randint(0, fam)}\t{comp}\t{comp // 2}\t2012\t"
            f"{mun}\tSRID=4326;POINT({x} {y})\t1\n"
        )
    datos = buf.getvalue()
    t0 = time.perf_counter()
    with engine.connect() as conn, conn.begin() as transaccion:
        raw = conn.connection.driver_connection
        with (
            raw.cursor() as cur,
            cur.copy(
                "COPY alianza (programa_id, codigo, nombre, sector, modelo, financiamiento, etapa, "
                "familias, familias_mujeres, monto_par_comprometido_bs, monto_transferido_bs, "
                "cartografia, municipio_codigo, geom, precision_ubicacion) FROM STDIN"
            ) as copy,
        ):
            copy.write(
                datos.replace("\tRiego tecnificado\t", "\triego_tecnificado\t")
                .replace("\tAgua para ganadería\t", "\tagua_para_ganaderia\t")
                .replace("\tApicultura\t", "\tapicultura\t")
                .replace("\tPiscicultura\t", "\tpiscicultura\t")
            )
        if confirmar:
            transaccion.commit()
        segundos = time.perf_counter() - t0
        if mientras is not None:
            mientras()
        if not confirmar:
            transaccion.rollback()
    return segundos


def comparar(  # type: ignore[no-untyped-def]
    engine, settings: Settings, filas: int, repeticiones: int, analizar: bool = False
) -> dict[str, float]:
    """Median seconds of the importer and of the plain COPY on the same ``filas`` rows (each
    run on emptied tables, analyzed with ``analizar``, autovacuum off for them meanwhile), the
    importer's median phases, the number of rows and runs, and ``movimiento``'s statistics
    when the (last) import began (``libro``)."""
    with engine.begin() as conn:
        pts = puntos(conn, filas)
        autovacuum(conn, False)
    datos = csv_de(pts)
    importes, copias, fases_todas = [], [], []
    for _ in range(repeticiones):
        with engine.begin() as conn:
            vaciar(conn, analizar)
            estado = libro(conn)
        total, fases = medir_importacion(engine, datos, settings)
        importes.append(total)
        fases_todas.append(fases)
        with engine.begin() as conn:
            vaciar(conn, analizar)
        copias.append(medir_copy(engine, pts))
    with engine.begin() as conn:
        autovacuum(conn, True)
    fases = {k: statistics.median(f[k] for f in fases_todas) for k in fases_todas[0]}
    return {
        "filas": len(pts),
        "importar": statistics.median(importes),
        "copy": statistics.median(copias),
        "veces": repeticiones,
        "libro_reltuples": estado,
        **fases,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--filas", type=int, default=100_000)
    parser.add_argument("--repeticiones", type=int, default=3)
    parser.add_argument("--base", default="sigg_bench", help="the benchmark's database")
    args = parser.parse_args()
    settings = Settings()
    carga = os.getloadavg()
    engine = make_engine(base_con_territorio(settings, args.base))
    with engine.begin() as conn:
        version = postgis_version(conn)
    res = comparar(engine, settings, args.filas, args.repeticiones)
    al_final = os.getloadavg()
    n, imp, cop = int(res.pop("filas")), res.pop("importar"), res.pop("copy")
    del res["veces"], res["libro_reltuples"]
    lineas = [
        f"# Bulk import benchmark ({n:,} alliances, median of {args.repeticiones} runs)",
        "",
        f"Machine: {platform.machine()}, {platform.processor() or 'cpu'}, Python "
        f"{platform.python_version()}, PostGIS {version}; {os.cpu_count()} cores, load average "
        f"(1/5/15 min) at the start {carga[0]:.2f} / {carga[1]:.2f} / {carga[2]:.2f}, at the end "
        f"{al_final[0]:.2f} / {al_final[1]:.2f} / {al_final[2]:.2f}. Written on "
        f"{time.strftime('%Y-%m-%d %H:%M')}.",
        "",
        "| what | seconds | rows/s | vs COPY |",
        "|---|---:|---:|---:|",
        f"| `sigg etl importar` (read CSV, validate, locate, upsert, audit) | {imp:.2f} | "
        f"{n / imp:,.0f} | {cop / imp:.2f}x |",
        f"| plain COPY of the same rows into `alianza` (ceiling) | {cop:.2f} | {n / cop:,.0f} | "
        "1.00x |",
        "",
        "Import phases (median seconds): " + ", ".join(f"{k}: {v:.2f}" for k, v in res.items()),
    ]
    texto = "\n".join(lineas) + "\n"
    print(texto)
    (Path(__file__).parent / "RESULTS_importacion.md").write_text(texto)
    engine.dispose()


if __name__ == "__main__":
    main()
