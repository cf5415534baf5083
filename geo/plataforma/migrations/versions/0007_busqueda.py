"""Accent- and case-insensitive search: the ``unaccent`` extension, and ``sigg_clave(text)``,
the one normal form both sides of a search are reduced to: lowercase, no accents, letters and
digits only ("Villa Montes" and "villamontes" meet, as do "CHACO-3-0005" and "3 0005").

``unaccent(text)`` is only STABLE (it reads its dictionary through the search path), so it
cannot back an index; the wrapper names the dictionary and its schema, which makes it safe to
declare IMMUTABLE and lets a later migration index ``sigg_clave(nombre)`` if the registry grows
past what a scan answers quickly.

Revision ID: 0007_busqueda
Revises: 0006_limites
Create Date: 2026-11-26
"""

from alembic import op

revision = "0007_busqueda"
down_revision = "0006_limites"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    op.execute(
        """
        CREATE FUNCTION sigg_clave(texto text) RETURNS text
        LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
        RETURN regexp_replace(
            lower(public.unaccent('public.unaccent'::regdictionary, texto)), '[^a-z0-9]+', '', 'g'
        )
        """
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS sigg_clave(text)")
    op.execute("DROP EXTENSION IF EXISTS unaccent")
