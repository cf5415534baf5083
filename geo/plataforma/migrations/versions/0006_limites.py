"""Rate limits shared by every worker process: one row per limit and client address, counted
in a fixed window (geo/acceso/limites.py), instead of a count in each process's memory that a
second worker, or a restart, started again from zero.

Revision ID: 0006_limites
Revises: 0005_generacion
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_limites"
down_revision = "0005_generacion"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # UNLOGGED: a counter lost in a crash only restarts its window; no WAL on the hot path.
    op.create_table(
        "limite_solicitudes",
        sa.Column("clave", sa.Text(), nullable=False),
        sa.Column("cuenta", sa.Integer(), nullable=False),
        sa.Column("expira", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("clave", name=op.f("pk_limite_solicitudes")),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("limite_solicitudes")
