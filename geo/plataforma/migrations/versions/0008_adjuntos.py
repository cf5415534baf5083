"""Attachments: photos and documents of alliances, municipal subprojects, complaints and the
monitoring cycles of an alliance (issue 14).

The files are stored IN the database (``contenido bytea``), not on disk: a record and its files
are written, or rolled back, in the same transaction, so a failed upload leaves nothing behind
and a deleted record takes its files with it; and the pg_dump backup (geo/plataforma/respaldo.py)
carries them, counted in its manifest like every other table, with no second store to copy.
PostgreSQL TOASTs the large values out of line, so listing attachments never reads their bytes.

One table for every kind of record, keyed by (recurso, registro_id): a foreign key cannot name
four tables, so triggers on the owning tables delete a record's attachments with it.

Revision ID: 0008_adjuntos
Revises: 0007_busqueda
Create Date: 2026-11-27
"""

from alembic import op

revision = "0008_adjuntos"
down_revision = "0007_busqueda"
branch_labels = None
depends_on = None

# The owner of each kind of attachment: its table, and the row's key in it. A monitoring cycle's
# attachments hang from the alliance (registro_id) and the cycle.
DUENOS = {
    "alianza": "alianza",
    "subproyecto_municipal": "subproyecto_municipal",
    "reclamo": "reclamo",
    "seguimiento": "seguimiento_alianza",
}


def upgrade() -> None:
    _tabla()
    _resguardo()
    _auditoria()
    _limpieza()


def _tabla() -> None:
    op.execute(
        """
        CREATE TABLE adjunto (
            id bigserial NOT NULL,
            recurso varchar(32) NOT NULL,
            registro_id bigint NOT NULL,
            ciclo integer,
            nombre text NOT NULL,
            tipo varchar(32) NOT NULL,
            bytes integer NOT NULL,
            sha256 varchar(64) NOT NULL,
            contenido bytea NOT NULL,
            miniatura bytea,
            exif_lat double precision,
            exif_lon double precision,
            exif_municipio varchar(6),
            fuera_de_municipio boolean,
            creado_por text NOT NULL,
            creado_en timestamp with time zone DEFAULT now() NOT NULL,
            CONSTRAINT pk_adjunto PRIMARY KEY (id),
            CONSTRAINT ck_adjunto_recurso CHECK (recurso IN
                ('alianza', 'subproyecto_municipal', 'reclamo', 'seguimiento_alianza')),
            CONSTRAINT ck_adjunto_ciclo_segun_recurso CHECK (
                (recurso = 'seguimiento_alianza') = (ciclo IS NOT NULL)),
            CONSTRAINT ck_adjunto_tipo CHECK (tipo IN
                ('image/jpeg', 'image/png', 'image/heic', 'application/pdf')),
            CONSTRAINT ck_adjunto_bytes CHECK (bytes > 0 AND bytes = length(contenido)),
            CONSTRAINT ck_adjunto_posicion CHECK (
                (exif_lat IS NULL) = (exif_lon IS NULL)
                AND (exif_lat IS NULL OR (exif_lat BETWEEN -90 AND 90
                                          AND exif_lon BETWEEN -180 AND 180)))
        )
        """
    )
    op.execute("CREATE INDEX ix_adjunto_registro ON adjunto (recurso, registro_id)")


