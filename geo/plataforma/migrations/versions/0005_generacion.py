"""A generation number for the data that aggregates are computed from: every statement that
writes records, monitoring, complaints or territory bumps it, so a cached aggregate is valid
exactly while the number it was computed at is still the current one (and an ETag can say so).

Revision ID: 0005_generacion
Revises: 0004_acceso
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_generacion"
down_revision = "0004_acceso"
branch_labels = None
depends_on = None

FUENTES = (
    "alianza",
    "subproyecto_municipal",
    "seguimiento",
    "reclamo",
    "indicador_valor",
    "municipio",
    "programa",
)


def upgrade() -> None:
    op.create_table(
        "generacion",
        sa.Column("id", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("n", sa.BigInteger(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_generacion_una_fila")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_generacion")),
    )
    op.execute("INSERT INTO generacion (id, n) VALUES (1, 1)")
    # Statement level: a bulk import of 100,000 rows bumps it once.
    op.execute("""
    CREATE FUNCTION sigg_nueva_generacion() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE generacion SET n = n + 1 WHERE id = 1;
        RETURN NULL;
    END $$""")
    for tabla in FUENTES:
        op.execute(
            f"CREATE TRIGGER {tabla}_generacion AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
            f"ON {tabla} FOR EACH STATEMENT EXECUTE FUNCTION sigg_nueva_generacion()"
        )


def downgrade() -> None:
    for tabla in FUENTES:
        op.execute(f"DROP TRIGGER IF EXISTS {tabla}_generacion ON {tabla}")
    op.execute("DROP FUNCTION IF EXISTS sigg_nueva_generacion()")
    op.drop_table("generacion")
