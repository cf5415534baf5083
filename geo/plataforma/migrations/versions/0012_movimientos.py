"""The time axis (issue 16): a dated money ledger per alliance and per subproject, and the
program as it stood at the end of any day.

``movimiento`` holds each transfer (``transferencia``) and each accounting (``descargo``, the
rendición de cuentas) of an alliance, and each executed amount of a subproject
(``ejecucion_empoderar``, ``ejecucion_contraparte``), with its date, amount in Bs, document and
who recorded it when. The totals on the records (``alianza.monto_transferido_bs``,
``monto_descargado_bs``; ``subproyecto_municipal.monto_empoderar_ejecutado_bs``,
``monto_contraparte_ejecutado_bs``) are the ledger's sums, kept so in the same transaction by
two statement-level triggers, whatever the path (form, import, command line, SQL):

- a movement added, changed or removed sets its record's totals to the ledger's sums;
- a total written directly on the record (a form or an import that carries totals) adds the
  difference to the ledger as an ``ajuste`` movement, so the ledger and the total never part.
  Its date is the record's stage date (``fecha_etapa``) for a record inserted with its totals
  (a historical load: the money is known at the stage the record arrives at) and the day of
  the change otherwise; a subproject, which has no stage date, takes the day of the change.

A movement of a validated record changes a validated total: the lock on validated records
refuses it (55000) like any other change, until national coordination reopens the record.

The existing totals migrate as one opening movement (``apertura``) per total, dated:
- for an alliance, the day it signed its agreement (``convenio_firmado`` in its stage history:
  PAR money is only transferred under an agreement), or, without that step in its history, its
  current stage date (``fecha_etapa``), the latest date the record vouches for;
- for a subproject, the day it was entered (``creado_en``): it keeps no other date.

``sigg_alianzas_al(corte)`` and ``sigg_subproyectos_al(corte)`` give the records as they stood at
the end of ``corte``, with the table's own row type (a later column comes along unchanged):
- an alliance exists from its application date (``fecha_solicitud``) or its first stage date,
  whichever is earlier; its stage is the last one of its history dated on or before ``corte``
  (``solicitud`` before the first), ``fecha_etapa`` that step's date, ``etapa_alcanzada`` the
  furthest stage of the cycle reached by then, and its money the ledger up to ``corte``;
- a subproject has no stage history and no date of its own: it exists from the day it was
  entered, at its current stage, with its executed money from the ledger up to ``corte``.
Everything else (families, hectares, committed money, place, verification state) is the
record's current value: none of it has a dated history of its own.

Revision ID: 0012_movimientos
Revises: 0011_idempotencia
Create Date: 2026-11-26
"""

# ruff: noqa: S608  (the SQL is built from this module's constants only)
from alembic import op

revision = "0012_movimientos"
down_revision = "0011_idempotencia"
branch_labels = None
depends_on = None

QUIEN = "coalesce(nullif(current_setting('sigg.usuario', true), ''), session_user)"
# Per record kind: its table, the movement's key, and (kind of movement, total it adds up to).
TOTALES = {
    "alianza": (
        "alianza_id",
        (("transferencia", "monto_transferido_bs"), ("descargo", "monto_descargado_bs")),
    ),
    "subproyecto_municipal": (
        "subproyecto_id",
        (
            ("ejecucion_empoderar", "monto_empoderar_ejecutado_bs"),
            ("ejecucion_contraparte", "monto_contraparte_ejecutado_bs"),
        ),
    ),
}


def upgrade() -> None:
    op.execute(
        f"""
        CREATE TABLE movimiento (
            id bigserial NOT NULL,
            alianza_id bigint,
            subproyecto_id bigint,
            fecha date NOT NULL,
            tipo varchar(24) NOT NULL,
            monto_bs numeric(16, 2) NOT NULL,
            documento text,
            origen varchar(16) DEFAULT 'libro' NOT NULL,
            usuario text DEFAULT {QUIEN} NOT NULL,
            registrado_en timestamp with time zone DEFAULT now() NOT NULL,
            CONSTRAINT pk_movimiento PRIMARY KEY (id),
            CONSTRAINT fk_movimiento_alianza_id_alianza FOREIGN KEY (alianza_id)
                REFERENCES alianza (id) ON DELETE CASCADE,
            CONSTRAINT fk_movimiento_subproyecto_id_subproyecto_municipal
                FOREIGN KEY (subproyecto_id) REFERENCES subproyecto_municipal (id)
                ON DELETE CASCADE,
            CONSTRAINT ck_movimiento_un_registro CHECK ((alianza_id IS NULL) <> (subproyecto_id IS NULL)),
            CONSTRAINT ck_movimiento_tipo CHECK (CASE WHEN alianza_id IS NOT NULL
                THEN tipo IN ('transferencia', 'descargo')
                ELSE tipo IN ('ejecucion_empoderar', 'ejecucion_contraparte') END),
            CONSTRAINT ck_movimiento_monto CHECK (monto_bs <> 0),
            CONSTRAINT ck_movimiento_origen CHECK (origen IN ('apertura', 'libro', 'ajuste')),
            CONSTRAINT ck_movimiento_documento CHECK (length(documento) <= 200)
        )
        """
    )
    op.execute("CREATE INDEX ix_movimiento_alianza ON movimiento (alianza_id, fecha)")
    op.execute("CREATE INDEX ix_movimiento_subproyecto ON movimiento (subproyecto_id, fecha)")
    _apertura()
    _disparadores()
    _al_corte()