def _resguardo() -> None:
    # The same guard as the records' (migration 0004), whatever path writes: the owner must
    # exist (a foreign key cannot name four tables: 23503), a unit user touches only its unit's
    # records (42501), and a validated alliance or subproject is locked (55000). Deleting an
    # attachment whose owner is already gone is the owner's deletion cleaning up: allowed.
    op.execute("""
    CREATE FUNCTION sigg_resguardo_adjunto() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        u text := nullif(current_setting('sigg.unidad', true), '');
        a adjunto := CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
        estado text;
        uo text;
    BEGIN
        IF a.recurso IN ('alianza', 'seguimiento_alianza') THEN
            SELECT r.estado, m.unidad_operativa_codigo INTO estado, uo FROM alianza r
            JOIN municipio m ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo
            WHERE r.id = a.registro_id;
        ELSIF a.recurso = 'subproyecto_municipal' THEN
            SELECT r.estado, m.unidad_operativa_codigo INTO estado, uo
            FROM subproyecto_municipal r
            JOIN municipio m ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo
            WHERE r.id = a.registro_id;
        ELSE
            SELECT 'reclamo', m.unidad_operativa_codigo INTO estado, uo FROM reclamo r
            JOIN municipio m ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo
            WHERE r.id = a.registro_id;
        END IF;
        IF NOT FOUND THEN
            IF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RAISE EXCEPTION 'el registro % de % no existe', a.registro_id, a.recurso
                USING ERRCODE = '23503';
        END IF;
        IF a.recurso = 'seguimiento_alianza' AND TG_OP = 'INSERT' AND NOT EXISTS (
            SELECT 1 FROM seguimiento s WHERE s.alianza_id = a.registro_id AND s.ciclo = a.ciclo
        ) THEN
            RAISE EXCEPTION 'la alianza % no tiene seguimiento del ciclo %', a.registro_id,
                a.ciclo USING ERRCODE = '23503';
        END IF;
        -- Monitoring goes on after validation: a validated alliance does not lock it.
        IF estado = 'validado' AND a.recurso <> 'seguimiento_alianza' THEN
            RAISE EXCEPTION 'el registro % de % está validado: la coordinación nacional debe '
                'reabrirlo antes de cambiar sus adjuntos', a.registro_id, a.recurso
                USING ERRCODE = '55000';
        END IF;
        IF u IS NOT NULL AND uo IS DISTINCT FROM u THEN
            RAISE EXCEPTION 'el registro % de % es de la unidad %; su unidad es %',
                a.registro_id, a.recurso, uo, u USING ERRCODE = '42501';
        END IF;
        RETURN a;
    END $$""")
    op.execute(
        "CREATE TRIGGER adjunto_resguardo BEFORE INSERT OR UPDATE OR DELETE ON adjunto "
        "FOR EACH ROW EXECUTE FUNCTION sigg_resguardo_adjunto()"
    )


def _auditoria() -> None:
    # Who attached or removed what, in the audit trail like every record, without the bytes
    # (the sha256 names the file).
    op.execute("""
    CREATE FUNCTION sigg_auditar_adjunto() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        quien text := coalesce(nullif(current_setting('sigg.usuario', true), ''), session_user);
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO auditoria (tabla, registro_id, accion, usuario, antes, despues)
            VALUES ('adjunto', NEW.id, 'alta', quien, NULL,
                    to_jsonb(NEW) - 'contenido' - 'miniatura');
        ELSE
            INSERT INTO auditoria (tabla, registro_id, accion, usuario, antes, despues)
            VALUES ('adjunto', OLD.id, 'baja', quien,
                    to_jsonb(OLD) - 'contenido' - 'miniatura', NULL);
        END IF;
        RETURN NULL;
    END $$""")
    op.execute(
        "CREATE TRIGGER adjunto_auditar AFTER INSERT OR DELETE ON adjunto "
        "FOR EACH ROW EXECUTE FUNCTION sigg_auditar_adjunto()"
    )


def _limpieza() -> None:
    # A deleted record takes its attachments with it (what a foreign key's ON DELETE CASCADE
    # would do); a deleted monitoring cycle takes the cycle's.
    op.execute("""
    CREATE FUNCTION sigg_borrar_adjuntos() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_TABLE_NAME = 'seguimiento' THEN
            DELETE FROM adjunto WHERE recurso = 'seguimiento_alianza'
                AND registro_id = OLD.alianza_id AND ciclo = OLD.ciclo;
        ELSE
            DELETE FROM adjunto WHERE recurso = TG_ARGV[0] AND registro_id = OLD.id;
        END IF;
        RETURN OLD;
    END $$""")
    for tabla, recurso in DUENOS.items():
        op.execute(
            f"CREATE TRIGGER {tabla}_borrar_adjuntos AFTER DELETE ON {tabla} "
            f"FOR EACH ROW EXECUTE FUNCTION sigg_borrar_adjuntos('{recurso}')"
        )


def downgrade() -> None:
    for tabla in DUENOS:
        op.execute(f"DROP TRIGGER IF EXISTS {tabla}_borrar_adjuntos ON {tabla}")
    op.execute("DROP TABLE IF EXISTS adjunto")
    op.execute("DROP FUNCTION IF EXISTS sigg_borrar_adjuntos()")
    op.execute("DROP FUNCTION IF EXISTS sigg_auditar_adjunto()")
    op.execute("DROP FUNCTION IF EXISTS sigg_resguardo_adjunto()")
