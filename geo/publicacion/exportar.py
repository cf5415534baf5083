"""Exports for GIS analysts: GeoJSON (RFC 7946) and GeoJSON Lines streamed from PostGIS with
constant memory, CSV with lon/lat and WKT, and GeoPackage, zipped Shapefile and KML written by
pyogrio. Formats that carry a CRS can be asked in the UTM zones used in Bolivia."""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import zipfile
from collections import deque
from collections.abc import Callable, Generator, Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from itertools import chain
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import psycopg
import pyogrio
from sqlalchemy import Connection, text

from geo.formatos.celdas import fila_csv
from geo.plataforma.errors import ParametroInvalido
from geo.publicacion.colecciones import NIVEL_DE, Coleccion
from geo.publicacion.ogc import Seleccion, con_corte, donde_sql, pagina

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
    end of the chunked body), never a short file that looks complete. ``cerrar`` ends what the
    stream still holds on the connection (a fetch sent ahead); the caller runs it before the
    connection goes back to the pool, whether the stream ended, failed or was cut."""

    total: int  # the features (CSV: rows) of the complete file
    bloques: Iterator[bytes]
    cerrar: Callable[[], None] = lambda: None


# Rows per FETCH: about 870 KB of GeoJSON for an alliance. One FETCH is always sent ahead of
# the rows being written, so PostgreSQL builds the next block while this one is compressed
# and sent (the two cores work at once); the memory held is two blocks, whatever the total.
FILAS_POR_FETCH = 1000
_CURSOR = "sigg_exportar"


def geojson(conn: Connection, c: Coleccion, s: Seleccion, lineas: bool = False) -> Flujo:
    """A FeatureCollection (or one feature per line) streamed a block at a time. The
    collection says ``numberMatched`` before its features and ``numberReturned`` after them."""
    _nombrar(conn, c)
    if c.id in NIVEL_DE:  # at most 343 units, with their aggregated measures
        features = [json.dumps(f, ensure_ascii=False) for f in pagina(conn, c, s, 100_000, 0)[0]]
        bloques = _texto(len(features), iter([features] if features else []), lineas)
        return Flujo(len(features), chain([next(bloques)], bloques))
    donde, params = donde_sql(c, s)
    # The count rides on every row: one statement, so one snapshot with the features.
    sql, params = con_corte(
        c,
        s,
        f"SELECT (SELECT count(*) FROM {c.desde} WHERE {donde}), "  # noqa: S608
        f"{_feature_texto(c, s.srid)} FROM {c.desde} WHERE {donde} ORDER BY {c.orden}",
        params,
    )
    conn.execute(text(f"DECLARE {_CURSOR} NO SCROLL CURSOR FOR {sql}"), params)
    # The first block through SQLAlchemy, whose errors the API turns into problems.
    primero = conn.execute(text(f"FETCH FORWARD {FILAS_POR_FETCH} FROM {_CURSOR}")).all()
    total = int(primero[0][0]) if primero else 0
    pg = cast(psycopg.Connection[Any], conn.connection.driver_connection)
    lotes = _adelantados(pg, _CURSOR)
    resto = lotes if len(primero) == FILAS_POR_FETCH else iter(())
    textos = ([f for _, f in lote] for lote in chain([primero] if primero else [], resto))
    bloques = _texto(total, textos, lineas)
    return Flujo(total, chain([next(bloques)], bloques), partial(_cerrar, pg, lotes))


def _cerrar(pg: psycopg.Connection[Any], lotes: Generator[list[Any], None, None]) -> None:
    """The fetch sent ahead is read and the cursor closed (the transaction may go on: a test
    runs several requests in one); on a connection that failed there is nothing to end."""
    lotes.close()
    with suppress(psycopg.Error):
        pg.execute(f"CLOSE {_CURSOR}")


def _feature_texto(c: Coleccion, srid: int, decimales: int = 7) -> str:
    """One feature as GeoJSON text, built whole by PostgreSQL: text around the geometry
    (ST_AsGeoJSON, not parsed again as json) and the properties as row_to_json of a row whose
    columns are the attributes, in their order. Measured at 100,000 alliances, that is a fifth
    cheaper than json_build_object of 26 pairs, and the export waits on this expression."""
    props = ", ".join(f'{a.sql} AS "{a.nombre}"' for a in c.atributos)
    geom = c.geom_sql if srid == 4326 else f"ST_Transform({c.geom_sql}, {int(srid)})"
    # RFC 7946: counter-clockwise exterior rings (no-op for points).
    return (
        f"""'{{"type": "Feature", "id": ' || to_json({c.id_sql})::text || """  # noqa: S608
        f"""', "geometry": ' || coalesce(ST_AsGeoJSON(ST_ForcePolygonCCW({geom}), """
        f"""{decimales}), 'null') || ', "properties": ' || """
        f"(SELECT row_to_json(x) FROM (SELECT {props}) x)::text || '}}'"
    )


def _adelantados(pg: psycopg.Connection[Any], cursor: str) -> Generator[list[Any], None, None]:
    """The cursor's rows a FETCH at a time, with the next FETCH always sent before these rows
    are handed on (psycopg's pipeline mode on the request's own connection and transaction).
    The backend's query stays ``FETCH ...``, what an operator (and a test) looks for."""
    fetch = f"FETCH FORWARD {FILAS_POR_FETCH} FROM {cursor}"
    with pg.pipeline():
        enviados = deque(pg.cursor() for _ in range(2))
        for cur in enviados:
            cur.execute(fetch)
        while filas := enviados[0].fetchall():
            cur = enviados.popleft()
            cur.execute(fetch)
            enviados.append(cur)
            yield filas


