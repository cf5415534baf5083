"""The map's clusters from a summary that does not grow with the data (issue 17).

Below zoom 9 a vector tile holds clusters: cells of 256 of the tile's 4096 units, each at the
mean position of its records, with their count and families (``geo.analisis.teselas``).
Computed from the records, a zoom-5 tile over a million alliances read every one of them.
``resumen_celda_alianza`` keeps, per key of the aggregate summary (migration 0014: program,
cartography, municipality, stage, furthest stage reached, state) and per cell of the finest
cluster zoom (8: a 4096 x 4096 grid over the world, ``sigg_celda_x`` / ``sigg_celda_y``), the
number of records, the sums of their longitudes and latitudes (numeric: exact, whatever the
number of differences added) and their families; ``resumen_celda_subproyecto`` does the same
for subprojects per (program, cartography, municipality, stage, state). A cell at zoom z < 9
is the zoom-8 cell shifted right by 8 - z bits, its tile the zoom-8 cell shifted by 12 - z: so
any cluster tile is a GROUP BY over a few thousand rows, with the counts and families of the
records and the same mean position.

The cell of a record is written once, here, and the tiles computed from the records use the
same two functions: a record is in exactly one tile at each zoom whichever way the tile is
computed (a bound box test alone, ``geom && envelope``, compares single-precision boxes and
also takes the points up to a float's step, about a metre, past the tile's edges).

The cells are kept as the aggregate summary is: statement-level triggers append signed
differences to ``resumen_celda_*_delta``; ``sigg_resumen_compactar()`` folds them with the
summary's (the functions of 0014 are kept under the names ``*_registros`` and called first:
one advisory lock, one transaction); ``sigg_resumen_rehacer()`` recomputes both; TRUNCATE
empties both. Readers add base and differences (the views ``resumen_celda_*_vista``).

Revision ID: 0016_celdas
Revises: 0015_libro_alta
Create Date: 2026-11-26
"""

# ruff: noqa: S608  (the SQL is built from this module's constants only)
from alembic import op

revision = "0016_celdas"
down_revision = "0015_libro_alta"
branch_labels = None
depends_on = None

# Per table: its cell summary and the key columns with their SQL types (those of 0014).
CELDAS = {
    "alianza": (
        "resumen_celda_alianza",
        (
            ("programa_id", "integer"),
            ("cartografia", "varchar(16)"),
            ("municipio_codigo", "varchar(6)"),
            ("etapa", "varchar(32)"),
            ("etapa_alcanzada", "smallint"),
            ("estado", "varchar(16)"),
        ),
    ),
    "subproyecto_municipal": (
        "resumen_celda_subproyecto",
        (
            ("programa_id", "integer"),
            ("cartografia", "varchar(16)"),
            ("municipio_codigo", "varchar(6)"),
            ("etapa", "varchar(32)"),
            ("estado", "varchar(16)"),
        ),
    ),
}
MEDIDAS = (("n", "bigint"), ("lon", "numeric"), ("lat", "numeric"), ("familias", "bigint"))
CELDAS_Z8 = 4096  # cells per side of the world at zoom 8: 2^8 tiles of 16 cells

# The zoom-8 cell of a longitude / latitude: Web Mercator, normalised to [0, 1), times 4096.
# Multiplying by a power of two is exact in floating point: floor(norm * 2^(z + 4)), the cell at
# zoom z, equals this cell shifted right by 8 - z bits. Clamped, so every point has a tile.
FUNCIONES = (
    f"""CREATE FUNCTION sigg_celda_x(lon double precision) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT least({CELDAS_Z8 - 1}, greatest(0, floor((lon + 180) / 360 * {CELDAS_Z8})))::integer
        $$""",
    f"""CREATE FUNCTION sigg_celda_y(lat double precision) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT least({CELDAS_Z8 - 1}, greatest(0, floor(
          (1 - ln(tan(pi() / 4 + radians(lat) / 2)) / pi()) / 2 * {CELDAS_Z8})))::integer
        $$""",
)


