"""Import jobs (issue 14): an upload imported by a worker of the server, not by the request
that brought it, so that a file of 100,000 rows neither holds a request open for a minute nor
dies with the page that sent it.

The file is kept in the row (``contenido bytea``) until the job ends, so the job depends on
nothing of the request; it is emptied then. ``estado`` goes en_cola -> en_curso -> terminado
(written, or a clean dry run), con_errores (the report names every bad row: nothing written)
or fallido (an unreadable file, or a server that stopped mid-way: nothing written either).
``paso``, ``hechas`` and ``total`` are the progress the worker commits as it goes; ``informe``
is the import's report (the same document the synchronous import answers).

The job runs with the scope its user had when sending it (``rol``, ``unidad_operativa_codigo``),
as the synchronous import does; ``usuario`` is the account's ``nombre_usuario``, as the audit
trail and the verification history name users. One pending job per user (a partial unique
index): a second upload while one is queued or running is a 409, not a second queue.

Revision ID: 0009_trabajos
Revises: 0008_adjuntos
Create Date: 2026-11-27
"""

from alembic import op

revision = "0009_trabajos"
down_revision = "0008_adjuntos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE trabajo_importacion (
            id bigserial NOT NULL,
            usuario text NOT NULL,
            rol varchar(16) NOT NULL,
            unidad_operativa_codigo varchar(16),
            programa varchar(16) NOT NULL,
            archivo text NOT NULL,
            formato varchar(8) NOT NULL,
            bytes integer NOT NULL,
            contenido bytea,
            simulacro boolean NOT NULL,
            estado varchar(16) DEFAULT 'en_cola' NOT NULL,
            paso smallint DEFAULT 0 NOT NULL,
            total integer,
            hechas integer DEFAULT 0 NOT NULL,
            informe jsonb,
            mensaje text,
            creado_en timestamp with time zone DEFAULT now() NOT NULL,
            empezado_en timestamp with time zone,
            terminado_en timestamp with time zone,
            CONSTRAINT pk_trabajo_importacion PRIMARY KEY (id),
            CONSTRAINT ck_trabajo_importacion_estado CHECK (estado IN
                ('en_cola', 'en_curso', 'terminado', 'con_errores', 'fallido')),
            CONSTRAINT ck_trabajo_importacion_rol CHECK (rol IN ('nacional', 'unidad', 'tecnico')),
            CONSTRAINT ck_trabajo_importacion_formato CHECK (formato IN ('csv', 'xlsx')),
            CONSTRAINT ck_trabajo_importacion_avance CHECK (
                paso BETWEEN 0 AND 3 AND hechas >= 0 AND (total IS NULL OR hechas <= total)),
            CONSTRAINT ck_trabajo_importacion_fin_segun_estado CHECK (
                (estado IN ('en_cola', 'en_curso')) = (terminado_en IS NULL)),
            CONSTRAINT ck_trabajo_importacion_informe_segun_estado CHECK (
                estado NOT IN ('terminado', 'con_errores') OR informe IS NOT NULL)
        )
        """
    )
    # A user's recent jobs, newest first.
    op.execute(
        "CREATE INDEX ix_trabajo_importacion_usuario ON trabajo_importacion (usuario, creado_en)"
    )
    op.execute(
        "CREATE UNIQUE INDEX uq_trabajo_importacion_pendiente ON trabajo_importacion (usuario) "
        "WHERE estado IN ('en_cola', 'en_curso')"
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS trabajo_importacion")
