"""Tables, as SQLAlchemy 2 typed models with GeoAlchemy2 geometry columns.

Every territorial table is keyed by (cartografia, codigo): the 2012 cartography (339
municipalities, the program's) and the 2024 one (343) live side by side and a query always names
one version, so versions are never mixed. Foreign keys between levels are deferred so that a load
can write municipalities first and dissolve their parents after, in one transaction.
"""

from __future__ import annotations

import builtins
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSON, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _multipolygon() -> Any:
    return Geometry("MULTIPOLYGON", srid=4326, spatial_index=False, nullable=False)


class Cartografia(Base):
    """A loaded version of the territory, with the report of its last load."""

    __tablename__ = "cartografia"

    codigo: Mapped[str] = mapped_column(String(16), primary_key=True)
    descripcion: Mapped[str] = mapped_column(Text)
    fuente: Mapped[str] = mapped_column(Text)
    cargada_en: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reporte: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)


class _Poblacion:
    """Census figures: NULL means unknown (sin dato), never zero."""

    pob_2012: Mapped[int | None] = mapped_column(Integer)
    urbana_2012: Mapped[int | None] = mapped_column(Integer)
    rural_2012: Mapped[int | None] = mapped_column(Integer)
    pob_2024: Mapped[int | None] = mapped_column(Integer)
    area_km2: Mapped[float] = mapped_column(Float)


def _version_fk() -> Any:
    return ForeignKey("cartografia.codigo", ondelete="CASCADE")


class Departamento(_Poblacion, Base):
    __tablename__ = "departamento"
    __table_args__ = (
        CheckConstraint("codigo ~ '^[0-9]{2}$'", name="codigo"),
        Index("ix_departamento_geom", "geom", postgresql_using="gist"),
    )

    cartografia: Mapped[str] = mapped_column(String(16), _version_fk(), primary_key=True)
    codigo: Mapped[str] = mapped_column(String(2), primary_key=True)
    nombre: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(_multipolygon())


class Provincia(_Poblacion, Base):
    __tablename__ = "provincia"
    __table_args__ = (
        CheckConstraint("codigo ~ '^[0-9]{4}$'", name="codigo"),
        CheckConstraint("left(codigo, 2) = departamento_codigo", name="codigo_en_departamento"),
        ForeignKeyConstraint(
            ["cartografia", "departamento_codigo"],
            ["departamento.cartografia", "departamento.codigo"],
            deferrable=True,
            initially="DEFERRED",
        ),
        Index("ix_provincia_geom", "geom", postgresql_using="gist"),
    )

    cartografia: Mapped[str] = mapped_column(String(16), _version_fk(), primary_key=True)
    codigo: Mapped[str] = mapped_column(String(4), primary_key=True)
    nombre: Mapped[str] = mapped_column(Text)
    # The name as the source file spells it, when data/municipios/nombres_corregidos.csv
    # corrects it (``nombre``); searched too, so either spelling finds the place.
    nombre_fuente: Mapped[str | None] = mapped_column(Text)
    departamento_codigo: Mapped[str] = mapped_column(String(2))
    geom: Mapped[Any] = mapped_column(_multipolygon())


class UnidadOperativa(_Poblacion, Base):
    """An operational unit: nine departmental ones and the regional unit Chaco."""

    __tablename__ = "unidad_operativa"
    __table_args__ = (
        CheckConstraint("tipo IN ('departamental', 'regional')", name="tipo"),
        Index("ix_unidad_operativa_geom", "geom", postgresql_using="gist"),
    )

    cartografia: Mapped[str] = mapped_column(String(16), _version_fk(), primary_key=True)
    codigo: Mapped[str] = mapped_column(String(16), primary_key=True)
    nombre: Mapped[str] = mapped_column(Text)
    tipo: Mapped[str] = mapped_column(String(16))
    # The department a departmental unit serves by default; NULL for a regional unit.
    departamento_codigo: Mapped[str | None] = mapped_column(String(2))
    geom: Mapped[Any] = mapped_column(_multipolygon())


