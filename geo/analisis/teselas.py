"""Alliance and subproject points as Mapbox vector tiles (MVT), encoded by PostGIS.

The same selection as the map's GeoJSON points (``geo.analisis.mapa.puntos_geojson``): every
registry filter, the reader's scope and the cut-off date, through ``filtrar`` and
``filtrar_subproyectos``. The tile's bounds are computed here, in Web Mercator and in degrees,
so that the spatial condition is a bound box on the column's own SRID (the GiST index is used;
the column is never transformed to be compared).

Below ``ZOOM_PUNTOS`` a tile holds clusters, not points: the tile is cut into a grid of
``CELDA`` tile units and each occupied cell becomes one point at the mean position of its
records, with how many they are (``cantidad``) and their families. The cell is computed from
longitude and latitude with the Mercator formula, not with ST_Transform per point, which costs
more than the rest of the query at a million points. A record counts in exactly one tile (its
bounds, no margin), so a zoom level's counts add up to the selection. From ``ZOOM_PUNTOS`` on
every record is a point with its code, name and stage; those tiles carry a margin of
``MARGEN`` tile units, so a symbol drawn at a tile's edge is not cut by the next tile."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Float, Integer, Table, cast, func, literal, select, text
from sqlalchemy.sql.elements import ColumnElement

from geo.plataforma.errors import EntradaInvalida
from geo.plataforma.models import Alianza, Municipio, Organizacion, SubproyectoMunicipal, tabla
from geo.registro.consultas import Filtros, en_su_municipio, etiqueta, filtrar, filtrar_subproyectos
from geo.vocabulario.catalogos import ETAPAS, ETAPAS_SUBPROYECTO

TIPOS = ("alianzas", "subproyectos")
ZOOM_MAX = 22
ZOOM_PUNTOS = 9  # from this zoom on, one feature per record; below, clusters
EXTENSION = 4096  # tile units per side (the MVT default)
CELDA = 256  # cluster cell, in tile units: 16 px on a 256-px tile, 16 x 16 cells a tile
MARGEN = 64  # tile units around a point tile
MUNDO = 20037508.342789244  # half the Web Mercator world's side, in metres
RADIO = 6378137.0


@dataclass(frozen=True)
class Tesela:
    """A tile's address and bounds: Web Mercator metres and degrees (west, south, east, north)."""

    z: int
    x: int
    y: int

    @property
    def mercator(self) -> tuple[float, float, float, float]:
        lado = 2 * MUNDO / 2**self.z
        oeste, norte = -MUNDO + self.x * lado, MUNDO - self.y * lado
        return oeste, norte - lado, oeste + lado, norte

    def grados(self, margen: float = 0.0) -> tuple[float, float, float, float]:
        """The bounds in degrees, widened by ``margen`` tile units on every side."""
        o, s, e, n = self.mercator
        m = (e - o) * margen / EXTENSION
        return (*_a_grados(o - m, s - m), *_a_grados(e + m, n + m))


def _a_grados(x: float, y: float) -> tuple[float, float]:
    y = max(-MUNDO, min(MUNDO, y))
    return math.degrees(x / RADIO), math.degrees(math.atan(math.sinh(y / RADIO)))


def tesela(z: int, x: int, y: int) -> Tesela:
    """The tile ``z/x/y``, or 422 naming the coordinate out of range."""
    if not 0 <= z <= ZOOM_MAX:
        raise EntradaInvalida(f"z debe estar entre 0 y {ZOOM_MAX}; llegó {z}", campo="z")
    for nombre, valor in (("x", x), ("y", y)):
        if not 0 <= valor < 2**z:
            raise EntradaInvalida(
                f"{nombre} debe estar entre 0 y {2**z - 1} en el zoom {z}; llegó {valor}",
                campo=nombre,
            )
    return Tesela(z, x, y)


