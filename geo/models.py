"""Tables, as SQLAlchemy 2 typed models with GeoAlchemy2 geometry columns.

Every territorial table is keyed by (cartografia, codigo): the 2012 cartography (339
municipalities, the program's) and the 2024 one (343) live side by side and a query always names
one version, so versions are never mixed. Foreign keys between levels are deferred so that a load
can write municipalities first and dissolve their parents after, in one transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
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


class CuerpoAgua(Base):
    """Lakes and salt flats: holes in the municipal cartography (Titicaca, Poopó, Uyuni...)."""

    __tablename__ = "cuerpo_agua"
    __table_args__ = (Index("ix_cuerpo_agua_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    cartografia: Mapped[str] = mapped_column(String(16), _version_fk(), index=True)
    codigo: Mapped[str] = mapped_column(String(8))
    nombre: Mapped[str] = mapped_column(Text)
    geom: Mapped[Any] = mapped_column(_multipolygon())
