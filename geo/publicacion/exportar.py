"""Exports for GIS analysts: GeoJSON (RFC 7946) and GeoJSON Lines streamed from PostGIS with
constant memory, CSV with lon/lat and WKT, and GeoPackage, zipped Shapefile and KML written by
pyogrio. Formats that carry a CRS can be asked in the UTM zones used in Bolivia."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
from sqlalchemy import Connection, text

from geo.formatos.celdas import fila_csv
from geo.plataforma.errors import ParametroInvalido
from geo.publicacion.colecciones import NIVEL_DE, Coleccion
from geo.publicacion.ogc import Seleccion, donde_sql, flujo, pagina

FORMATOS = {
    "geojson": ("application/geo+json", "geojson"),
    "geojsonl": ("application/geo+json-seq", "geojsonl"),
    "csv": ("text/csv; charset=utf-8", "csv"),
    "gpkg": ("application/geopackage+sqlite3", "gpkg"),
    "shp": ("application/zip", "zip"),
    "kml": ("application/vnd.google-earth.kml+xml", "kml"),
}
SRID_UTM = (32719, 32720, 32721)  # UTM 19S, 20S, 21S: the zones Bolivia spans
CON_CRS = ("gpkg", "shp")
# Shapefile field names have at most 10 characters: the documented short names.
NOMBRES_SHP = {
    "municipio_nombre": "municipio",
    "departamento_codigo": "dep_cod",
    "unidad_operativa_codigo": "uo_cod",
    "municipio_codigo": "mun_cod",
    "provincia_codigo": "prov_cod",
    "precision_ubicacion": "precision",
    "familias_mujeres": "fam_mujer",
    "hectareas_riego": "ha_riego",
    "financiamiento": "financiam",
    "convocatoria": "convocat",
    "fecha_solicitud": "f_solicit",
    "fecha_etapa": "f_etapa",
    "organizacion": "organizac",
    "monto_par_comprometido_bs": "comp_bs",
    "monto_contraparte_comprometido_bs": "contrap_bs",
    "monto_solicitado_bs": "solic_bs",
    "monto_transferido_bs": "transf_bs",
    "monto_descargado_bs": "descar_bs",
    "monto_empoderar_comprometido_bs": "emp_com_bs",
    "monto_empoderar_ejecutado_bs": "emp_eje_bs",
    "monto_contraparte_ejecutado_bs": "con_eje_bs",
    "pct_mujeres": "pct_mujer",
    "familias_por_mil_rurales": "fam_x1000r",
    "subproyectos": "subproyec",
}


def validar(formato: str, srid: int) -> None:
    if formato not in FORMATOS:
        raise ParametroInvalido(
            f"formato no soportado: '{formato}'; use: {', '.join(FORMATOS)}", campo="formato"
        )
    if srid != 4326 and srid not in SRID_UTM:
        raise ParametroInvalido(
            f"srid {srid} no soportado; use 4326 o una zona UTM de Bolivia "
            f"({', '.join(map(str, SRID_UTM))})",
            campo="srid",
        )
    if srid != 4326 and formato not in CON_CRS:
        raise ParametroInvalido(
            f"{formato} va siempre en WGS 84 (EPSG:4326); el srid UTM es "
            "para GeoPackage y Shapefile",
            campo="srid",
        )


@dataclass(frozen=True)
class Flujo:
    """A streamed export whose query has run and whose first block is read. An error up to
    there (a query the database refuses, a database that is gone) was raised by the function
    that made it, so the client gets a problem with its status instead of a 200; an error
    after it is raised by ``bloques``, which the server turns into a cut connection (no clean
    end of the chunked body), never a short file that looks complete."""

    total: int  # the features (CSV: rows) of the complete file
    bloques: Iterator[bytes]


def geojson(conn: Connection, c: Coleccion, s: Seleccion, lineas: bool = False) -> Flujo:
    """A FeatureCollection (or one feature per line) streamed feature by feature. The
    collection says ``numberMatched`` before its features and ``numberReturned`` after them."""
    _nombrar(conn, c)
    if c.id in NIVEL_DE:  # at most 343 units, with their aggregated measures
        features = [json.dumps(f, ensure_ascii=False) for f in pagina(conn, c, s, 100_000, 0)[0]]
        total, fuente = len(features), iter(features)
    else:
        total, fuente = flujo(conn, c, s)
    return _cebado(total, (f + "\n" for f in fuente) if lineas else _coleccion(fuente, total))


def _coleccion(features: Iterator[str], total: int) -> Iterator[str]:
    yield f'{{"type": "FeatureCollection", "numberMatched": {total}, "features": ['
    n = 0
    for n, f in enumerate(features, 1):
        yield f if n == 1 else "," + f
    yield f'], "numberReturned": {n}}}'


def csv_flujo(conn: Connection, c: Coleccion, s: Seleccion) -> Flujo:
    """CSV with lon/lat (the point, or a point inside a polygon) and the geometry as WKT; text
    that a spreadsheet would run as a formula is neutralised (geo.formatos.celdas). The count
    comes with the first row, from the same statement (and so the same snapshot)."""
    _nombrar(conn, c)
    donde, params = donde_sql(c, s)
    cols = ", ".join(f"{a.sql}" for a in c.atributos)
    sql = text(
        f"SELECT (SELECT count(*) FROM {c.desde} WHERE {donde}), "  # noqa: S608
        f"{c.id_sql}, {cols}, ST_X(ST_PointOnSurface({c.geom_sql})), "
        f"ST_Y(ST_PointOnSurface({c.geom_sql})), ST_AsText({c.geom_sql}, 7) "
        f"FROM {c.desde} WHERE {donde} ORDER BY {c.orden}"
    )
    filas = conn.execute(sql, params, execution_options={"stream_results": True, "yield_per": 2000})
    primera = filas.fetchone()

    def lineas() -> Iterator[str]:
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["id", *(a.nombre for a in c.atributos), "lon", "lat", "wkt"])
        yield "\ufeff" + buf.getvalue()
        for fila in chain([primera], filas) if primera else ():
            buf.seek(0)
            buf.truncate()
            w.writerow(fila_csv(fila[1:]))
            yield buf.getvalue()

    return _cebado(primera[0] if primera else 0, lineas())


def _nombrar(conn: Connection, c: Coleccion) -> None:
    """The export named in pg_stat_activity while its transaction lasts, so that an operator
    can tell a long export apart from the other sessions."""
    conn.execute(
        text("SELECT set_config('application_name', :n, true)"), {"n": f"sigg exportar {c.id}"}
    )


def _cebado(total: int, partes: Iterator[str]) -> Flujo:
    """The first block read now, before the response starts."""
    bloques = _en_bloques(partes)
    return Flujo(int(total), chain([next(bloques, b"")], bloques))


def _en_bloques(partes: Iterator[str], tam: int = 256 * 1024) -> Iterator[bytes]:
    """Features grouped into blocks of about 256 KB: one write per block, not per feature,
    while memory stays bounded by the block."""
    bloque: list[str] = []
    acumulado = 0
    for parte in partes:
        bloque.append(parte)
        acumulado += len(parte)
        if acumulado >= tam:
            yield "".join(bloque).encode()
            bloque, acumulado = [], 0
    if bloque:
        yield "".join(bloque).encode()


def _consulta_tabular(c: Coleccion, s: Seleccion) -> tuple[str, dict[str, Any]]:
    donde, params = donde_sql(c, s)
    cols = ", ".join(f'{a.sql} AS "{a.nombre}"' for a in c.atributos)
    geom = c.geom_sql if s.srid == 4326 else f"ST_Transform({c.geom_sql}, {int(s.srid)})"
    return (
        f"SELECT {c.id_sql} AS id, {cols}, ST_ForcePolygonCCW({geom}) AS geometry "  # noqa: S608
        f"FROM {c.desde} WHERE {donde} ORDER BY {c.orden}"
    ), params


def binario(conn: Connection, c: Coleccion, s: Seleccion, formato: str) -> bytes:
    """GeoPackage, zipped Shapefile (.shp .shx .dbf .prj .cpg) or KML, written by pyogrio."""
    sql, params = _consulta_tabular(c, s)
    gdf = gpd.read_postgis(text(sql), conn, geom_col="geometry", params=params)
    gdf = gdf.set_crs(s.srid, allow_override=True)
    if c.id in NIVEL_DE:
        features = pagina(conn, c, s, 100_000, 0)[0]
        medidas = {f["id"]: f["properties"] for f in features}
        for m in (
            "alianzas",
            "familias",
            "pct_mujeres",
            "monto_transferido_bs",
            "familias_por_mil_rurales",
        ):
            gdf[m] = [medidas.get(i, {}).get(m) for i in gdf["id"]]
    with tempfile.TemporaryDirectory() as tmp:
        if formato == "gpkg":
            destino = Path(tmp) / f"{c.id}.gpkg"
            pyogrio.write_dataframe(gdf, destino, layer=c.id, driver="GPKG")
            return destino.read_bytes()
        if formato == "kml":
            destino = Path(tmp) / f"{c.id}.kml"
            pyogrio.write_dataframe(gdf.to_crs(4326), destino, driver="KML")
            return destino.read_bytes()
        destino = Path(tmp) / f"{c.id}.shp"
        pyogrio.write_dataframe(
            gdf.rename(columns=NOMBRES_SHP),
            destino,
            driver="ESRI Shapefile",
            layer_options={"ENCODING": "UTF-8"},
        )
        salida = io.BytesIO()
        with zipfile.ZipFile(salida, "w", zipfile.ZIP_DEFLATED) as z:
            for parte in sorted(Path(tmp).iterdir()):
                z.write(parte, parte.name)
        return salida.getvalue()
