"""A record inserted with its totals enters the ledger without reading the ledger (issue 17).

``sigg_ajuste_alianza`` and ``sigg_ajuste_subproyecto_municipal`` (migration 0012) add the
difference between a total written on a record and the ledger's sum as an ``ajuste`` movement.
For an inserted record that sum is always zero: a movement names its record by a foreign key,
so none can exist before the record does. Reading it anyway, one correlated subquery per new
row on the table being filled, turned into a full scan per row whenever the planner's
statistics said ``movimiento`` was empty (just emptied and analyzed): a bulk import became
quadratic (bench/RESULTS.md, the import section). On insert the difference is now the total
itself; an update still compares with the ledger.

Revision ID: 0015_libro_alta
Revises: 0014_resumen
Create Date: 2026-11-26
"""

# ruff: noqa: S608  (the SQL is built from this module's constants only)
from alembic import op

revision = "0015_libro_alta"
down_revision = "0014_resumen"
branch_labels = None
depends_on = None

TOTALES = {
    "alianza": (
        "alianza_id",
        (("transferencia", "monto_transferido_bs"), ("descargo", "monto_descargado_bs")),
    ),
    "subproyecto_municipal": (
        "subproyecto_id",
        (
            ("ejecucion_empoderar", "monto_empoderar_ejecutado_bs"),
            ("ejecucion_contraparte", "monto_contraparte_ejecutado_bs"),
        ),
    ),
}


def _funcion(tabla: str, alta_sin_leer: bool) -> str:
    clave, pares = TOTALES[tabla]
    fecha_alta = "n.fecha_etapa" if tabla == "alianza" else "current_date"

    def diferencias(insert: bool) -> str:
        return " UNION ALL ".join(
            f"SELECT n.id, '{t}', n.{c}"
            + (
                ""
                if insert
                else f" - (SELECT coalesce(sum(m.monto_bs), 0) FROM movimiento m "
                f"WHERE m.{clave} = n.id AND m.tipo = '{t}')"
            )
            + f", {fecha_alta if insert else 'current_date'} FROM nuevas n"
            for t, c in pares
        )

    def insertar(insert: bool) -> str:
        return (
            f"INSERT INTO movimiento ({clave}, tipo, monto_bs, fecha, documento, origen) "
            "SELECT d.id, d.tipo, d.monto, d.fecha, 'total escrito en el registro', 'ajuste' "
            f"FROM ({diferencias(insert)}) AS d(id, tipo, monto, fecha) WHERE d.monto <> 0;"
        )

    alta = (
        insertar(True)
        if alta_sin_leer
        else insertar(False).replace("current_date FROM nuevas", f"{fecha_alta} FROM nuevas")
    )
    return f"""
        CREATE OR REPLACE FUNCTION sigg_ajuste_{tabla}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM nuevas) THEN
                RETURN NULL;
            END IF;
            IF TG_OP = 'INSERT' THEN
                {alta}
            ELSE
                {insertar(False)}
            END IF;
            RETURN NULL;
        END $$"""


def upgrade() -> None:
    for tabla in TOTALES:
        op.execute(_funcion(tabla, alta_sin_leer=True))


def downgrade() -> None:
    for tabla in TOTALES:
        op.execute(_funcion(tabla, alta_sin_leer=False))