def _clave(tabla: str) -> list[str]:
    return [c for c, _ in CELDAS[tabla][1]]


def _agrupado(tabla: str, desde: str, signo: str) -> str:
    """The rows of ``desde`` grouped by key and cell, with count and sums times ``signo``."""
    cols = ", ".join(_clave(tabla))
    return (
        f"SELECT {cols}, sigg_celda_x(ST_X(geom)) AS cx, sigg_celda_y(ST_Y(geom)) AS cy, "
        f"{signo} * count(*) AS n, {signo} * sum(ST_X(geom)::numeric) AS lon, "
        f"{signo} * sum(ST_Y(geom)::numeric) AS lat, {signo} * sum(familias) AS familias "
        f"FROM {desde} GROUP BY {cols}, cx, cy"
    )


def _tablas(tabla: str) -> list[str]:
    resumen, clave = CELDAS[tabla]
    cols = ", ".join(f"{c} {t} NOT NULL" for c, t in (*clave, ("cx", "integer"), ("cy", "integer")))
    medidas = ", ".join(f"{c} {t} NOT NULL" for c, t in MEDIDAS)
    # The cell first in the key: a tile is a range of cx (and of cy) whatever the rest.
    pk = ", ".join(("cx", "cy", *_clave(tabla)))
    todas = ", ".join((*_clave(tabla), "cx", "cy", *(c for c, _ in MEDIDAS)))
    return [
        f"CREATE TABLE {resumen} ({cols}, {medidas}, PRIMARY KEY ({pk}))",
        f"CREATE TABLE {resumen}_delta ({cols}, {medidas})",
        f"CREATE VIEW {resumen}_vista AS SELECT {todas} FROM {resumen} "
        f"UNION ALL SELECT {todas} FROM {resumen}_delta",
    ]


def _funcion_delta(tabla: str) -> str:
    resumen = CELDAS[tabla][0]
    cols = ", ".join((*_clave(tabla), "cx", "cy"))
    medidas = ", ".join(c for c, _ in MEDIDAS)
    sumas = ", ".join(f"sum({c})" for c, _ in MEDIDAS)
    distinto = " OR ".join(f"sum({c}) <> 0" for c, _ in MEDIDAS)

    def anexar(partes: list[str]) -> str:
        return (
            f"INSERT INTO {resumen}_delta ({cols}, {medidas}) "
            f"SELECT {cols}, {sumas} FROM ({' UNION ALL '.join(partes)}) d "
            f"GROUP BY {cols} HAVING {distinto};"
        )

    nuevas, viejas = _agrupado(tabla, "nuevas", "1"), _agrupado(tabla, "viejas", "-1")
    return f"""
        CREATE FUNCTION {resumen}_delta() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF TG_OP = 'INSERT' THEN
            {anexar([nuevas])}
          ELSIF TG_OP = 'DELETE' THEN
            {anexar([viejas])}
          ELSE
            {anexar([nuevas, viejas])}
          END IF;
          RETURN NULL;
        END $$"""


def _disparadores(tabla: str) -> list[str]:
    resumen = CELDAS[tabla][0]
    return [
        f"CREATE TRIGGER sigg_celda_ins AFTER INSERT ON {tabla} "
        f"REFERENCING NEW TABLE AS nuevas FOR EACH STATEMENT EXECUTE FUNCTION {resumen}_delta()",
        f"CREATE TRIGGER sigg_celda_upd AFTER UPDATE ON {tabla} "
        "REFERENCING OLD TABLE AS viejas NEW TABLE AS nuevas "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {resumen}_delta()",
        f"CREATE TRIGGER sigg_celda_del AFTER DELETE ON {tabla} "
        f"REFERENCING OLD TABLE AS viejas FOR EACH STATEMENT EXECUTE FUNCTION {resumen}_delta()",
        f"CREATE TRIGGER sigg_celda_trunc AFTER TRUNCATE ON {tabla} "
        "FOR EACH STATEMENT EXECUTE FUNCTION sigg_celda_vaciar()",
    ]


