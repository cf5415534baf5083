"""Aggregates that do not grow with the data (issue 17): the alliances and subprojects summed
per everything the common filters and the read rules ask of them, kept by the transactions
that write the records.

``resumen_alianza`` holds, per (program, cartography, municipality, stage, furthest stage
reached, verification state), the number of alliances and the sums the aggregation engine
reports (families, women, irrigated hectares, the five amounts). ``resumen_subproyecto`` does
the same for subprojects per (program, cartography, municipality, state). The key covers the
program, territory (through the municipality), stage, stage-reached and validated filters and
every reader's scope (public: validated; a unit: validated or of its municipalities), so those
questions are answered from a few thousand rows whatever the number of records.

How it is kept: a statement-level trigger per table and event reads the statement's transition
tables (the rows as they were and as they are), groups them by the key and appends the signed
difference as rows of ``resumen_*_delta`` (an INSERT, a DELETE, or both halves of an UPDATE;
nothing for a change that touches no summed column or key). Appending takes no lock a
concurrent writer waits for: two imports, or an import and a person's edit, never queue on a
shared counter row, and a long import holds nothing others need. ``sigg_resumen_compactar()``
folds the committed differences into the base tables in one short transaction (the server runs
it every few seconds; one at a time, by an advisory lock). A reader sums base and differences
(the views ``resumen_*_vista``) in its own snapshot, so it always sees exactly the records its
snapshot sees: a summed group with no records left has a count of 0 and is left out.

TRUNCATE empties the summary; ``sigg_resumen_rehacer()`` recomputes it from the records (after
a load with the triggers disabled, or to check it).

Revision ID: 0014_resumen
Revises: 0013_nombres
Create Date: 2026-11-26
"""

# ruff: noqa: S608  (the SQL is built from this module's constants only)
from alembic import op

revision = "0014_resumen"
down_revision = "0013_nombres"
branch_labels = None
depends_on = None

# Per table: its summary's name, the key columns, and (summed column, expression, SQL type).
RESUMENES = {
    "alianza": (
        "resumen_alianza",
        ("programa_id", "cartografia", "municipio_codigo", "etapa", "etapa_alcanzada", "estado"),
        (
            ("familias", "familias", "bigint"),
            ("familias_mujeres", "familias_mujeres", "bigint"),
            ("hectareas_riego", "hectareas_riego", "numeric"),
            ("monto_par_comprometido_bs", "monto_par_comprometido_bs", "numeric"),
            ("monto_contraparte_comprometido_bs", "monto_contraparte_comprometido_bs", "numeric"),
            ("monto_solicitado_bs", "monto_solicitado_bs", "numeric"),
            ("monto_transferido_bs", "monto_transferido_bs", "numeric"),
            ("monto_descargado_bs", "monto_descargado_bs", "numeric"),
        ),
    ),
    "subproyecto_municipal": (
        "resumen_subproyecto",
        ("programa_id", "cartografia", "municipio_codigo", "estado"),
        (
            ("subproyectos_familias", "familias", "bigint"),
            (
                "subproyectos_comprometido_bs",
                "monto_empoderar_comprometido_bs + monto_contraparte_comprometido_bs",
                "numeric",
            ),
            (
                "subproyectos_ejecutado_bs",
                "monto_empoderar_ejecutado_bs + monto_contraparte_ejecutado_bs",
                "numeric",
            ),
        ),
    ),
}
TIPOS_CLAVE = {
    "programa_id": "integer",
    "cartografia": "varchar(16)",
    "municipio_codigo": "varchar(6)",
    "etapa": "varchar(32)",
    "etapa_alcanzada": "smallint",
    "estado": "varchar(16)",
}
# Who may compact at a time (pg_try_advisory_xact_lock): one number, any value not used elsewhere.
CERROJO = 170017


def _agrupado(clave: tuple[str, ...], sumas: tuple, desde: str, signo: str) -> str:
    """The rows of ``desde`` grouped by the key, with count and sums times ``signo``."""
    cols = ", ".join(clave)
    return (
        f"SELECT {cols}, {signo} * count(*) AS n, "
        + ", ".join(f"{signo} * sum({expr}) AS {nombre}" for nombre, expr, _ in sumas)
        + f" FROM {desde} GROUP BY {cols}"
    )


def _funcion_delta(tabla: str) -> str:
    resumen, clave, sumas = RESUMENES[tabla]
    cols = ", ".join(clave)
    nombres = ", ".join(n for n, _, _ in sumas)
    suma = ", ".join(f"sum({n})" for n, _, _ in sumas)
    distinto = " OR ".join(["sum(n) <> 0", *(f"sum({n}) <> 0" for n, _, _ in sumas)])

    def anexar(partes: list[str]) -> str:
        return (
            f"INSERT INTO {resumen}_delta ({cols}, n, {nombres}) "
            f"SELECT {cols}, sum(n), {suma} FROM ({' UNION ALL '.join(partes)}) d "
            f"GROUP BY {cols} HAVING {distinto};"
        )

    nuevas = _agrupado(clave, sumas, "nuevas", "1")
    viejas = _agrupado(clave, sumas, "viejas", "-1")
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


