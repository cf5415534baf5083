"""The ``prioritize`` extension, where the server has it: an import job lowers the priority of
its own database session (nice, as it lowers its own process), so that PostgreSQL's work for
the job gives way to the queries of the people on the map (issue 17). The import's process was
already at nice 10, but on a machine of two cores its session, validating, locating and writing
a million rows at normal priority, still took its turns beside the map's queries.

The extension is Debian's ``postgresql-15-prioritize`` (``set_backend_priority``: a session may
lower the priority of its own backend, never raise it). A server without the package, or an
installation whose role may not create extensions, goes on without it: the jobs then run their
session at normal priority (``geo.registro.trabajos._ceder_sesion``).

Revision ID: 0017_prioridad
Revises: 0016_celdas
Create Date: 2026-11-27
"""

from alembic import op

revision = "0017_prioridad"
down_revision = "0016_celdas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'prioritize') THEN
                CREATE EXTENSION IF NOT EXISTS prioritize;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'sin la extensión prioritize (%): los trabajos de importación usarán '
                'su sesión con la prioridad normal', SQLERRM;
        END
        $$
        """
    )


def downgrade() -> None:
    op.execute("DROP EXTENSION IF EXISTS prioritize")