def _compactar() -> str:
    pasos = []
    for tabla, (resumen, _) in CELDAS.items():
        cols = ", ".join((*_clave(tabla), "cx", "cy"))
        medidas = [c for c, _ in MEDIDAS]
        pasos += [
            f"WITH sacadas AS (DELETE FROM {resumen}_delta RETURNING *) "
            f"INSERT INTO {resumen} AS r ({cols}, {', '.join(medidas)}) "
            f"SELECT {cols}, {', '.join(f'sum({c})' for c in medidas)} FROM sacadas "
            f"GROUP BY {cols} ORDER BY {cols} ON CONFLICT ({cols}) DO UPDATE SET "
            + ", ".join(f"{c} = r.{c} + excluded.{c}" for c in medidas)
            + ";",
            f"DELETE FROM {resumen} WHERE n = 0;",
        ]
    cuerpo = "\n".join(pasos)
    return f"""
        CREATE FUNCTION sigg_resumen_compactar() RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
          -- The summary's fold takes the advisory lock; without it, another compactor is at it.
          IF NOT sigg_resumen_compactar_registros() THEN
            RETURN false;
          END IF;
          {cuerpo}
          RETURN true;
        END $$"""


def _rehacer() -> str:
    pasos = []
    for tabla, (resumen, _) in CELDAS.items():
        cols = ", ".join((*_clave(tabla), "cx", "cy"))
        pasos += [
            f"DELETE FROM {resumen}_delta;",
            f"DELETE FROM {resumen};",
            f"INSERT INTO {resumen} ({cols}, {', '.join(c for c, _ in MEDIDAS)}) "
            f"{_agrupado(tabla, tabla, '1')};",
            # Rebuilt after a bulk load: the planner then knows the table's new size.
            f"ANALYZE {resumen};",
        ]
    cuerpo = "\n".join(pasos)
    return f"""
        CREATE FUNCTION sigg_resumen_rehacer() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM sigg_resumen_rehacer_registros();  -- takes the advisory lock
          {cuerpo}
        END $$"""


def upgrade() -> None:
    for sql in FUNCIONES:
        op.execute(sql)
    for tabla in CELDAS:
        for sql in _tablas(tabla):
            op.execute(sql)
        op.execute(_funcion_delta(tabla))
    op.execute(
        "CREATE FUNCTION sigg_celda_vaciar() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_TABLE_NAME = 'alianza' THEN DELETE FROM resumen_celda_alianza_delta; "
        "DELETE FROM resumen_celda_alianza; ELSE DELETE FROM resumen_celda_subproyecto_delta; "
        "DELETE FROM resumen_celda_subproyecto; END IF; RETURN NULL; END $$"
    )
    for funcion in ("sigg_resumen_compactar", "sigg_resumen_rehacer"):
        op.execute(f"ALTER FUNCTION {funcion}() RENAME TO {funcion}_registros")
    op.execute(_compactar())
    op.execute(_rehacer())
    for tabla in CELDAS:
        for sql in _disparadores(tabla):
            op.execute(sql)
    op.execute("SELECT sigg_resumen_rehacer()")


def downgrade() -> None:
    for funcion in ("sigg_resumen_compactar", "sigg_resumen_rehacer"):
        op.execute(f"DROP FUNCTION {funcion}()")
        op.execute(f"ALTER FUNCTION {funcion}_registros() RENAME TO {funcion}")
    for tabla, (resumen, _) in CELDAS.items():
        for evento in ("ins", "upd", "del", "trunc"):
            op.execute(f"DROP TRIGGER sigg_celda_{evento} ON {tabla}")
        op.execute(f"DROP VIEW {resumen}_vista")
        op.execute(f"DROP FUNCTION {resumen}_delta()")
        op.execute(f"DROP TABLE {resumen}_delta")
        op.execute(f"DROP TABLE {resumen}")
    op.execute("DROP FUNCTION sigg_celda_vaciar()")
    for funcion in ("sigg_celda_x", "sigg_celda_y"):
        op.execute(f"DROP FUNCTION {funcion}(double precision)")
