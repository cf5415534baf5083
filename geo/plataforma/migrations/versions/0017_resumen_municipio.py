"""The alliances' summary per municipality (issue 17): the stage and the stage reached as columns.

``resumen_alianza_municipio`` holds, per (program, cartography, municipality, verification
state), the number of alliances, how many of them are at each stage (``etapa_<stage>``) and
how many reached each stage of the cycle (``alcanzo_<stage>``), and the eight sums of the
summary of migration 0014. It is that summary with its two stage columns turned into columns.
An aggregate that filters by neither stage (program, territory, validated: the map's usual
questions) reads one row per municipality and state from it, and sums plain columns. The
0014 summary holds a row per stage combination: 1,829 rows for the benchmark's 1,000,000
alliances, against 335 here. An aggregate read from it also needed 20 filtered sums per row,
and that was most of its time.

Only the compactor keeps this table, in the statement that folds the differences of
``resumen_alianza_delta`` into ``resumen_alianza``: one ``DELETE ... RETURNING`` feeds both
tables, so both take the same differences. No trigger is added, so a write pays nothing more.
A reader adds the table to the pending differences, turned into columns as they are read
(the view ``resumen_alianza_municipio_vista``). That is the same snapshot as the 0014
summary's, so it is exact too. ``sigg_resumen_rehacer()`` rebuilds it from the fine summary
(0014's recomputation is kept as ``sigg_resumen_rehacer_fino`` and called first); TRUNCATE
empties it.

The stages and their order are written here as they stood at this revision (the cycle of
``geo.vocabulario.catalogos``); a later change to the cycle needs a migration of its own, and
``tests/test_resumen.py`` fails until it has one.

Revision ID: 0017_resumen_municipio
Revises: 0016_celdas
Create Date: 2026-11-28
"""

# ruff: noqa: S608  (the SQL is built from this module's constants only)
import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

from alembic import op

revision = "0017_resumen_municipio"
down_revision = "0016_celdas"
branch_labels = None
depends_on = None

ETAPAS = (
    "solicitud", "evaluacion_aprobada", "evaluacion_rechazada", "plan_formulado", "plan_viable",
    "aprobado", "convenio_firmado", "en_inversion", "en_operacion", "concluida", "abandonada",
)  # fmt: skip
# The cycle: every stage but the two that end it early; a stage's order is its place above.
CICLO = tuple(e for e in ETAPAS if e not in ("evaluacion_rechazada", "abandonada"))
CLAVE = ("programa_id", "cartografia", "municipio_codigo", "estado")
TABLA = "resumen_alianza_municipio"


@cache
def _m14() -> ModuleType:
    """Migration 0014 (its summary's columns, and its functions for the downgrade)."""
    ruta = Path(__file__).with_name("0014_resumen.py")
    spec = importlib.util.spec_from_file_location("sigg_migracion_0014", ruta)
    assert spec is not None and spec.loader is not None
    modulo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(modulo)
    return modulo


def _pivote() -> list[tuple[str, str]]:
    """(column, the condition on a 0014 row that counts it there) for every stage column."""
    return [(f"etapa_{e}", f"etapa = '{e}'") for e in ETAPAS] + [
        (f"alcanzo_{e}", f"etapa_alcanzada >= {ETAPAS.index(e)}") for e in CICLO
    ]


def _sumas() -> list[tuple[str, str]]:
    """(summed column, SQL type) of the 0014 alliance summary."""
    return [(nombre, tipo) for nombre, _, tipo in _m14().RESUMENES["alianza"][2]]


def _agrupado(desde: str) -> str:
    """The rows of ``desde`` (0014's summary, or its differences) per municipality and state."""
    cols = ", ".join(CLAVE)
    return (
        f"SELECT {cols}, sum(n), "
        + ", ".join(f"coalesce(sum(n) FILTER (WHERE {cond}), 0)" for _, cond in _pivote())
        + ", "
        + ", ".join(f"sum({nombre})" for nombre, _ in _sumas())
        + f" FROM {desde} GROUP BY {cols}"
    )


def _todas() -> str:
    return ", ".join((*CLAVE, "n", *(c for c, _ in _pivote()), *(s for s, _ in _sumas())))


def _tabla() -> list[str]:
    m14 = _m14()
    tipos = m14.TIPOS_CLAVE
    cols = ", ".join(f"{c} {tipos[c]} NOT NULL" for c in CLAVE)
    cuentas = ", ".join(f"{c} bigint NOT NULL" for c, _ in _pivote())
    sumas = ", ".join(f"{nombre} {tipo} NOT NULL" for nombre, tipo in _sumas())
    delta = ", ".join(
        (*CLAVE, "n", *(f"CASE WHEN {cond} THEN n ELSE 0 END" for _, cond in _pivote()),
         *(s for s, _ in _sumas()))
    )  # fmt: skip
    return [
        f"CREATE TABLE {TABLA} ({cols}, n bigint NOT NULL, {cuentas}, {sumas}, "
        f"PRIMARY KEY ({', '.join(CLAVE)}))",
        f"CREATE VIEW {TABLA}_vista ({_todas()}) AS SELECT {_todas()} FROM {TABLA} "
        f"UNION ALL SELECT {delta} FROM resumen_alianza_delta",
    ]


