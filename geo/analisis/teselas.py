"""Alliance and subproject points as Mapbox vector tiles (MVT), encoded by PostGIS.

The same selection as the map's GeoJSON points (``geo.analisis.mapa.puntos_geojson``): every
registry filter, the reader's scope and the cut-off date, through ``filtrar`` and
``filtrar_subproyectos``. The tile's bounds are computed here, in Web Mercator and in degrees,
so that the spatial condition is a bound box on the column's own SRID (the GiST index is used;
the column is never transformed to be compared).

Below ``ZOOM_PUNTOS`` a tile holds clusters, not points: the tile is cut into a grid of
``CELDA`` tile units and each occupied cell becomes one point at the mean position of its
records, with how many they are (``cantidad``) and their families. The cells are read from the
cell summary kept by the writes (migration 0016: per key of the aggregate summary and zoom-8
cell, the count, the sums of longitudes and latitudes, the families), so a zoom-5 tile over a
million alliances adds a few thousand rows; a filter that summary cannot answer (the same as
the aggregate summary's, ``sin_celdas``) computes the cells from the records. Both ways take a
record's cell from the same database functions (``sigg_celda_x``/``_y``: the Mercator formula
on longitude and latitude, not ST_Transform per point) and a record belongs to the tile its
cell lies in: it counts in exactly one tile, so a zoom level's counts add up to the selection
(a bound box test alone would not do: PostGIS compares single-precision boxes, and a point up
to a float's step past an edge fell in both tiles). From ``ZOOM_PUNTOS`` on every record is a
point with its code, name and stage; those tiles carry a margin of ``MARGEN`` tile units, so a
symbol drawn at a tile's edge is not cut by the next tile."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    Table,
    bindparam,
    cast,
    column,
    func,
    literal,
    select,
    table,
)
from sqlalchemy.sql.elements import ColumnElement

from geo.analisis.agregacion import sin_resumen
from geo.plataforma.db import Compiladas, ajustar, con_plan_generico
from geo.plataforma.errors import EntradaInvalida
from geo.plataforma.models import Alianza, Organizacion, SubproyectoMunicipal, tabla
from geo.registro.consultas import (
    SOLO_ALIANZAS,
    Filtros,
    alcanzo,
    comunes,
    con_su_municipio,
    etiqueta,
    filtrar,
    filtrar_subproyectos,
    por_forma,
)
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


# For a tile's transaction only: a tile over many records is costed high enough to be
# JIT-compiled, which takes longer (a few hundred ms) than the query; and parallel workers cost
# more to start than they save (bench/teselas.py at 1,000,000: a zoom-11 tile took 17 ms with
# them and 6 ms without; cluster tiles were no faster with them on 2 cores).
_AJUSTES = {"jit": "off", "max_parallel_workers_per_gather": "0"}


def mvt(conn: Connection, f: Filtros, tipo: str, t: Tesela) -> bytes:
    """The tile as MVT bytes, one layer named ``tipo``; empty bytes for an empty tile."""
    if tipo not in TIPOS:
        raise EntradaInvalida(f"tipo '{tipo}' desconocido; use: {', '.join(TIPOS)}", campo="tipo")
    if t.z < ZOOM_PUNTOS:
        ajustar(conn, _AJUSTES)
        return bytes(conn.execute(_agrupados(f, tipo, t)).scalar_one() or b"")
    sql, valores = _puntos(conn, f, tipo)
    _, filas = con_plan_generico(conn, sql, valores | _limites(t), _AJUSTES)
    return bytes(filas[0][0] or b"")


def _seleccion(f: Filtros, tipo: str, caja: Any, columnas: Callable[[Table], list[Any]]) -> Any:
    """``columnas`` of the records of the selection whose point falls in ``caja`` (a box in
    degrees), joined to municipio only when a filter needs it."""
    registro = tabla(Alianza) if tipo == "alianzas" else tabla(SubproyectoMunicipal)
    desde = con_su_municipio(registro, f)
    q = select(*columnas(registro)).where(registro.c.geom.op("&&")(caja))
    if tipo == "subproyectos":
        return filtrar_subproyectos(q.select_from(desde), f)
    if f.q:
        O = tabla(Organizacion)  # noqa: N806, E741
        desde = desde.outerjoin(O, O.c.id == registro.c.organizacion_id)
    return filtrar(q.select_from(desde), f)


_BORDES = ("oeste", "sur", "este", "norte")
_PUNTOS = Compiladas(256)


def _caja(prefijo: str, srid: int) -> Any:
    """A box whose bounds are the statement's parameters ``{prefijo}_oeste`` and so on."""
    return func.ST_MakeEnvelope(*(bindparam(f"{prefijo}_{b}", 0.0, Float) for b in _BORDES), srid)


