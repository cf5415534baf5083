"""Loading the territory: municipalities from a validated file, provinces, departments and
operational units dissolved from them in PostGIS, all in one transaction.

A re-run upserts by (cartografia, codigo) and removes what the new file no longer has, so it never
duplicates; the whole load sits in a savepoint and checks the deferred foreign keys before it
ends, so a failure leaves the previous territory as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from etl.fuente_territorio import (
    FuenteTerritorio,
    ReglasTerritorio,
    ReporteCarga,
    leer_capa,
    preparar_cuerpos_agua,
    preparar_municipios,
)
from geo.territorio.formas import AREA_MINIMA_KM2

PASOS = (
    "Leyendo el archivo de municipios",
    "Validando códigos, conteos y geometrías",
    "Escribiendo municipios (COPY)",
    "Disolviendo provincias",
    "Disolviendo departamentos",
    "Disolviendo unidades operativas",
    "Lagos y salares",
    "Comprobando integridad",
)

Avance = Callable[[str], None]

_POBLACION = ("pob_2012", "urbana_2012", "rural_2012", "pob_2024")
_CLAVES_DIFERIDAS = ", ".join(
    (
        "fk_provincia_cartografia_departamento",
        "fk_municipio_cartografia_provincia",
        "fk_municipio_cartografia_departamento",
        "fk_municipio_cartografia_unidad_operativa",
    )
)
_STAGING_COLS = (
    "codigo",
    "nombre",
    "nombre_fuente",
    "provincia_codigo",
    "provincia_nombre",
    "provincia_nombre_fuente",
    "departamento_codigo",
    "departamento_nombre",
    "unidad_operativa_codigo",
    "codigo_2012",
    *_POBLACION,
    "geom",
)


_ANALIZADAS = (
    "municipio", "municipio_parte", "provincia", "departamento", "unidad_operativa", "cuerpo_agua",
)  # fmt: skip


def cargar_territorio(
    conn: Connection,
    fuente: FuenteTerritorio,
    reglas: ReglasTerritorio,
    avance: Avance | None = None,
) -> ReporteCarga:
    """Validate ``fuente`` and write it as cartography ``fuente.cartografia``."""
    paso = avance or (lambda _msg: None)
    reporte = ReporteCarga(cartografia=fuente.cartografia, fuente=str(fuente.municipios))
    paso(PASOS[0])
    capa = leer_capa(fuente.municipios, fuente.capa)
    paso(PASOS[1])
    municipios = preparar_municipios(capa, fuente, reglas, reporte)
    lagos = preparar_cuerpos_agua(fuente.cuerpos_agua) if fuente.cuerpos_agua else None
    with conn.begin_nested():
        _escribir(conn, fuente, reglas, municipios, lagos, reporte, paso)
    return reporte


def _escribir(
    conn: Connection,
    fuente: FuenteTerritorio,
    reglas: ReglasTerritorio,
    municipios: gpd.GeoDataFrame,
    lagos: gpd.GeoDataFrame | None,
    reporte: ReporteCarga,
    paso: Avance,
) -> None:
    v = {"v": fuente.cartografia}
    # Two loads at once would interleave their upserts; the second waits for the first.
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('sigg.territorio'))"))
    conn.execute(text(f"SET CONSTRAINTS {_CLAVES_DIFERIDAS} DEFERRED"))
    conn.execute(
        text(
            "INSERT INTO cartografia (codigo, descripcion, fuente, reporte) "
            "VALUES (:v, :d, :f, '{}') ON CONFLICT (codigo) DO UPDATE "
            "SET descripcion = EXCLUDED.descripcion, fuente = EXCLUDED.fuente, cargada_en = now()"
        ),
        v | {"d": fuente.descripcion, "f": str(fuente.municipios)},
    )
    paso(PASOS[2])
    _copiar_staging(conn, municipios, reglas)
    reporte.municipios = _upsert_municipios(conn, v)
    paso(PASOS[3])
    reporte.provincias = _disolver(
        conn,
        "provincia",
        "provincia_codigo",
        "min(s.provincia_nombre), min(s.provincia_nombre_fuente), min(m.departamento_codigo)",
        ("nombre", "nombre_fuente", "departamento_codigo"),
        v,
    )
    paso(PASOS[4])
    reporte.departamentos = _disolver(
        conn, "departamento", "departamento_codigo", "min(s.departamento_nombre)", ("nombre",), v
    )
    paso(PASOS[5])
    reporte.unidades_operativas = _disolver(
        conn,
        "unidad_operativa",
        "unidad_operativa_codigo",
        "min(u.nombre), min(u.tipo), min(u.departamento_codigo)",
        ("nombre", "tipo", "departamento_codigo"),
        v,
        join="JOIN _carga_unidad u ON u.codigo = m.unidad_operativa_codigo",
    )
    paso(PASOS[6])
    reporte.cuerpos_agua = _escribir_lagos(conn, lagos, v)
    paso(PASOS[7])
    # Check the deferred keys now, inside the savepoint, rather than at some later commit.
    conn.execute(text(f"SET CONSTRAINTS {_CLAVES_DIFERIDAS} IMMEDIATE"))
    conn.execute(text("DROP TABLE _carga_municipio, _carga_unidad"))
    conn.execute(
        text("UPDATE cartografia SET reporte = CAST(:r AS jsonb) WHERE codigo = :v"),
        v | {"r": _json(reporte.como_dict())},
    )
    # The planner's statistics of the tables just written, as after any bulk load: until
    # autovacuum gets to them, a fresh database's first import located its points through a
    # needless second index (bench/RESULTS.md, section 7).
    conn.execute(text(f"ANALYZE {', '.join(_ANALIZADAS)}"))


def _copiar_staging(
    conn: Connection, municipios: gpd.GeoDataFrame, reglas: ReglasTerritorio
) -> None:
    # Temp tables live to the end of the transaction, which may hold more than one load.
    conn.execute(text("DROP TABLE IF EXISTS _carga_municipio, _carga_unidad"))
    conn.execute(
        text(
            "CREATE TEMP TABLE _carga_municipio (codigo text, nombre text, nombre_fuente text, "
            "provincia_codigo text, provincia_nombre text, provincia_nombre_fuente text, "
            "departamento_codigo text, departamento_nombre text, "
            "unidad_operativa_codigo text, codigo_2012 text, pob_2012 int, urbana_2012 int, "
            "rural_2012 int, pob_2024 int, geom geometry(MultiPolygon, 4326)) ON COMMIT DROP; "
            "CREATE TEMP TABLE _carga_unidad (codigo text, nombre text, tipo text, "
            "departamento_codigo text) ON COMMIT DROP"
        )
    )
    geoms = shapely.to_wkb(
        shapely.set_srid(municipios.geometry.values, 4326), hex=True, include_srid=True
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        with cur.copy(f"COPY _carga_municipio ({', '.join(_STAGING_COLS)}) FROM STDIN") as copy:
            for fila, wkb in zip(
                municipios[list(_STAGING_COLS[:-1])].itertuples(index=False), geoms, strict=True
            ):
                copy.write_row((*(_valor(x) for x in fila), wkb))
        with cur.copy(
            "COPY _carga_unidad (codigo, nombre, tipo, departamento_codigo) FROM STDIN"
        ) as copy:
            for u in reglas.unidades:
                copy.write_row(
                    (u["codigo"], u["nombre"], u["tipo"], u["departamento_codigo"] or None)
                )


def _upsert_municipios(conn: Connection, v: dict[str, str]) -> int:
    cols = (
        "nombre",
        "nombre_fuente",
        "provincia_codigo",
        "departamento_codigo",
        "unidad_operativa_codigo",
        "codigo_2012",
        *_POBLACION,
        "geom",
        "punto_interior",
        "area_km2",
    )
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols)
    n = conn.execute(
        text(
            f"INSERT INTO municipio (cartografia, codigo, {', '.join(cols)}) "  # noqa: S608
            "SELECT :v, codigo, nombre, nombre_fuente, provincia_codigo, departamento_codigo, "
            "unidad_operativa_codigo, codigo_2012, pob_2012, urbana_2012, rural_2012, pob_2024, "
            "geom, ST_PointOnSurface(geom), ST_Area(geom::geography) / 1e6 FROM _carga_municipio "
            f"ON CONFLICT (cartografia, codigo) DO UPDATE SET {sets}"
        ),
        v,
    ).rowcount
    conn.execute(
        text(
            "DELETE FROM municipio WHERE cartografia = :v "
            "AND codigo NOT IN (SELECT codigo FROM _carga_municipio)"
        ),
        v,
    )
    conn.execute(text("DELETE FROM municipio_parte WHERE cartografia = :v"), v)
    conn.execute(
        text(
            "INSERT INTO municipio_parte (cartografia, codigo, geom) "
            "SELECT cartografia, codigo, ST_Subdivide(geom, 255) FROM municipio "
            "WHERE cartografia = :v"
        ),
        v,
    )
    return int(n)


# Table and column names in the SQL below come from the constants of this module, never from
# input; values are bound.
def _disolver(
    conn: Connection,
    tabla: str,
    clave: str,
    atributos: str,
    columnas: tuple[str, ...],
    v: dict[str, str],
    join: str = "",
) -> int:
    """Upsert ``tabla`` as the union of its municipalities; population is NULL (sin dato) when
    any member's is unknown, and the area is the members' sum, so every level adds up."""
    poblacion = ", ".join(
        f"CASE WHEN count(m.{c}) = count(*) THEN sum(m.{c}) END" for c in _POBLACION
    )
    cols = (*columnas, *_POBLACION, "area_km2", "geom")
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols)
    n = conn.execute(
        text(
            f"INSERT INTO {tabla} (cartografia, codigo, {', '.join(cols)}) "  # noqa: S608
            f"SELECT m.cartografia, m.{clave}, {atributos}, {poblacion}, sum(m.area_km2), "
            "ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(m.geom)), 3)) "
            f"FROM municipio m JOIN _carga_municipio s ON s.codigo = m.codigo {join} "
            f"WHERE m.cartografia = :v GROUP BY m.cartografia, m.{clave} "
            f"ON CONFLICT (cartografia, codigo) DO UPDATE SET {sets}"
        ),
        v,
    ).rowcount
    conn.execute(
        text(
            f"DELETE FROM {tabla} WHERE cartografia = :v AND codigo NOT IN "  # noqa: S608
            f"(SELECT DISTINCT {clave} FROM municipio WHERE cartografia = :v)"
        ),
        v,
    )
    _sin_motas(conn, tabla, v)
    return int(n)


def _sin_motas(conn: Connection, tabla: str, v: dict[str, str]) -> None:
    """Fill the holes and drop the parts under AREA_MINIMA_KM2 that the union leaves: the INE
    layer's sliver gaps between neighbours and its islets (geo/territorio/formas.py). A unit's
    largest part is always kept; its municipalities keep their full geometry."""
    conn.execute(
        text(
            f"UPDATE {tabla} t SET geom = s.geom FROM ("  # noqa: S608
            "  SELECT codigo, ST_Multi(ST_Collect(ST_MakePolygon(ST_ExteriorRing(parte), ARRAY("
            "    SELECT ST_ExteriorRing(h.geom) FROM ST_DumpRings(parte) h"
            "    WHERE h.path[1] > 0 AND ST_Area(h.geom::geography) >= :minima"
            "  )))) AS geom FROM ("
            "    SELECT codigo, d.geom AS parte, row_number() OVER ("
            "      PARTITION BY codigo ORDER BY ST_Area(d.geom::geography) DESC) AS orden"
            f"    FROM {tabla}, ST_Dump(geom) d WHERE cartografia = :v"
            "  ) p WHERE orden = 1 OR ST_Area(parte::geography) >= :minima GROUP BY codigo"
            ") s WHERE t.cartografia = :v AND t.codigo = s.codigo"
        ),
        v | {"minima": AREA_MINIMA_KM2 * 1e6},
    )


def _escribir_lagos(conn: Connection, lagos: gpd.GeoDataFrame | None, v: dict[str, str]) -> int:
    conn.execute(text("DELETE FROM cuerpo_agua WHERE cartografia = :v"), v)
    if lagos is None or lagos.empty:
        return 0
    filas = [
        v | {"codigo": c, "nombre": n, "wkb": g}
        for c, n, g in zip(
            lagos["codigo"],
            lagos["nombre"],
            shapely.to_wkb(lagos.geometry.values, hex=True),
            strict=True,
        )
    ]
    conn.execute(
        text(
            "INSERT INTO cuerpo_agua (cartografia, codigo, nombre, geom) "
            "VALUES (:v, :codigo, :nombre, ST_SetSRID(ST_GeomFromWKB(decode(:wkb, 'hex')), 4326))"
        ),
        filas,
    )
    return len(filas)


def _valor(x: Any) -> Any:
    """A pandas cell as a plain Python value for COPY: NaN/NA -> None, integral floats -> int."""
    if x is None or x is pd.NA or (isinstance(x, float) and x != x):
        return None
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x.item() if hasattr(x, "item") else x


def _json(d: dict[str, Any]) -> str:
    import json

    return json.dumps(d, ensure_ascii=False, default=str)
