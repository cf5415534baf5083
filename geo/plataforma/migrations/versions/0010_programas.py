"""Programs managed from the page and the command line (issue 14): each program may carry its
own exchange rate (Bs per US dollar; NULL: the installation's SIGG_TIPO_CAMBIO) and a version for
optimistic locking like the records; the results framework's indicators may say what "calculo"
computes them (checked by the application against the computations it knows).

Revision ID: 0010_programas
Revises: 0009_trabajos
Create Date: 2026-11-26
"""

from alembic import op

revision = "0010_programas"
down_revision = "0009_trabajos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        ALTER TABLE programa
            ADD COLUMN tipo_cambio numeric(10, 4)
                CONSTRAINT ck_programa_tipo_cambio_positivo CHECK (tipo_cambio > 0),
            ADD COLUMN version integer NOT NULL DEFAULT 1,
            ADD COLUMN actualizado_en timestamptz NOT NULL DEFAULT now()
        """
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE programa DROP COLUMN tipo_cambio, DROP COLUMN version, "
        "DROP COLUMN actualizado_en"
    )