def _compactar() -> str:
    """0014's fold, with this table folded from the same differences in the same statement."""
    m14 = _m14()
    pasos = []
    for tabla, (resumen, clave, sumas) in m14.RESUMENES.items():
        cols = ", ".join(clave)
        nombres = [n for n, _, _ in sumas]
        fino = (
            f"INSERT INTO {resumen} AS r ({cols}, n, {', '.join(nombres)}) "
            f"SELECT {cols}, sum(n), {', '.join(f'sum({n})' for n in nombres)} FROM sacadas "
            f"GROUP BY {cols} ORDER BY {cols} "
            f"ON CONFLICT ({cols}) DO UPDATE SET n = r.n + excluded.n, "
            + ", ".join(f"{n} = r.{n} + excluded.{n}" for n in nombres)
        )
        if tabla != "alianza":
            pasos.append(f"WITH sacadas AS (DELETE FROM {resumen}_delta RETURNING *) {fino};")
            pasos.append(f"DELETE FROM {resumen} WHERE n = 0;")
            continue
        sumadas = [c for c, _ in _pivote()] + nombres
        pasos.append(
            f"WITH sacadas AS (DELETE FROM {resumen}_delta RETURNING *), fino AS ({fino}) "
            f"INSERT INTO {TABLA} AS r ({_todas()}) {_agrupado('sacadas')} "
            f"ORDER BY {', '.join(CLAVE)} ON CONFLICT ({', '.join(CLAVE)}) DO UPDATE SET "
            + ", ".join(f"{c} = r.{c} + excluded.{c}" for c in ("n", *sumadas))
            + ";"
        )
        pasos.append(f"DELETE FROM {resumen} WHERE n = 0;")
        pasos.append(f"DELETE FROM {TABLA} WHERE n = 0;")
    return f"""
        CREATE OR REPLACE FUNCTION sigg_resumen_compactar_registros() RETURNS boolean
        LANGUAGE plpgsql AS $$
        BEGIN
          IF NOT pg_try_advisory_xact_lock({m14.CERROJO}) THEN
            RETURN false;
          END IF;
          {chr(10).join(pasos)}
          RETURN true;
        END $$"""


def _rehacer() -> str:
    """0014's recomputation (kept as ``sigg_resumen_rehacer_fino``), then this table from the
    fine summary it wrote, in the same transaction and under its advisory lock."""
    return f"""
        CREATE FUNCTION sigg_resumen_rehacer_registros() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM sigg_resumen_rehacer_fino();  -- takes the advisory lock
          DELETE FROM {TABLA};
          INSERT INTO {TABLA} ({_todas()}) {_agrupado("resumen_alianza")};
        END $$"""


def _vaciar(con_municipio: bool) -> str:
    extra = f"DELETE FROM {TABLA}; " if con_municipio else ""
    return (
        "CREATE OR REPLACE FUNCTION sigg_resumen_vaciar() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF TG_TABLE_NAME = 'alianza' THEN DELETE FROM resumen_alianza_delta; "
        f"DELETE FROM resumen_alianza; {extra}ELSE DELETE FROM resumen_subproyecto_delta; "
        "DELETE FROM resumen_subproyecto; END IF; RETURN NULL; END $$"
    )


def upgrade() -> None:
    for sql in _tabla():
        op.execute(sql)
    op.execute(_compactar())
    op.execute(
        "ALTER FUNCTION sigg_resumen_rehacer_registros() RENAME TO sigg_resumen_rehacer_fino"
    )
    op.execute(_rehacer())
    op.execute(_vaciar(True))
    # Built from the fine summary as it stands (the advisory lock keeps a compactor out).
    op.execute(f"SELECT pg_advisory_xact_lock({_m14().CERROJO})")
    op.execute(f"INSERT INTO {TABLA} ({_todas()}) {_agrupado('resumen_alianza')}")


def downgrade() -> None:
    op.execute(
        _m14()
        ._compactar()
        .replace(
            "CREATE FUNCTION sigg_resumen_compactar()",
            "CREATE OR REPLACE FUNCTION sigg_resumen_compactar_registros()",
        )
    )
    op.execute("DROP FUNCTION sigg_resumen_rehacer_registros()")
    op.execute(
        "ALTER FUNCTION sigg_resumen_rehacer_fino() RENAME TO sigg_resumen_rehacer_registros"
    )
    op.execute(_vaciar(False))
    op.execute(f"DROP VIEW {TABLA}_vista")
    op.execute(f"DROP TABLE {TABLA}")