class Municipio(_Poblacion, Base):
    __tablename__ = "municipio"
    __table_args__ = (
        CheckConstraint("codigo ~ '^[0-9]{6}$'", name="codigo"),
        CheckConstraint("left(codigo, 4) = provincia_codigo", name="codigo_en_provincia"),
        CheckConstraint("left(codigo, 2) = departamento_codigo", name="codigo_en_departamento"),
        CheckConstraint("ST_IsValid(geom)", name="geom_valida"),
        ForeignKeyConstraint(
            ["cartografia", "provincia_codigo"],
            ["provincia.cartografia", "provincia.codigo"],
            deferrable=True,
            initially="DEFERRED",
        ),
        ForeignKeyConstraint(
            ["cartografia", "departamento_codigo"],
            ["departamento.cartografia", "departamento.codigo"],
            deferrable=True,
            initially="DEFERRED",
        ),
        ForeignKeyConstraint(
            ["cartografia", "unidad_operativa_codigo"],
            ["unidad_operativa.cartografia", "unidad_operativa.codigo"],
            deferrable=True,
            initially="DEFERRED",
        ),
        Index("ix_municipio_geom", "geom", postgresql_using="gist"),
        Index("ix_municipio_unidad", "cartografia", "unidad_operativa_codigo"),
        Index("ix_municipio_provincia", "cartografia", "provincia_codigo"),
    )

    cartografia: Mapped[str] = mapped_column(String(16), _version_fk(), primary_key=True)
    codigo: Mapped[str] = mapped_column(String(6), primary_key=True)
    nombre: Mapped[str] = mapped_column(Text)
    nombre_fuente: Mapped[str | None] = mapped_column(Text)  # as for Provincia
    provincia_codigo: Mapped[str] = mapped_column(String(4))
    departamento_codigo: Mapped[str] = mapped_column(String(2))
    unidad_operativa_codigo: Mapped[str] = mapped_column(String(16))
    # For the 2024 indigenous territories (TIOC): the 2012 municipality they were carved from.
    codigo_2012: Mapped[str | None] = mapped_column(String(6))
    geom: Mapped[Any] = mapped_column(_multipolygon())
    # A point guaranteed inside the polygon: the location of a record known only by municipality.
    punto_interior: Mapped[Any] = mapped_column(
        Geometry("POINT", srid=4326, spatial_index=False, nullable=False)
    )