def _tablas(tabla: str) -> list[str]:
    resumen, clave, sumas = RESUMENES[tabla]
    cols = ", ".join(f"{c} {TIPOS_CLAVE[c]} NOT NULL" for c in clave)
    medidas = ", ".join(f"{n} {tipo} NOT NULL" for n, _, tipo in sumas)
    todas = ", ".join((*clave, "n", *(n for n, _, _ in sumas)))
    return [
        f"CREATE TABLE {resumen} ({cols}, n bigint NOT NULL, {medidas}, "
        f"PRIMARY KEY ({', '.join(clave)}))",
        # Appended to only; no key, no index: a writer's append never waits on another's.
        f"CREATE TABLE {resumen}_delta ({cols}, n bigint NOT NULL, {medidas})",
        f"CREATE VIEW {resumen}_vista AS SELECT {todas} FROM {resumen} "
        f"UNION ALL SELECT {todas} FROM {resumen}_delta",
    ]


def _disparadores(tabla: str) -> list[str]:
    resumen = RESUMENES[tabla][0]
    return [
        f"CREATE TRIGGER sigg_resumen_ins AFTER INSERT ON {tabla} "
        f"REFERENCING NEW TABLE AS nuevas FOR EACH STATEMENT EXECUTE FUNCTION {resumen}_delta()",
        f"CREATE TRIGGER sigg_resumen_upd AFTER UPDATE ON {tabla} "
        "REFERENCING OLD TABLE AS viejas NEW TABLE AS nuevas "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {resumen}_delta()",
        f"CREATE TRIGGER sigg_resumen_del AFTER DELETE ON {tabla} "
        f"REFERENCING OLD TABLE AS viejas FOR EACH STATEMENT EXECUTE FUNCTION {resumen}_delta()",
        f"CREATE TRIGGER sigg_resumen_trunc AFTER TRUNCATE ON {tabla} "
        "FOR EACH STATEMENT EXECUTE FUNCTION sigg_resumen_vaciar()",
    ]


def _compactar() -> str:
    pasos = []
    for resumen, clave, sumas in RESUMENES.values():
        cols = ", ".join(clave)
        nombres = [n for n, _, _ in sumas]
        pasos.append(
            f"WITH sacadas AS (DELETE FROM {resumen}_delta RETURNING *) "
            f"INSERT INTO {resumen} AS r ({cols}, n, {', '.join(nombres)}) "
            f"SELECT {cols}, sum(n), {', '.join(f'sum({n})' for n in nombres)} FROM sacadas "
            f"GROUP BY {cols} ORDER BY {cols} "
            f"ON CONFLICT ({cols}) DO UPDATE SET n = r.n + excluded.n, "
            + ", ".join(f"{n} = r.{n} + excluded.{n}" for n in nombres)
            + ";"
        )
        pasos.append(f"DELETE FROM {resumen} WHERE n = 0;")
    cuerpo = "\n".join(pasos)
    return f"""
        CREATE FUNCTION sigg_resumen_compactar() RETURNS boolean LANGUAGE plpgsql AS $$
        BEGIN
          -- One compactor at a time; another caller just returns (its turn comes later).
          IF NOT pg_try_advisory_xact_lock({CERROJO}) THEN
            RETURN false;
          END IF;
          {cuerpo}
          RETURN true;
        END $$"""


def _rehacer() -> str:
    pasos = []
    for tabla, (resumen, clave, sumas) in RESUMENES.items():
        nombres = ", ".join(n for n, _, _ in sumas)
        pasos += [
            f"DELETE FROM {resumen}_delta;",
            f"DELETE FROM {resumen};",
            f"INSERT INTO {resumen} ({', '.join(clave)}, n, {nombres}) "
            f"{_agrupado(clave, sumas, tabla, '1')};",
        ]
    cuerpo = "\n".join(pasos)
    return f"""
        CREATE FUNCTION sigg_resumen_rehacer() RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          PERFORM pg_advisory_xact_lock({CERROJO});
          {cuerpo}
        END $$"""


def upgrade() -> None:
    for tabla in RESUMENES:
        for sql in _tablas(tabla):
            op.execute(sql)
        op.execute(_funcion_delta(tabla))
    # TRUNCATE of one table empties its own summary only (the function is per table).
    op.execute(
        "CREATE FUNCTION sigg_resumen_vaciar() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_TABLE_NAME = 'alianza' THEN DELETE FROM resumen_alianza_delta; "
        "DELETE FROM resumen_alianza; ELSE DELETE FROM resumen_subproyecto_delta; "
        "DELETE FROM resumen_subproyecto; END IF; RETURN NULL; END $$"
    )
    op.execute(_compactar())
    op.execute(_rehacer())
    for tabla in RESUMENES:
        for sql in _disparadores(tabla):
            op.execute(sql)
    op.execute("SELECT sigg_resumen_rehacer()")


def downgrade() -> None:
    for tabla, (resumen, _, _) in RESUMENES.items():
        for evento in ("ins", "upd", "del", "trunc"):
            op.execute(f"DROP TRIGGER sigg_resumen_{evento} ON {tabla}")
        op.execute(f"DROP VIEW {resumen}_vista")
        op.execute(f"DROP FUNCTION {resumen}_delta()")
        op.execute(f"DROP TABLE {resumen}_delta")
        op.execute(f"DROP TABLE {resumen}")
    for funcion in ("sigg_resumen_rehacer", "sigg_resumen_compactar", "sigg_resumen_vaciar"):
        op.execute(f"DROP FUNCTION {funcion}()")