def mvt(conn: Connection, f: Filtros, tipo: str, t: Tesela) -> bytes:
    """The tile as MVT bytes, one layer named ``tipo``; empty bytes for an empty tile."""
    if tipo not in TIPOS:
        raise EntradaInvalida(f"tipo '{tipo}' desconocido; use: {', '.join(TIPOS)}", campo="tipo")
    consulta = _agrupados(f, tipo, t) if t.z < ZOOM_PUNTOS else _puntos(f, tipo, t)
    # For this transaction only: a tile over many records is costed high enough to be
    # JIT-compiled, which takes longer (a few hundred ms) than the query; and parallel workers
    # cost more to start than they save (bench/teselas.py at 1,000,000: a zoom-11 tile took
    # 17 ms with them and 6 ms without; cluster tiles were no faster with them on 2 cores).
    conn.execute(
        text(
            "SELECT set_config('jit', 'off', true), "
            "set_config('max_parallel_workers_per_gather', '0', true)"
        )
    )
    return bytes(conn.execute(consulta).scalar_one() or b"")


def _seleccion(
    f: Filtros, tipo: str, t: Tesela, margen: float, columnas: Callable[[Table], list[Any]]
) -> Any:
    """``columnas`` of the records of the selection whose point falls in the tile (widened by
    ``margen``), joined to municipio only when a filter needs it."""
    registro = tabla(Alianza) if tipo == "alianzas" else tabla(SubproyectoMunicipal)
    desde: Any = registro
    if f.departamento or f.provincia or f.unidad_operativa:
        desde = desde.join(tabla(Municipio), en_su_municipio(registro))
    caja = func.ST_MakeEnvelope(*map(literal, t.grados(margen)), 4326)
    q = select(*columnas(registro)).where(registro.c.geom.op("&&")(caja))
    if tipo == "subproyectos":
        return filtrar_subproyectos(q.select_from(desde), f)
    if f.q:
        O = tabla(Organizacion)  # noqa: N806, E741
        desde = desde.outerjoin(O, O.c.id == registro.c.organizacion_id)
    return filtrar(q.select_from(desde), f)


def _puntos(f: Filtros, tipo: str, t: Tesela) -> Any:
    caja = func.ST_MakeEnvelope(*map(literal, t.mercator), 3857)

    def columnas(r: Table) -> list[Any]:
        return [
            r.c.id,
            r.c.codigo,
            r.c.nombre,
            r.c.etapa,
            etiqueta(r.c.etapa, ETAPAS | ETAPAS_SUBPROYECTO).label("etapa_nombre"),
            r.c.estado,
            func.ST_AsMVTGeom(func.ST_Transform(r.c.geom, 3857), caja, EXTENSION, MARGEN, True)
            .label("geom"),
        ]  # fmt: skip

    filas = _seleccion(f, tipo, t, MARGEN, columnas).subquery("t")
    return select(func.ST_AsMVT(filas.table_valued(), tipo, EXTENSION, "geom", "id"))


def _celda(valor: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.floor(valor / CELDA)


def _agrupados(f: Filtros, tipo: str, t: Tesela) -> Any:
    escala = 2**t.z * EXTENSION  # tile units across the world at this zoom

    def columnas(r: Table) -> list[Any]:
        lon, lat = func.ST_X(r.c.geom), func.ST_Y(r.c.geom)
        norte = func.ln(func.tan(math.pi / 4 + func.radians(lat) / 2))  # Mercator y / radius
        return [
            lon.label("lon"),
            lat.label("lat"),
            r.c.familias,
            _celda((lon + 180) / 360 * escala).label("cx"),
            _celda((1 - norte / math.pi) / 2 * escala).label("cy"),
        ]

    s = _seleccion(f, tipo, t, 0.0, columnas).subquery("s")
    centro = func.ST_Transform(
        func.ST_SetSRID(func.ST_MakePoint(func.avg(s.c.lon), func.avg(s.c.lat)), 4326), 3857
    )
    caja = func.ST_MakeEnvelope(*map(literal, t.mercator), 3857)
    celdas = (
        select(
            cast(func.count(), Integer).label("cantidad"),
            cast(func.coalesce(func.sum(s.c.familias), 0), Float).label("familias"),
            func.ST_AsMVTGeom(centro, caja, EXTENSION, 0, False).label("geom"),
        )
        .group_by(s.c.cx, s.c.cy)
        .subquery("c")
    )
    return select(func.ST_AsMVT(celdas.table_valued(), tipo, EXTENSION, "geom"))
