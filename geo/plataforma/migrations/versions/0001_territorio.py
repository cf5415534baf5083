"""Territory: cartography versions, departments, provinces, operational units, municipalities,
lakes and salt flats.

Revision ID: 0001_territorio
Revises:
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = "0001_territorio"
down_revision = None
branch_labels = None
depends_on = None


def _geom(kind: str = "MULTIPOLYGON") -> sa.Column:
    return sa.Column("geom", Geometry(kind, srid=4326, spatial_index=False), nullable=False)


def _poblacion() -> list[sa.Column]:
    return [
        sa.Column("pob_2012", sa.Integer()),
        sa.Column("urbana_2012", sa.Integer()),
        sa.Column("rural_2012", sa.Integer()),
        sa.Column("pob_2024", sa.Integer()),
        sa.Column("area_km2", sa.Float(), nullable=False),
    ]


def _version(table: str) -> sa.Column:
    return sa.Column(
        "cartografia",
        sa.String(16),
        sa.ForeignKey(
            "cartografia.codigo", ondelete="CASCADE", name=f"fk_{table}_cartografia_cartografia"
        ),
        nullable=False,
    )


def _deferred_fk(cols: list[str], table: str, name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["cartografia", *cols],
        [f"{table}.cartografia", f"{table}.codigo"],
        name=name,
        deferrable=True,
        initially="DEFERRED",
    )


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "cartografia",
        sa.Column("codigo", sa.String(16), primary_key=True),
        sa.Column("descripcion", sa.Text(), nullable=False),
        sa.Column("fuente", sa.Text(), nullable=False),
        sa.Column(
            "cargada_en", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("reporte", postgresql.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("codigo", name="pk_cartografia"),
    )
    op.create_table(
        "departamento",
        _version("departamento"),
        sa.Column("codigo", sa.String(2), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        _geom(),
        *_poblacion(),
        sa.PrimaryKeyConstraint("cartografia", "codigo", name="pk_departamento"),
        sa.CheckConstraint("codigo ~ '^[0-9]{2}$'", name="ck_departamento_codigo"),
    )
    op.create_table(
        "provincia",
        _version("provincia"),
        sa.Column("codigo", sa.String(4), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        sa.Column("departamento_codigo", sa.String(2), nullable=False),
        _geom(),
        *_poblacion(),
        sa.PrimaryKeyConstraint("cartografia", "codigo", name="pk_provincia"),
        sa.CheckConstraint("codigo ~ '^[0-9]{4}$'", name="ck_provincia_codigo"),
        sa.CheckConstraint(
            "left(codigo, 2) = departamento_codigo", name="ck_provincia_codigo_en_departamento"
        ),
        _deferred_fk(
            ["departamento_codigo"], "departamento", "fk_provincia_cartografia_departamento"
        ),
    )
    op.create_table(
        "unidad_operativa",
        _version("unidad_operativa"),
        sa.Column("codigo", sa.String(16), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        sa.Column("tipo", sa.String(16), nullable=False),
        sa.Column("departamento_codigo", sa.String(2)),
        _geom(),
        *_poblacion(),
        sa.PrimaryKeyConstraint("cartografia", "codigo", name="pk_unidad_operativa"),
        sa.CheckConstraint(
            "tipo IN ('departamental', 'regional')", name="ck_unidad_operativa_tipo"
        ),
    )
    op.create_table(
        "municipio",
        _version("municipio"),
        sa.Column("codigo", sa.String(6), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        sa.Column("provincia_codigo", sa.String(4), nullable=False),
        sa.Column("departamento_codigo", sa.String(2), nullable=False),
        sa.Column("unidad_operativa_codigo", sa.String(16), nullable=False),
        sa.Column("codigo_2012", sa.String(6)),
        _geom(),
        sa.Column(
            "punto_interior", Geometry("POINT", srid=4326, spatial_index=False), nullable=False
        ),
        *_poblacion(),
        sa.PrimaryKeyConstraint("cartografia", "codigo", name="pk_municipio"),
        sa.CheckConstraint("codigo ~ '^[0-9]{6}$'", name="ck_municipio_codigo"),
        sa.CheckConstraint(
            "left(codigo, 4) = provincia_codigo", name="ck_municipio_codigo_en_provincia"
        ),
        sa.CheckConstraint(
            "left(codigo, 2) = departamento_codigo", name="ck_municipio_codigo_en_departamento"
        ),
        sa.CheckConstraint("ST_IsValid(geom)", name="ck_municipio_geom_valida"),
        _deferred_fk(["provincia_codigo"], "provincia", "fk_municipio_cartografia_provincia"),
        _deferred_fk(
            ["departamento_codigo"], "departamento", "fk_municipio_cartografia_departamento"
        ),
        _deferred_fk(
            ["unidad_operativa_codigo"],
            "unidad_operativa",
            "fk_municipio_cartografia_unidad_operativa",
        ),
    )
    op.create_table(
        "cuerpo_agua",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _version("cuerpo_agua"),
        sa.Column("codigo", sa.String(8), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        _geom(),
        sa.PrimaryKeyConstraint("id", name="pk_cuerpo_agua"),
    )
    op.create_index("ix_cuerpo_agua_cartografia", "cuerpo_agua", ["cartografia"])
    op.create_index("ix_municipio_unidad", "municipio", ["cartografia", "unidad_operativa_codigo"])
    op.create_index("ix_municipio_provincia", "municipio", ["cartografia", "provincia_codigo"])
    for table in ("departamento", "provincia", "unidad_operativa", "municipio", "cuerpo_agua"):
        op.create_index(f"ix_{table}_geom", table, ["geom"], postgresql_using="gist")


def downgrade() -> None:
    for table in (
        "cuerpo_agua",
        "municipio",
        "unidad_operativa",
        "provincia",
        "departamento",
        "cartografia",
    ):
        op.drop_table(table)