def _apertura() -> None:
    convenio = (
        "(SELECT min(e.fecha) FROM alianza_etapa e "
        "WHERE e.alianza_id = a.id AND e.etapa = 'convenio_firmado')"
    )
    for tipo, total in TOTALES["alianza"][1]:
        op.execute(
            "INSERT INTO movimiento (alianza_id, fecha, tipo, monto_bs, documento, origen, "
            f"usuario) SELECT a.id, coalesce({convenio}, a.fecha_etapa), '{tipo}', a.{total}, "
            "'saldo de apertura (migración 0012)', 'apertura', 'migracion' FROM alianza a "
            f"WHERE a.{total} <> 0"
        )
    for tipo, total in TOTALES["subproyecto_municipal"][1]:
        op.execute(
            "INSERT INTO movimiento (subproyecto_id, fecha, tipo, monto_bs, documento, origen, "
            f"usuario) SELECT s.id, s.creado_en::date, '{tipo}', s.{total}, "
            "'saldo de apertura (migración 0012)', 'apertura', 'migracion' "
            f"FROM subproyecto_municipal s WHERE s.{total} <> 0"
        )


def _disparadores() -> None:
    for tabla, (clave, pares) in TOTALES.items():
        sumas = ", ".join(
            f"coalesce(sum(m.monto_bs) FILTER (WHERE m.tipo = '{t}'), 0) AS {c}" for t, c in pares
        )
        asignar = ", ".join(f"{c} = s.{c}" for _, c in pares)
        distinto = " OR ".join(f"r.{c} IS DISTINCT FROM s.{c}" for _, c in pares)
        # The ledger -> the totals: only the records whose sums differ are written, so a
        # balancing movement (below) causes no second change.
        op.execute(f"""
        CREATE FUNCTION sigg_libro_{tabla}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- A statement trigger fires for no rows too: stop there, or the two tables would
            -- call each other for ever.
            IF NOT EXISTS (SELECT 1 FROM cambiados) THEN
                RETURN NULL;
            END IF;
            WITH tocados AS (
                SELECT {clave} AS id FROM cambiados WHERE {clave} IS NOT NULL),
            s AS (
                SELECT t.id, {sumas} FROM (SELECT DISTINCT id FROM tocados) t
                LEFT JOIN movimiento m ON m.{clave} = t.id GROUP BY t.id)
            UPDATE {tabla} r SET {asignar} FROM s WHERE r.id = s.id AND ({distinto});
            RETURN NULL;
        END $$""")
        for evento, tabla_transicion in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            op.execute(
                f"CREATE TRIGGER movimiento_{tabla}_{evento.lower()} AFTER {evento} ON movimiento "
                f"REFERENCING {tabla_transicion} TABLE AS cambiados FOR EACH STATEMENT "
                f"EXECUTE FUNCTION sigg_libro_{tabla}()"
            )
        # The totals -> the ledger: a total written directly adds its difference. Both totals
        # in one INSERT, so that the ledger's trigger sees them together (never a transfer
        # of 0 beside an accounting, which the record's CHECK refuses).
        fecha_alta = "n.fecha_etapa" if tabla == "alianza" else "current_date"
        diferencias = " UNION ALL ".join(
            f"SELECT n.id, '{t}', n.{c} - (SELECT coalesce(sum(m.monto_bs), 0) FROM movimiento m "
            f"WHERE m.{clave} = n.id AND m.tipo = '{t}'), "
            f"CASE WHEN TG_OP = 'INSERT' THEN {fecha_alta} ELSE current_date END FROM nuevas n"
            for t, c in pares
        )
        op.execute(f"""
        CREATE FUNCTION sigg_ajuste_{tabla}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM nuevas) THEN
                RETURN NULL;
            END IF;
            INSERT INTO movimiento ({clave}, tipo, monto_bs, fecha, documento, origen)
            SELECT d.id, d.tipo, d.monto, d.fecha, 'total escrito en el registro', 'ajuste'
            FROM ({diferencias}) AS d(id, tipo, monto, fecha)
            WHERE d.monto <> 0;
            RETURN NULL;
        END $$""")
        for evento in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER {tabla}_libro_{evento.lower()} AFTER {evento} ON {tabla} "
                "REFERENCING NEW TABLE AS nuevas FOR EACH STATEMENT "
                f"EXECUTE FUNCTION sigg_ajuste_{tabla}()"
            )
    op.execute(
        "CREATE TRIGGER movimiento_generacion AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
        "ON movimiento FOR EACH STATEMENT EXECUTE FUNCTION sigg_nueva_generacion()"
    )


