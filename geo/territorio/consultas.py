"""Territory queries: listings with parents and population, single units with geometry, counts,
and locating a point. Each function is one query (a second one only to explain an empty answer).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Select, Text, and_, cast, func, literal, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by

from geo.plataforma.errors import NoEncontrado
from geo.plataforma.models import (
    Cartografia,
    Departamento,
    Municipio,
    Provincia,
    UnidadOperativa,
    tabla,
)

M = tabla(Municipio)
P = tabla(Provincia)
D = tabla(Departamento)
U = tabla(UnidadOperativa)


class Nivel(StrEnum):
    departamentos = "departamentos"
    provincias = "provincias"
    municipios = "municipios"
    unidades_operativas = "unidades-operativas"


# Each level: its table, the municipality column that names a unit of it, its singular name.
NIVELES = {
    Nivel.departamentos: (D, M.c.departamento_codigo, "departamento"),
    Nivel.provincias: (P, M.c.provincia_codigo, "provincia"),
    Nivel.municipios: (M, M.c.codigo, "municipio"),
    Nivel.unidades_operativas: (U, M.c.unidad_operativa_codigo, "unidad_operativa"),
}
POBLACION = ("pob_2012", "urbana_2012", "rural_2012", "pob_2024")


def _miembros(nivel: Nivel, cartografia: str) -> Any:
    """Per unit of ``nivel``: its municipalities, provinces, departments and operational units."""
    _, clave, _ = NIVELES[nivel]
    return (
        select(
            clave.label("codigo"),
            func.count().label("n_municipios"),
            func.count(M.c.provincia_codigo.distinct()).label("n_provincias"),
            func.array_agg(
                aggregate_order_by(M.c.departamento_codigo.distinct(), M.c.departamento_codigo)
            ).label("departamentos"),
            func.array_agg(
                aggregate_order_by(
                    M.c.unidad_operativa_codigo.distinct(), M.c.unidad_operativa_codigo
                )
            ).label("unidades"),
        )
        .where(M.c.cartografia == cartografia)
        .group_by(clave)
        .subquery("miembros")
    )


def _consulta(nivel: Nivel, cartografia: str) -> Select[Any]:
    tabla, _, _ = NIVELES[nivel]
    mi = _miembros(nivel, cartografia)
    cols = [
        tabla.c.codigo,
        tabla.c.nombre,
        *(tabla.c[c] for c in POBLACION),
        tabla.c.area_km2,
        mi.c.n_municipios,
        mi.c.n_provincias,
        mi.c.departamentos,
        mi.c.unidades,
    ]
    q = select(*cols).join_from(tabla, mi, mi.c.codigo == tabla.c.codigo)
    if nivel in (Nivel.municipios, Nivel.provincias, Nivel.unidades_operativas):
        d = D.alias("dep")
        q = q.add_columns(d.c.codigo.label("dep_codigo"), d.c.nombre.label("dep_nombre")).outerjoin(
            d,
            and_(d.c.cartografia == tabla.c.cartografia, d.c.codigo == tabla.c.departamento_codigo),
        )
    if nivel is Nivel.municipios:
        q = q.add_columns(
            P.c.nombre.label("prov_nombre"),
            U.c.nombre.label("uo_nombre"),
            M.c.provincia_codigo,
            M.c.unidad_operativa_codigo,
            M.c.codigo_2012,
        )
        q = q.join(P, and_(P.c.cartografia == M.c.cartografia, P.c.codigo == M.c.provincia_codigo))
        q = q.join(
            U, and_(U.c.cartografia == M.c.cartografia, U.c.codigo == M.c.unidad_operativa_codigo)
        )
    if nivel is Nivel.unidades_operativas:
        q = q.add_columns(U.c.tipo)
    return q.where(tabla.c.cartografia == cartografia).order_by(tabla.c.codigo)


def _propiedades(nivel: Nivel, r: Any) -> dict[str, Any]:
    props: dict[str, Any] = {"codigo": r.codigo, "nombre": r.nombre, "nivel": NIVELES[nivel][2]}
    m = r._mapping
    if "dep_codigo" in m:
        props["departamento"] = (
            {"codigo": r.dep_codigo, "nombre": r.dep_nombre} if r.dep_codigo else None
        )
    if nivel is Nivel.municipios:
        props["provincia"] = {"codigo": r.provincia_codigo, "nombre": r.prov_nombre}
        props["unidad_operativa"] = {"codigo": r.unidad_operativa_codigo, "nombre": r.uo_nombre}
        props["codigo_2012"] = r.codigo_2012
    else:
        props["n_municipios"] = r.n_municipios
        if nivel is not Nivel.unidades_operativas:
            props["unidades_operativas"] = list(r.unidades)
        if nivel is not Nivel.provincias:
            props["departamentos"] = list(r.departamentos)
            props["n_provincias"] = r.n_provincias
    if nivel is Nivel.unidades_operativas:
        props["tipo"] = r.tipo
    props["poblacion"] = {c: m[c] for c in POBLACION}
    props["area_km2"] = round(r.area_km2, 2)
    return props


def listar(
    conn: Connection, nivel: Nivel, cartografia: str, *, filtros: dict[Nivel, str] | None = None
) -> list[dict[str, Any]]:
    """Units of ``nivel``, optionally only those holding municipalities of the given parents
    (e.g. the municipalities of a department, the provinces of the unit Chaco)."""
    tabla, _, _ = NIVELES[nivel]
    q = _consulta(nivel, cartografia)
    for padre, codigo in (filtros or {}).items():
        _, clave_padre, _ = NIVELES[padre]
        _, clave, _ = NIVELES[nivel]
        q = q.where(
            tabla.c.codigo.in_(
                select(clave).where(M.c.cartografia == cartografia, clave_padre == codigo)
            )
        )
    filas = conn.execute(q).all()
    if not filas:
        _explicar_vacio(conn, cartografia, filtros or {})
    return [_propiedades(nivel, r) for r in filas]


def _explicar_vacio(conn: Connection, cartografia: str, filtros: dict[Nivel, str]) -> None:
    """An empty list because something named does not exist is an error, not an empty answer."""
    exigir_cartografia(conn, cartografia)
    for padre, codigo in filtros.items():
        tabla, _, singular = NIVELES[padre]
        existe = conn.execute(
            select(literal(1)).where(tabla.c.cartografia == cartografia, tabla.c.codigo == codigo)
        ).first()
        if not existe:
            raise NoEncontrado(
                f"{singular.replace('_', ' ')} '{codigo}' no existe en la "
                f"cartografía {cartografia}",
                campo=singular,
            )


def exigir_cartografia(conn: Connection, cartografia: str) -> None:
    cargadas = list(conn.execute(select(Cartografia.codigo)).scalars())
    if cartografia not in cargadas:
        raise NoEncontrado(
            f"cartografía '{cartografia}' no cargada (cargadas: "
            f"{', '.join(cargadas) or 'ninguna'}; use 'sigg etl territorio')",
            campo="cartografia",
        )


def cargada_en(conn: Connection, cartografia: str) -> str | None:
    """When ``cartografia`` was last loaded, as text (what changes with every load of it), or
    None when it is not loaded."""
    consulta = select(cast(Cartografia.cargada_en, Text)).where(Cartografia.codigo == cartografia)
    return conn.execute(consulta).scalar()


def feature(conn: Connection, nivel: Nivel, codigo: str, cartografia: str) -> str:
    """One unit as a GeoJSON Feature (RFC 7946: WGS 84, counter-clockwise exterior rings),
    the geometry serialised by PostGIS."""
    import json

    tabla, _, singular = NIVELES[nivel]
    g = func.ST_ForcePolygonCCW(tabla.c.geom)
    q = (
        _consulta(nivel, cartografia)
        .add_columns(
            func.ST_AsGeoJSON(g, 6).label("geojson"),
            func.ST_XMin(tabla.c.geom).label("xmin"),
            func.ST_YMin(tabla.c.geom).label("ymin"),
            func.ST_XMax(tabla.c.geom).label("xmax"),
            func.ST_YMax(tabla.c.geom).label("ymax"),
        )
        .where(tabla.c.codigo == codigo)
    )
    r = conn.execute(q).first()
    if r is None:
        exigir_cartografia(conn, cartografia)
        raise NoEncontrado(
            f"{singular.replace('_', ' ')} '{codigo}' no existe en la cartografía {cartografia}",
            campo="codigo",
        )
    cabeza = json.dumps(
        {
            "type": "Feature",
            "id": r.codigo,
            "bbox": [round(r.xmin, 6), round(r.ymin, 6), round(r.xmax, 6), round(r.ymax, 6)],
            "properties": _propiedades(nivel, r),
        },
        ensure_ascii=False,
    )
    return cabeza[:-1] + ', "geometry": ' + r.geojson + "}"


def conteos(conn: Connection) -> dict[str, dict[str, int]]:
    """Units loaded per cartography version."""
    filas = conn.execute(
        text(
            "SELECT c.codigo, "
            "(SELECT count(*) FROM departamento x WHERE x.cartografia = c.codigo), "
            "(SELECT count(*) FROM provincia x WHERE x.cartografia = c.codigo), "
            "(SELECT count(*) FROM municipio x WHERE x.cartografia = c.codigo), "
            "(SELECT count(*) FROM unidad_operativa x WHERE x.cartografia = c.codigo) "
            "FROM cartografia c ORDER BY c.codigo"
        )
    ).all()
    return {
        r[0]: {
            "departamentos": r[1],
            "provincias": r[2],
            "municipios": r[3],
            "unidades_operativas": r[4],
        }
        for r in filas
    }
