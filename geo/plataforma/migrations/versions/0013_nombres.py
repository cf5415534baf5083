"""The source's name beside the corrected one (issue 16): ``nombre`` of a municipality or
province is the name SIGG shows, after data/municipios/nombres_corregidos.csv ("Ascensión de
Guarayos"); ``nombre_fuente`` is what the INE file says ("Ascención De Guarayos"), kept so
that the correction is visible and a search for either spelling finds the place. Filled by the
next ``sigg etl territorio``; until then it is NULL and the search falls back to ``nombre``.

Revision ID: 0013_nombres
Revises: 0012_movimientos
Create Date: 2026-11-26
"""

from alembic import op

revision = "0013_nombres"
down_revision = "0012_movimientos"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE municipio ADD COLUMN nombre_fuente text")
    op.execute("ALTER TABLE provincia ADD COLUMN nombre_fuente text")


def downgrade() -> None:
    op.execute("ALTER TABLE provincia DROP COLUMN nombre_fuente")
    op.execute("ALTER TABLE municipio DROP COLUMN nombre_fuente")