def _limites(t: Tesela) -> dict[str, float]:
    """The parameters of a point tile's statement: its bounds in metres, and in degrees
    widened by the margin."""
    metros = zip((f"m_{b}" for b in _BORDES), t.mercator, strict=True)
    grados = zip((f"g_{b}" for b in _BORDES), t.grados(MARGEN), strict=True)
    return {**dict(metros), **dict(grados)}


def _puntos(conn: Connection, f: Filtros, tipo: str) -> tuple[str, dict[str, Any]]:
    """The point tiles' statement for ``f`` and ``tipo``, compiled, the tile's bounds left as
    parameters (``_limites``). Made once per shape of the filters and type (``por_forma`` and
    ``Compiladas``, as the aggregates' statements are): building it for every tile was most of
    a zoom-14 tile's time in this module (in-process on the demo, with CI running alongside:
    1.7 ms a tile before, 0.5 to 0.9 ms now)."""
    return por_forma(
        f, lambda g: _PUNTOS(conn, repr((tipo, astuple(g))), lambda: _puntos_sql(g, tipo))
    )


def _puntos_sql(f: Filtros, tipo: str) -> Any:
    caja = _caja("m", 3857)

    def columnas(r: Table) -> list[Any]:
        return [
            r.c.id,
            r.c.codigo,
            r.c.nombre,
            r.c.etapa,
            etiqueta(r.c.etapa, ETAPAS | ETAPAS_SUBPROYECTO).label("etapa_nombre"),
            r.c.estado,
            r.c.familias,  # the popup says them at once, offline too (a cached tile)
            func.ST_AsMVTGeom(func.ST_Transform(r.c.geom, 3857), caja, EXTENSION, MARGEN, True)
            .label("geom"),
        ]  # fmt: skip

    filas = _seleccion(f, tipo, _caja("g", 4326), columnas).subquery("t")
    return select(func.ST_AsMVT(filas.table_valued(), tipo, EXTENSION, "geom", "id"))