def _texto(total: int, lotes: Iterator[list[str]], lineas: bool) -> Iterator[bytes]:
    """GeoJSON (or GeoJSON Lines) from blocks of features: one join and one write per block."""
    if lineas:
        for lote in lotes:
            yield ("\n".join(lote) + "\n").encode()
        yield b""  # the first block of an empty file
        return
    cabeza = f'{{"type": "FeatureCollection", "numberMatched": {total}, "features": ['
    n = 0
    for lote in lotes:
        yield ((cabeza if n == 0 else ",") + ",".join(lote)).encode()
        n += len(lote)
    yield ((cabeza if n == 0 else "") + f'], "numberReturned": {n}}}').encode()


def csv_flujo(conn: Connection, c: Coleccion, s: Seleccion) -> Flujo:
    """CSV with lon/lat (the point, or a point inside a polygon) and the geometry as WKT; text
    that a spreadsheet would run as a formula is neutralised (geo.formatos.celdas). The count
    comes with the first row, from the same statement (and so the same snapshot)."""
    _nombrar(conn, c)
    donde, params = donde_sql(c, s)
    cols = ", ".join(f"{a.sql}" for a in c.atributos)
    sql, params = con_corte(
        c,
        s,
        f"SELECT (SELECT count(*) FROM {c.desde} WHERE {donde}), "  # noqa: S608
        f"{c.id_sql}, {cols}, ST_X(ST_PointOnSurface({c.geom_sql})), "
        f"ST_Y(ST_PointOnSurface({c.geom_sql})), ST_AsText({c.geom_sql}, 7) "
        f"FROM {c.desde} WHERE {donde} ORDER BY {c.orden}",
        params,
    )
    filas = conn.execute(
        text(sql), params, execution_options={"stream_results": True, "yield_per": 2000}
    )
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


MEDIDAS_BINARIO = (
    "alianzas",
    "familias",
    "pct_mujeres",
    "monto_transferido_bs",
    "familias_por_mil_rurales",
)
# Rows per part of a GeoPackage, Shapefile or KML: each part is a GeoDataFrame written to a
# file on disk, so the memory held is one part's, whatever the number of features (at 100,000
# alliances the process grew 31-66 MB with parts of 5,000 rows, 113-217 MB with 20,000).
FILAS_POR_PARTE = 5_000


@dataclass(frozen=True)
class Archivo:
    """A file written in a temporary folder of its own: sent in pieces, then deleted."""

    ruta: Path
    carpeta: tempfile.TemporaryDirectory[str]

    def trozos(self, tam: int = 1 << 20) -> Iterator[bytes]:
        with self.ruta.open("rb") as f:
            while trozo := f.read(tam):
                yield trozo

    def borrar(self) -> None:
        self.carpeta.cleanup()


def _consulta_tabular(c: Coleccion, s: Seleccion) -> tuple[str, dict[str, Any]]:
    donde, params = donde_sql(c, s)
    cols = ", ".join(f'{a.sql} AS "{a.nombre}"' for a in c.atributos)
    geom = c.geom_sql if s.srid == 4326 else f"ST_Transform({c.geom_sql}, {int(s.srid)})"
    return con_corte(
        c,
        s,
        f"SELECT {c.id_sql} AS id, {cols}, "  # noqa: S608
        f"ST_AsBinary(ST_ForcePolygonCCW({geom})) AS geometry "
        f"FROM {c.desde} WHERE {donde} ORDER BY {c.orden}",
        params,
    )


