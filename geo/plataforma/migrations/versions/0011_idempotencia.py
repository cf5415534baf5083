"""Idempotency keys (issue 15, the offline queue): a write sent with ``Idempotency-Key`` leaves,
in the same transaction as the write itself, the answer it got under (usuario, clave). A retry
of a request that committed finds it and gets that answer again; a request cut before its commit
leaves neither the record nor the key, so its retry performs it once (geo/plataforma/
idempotencia.py, api/idempotencia.py).

``huella`` is the sha256 of the method, path, query and canonical body: the same key with another
request is refused (422), never answered with someone else's result. Only successes are kept
(``status`` 2xx): a refused request writes nothing, so the client corrects it and retries with
the same key. ``cuerpo`` is ``json``, not ``jsonb``: it keeps the answer's keys in their order,
so a replay is the first answer byte for byte. Keys are per account, kept at least 30 days and
deleted when their account stores a new one after that.

Revision ID: 0011_idempotencia
Revises: 0010_programas
Create Date: 2026-11-28
"""

from alembic import op

revision = "0011_idempotencia"
down_revision = "0010_programas"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE operacion_idempotente (
            usuario text NOT NULL,
            clave varchar(100) NOT NULL,
            metodo varchar(8) NOT NULL,
            ruta text NOT NULL,
            huella varchar(64) NOT NULL,
            status smallint NOT NULL,
            cuerpo json,
            cabeceras jsonb DEFAULT '{}' NOT NULL,
            creado_en timestamp with time zone DEFAULT now() NOT NULL,
            CONSTRAINT pk_operacion_idempotente PRIMARY KEY (usuario, clave),
            CONSTRAINT ck_operacion_idempotente_clave CHECK (clave ~ '^[A-Za-z0-9._:-]{1,100}$'),
            CONSTRAINT ck_operacion_idempotente_exito CHECK (status BETWEEN 200 AND 299)
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS operacion_idempotente")