# The cell summaries (migration 0016): base plus pending differences, per key and zoom-8 cell.
ZOOM_CELDAS = 8  # the finest cluster zoom: its cells are the summary's
BITS_TESELA = (EXTENSION // CELDA).bit_length() - 1  # a tile is 2^4 cells a side
_MEDIDAS = ("cx", "cy", "n", "lon", "lat", "familias")
_CLAVE = ("programa_id", "cartografia", "municipio_codigo", "etapa", "estado")
CELDAS = {
    "alianzas": table(
        "resumen_celda_alianza_vista",
        *(column(c) for c in (*_CLAVE, "etapa_alcanzada", *_MEDIDAS)),
    ),
    "subproyectos": table(
        "resumen_celda_subproyecto_vista", *(column(c) for c in (*_CLAVE, *_MEDIDAS))
    ),
}


def sin_celdas(f: Filtros, tipo: str) -> list[str]:
    """The filters of ``f`` the cell summary cannot answer for ``tipo``: the clusters are then
    computed from the records (and a filter subprojects do not take is refused there)."""
    if tipo == "subproyectos":
        return [n for n in (*SOLO_ALIANZAS, "corte") if getattr(f, n)]
    return sin_resumen(f)


def celdas(f: Filtros, tipo: str, t: Tesela) -> Any:
    """The clusters of tile ``t`` (zoom below ZOOM_PUNTOS): one row per occupied cell with its
    ``cantidad``, ``familias`` and mean ``lon`` and ``lat``, from the cell summary or, for
    filters it cannot answer, from the records."""
    if tipo not in TIPOS:
        raise EntradaInvalida(f"tipo '{tipo}' desconocido; use: {', '.join(TIPOS)}", campo="tipo")
    return _de_los_registros(f, tipo, t) if sin_celdas(f, tipo) else _del_resumen(f, tipo, t)


def _en_tesela(cx: Any, cy: Any, t: Tesela) -> list[ColumnElement[bool]]:
    """Zoom-8 cells ``cx``, ``cy`` of tile ``t``: a range of each (the summary's key begins
    with them)."""
    lado = 2 ** (ZOOM_CELDAS + BITS_TESELA - t.z)  # zoom-8 cells across a tile of zoom t.z
    return [
        cx.between(t.x * lado, (t.x + 1) * lado - 1),
        cy.between(t.y * lado, (t.y + 1) * lado - 1),
    ]


def _a_zoom(celda: Any, t: Tesela) -> Any:
    return celda.op(">>")(ZOOM_CELDAS - t.z)


def _del_resumen(f: Filtros, tipo: str, t: Tesela) -> Any:
    rc = CELDAS[tipo]
    desde = con_su_municipio(rc, f)
    cx, cy = _a_zoom(rc.c.cx, t), _a_zoom(rc.c.cy, t)
    n = func.sum(rc.c.n)
    q = comunes(
        select(
            cx.label("cx"),
            cy.label("cy"),
            n.label("cantidad"),
            func.sum(rc.c.familias).label("familias"),
            (func.sum(rc.c.lon) / n).label("lon"),
            (func.sum(rc.c.lat) / n).label("lat"),
        ).select_from(desde),
        rc,
        f,
    ).where(*_en_tesela(rc.c.cx, rc.c.cy, t))
    if f.etapa:
        q = q.where(rc.c.etapa.in_(f.etapa))
    if f.etapa_alcanzada:
        q = q.where(alcanzo(rc, f.etapa_alcanzada))
    # A cell whose summed records all went (base and differences add up to 0) has none.
    return q.group_by(cx, cy).having(n > 0)


def _de_los_registros(f: Filtros, tipo: str, t: Tesela) -> Any:
    def columnas(r: Table) -> list[Any]:
        lon, lat = func.ST_X(r.c.geom), func.ST_Y(r.c.geom)
        return [
            lon.label("lon"),
            lat.label("lat"),
            r.c.familias,
            func.sigg_celda_x(lon).label("cx8"),
            func.sigg_celda_y(lat).label("cy8"),
        ]

    # The box (with a tile unit to spare) only picks the index; the cell says which tile.
    caja = func.ST_MakeEnvelope(*map(literal, t.grados(1.0)), 4326)
    s = _seleccion(f, tipo, caja, columnas).subquery("s")
    cx, cy = _a_zoom(s.c.cx8, t), _a_zoom(s.c.cy8, t)
    return (
        select(
            cx.label("cx"),
            cy.label("cy"),
            func.count().label("cantidad"),
            func.coalesce(func.sum(s.c.familias), 0).label("familias"),
            func.avg(s.c.lon).label("lon"),
            func.avg(s.c.lat).label("lat"),
        )
        .where(*_en_tesela(s.c.cx8, s.c.cy8, t))
        .group_by(cx, cy)
    )


def _agrupados(f: Filtros, tipo: str, t: Tesela) -> Any:
    c = celdas(f, tipo, t).subquery("c")
    centro = func.ST_Transform(
        func.ST_SetSRID(func.ST_MakePoint(cast(c.c.lon, Float), cast(c.c.lat, Float)), 4326), 3857
    )
    caja = func.ST_MakeEnvelope(*map(literal, t.mercator), 3857)
    rasgos = select(
        cast(c.c.cantidad, Integer).label("cantidad"),
        cast(c.c.familias, Float).label("familias"),
        func.ST_AsMVTGeom(centro, caja, EXTENSION, 0, False).label("geom"),
    ).subquery("g")
    return select(func.ST_AsMVT(rasgos.table_valued(), tipo, EXTENSION, "geom"))