class MunicipioParte(Base):
    """Municipalities cut into pieces of at most 255 vertices (ST_Subdivide): locating
    100,000 points tests each against a few small pieces instead of whole borders."""

    __tablename__ = "municipio_parte"
    __table_args__ = (
        Index("ix_municipio_parte_geom", "geom", postgresql_using="gist"),
        Index("ix_municipio_parte_codigo", "cartografia", "codigo"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cartografia: Mapped[str] = mapped_column(String(16), _version_fk())
    codigo: Mapped[str] = mapped_column(String(6))
    geom: Mapped[Any] = mapped_column(
        Geometry("POLYGON", srid=4326, spatial_index=False, nullable=False)
    )


class CuerpoAgua(Base):
    """Lakes and salt flats: holes in the municipal cartography (Titicaca, Poopó, Uyuni...)."""

    __tablename__ = "cuerpo_agua"
    __table_args__ = (Index("ix_cuerpo_agua_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cartografia: Mapped[str] = mapped_column(String(16), _version_fk(), index=True)
    codigo: Mapped[str] = mapped_column(String(8))
    nombre: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(_multipolygon())


# -- The registry -----------------------------------------------------------------------------

_BOLIVIA_EXTENT = "ST_X(geom) BETWEEN -70 AND -57 AND ST_Y(geom) BETWEEN -23.5 AND -9"


def _dinero() -> Any:
    return mapped_column(Numeric(16, 2), nullable=False, server_default=text("0"))


def _punto() -> Any:
    return mapped_column(Geometry("POINT", srid=4326, spatial_index=False, nullable=False))


class Programa(Base):
    """A program (PAR II, BO-481...). Every record belongs to one."""

    __tablename__ = "programa"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    codigo: Mapped[str] = mapped_column(String(32), unique=True)
    nombre: Mapped[str] = mapped_column(Text)
    # The cartography its records are located in. Not a foreign key: a program can be declared
    # before its territory is loaded; the records' own keys to municipio hold the guarantee.
    cartografia: Mapped[str] = mapped_column(String(16), server_default="2012")
    # When true, transferred above committed (or accounted above transferred) is accepted and
    # flagged instead of refused.
    permite_excesos: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # True while the program holds generated demo data (shown wherever its figures are).
    sintetico: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    # Bs per US dollar for this program's figures; NULL: the installation's SIGG_TIPO_CAMBIO.
    tipo_cambio: Mapped[Decimal | None] = mapped_column(
        Numeric(10, 4), CheckConstraint("tipo_cambio > 0", name="tipo_cambio_positivo")
    )
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    actualizado_en: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Organizacion(Base):
    """A producer organization (OPP)."""

    __tablename__ = "organizacion"
    __table_args__ = (
        UniqueConstraint("programa_id", "nombre", name="uq_organizacion_programa_nombre"),
        CheckConstraint("familias_miembro >= 0", name="familias_miembro"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    programa_id: Mapped[int] = mapped_column(ForeignKey("programa.id"), index=True)
    nombre: Mapped[str] = mapped_column(Text)
    formalizada: Mapped[bool | None] = mapped_column(Boolean)
    familias_miembro: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class _Ubicado:
    """A located record: a point, its precision, and the municipality (of the program's
    cartography) that the point lies in; the operational unit follows from the municipality."""

    cartografia: Mapped[str] = mapped_column(String(16))
    municipio_codigo: Mapped[str] = mapped_column(String(6))
    geom: Mapped[Any] = _punto()
    precision_ubicacion: Mapped[int] = mapped_column(SmallInteger)
    alertas: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default=text("'{}'"))
    # The three-level verification (catalogos.ESTADOS); the last observation if sent back.
    estado: Mapped[str] = mapped_column(String(16), server_default=text("'registrado'"))
    observacion: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    creado_en: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    actualizado_en: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


def _ubicado_args(tabla: str) -> tuple[Any, ...]:
    return (
        ForeignKeyConstraint(
            ["cartografia", "municipio_codigo"],
            ["municipio.cartografia", "municipio.codigo"],
            name=f"fk_{tabla}_municipio",
        ),
        UniqueConstraint("programa_id", "codigo", name=f"uq_{tabla}_programa_codigo"),
        CheckConstraint(_BOLIVIA_EXTENT, name="en_bolivia"),
        CheckConstraint("precision_ubicacion IN (1, 2, 3, 4)", name="precision"),
        CheckConstraint(
            "estado IN ('registrado', 'observado', 'verificado', 'validado')", name="estado"
        ),
        Index(f"ix_{tabla}_geom", "geom", postgresql_using="gist"),
        Index(f"ix_{tabla}_municipio", "cartografia", "municipio_codigo"),
    )


class Alianza(_Ubicado, Base):
    __tablename__ = "alianza"
    __table_args__ = (
        *_ubicado_args("alianza"),
        CheckConstraint("modelo IN (1, 2, 3)", name="modelo"),
        CheckConstraint("financiamiento IN ('inicial', 'adicional')", name="financiamiento"),
        CheckConstraint("familias >= 0 AND familias_mujeres >= 0", name="familias"),
        CheckConstraint("familias_mujeres <= familias", name="mujeres_no_mas_que_familias"),
        CheckConstraint("hectareas_riego >= 0", name="hectareas"),
        CheckConstraint(
            "monto_par_comprometido_bs >= 0 AND monto_contraparte_comprometido_bs >= 0 "
            "AND monto_solicitado_bs >= 0 AND monto_transferido_bs >= 0 "
            "AND monto_descargado_bs >= 0",
            name="montos_no_negativos",
        ),
        CheckConstraint(
            "monto_transferido_bs <= monto_par_comprometido_bs "
            "OR 'transferido_excede_comprometido' = ANY(alertas)",
            name="transferido_no_excede",
        ),
        CheckConstraint(
            "monto_descargado_bs <= monto_transferido_bs "
            "OR 'descargado_excede_transferido' = ANY(alertas)",
            name="descargado_no_excede",
        ),
        Index("ix_alianza_programa_etapa", "programa_id", "etapa"),
        Index("ix_alianza_programa_alcanzada", "programa_id", "etapa_alcanzada"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    programa_id: Mapped[int] = mapped_column(ForeignKey("programa.id"))
    codigo: Mapped[str] = mapped_column(String(64))
    nombre: Mapped[str] = mapped_column(Text)
    organizacion_id: Mapped[int | None] = mapped_column(ForeignKey("organizacion.id"), index=True)
    comprador: Mapped[str | None] = mapped_column(Text)
    sector: Mapped[str] = mapped_column(String(32), ForeignKey("sector.codigo"))
    modelo: Mapped[int] = mapped_column(SmallInteger)
    financiamiento: Mapped[str] = mapped_column(String(16))
    convocatoria: Mapped[str | None] = mapped_column(String(32))
    etapa: Mapped[str] = mapped_column(String(32), ForeignKey("etapa_alianza.codigo"))
    # The furthest stage of the main cycle ever reached (etapa_alianza.orden), kept by a
    # trigger: an alliance abandoned after its agreement still counts as one with agreement.
    etapa_alcanzada: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    fecha_etapa: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    fecha_solicitud: Mapped[date | None] = mapped_column(Date)
    familias: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    familias_mujeres: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    hectareas_riego: Mapped[Decimal] = mapped_column(Numeric(12, 2), server_default=text("0"))
    monto_par_comprometido_bs: Mapped[Decimal] = _dinero()
    monto_contraparte_comprometido_bs: Mapped[Decimal] = _dinero()
    monto_solicitado_bs: Mapped[Decimal] = _dinero()
    monto_transferido_bs: Mapped[Decimal] = _dinero()
    monto_descargado_bs: Mapped[Decimal] = _dinero()


class Sector(Base):
    __tablename__ = "sector"

    codigo: Mapped[str] = mapped_column(String(32), primary_key=True)
    nombre: Mapped[str] = mapped_column(Text)


class EtapaAlianza(Base):
    __tablename__ = "etapa_alianza"

    codigo: Mapped[str] = mapped_column(String(32), primary_key=True)
    nombre: Mapped[str] = mapped_column(Text)
    orden: Mapped[int] = mapped_column(SmallInteger)


class TransicionEtapa(Base):
    """The allowed stage changes; a trigger refuses any other."""

    __tablename__ = "transicion_etapa"

    desde: Mapped[str] = mapped_column(
        String(32), ForeignKey("etapa_alianza.codigo"), primary_key=True
    )
    hacia: Mapped[str] = mapped_column(
        String(32), ForeignKey("etapa_alianza.codigo"), primary_key=True
    )


class AlianzaEtapa(Base):
    """When each alliance reached each stage (written by a trigger)."""

    __tablename__ = "alianza_etapa"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    alianza_id: Mapped[int] = mapped_column(
        ForeignKey("alianza.id", ondelete="CASCADE"), index=True
    )
    etapa: Mapped[str] = mapped_column(String(32))
    fecha: Mapped[date] = mapped_column(Date)
    usuario: Mapped[str | None] = mapped_column(Text)
    registrado_en: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Seguimiento(Base):
    """Monitoring of an alliance in one productive cycle; cycle 0 is the baseline (sin
    proyecto)."""

    __tablename__ = "seguimiento"
    __table_args__ = (
        UniqueConstraint("alianza_id", "ciclo", name="uq_seguimiento_alianza_ciclo"),
        CheckConstraint("ciclo >= 0", name="ciclo"),
        CheckConstraint(
            "volumen_vendido >= 0 AND precio_bs >= 0 AND ventas_bs >= 0 AND costos_bs >= 0",
            name="no_negativos",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    alianza_id: Mapped[int] = mapped_column(ForeignKey("alianza.id", ondelete="CASCADE"))
    ciclo: Mapped[int] = mapped_column(SmallInteger)
    fecha: Mapped[date | None] = mapped_column(Date)
    volumen_vendido: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    unidad_volumen: Mapped[str | None] = mapped_column(String(32))
    precio_bs: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    ventas_bs: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    costos_bs: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    ingreso_bs: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    relacion_comercial_mantenida: Mapped[bool | None] = mapped_column(Boolean)
    medidas_ambientales: Mapped[bool | None] = mapped_column(Boolean)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class SubproyectoMunicipal(_Ubicado, Base):
    """Municipal infrastructure executed through the FPS."""

    __tablename__ = "subproyecto_municipal"
    __table_args__ = (
        *_ubicado_args("subproyecto_municipal"),
        CheckConstraint(
            "etapa IN ('evaluacion_fps', 'licitacion', 'ejecucion', 'recepcion_provisional', "
            "'recepcion_definitiva')",
            name="etapa",
        ),
        CheckConstraint("familias >= 0", name="familias"),
        CheckConstraint(
            "monto_empoderar_comprometido_bs >= 0 AND monto_contraparte_comprometido_bs >= 0 "
            "AND monto_empoderar_ejecutado_bs >= 0 AND monto_contraparte_ejecutado_bs >= 0",
            name="montos_no_negativos",
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    programa_id: Mapped[int] = mapped_column(ForeignKey("programa.id"))
    codigo: Mapped[str] = mapped_column(String(64))
    nombre: Mapped[str] = mapped_column(Text)
    tipo_obra: Mapped[str | None] = mapped_column(Text)
    etapa: Mapped[str] = mapped_column(String(32))
    familias: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    monto_empoderar_comprometido_bs: Mapped[Decimal] = _dinero()
    monto_contraparte_comprometido_bs: Mapped[Decimal] = _dinero()
    monto_empoderar_ejecutado_bs: Mapped[Decimal] = _dinero()
    monto_contraparte_ejecutado_bs: Mapped[Decimal] = _dinero()


class SubproyectoAlianza(Base):
    __tablename__ = "subproyecto_alianza"

    subproyecto_id: Mapped[int] = mapped_column(
        ForeignKey("subproyecto_municipal.id", ondelete="CASCADE"), primary_key=True
    )
    alianza_id: Mapped[int] = mapped_column(
        ForeignKey("alianza.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class Indicador(Base):
    """A results-framework indicator of a program. ``calculo`` names how SIGG computes it from
    the records; without one, its values are entered per period with their source."""

    __tablename__ = "indicador"
    __table_args__ = (
        UniqueConstraint("programa_id", "codigo", name="uq_indicador_programa_codigo"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programa_id: Mapped[int] = mapped_column(ForeignKey("programa.id"))
    codigo: Mapped[str] = mapped_column(String(16))
    nombre: Mapped[str] = mapped_column(Text)
    unidad: Mapped[str] = mapped_column(String(32))
    linea_base: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    meta: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    frecuencia: Mapped[str | None] = mapped_column(String(32))
    como_se_calcula: Mapped[str | None] = mapped_column(Text)
    calculo: Mapped[str | None] = mapped_column(String(64))
    orden: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))


class IndicadorValor(Base):
    """A value entered for a period; NULL valor is "sin dato" (the source says it is unknown)."""

    __tablename__ = "indicador_valor"
    __table_args__ = (
        UniqueConstraint("indicador_id", "periodo", name="uq_indicador_valor_periodo"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    indicador_id: Mapped[int] = mapped_column(ForeignKey("indicador.id", ondelete="CASCADE"))
    periodo: Mapped[str] = mapped_column(String(16))
    valor: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    fuente: Mapped[str] = mapped_column(Text)
    nota: Mapped[str | None] = mapped_column(Text)
    registrado_en: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )


class Auditoria(Base):
    """Every change to a record: who, when, before and after (written by triggers)."""

    __tablename__ = "auditoria"
    __table_args__ = (Index("ix_auditoria_registro", "tabla", "registro_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tabla: Mapped[str] = mapped_column(Text)
    registro_id: Mapped[int] = mapped_column(BigInteger)
    accion: Mapped[str] = mapped_column(String(8))
    usuario: Mapped[str] = mapped_column(Text)
    momento: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    antes: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    despues: Mapped[dict[str, Any] | None] = mapped_column(JSONB)


class Usuario(Base):
    """A staff account. National users see and change everything; unit users and técnicos
    belong to one operational unit (its code: stable across cartographies)."""

    __tablename__ = "usuario"
    __table_args__ = (
        CheckConstraint("rol IN ('nacional', 'unidad', 'tecnico')", name="rol"),
        CheckConstraint(
            "(rol = 'nacional') = (unidad_operativa_codigo IS NULL)", name="unidad_segun_rol"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    nombre_usuario: Mapped[str] = mapped_column(String(64), unique=True)
    nombre: Mapped[str] = mapped_column(Text)
    rol: Mapped[str] = mapped_column(String(16))
    unidad_operativa_codigo: Mapped[str | None] = mapped_column(String(16))
    clave_hash: Mapped[str] = mapped_column(Text)
    activo: Mapped[bool] = mapped_column(Boolean, server_default=text("true"))
    creado_en: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Verificacion(Base):
    """Each move of a record through registrado -> verificado -> validado: who, when, why."""

    __tablename__ = "verificacion"
    __table_args__ = (Index("ix_verificacion_registro", "tabla", "registro_id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tabla: Mapped[str] = mapped_column(String(32))
    registro_id: Mapped[int] = mapped_column(BigInteger)
    accion: Mapped[str] = mapped_column(String(16))
    desde: Mapped[str] = mapped_column(String(16))
    hacia: Mapped[str] = mapped_column(String(16))
    usuario: Mapped[str] = mapped_column(Text)
    momento: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    comentario: Mapped[str | None] = mapped_column(Text)


class Reclamo(Base):
    """A complaint filed by anyone about a municipality or an alliance, answered by the staff of
    the unit within 30 days (indicator 3.2.1). The contact fields are personal data: staff only."""

    __tablename__ = "reclamo"
    __table_args__ = (
        ForeignKeyConstraint(
            ["cartografia", "municipio_codigo"],
            ["municipio.cartografia", "municipio.codigo"],
            name="fk_reclamo_municipio",
        ),
        CheckConstraint(
            "canal IN ('web', 'telefono', 'presencial', 'buzon', 'correo')", name="canal"
        ),
        CheckConstraint("estado IN ('recibido', 'en_atencion', 'respondido')", name="estado"),
        CheckConstraint(
            "(estado = 'respondido') = (respuesta IS NOT NULL AND respondido IS NOT NULL)",
            name="respuesta_segun_estado",
        ),
        CheckConstraint("respondido IS NULL OR respondido >= recibido", name="fechas"),
        CheckConstraint(
            "length(asunto) <= 200 AND length(descripcion) <= 4000 "
            "AND coalesce(length(respuesta), 0) <= 4000",
            name="largo",
        ),
        Index("ix_reclamo_municipio", "cartografia", "municipio_codigo"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    codigo: Mapped[str] = mapped_column(String(16), unique=True)
    programa_id: Mapped[int] = mapped_column(ForeignKey("programa.id"))
    cartografia: Mapped[str] = mapped_column(String(16))
    municipio_codigo: Mapped[str] = mapped_column(String(6))
    alianza_id: Mapped[int | None] = mapped_column(
        ForeignKey("alianza.id", ondelete="SET NULL"), index=True
    )
    recibido: Mapped[date] = mapped_column(Date, server_default=func.current_date())
    canal: Mapped[str] = mapped_column(String(16))
    asunto: Mapped[str] = mapped_column(Text)
    descripcion: Mapped[str] = mapped_column(Text)
    nombre_contacto: Mapped[str | None] = mapped_column(Text)
    contacto: Mapped[str | None] = mapped_column(Text)
    estado: Mapped[str] = mapped_column(String(16), server_default=text("'recibido'"))
    respuesta: Mapped[str | None] = mapped_column(Text)
    respondido: Mapped[date | None] = mapped_column(Date)
    respondido_por: Mapped[str | None] = mapped_column(Text)
    creado_en: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class Generacion(Base):
    """One row: bumped by every statement that writes data aggregates are computed from (see
    migration 0005); cached aggregates are valid while it stays the same."""

    __tablename__ = "generacion"
    __table_args__ = (CheckConstraint("id = 1", name="una_fila"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, server_default=text("1"))
    n: Mapped[int] = mapped_column(BigInteger, server_default=text("1"))


class LimiteSolicitudes(Base):
    """Requests counted per rate limit and client address in a fixed window, one count shared
    by every worker process (geo/acceso/limites.py). UNLOGGED: a counter lost in a crash only
    restarts a window, and the hot path writes no WAL."""

    __tablename__ = "limite_solicitudes"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    clave: Mapped[str] = mapped_column(Text, primary_key=True)
    cuenta: Mapped[int] = mapped_column(Integer)
    expira: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Adjunto(Base):
    """A photo or document of a record, stored in the database with it (migration 0008): one
    transaction writes or rolls back both, and the backup carries it. ``recurso`` names the kind of
    record (a monitoring cycle is its alliance's ``registro_id`` plus ``ciclo``); the ``exif_*``
    fields are where the photo says it was taken, staff only."""

    __tablename__ = "adjunto"
    __table_args__ = (
        CheckConstraint(
            "recurso IN ('alianza', 'subproyecto_municipal', 'reclamo', 'seguimiento_alianza')",
            name="recurso",
        ),
        CheckConstraint(
            "(recurso = 'seguimiento_alianza') = (ciclo IS NOT NULL)", name="ciclo_segun_recurso"
        ),
        CheckConstraint(
            "tipo IN ('image/jpeg', 'image/png', 'image/heic', 'application/pdf')", name="tipo"
        ),
        CheckConstraint("bytes > 0 AND bytes = length(contenido)", name="bytes"),
        CheckConstraint(
            "(exif_lat IS NULL) = (exif_lon IS NULL) AND (exif_lat IS NULL OR "
            "(exif_lat BETWEEN -90 AND 90 AND exif_lon BETWEEN -180 AND 180))",
            name="posicion",
        ),
        Index("ix_adjunto_registro", "recurso", "registro_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    recurso: Mapped[str] = mapped_column(String(32))
    registro_id: Mapped[int] = mapped_column(BigInteger)
    ciclo: Mapped[int | None] = mapped_column(Integer)
    nombre: Mapped[str] = mapped_column(Text)
    tipo: Mapped[str] = mapped_column(String(32))
    bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # builtins.bytes: in the class body ``bytes`` is the column above.
    contenido: Mapped[builtins.bytes] = mapped_column(LargeBinary)
    miniatura: Mapped[builtins.bytes | None] = mapped_column(LargeBinary)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    exif_municipio: Mapped[str | None] = mapped_column(String(6))
    fuera_de_municipio: Mapped[bool | None] = mapped_column(Boolean)
    creado_por: Mapped[str] = mapped_column(Text)
    creado_en: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TrabajoImportacion(Base):
    """An upload imported by a worker of the server (migration 0009, geo/registro/trabajos.py):
    the file kept until the job ends, its progress and its report, for the user who sent it."""

    __tablename__ = "trabajo_importacion"
    __table_args__ = (
        CheckConstraint(
            "estado IN ('en_cola', 'en_curso', 'terminado', 'con_errores', 'fallido')",
            name="estado",
        ),
        CheckConstraint("rol IN ('nacional', 'unidad', 'tecnico')", name="rol"),
        CheckConstraint("formato IN ('csv', 'xlsx')", name="formato"),
        CheckConstraint(
            "paso BETWEEN 0 AND 3 AND hechas >= 0 AND (total IS NULL OR hechas <= total)",
            name="avance",
        ),
        CheckConstraint(
            "(estado IN ('en_cola', 'en_curso')) = (terminado_en IS NULL)", name="fin_segun_estado"
        ),
        CheckConstraint(
            "estado NOT IN ('terminado', 'con_errores') OR informe IS NOT NULL",
            name="informe_segun_estado",
        ),
        Index("ix_trabajo_importacion_usuario", "usuario", "creado_en"),
        Index(
            "uq_trabajo_importacion_pendiente",
            "usuario",
            unique=True,
            postgresql_where=text("estado IN ('en_cola', 'en_curso')"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    usuario: Mapped[str] = mapped_column(Text)
    rol: Mapped[str] = mapped_column(String(16))
    unidad_operativa_codigo: Mapped[str | None] = mapped_column(String(16))
    programa: Mapped[str] = mapped_column(String(16))
    archivo: Mapped[str] = mapped_column(Text)
    formato: Mapped[str] = mapped_column(String(8))
    bytes: Mapped[int] = mapped_column(Integer)
    # builtins.bytes: in the class body ``bytes`` is the column above.
    contenido: Mapped[builtins.bytes | None] = mapped_column(LargeBinary)
    simulacro: Mapped[bool] = mapped_column(Boolean)
    estado: Mapped[str] = mapped_column(String(16), server_default=text("'en_cola'"))
    paso: Mapped[int] = mapped_column(SmallInteger, server_default=text("0"))
    total: Mapped[int | None] = mapped_column(Integer)
    hechas: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    informe: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    mensaje: Mapped[str | None] = mapped_column(Text)
    creado_en: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    empezado_en: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    terminado_en: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OperacionIdempotente(Base):
    """The answer a write sent with ``Idempotency-Key`` got, stored in the write's own
    transaction (migration 0011, geo/plataforma/idempotencia.py): a retry with the same key and
    request gets it again instead of writing twice. ``cuerpo`` is ``json`` (not ``jsonb``) so
    that its keys keep their order and the replay is the first answer byte for byte."""

    __tablename__ = "operacion_idempotente"
    __table_args__ = (
        CheckConstraint("clave ~ '^[A-Za-z0-9._:-]{1,100}$'", name="clave"),
        CheckConstraint("status BETWEEN 200 AND 299", name="exito"),
    )

    usuario: Mapped[str] = mapped_column(Text, primary_key=True)
    clave: Mapped[str] = mapped_column(String(100), primary_key=True)
    metodo: Mapped[str] = mapped_column(String(8))
    ruta: Mapped[str] = mapped_column(Text)
    huella: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(SmallInteger)
    cuerpo: Mapped[Any | None] = mapped_column(JSON(none_as_null=True))
    cabeceras: Mapped[dict[str, str]] = mapped_column(JSONB, server_default=text("'{}'"))
    creado_en: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


def tabla(modelo: type[Base]) -> Table:
    """A model's Core table, typed as one (``__table__`` is typed as a FromClause)."""
    return cast(Table, modelo.__table__)


class Movimiento(Base):
    """One dated movement of money of an alliance (transferencia, descargo) or of a subproject
    (ejecucion_empoderar, ejecucion_contraparte); the records' totals are its sums, kept so by
    triggers (migration 0012, geo/registro/movimientos.py)."""

    __tablename__ = "movimiento"
    __table_args__ = (
        CheckConstraint("(alianza_id IS NULL) <> (subproyecto_id IS NULL)", name="un_registro"),
        CheckConstraint(
            "CASE WHEN alianza_id IS NOT NULL THEN tipo IN ('transferencia', 'descargo') "
            "ELSE tipo IN ('ejecucion_empoderar', 'ejecucion_contraparte') END",
            name="tipo",
        ),
        CheckConstraint("monto_bs <> 0", name="monto"),
        CheckConstraint("origen IN ('apertura', 'libro', 'ajuste')", name="origen"),
        CheckConstraint("length(documento) <= 200", name="documento"),
        Index("ix_movimiento_alianza", "alianza_id", "fecha"),
        Index("ix_movimiento_subproyecto", "subproyecto_id", "fecha"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    alianza_id: Mapped[int | None] = mapped_column(ForeignKey("alianza.id", ondelete="CASCADE"))
    subproyecto_id: Mapped[int | None] = mapped_column(
        ForeignKey("subproyecto_municipal.id", ondelete="CASCADE")
    )
    fecha: Mapped[date] = mapped_column(Date)
    tipo: Mapped[str] = mapped_column(String(24))
    monto_bs: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    documento: Mapped[str | None] = mapped_column(Text)
    origen: Mapped[str] = mapped_column(String(16), server_default=text("'libro'"))
    usuario: Mapped[str] = mapped_column(
        Text,
        server_default=text(
            "COALESCE(NULLIF(current_setting('sigg.usuario'::text, true), ''::text), "
            "(session_user)::text)"
        ),
    )
    registrado_en: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now()
    )
