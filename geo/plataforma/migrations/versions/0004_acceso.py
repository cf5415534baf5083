"""Who may see and change what: staff accounts, the three-level verification of records
(registrado -> verificado -> validado) with its history, the lock on validated records and the
unit scope enforced by the database itself, and the complaints of the public site.

Revision ID: 0004_acceso
Revises: 0003_indicadores
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_acceso"
down_revision = "0003_indicadores"
branch_labels = None
depends_on = None

VERIFICADAS = ("alianza", "subproyecto_municipal")


def upgrade() -> None:
    op.create_table(
        "usuario",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nombre_usuario", sa.String(length=64), nullable=False),
        sa.Column("nombre", sa.Text(), nullable=False),
        sa.Column("rol", sa.String(length=16), nullable=False),
        sa.Column("unidad_operativa_codigo", sa.String(length=16), nullable=True),
        sa.Column("clave_hash", sa.Text(), nullable=False),
        sa.Column("activo", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column(
            "creado_en", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("rol IN ('nacional', 'unidad', 'tecnico')", name=op.f("ck_usuario_rol")),
        sa.CheckConstraint(
            "(rol = 'nacional') = (unidad_operativa_codigo IS NULL)",
            name=op.f("ck_usuario_unidad_segun_rol"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usuario")),
        sa.UniqueConstraint("nombre_usuario", name=op.f("uq_usuario_nombre_usuario")),
    )
    op.create_table(
        "verificacion",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("tabla", sa.String(length=32), nullable=False),
        sa.Column("registro_id", sa.BigInteger(), nullable=False),
        sa.Column("accion", sa.String(length=16), nullable=False),
        sa.Column("desde", sa.String(length=16), nullable=False),
        sa.Column("hacia", sa.String(length=16), nullable=False),
        sa.Column("usuario", sa.Text(), nullable=False),
        sa.Column(
            "momento", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("comentario", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verificacion")),
    )
    op.create_index("ix_verificacion_registro", "verificacion", ["tabla", "registro_id"])
    for tabla in VERIFICADAS:
        op.add_column(
            tabla,
            sa.Column(
                "estado",
                sa.String(length=16),
                server_default=sa.text("'registrado'"),
                nullable=False,
            ),
        )
        op.add_column(tabla, sa.Column("observacion", sa.Text(), nullable=True))
        op.create_check_constraint(
            "estado", tabla, "estado IN ('registrado', 'observado', 'verificado', 'validado')"
        )
    _reclamo()
    _resguardo()


def _reclamo() -> None:
    op.create_table(
        "reclamo",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("codigo", sa.String(length=16), nullable=False),
        sa.Column("programa_id", sa.Integer(), nullable=False),
        sa.Column("cartografia", sa.String(length=16), nullable=False),
        sa.Column("municipio_codigo", sa.String(length=6), nullable=False),
        sa.Column("alianza_id", sa.BigInteger(), nullable=True),
        sa.Column("recibido", sa.Date(), server_default=sa.func.current_date(), nullable=False),
        sa.Column("canal", sa.String(length=16), nullable=False),
        sa.Column("asunto", sa.Text(), nullable=False),
        sa.Column("descripcion", sa.Text(), nullable=False),
        sa.Column("nombre_contacto", sa.Text(), nullable=True),
        sa.Column("contacto", sa.Text(), nullable=True),
        sa.Column(
            "estado", sa.String(length=16), server_default=sa.text("'recibido'"), nullable=False
        ),
        sa.Column("respuesta", sa.Text(), nullable=True),
        sa.Column("respondido", sa.Date(), nullable=True),
        sa.Column("respondido_por", sa.Text(), nullable=True),
        sa.Column(
            "creado_en", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "canal IN ('web', 'telefono', 'presencial', 'buzon', 'correo')",
            name=op.f("ck_reclamo_canal"),
        ),
        sa.CheckConstraint(
            "estado IN ('recibido', 'en_atencion', 'respondido')", name=op.f("ck_reclamo_estado")
        ),
        sa.CheckConstraint(
            "(estado = 'respondido') = (respuesta IS NOT NULL AND respondido IS NOT NULL)",
            name=op.f("ck_reclamo_respuesta_segun_estado"),
        ),
        sa.CheckConstraint(
            "respondido IS NULL OR respondido >= recibido", name=op.f("ck_reclamo_fechas")
        ),
        sa.CheckConstraint(
            "length(asunto) <= 200 AND length(descripcion) <= 4000 "
            "AND coalesce(length(respuesta), 0) <= 4000",
            name=op.f("ck_reclamo_largo"),
        ),
        sa.ForeignKeyConstraint(
            ["cartografia", "municipio_codigo"],
            ["municipio.cartografia", "municipio.codigo"],
            name="fk_reclamo_municipio",
        ),
        sa.ForeignKeyConstraint(
            ["alianza_id"],
            ["alianza.id"],
            name=op.f("fk_reclamo_alianza_id_alianza"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programa_id"], ["programa.id"], name=op.f("fk_reclamo_programa_id_programa")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reclamo")),
        sa.UniqueConstraint("codigo", name=op.f("uq_reclamo_codigo")),
    )
    op.create_index("ix_reclamo_alianza_id", "reclamo", ["alianza_id"])
    op.create_index("ix_reclamo_municipio", "reclamo", ["cartografia", "municipio_codigo"])
    # Answers are audited like every record, and carry a version.
    op.execute(
        "CREATE TRIGGER reclamo_auditar_alta AFTER INSERT ON reclamo "
        "REFERENCING NEW TABLE AS nuevas FOR EACH STATEMENT EXECUTE FUNCTION sigg_auditar()"
    )
    op.execute(
        "CREATE TRIGGER reclamo_auditar_cambio AFTER UPDATE ON reclamo "
        "REFERENCING OLD TABLE AS viejas NEW TABLE AS nuevas "
        "FOR EACH STATEMENT EXECUTE FUNCTION sigg_auditar()"
    )
    op.execute(
        "CREATE TRIGGER reclamo_version BEFORE UPDATE ON reclamo "
        "FOR EACH ROW EXECUTE FUNCTION sigg_nueva_version()"
    )


def _resguardo() -> None:
    # The application sets sigg.rol and sigg.unidad for its transaction (geo.acceso.alcance). The
    # database refuses, whatever the path (form, import, SQL by the application):
    # - any change to a validated record but its reopening, and its deletion (55000);
    # - for a unit user, touching a record outside the unit's municipalities (42501);
    # - validating or reopening by anyone but national coordination (42501).
    # A change to the data of a verified record (or a correction of an observed one) sends it
    # back to "registrado": the unit verifies it again.
    # Named so that it fires after the stage triggers and before the version trigger.
    op.execute("""
    CREATE FUNCTION sigg_resguardo() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        rol text := nullif(current_setting('sigg.rol', true), '');
        u text := nullif(current_setting('sigg.unidad', true), '');
        uo text;
        cambio_datos boolean := false;
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            cambio_datos := (to_jsonb(NEW) - 'estado' - 'observacion' - 'version'
                             - 'actualizado_en')
                IS DISTINCT FROM (to_jsonb(OLD) - 'estado' - 'observacion' - 'version'
                                  - 'actualizado_en');
        END IF;
        IF TG_OP <> 'INSERT' AND OLD.estado = 'validado'
           AND (TG_OP = 'DELETE' OR cambio_datos) THEN
            RAISE EXCEPTION 'el registro % está validado: la coordinación nacional debe '
                'reabrirlo antes de cambiarlo', OLD.codigo USING ERRCODE = '55000';
        END IF;
        IF rol IS NOT NULL AND rol <> 'nacional' AND TG_OP = 'UPDATE'
           AND NEW.estado IS DISTINCT FROM OLD.estado
           AND 'validado' IN (NEW.estado, OLD.estado) THEN
            RAISE EXCEPTION 'solo la coordinación nacional valida o reabre registros'
                USING ERRCODE = '42501';
        END IF;
        IF u IS NOT NULL THEN
            IF TG_OP <> 'INSERT' THEN
                SELECT unidad_operativa_codigo INTO uo FROM municipio
                WHERE cartografia = OLD.cartografia AND codigo = OLD.municipio_codigo;
                IF uo IS DISTINCT FROM u THEN
                    RAISE EXCEPTION 'el registro % es de la unidad %; su unidad es %',
                        OLD.codigo, uo, u USING ERRCODE = '42501';
                END IF;
            END IF;
            IF TG_OP <> 'DELETE' THEN
                SELECT unidad_operativa_codigo INTO uo FROM municipio
                WHERE cartografia = NEW.cartografia AND codigo = NEW.municipio_codigo;
                IF uo IS DISTINCT FROM u THEN
                    RAISE EXCEPTION 'el municipio % es de la unidad %; su unidad es %',
                        NEW.municipio_codigo, uo, u USING ERRCODE = '42501';
                END IF;
            END IF;
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        IF TG_OP = 'UPDATE' AND cambio_datos AND OLD.estado IN ('verificado', 'observado')
           AND NEW.estado = OLD.estado THEN
            NEW.estado := 'registrado';
        END IF;
        RETURN NEW;
    END $$""")
    for tabla in VERIFICADAS:
        op.execute(
            f"CREATE TRIGGER {tabla}_resguardo BEFORE INSERT OR UPDATE OR DELETE ON {tabla} "
            "FOR EACH ROW EXECUTE FUNCTION sigg_resguardo()"
        )


def downgrade() -> None:
    for tabla in VERIFICADAS:
        op.execute(f"DROP TRIGGER IF EXISTS {tabla}_resguardo ON {tabla}")
    op.execute("DROP FUNCTION IF EXISTS sigg_resguardo()")
    op.drop_index("ix_reclamo_municipio", table_name="reclamo")
    op.drop_index("ix_reclamo_alianza_id", table_name="reclamo")
    op.drop_table("reclamo")
    for tabla in VERIFICADAS:
        op.drop_constraint("estado", tabla, type_="check")
        op.drop_column(tabla, "observacion")
        op.drop_column(tabla, "estado")
    op.drop_index("ix_verificacion_registro", table_name="verificacion")
    op.drop_table("verificacion")
    op.drop_table("usuario")