def _al_corte() -> None:
    # Set-based (one pass over the history and the ledger, hash-joined), and the record rebuilt
    # in a LATERAL: ``(jsonb_populate_record(...)).*`` in the select list would call it once
    # per column.
    op.execute("""
    CREATE FUNCTION sigg_alianzas_al(corte date) RETURNS SETOF alianza
    LANGUAGE sql STABLE AS $$
    WITH pasos AS (
        SELECT e.alianza_id, e.etapa, e.fecha, e.id, o.orden
        FROM alianza_etapa e JOIN etapa_alianza o ON o.codigo = e.etapa
        WHERE e.fecha <= corte),
    ultimo AS (
        SELECT DISTINCT ON (alianza_id) alianza_id, etapa, fecha
        FROM pasos ORDER BY alianza_id, fecha DESC, id DESC),
    h AS (
        SELECT u.alianza_id, u.etapa, u.fecha, r.alcanzada FROM ultimo u
        LEFT JOIN (SELECT alianza_id, max(orden) AS alcanzada FROM pasos
                   WHERE etapa NOT IN ('evaluacion_rechazada', 'abandonada')
                   GROUP BY alianza_id) r ON r.alianza_id = u.alianza_id),
    l AS (
        SELECT alianza_id,
               sum(monto_bs) FILTER (WHERE tipo = 'transferencia') AS transferido,
               sum(monto_bs) FILTER (WHERE tipo = 'descargo') AS descargado
        FROM movimiento WHERE fecha <= corte AND alianza_id IS NOT NULL GROUP BY alianza_id)
    SELECT x.*
    FROM alianza a
    LEFT JOIN h ON h.alianza_id = a.id
    LEFT JOIN l ON l.alianza_id = a.id
    CROSS JOIN LATERAL jsonb_populate_record(a, jsonb_build_object(
        'etapa', coalesce(h.etapa, 'solicitud'),
        'fecha_etapa', coalesce(h.fecha, a.fecha_solicitud),
        'etapa_alcanzada', coalesce(h.alcanzada, 0),
        'monto_transferido_bs', coalesce(l.transferido, 0),
        'monto_descargado_bs', coalesce(l.descargado, 0))) AS x
    WHERE h.alianza_id IS NOT NULL OR a.fecha_solicitud <= corte
    $$""")
    op.execute("""
    CREATE FUNCTION sigg_subproyectos_al(corte date) RETURNS SETOF subproyecto_municipal
    LANGUAGE sql STABLE AS $$
    WITH l AS (
        SELECT subproyecto_id,
               sum(monto_bs) FILTER (WHERE tipo = 'ejecucion_empoderar') AS empoderar,
               sum(monto_bs) FILTER (WHERE tipo = 'ejecucion_contraparte') AS contraparte
        FROM movimiento WHERE fecha <= corte AND subproyecto_id IS NOT NULL
        GROUP BY subproyecto_id)
    SELECT x.*
    FROM subproyecto_municipal s
    LEFT JOIN l ON l.subproyecto_id = s.id
    CROSS JOIN LATERAL jsonb_populate_record(s, jsonb_build_object(
        'monto_empoderar_ejecutado_bs', coalesce(l.empoderar, 0),
        'monto_contraparte_ejecutado_bs', coalesce(l.contraparte, 0))) AS x
    WHERE s.creado_en::date <= corte
    $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS sigg_subproyectos_al(date)")
    op.execute("DROP FUNCTION IF EXISTS sigg_alianzas_al(date)")
    for tabla in TOTALES:
        for evento in ("insert", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {tabla}_libro_{evento} ON {tabla}")
        op.execute(f"DROP FUNCTION IF EXISTS sigg_ajuste_{tabla}()")
    op.execute("DROP TABLE IF EXISTS movimiento")
    for tabla in TOTALES:
        op.execute(f"DROP FUNCTION IF EXISTS sigg_libro_{tabla}()")