def binario(conn: Connection, c: Coleccion, s: Seleccion, formato: str) -> Archivo:
    """GeoPackage, zipped Shapefile (.shp .shx .dbf .prj .cpg) or KML, written by pyogrio a
    part at a time from a server-side cursor into a temporary folder."""
    _nombrar(conn, c)
    sql, params = _consulta_tabular(c, s)
    medidas = (
        {f["id"]: f["properties"] for f in pagina(conn, c, s, 100_000, 0)[0]}
        if c.id in NIVEL_DE
        else None
    )
    filas = conn.execute(
        text(sql), params, execution_options={"stream_results": True, "yield_per": FILAS_POR_PARTE}
    )
    columnas = list(filas.keys())
    partes = (_marco(c, s, columnas, p, medidas) for p in filas.partitions(FILAS_POR_PARTE))
    carpeta = tempfile.TemporaryDirectory(prefix="sigg_exportar_")
    try:  # an empty selection is still a file, with its fields
        ruta = _escribir(Path(carpeta.name), c.id, formato, _o_vacio(partes, c, s, columnas))
    except BaseException:
        carpeta.cleanup()
        raise
    return Archivo(ruta, carpeta)


def _marco(
    c: Coleccion, s: Seleccion, columnas: list[str], filas: Any, medidas: dict[str, Any] | None
) -> gpd.GeoDataFrame:
    """One part as a GeoDataFrame whose column types come from the collection, not from the
    part: every part of a file must agree (an integer attribute is a nullable integer)."""
    df = gpd.pd.DataFrame.from_records(filas, columns=columnas)
    for a in c.atributos:
        if a.tipo == "integer":
            df[a.nombre] = df[a.nombre].astype("Int64")
        elif a.tipo == "number":
            df[a.nombre] = df[a.nombre].astype("float64")
    gdf = gpd.GeoDataFrame(
        df.drop(columns="geometry"),
        geometry=gpd.GeoSeries.from_wkb(df["geometry"].map(bytes)),
        crs=s.srid,
    )
    if medidas is not None:  # territory: the program's measures of each unit
        for m in MEDIDAS_BINARIO:
            gdf[m] = [medidas.get(i, {}).get(m) for i in gdf["id"]]
    return gdf


def _o_vacio(
    partes: Iterator[gpd.GeoDataFrame], c: Coleccion, s: Seleccion, columnas: list[str]
) -> Iterator[gpd.GeoDataFrame]:
    vacio = True
    for parte in partes:
        vacio = False
        yield parte
    if vacio:
        yield _marco(c, s, columnas, [], None)


def _escribir(carpeta: Path, nombre: str, formato: str, partes: Iterator[gpd.GeoDataFrame]) -> Path:
    if formato == "kml":
        return _kml(carpeta, nombre, partes)
    destino = carpeta / (f"{nombre}.gpkg" if formato == "gpkg" else f"{nombre}.shp")
    opciones: dict[str, Any] = (
        {"layer": nombre, "driver": "GPKG"}
        if formato == "gpkg"
        else {"driver": "ESRI Shapefile", "layer_options": {"ENCODING": "UTF-8"}}
    )
    for i, parte in enumerate(partes):
        parte = parte if formato == "gpkg" else parte.rename(columns=NOMBRES_SHP)
        pyogrio.write_dataframe(parte, destino, append=i > 0, **opciones)
    if formato == "gpkg":
        return destino
    zip_ = carpeta / f"{nombre}.zip"
    with zipfile.ZipFile(zip_, "w", zipfile.ZIP_DEFLATED) as z:
        for parte in sorted(carpeta.glob(f"{nombre}.*")):
            if parte != zip_:
                z.write(parte, parte.name)
    return zip_


def _kml(carpeta: Path, nombre: str, partes: Iterator[gpd.GeoDataFrame]) -> Path:
    """GDAL's KML driver can only add to a file by reading it whole: each part is written to
    a file of its own and its placemarks appended to the document, numbered on from the
    parts before, so that the file is the one a single write would give."""
    destino, suelta = carpeta / f"{nombre}.kml", carpeta / "parte.kml"
    id_ = re.compile(rb'(<Placemark id="' + re.escape(nombre.encode()) + rb'\.)(\d+)"')
    n, pie = 0, b""
    with destino.open("wb") as salida:
        for parte in partes:
            pyogrio.write_dataframe(parte.to_crs(4326), suelta, layer=nombre, driver="KML")
            texto = suelta.read_bytes()
            suelta.unlink()  # a file that exists would be rewritten by the LIBKML driver
            fin = texto.rindex(b"</Folder>")
            cuerpo, pie = texto[texto.find(b"  <Placemark") if n else 0 : fin], texto[fin:]
            if n:
                cuerpo = id_.sub(partial(_renumerado, base=n), cuerpo)
            salida.write(cuerpo)
            n += len(parte)
        salida.write(pie)
    return destino


def _renumerado(m: re.Match[bytes], base: int) -> bytes:
    return m[1] + b"%d" % (int(m[2]) + base) + b'"'
