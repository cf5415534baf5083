"""The furthest stage each alliance reached (kept by a trigger) and the results framework:
indicators per program and their entered values.

Revision ID: 0003_indicadores
Revises: 0002_registro
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_indicadores"
down_revision = "0002_registro"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Demo data is generated, not collected: everything that shows it must say so.
    op.add_column(
        "programa",
        sa.Column("sintetico", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column(
        "alianza",
        sa.Column(
            "etapa_alcanzada", sa.SmallInteger(), server_default=sa.text("0"), nullable=False
        ),
    )
    op.create_index("ix_alianza_programa_alcanzada", "alianza", ["programa_id", "etapa_alcanzada"])
    op.execute("""
    CREATE FUNCTION sigg_etapa_alcanzada() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        o smallint := 0;
    BEGIN
        -- Rejection and abandonment end the cycle; they are not steps along it.
        IF NEW.etapa NOT IN ('evaluacion_rechazada', 'abandonada') THEN
            SELECT orden INTO o FROM etapa_alianza WHERE codigo = NEW.etapa;
        END IF;
        IF TG_OP = 'UPDATE' THEN
            o := greatest(o, OLD.etapa_alcanzada);
        END IF;
        NEW.etapa_alcanzada := o;
        RETURN NEW;
    END $$""")
    op.execute(
        "CREATE TRIGGER alianza_etapa_alcanzada BEFORE INSERT OR UPDATE OF etapa ON alianza "
        "FOR EACH ROW EXECUTE FUNCTION sigg_etapa_alcanzada()"
    )
    op.execute("UPDATE alianza SET etapa = etapa")  # existing rows get their value
    op.create_table(
        "indicador",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programa_id", sa.Integer(), nullable=False),
        sa.Column("codigo", sa.String(length=16), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        sa.Column("unidad", sa.String(length=32), nullable=False),
        sa.Column("linea_base", sa.Numeric(16, 2), nullable=True),
        sa.Column("meta", sa.Numeric(16, 2), nullable=True),
        sa.Column("frecuencia", sa.String(length=32), nullable=True),
        sa.Column("como_se_calcula", sa.Text(), nullable=True),
        sa.Column("calculo", sa.String(length=64), nullable=True),
        sa.Column("orden", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["programa_id"], ["programa.id"], name="fk_indicador_programa_id_programa"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_indicador"),
        sa.UniqueConstraint("programa_id", "codigo", name="uq_indicador_programa_codigo"),
    )
    op.create_table(
        "indicador_valor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicador_id", sa.Integer(), nullable=False),
        sa.Column("periodo", sa.String(length=16), nullable=False),
        sa.Column("valor", sa.Numeric(16, 2), nullable=True),
        sa.Column("fuente", sa.Text(), nullable=False),
        sa.Column("nota", sa.Text(), nullable=True),
        sa.Column(
            "registrado_en",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["indicador_id"],
            ["indicador.id"],
            ondelete="CASCADE",
            name="fk_indicador_valor_indicador_id_indicador",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_indicador_valor"),
        sa.UniqueConstraint("indicador_id", "periodo", name="uq_indicador_valor_periodo"),
    )


def downgrade() -> None:
    op.drop_table("indicador_valor")
    op.drop_table("indicador")
    op.execute("DROP TRIGGER alianza_etapa_alcanzada ON alianza")
    op.execute("DROP FUNCTION sigg_etapa_alcanzada()")
    op.drop_index("ix_alianza_programa_alcanzada", table_name="alianza")
    op.drop_column("alianza", "etapa_alcanzada")
    op.drop_column("programa", "sintetico")
