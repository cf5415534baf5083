"""Reading the published collections: pages of features for OGC API - Features, one feature,
extents, and a constant-memory stream of every feature for exports. Features are serialised as
GeoJSON by PostGIS (json_build_object + ST_AsGeoJSON); user input only ever arrives as bound
values or as names checked against the collection's attribute list."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from itertools import chain
from typing import Any

from sqlalchemy import Connection, literal_column, select, text

from geo.acceso.alcance import Alcance, condicion_lectura_sql
from geo.analisis.agregacion import Consulta, NivelAgregacion, estadisticas
from geo.plataforma.db import como_sql
from geo.plataforma.entrada import exigir_parametro
from geo.plataforma.errors import NoEncontrado, ParametroInvalido
from geo.publicacion.colecciones import MEDIDAS_TERRITORIO, NIVEL_DE, Atributo, Coleccion
from geo.registro.consultas import (
    SP,
    A,
    Filtros,
    M,
    O,
    al_corte,
    en_su_municipio,
    filtrar,
    filtrar_subproyectos,
)
from geo.vocabulario.parametros import SINONIMOS_OGC


@dataclass(frozen=True)
class Seleccion:
    cartografia: str
    programa: str
    bbox: tuple[float, float, float, float] | None = None
    fechas: tuple[date | None, date | None] | None = None
    propiedades: tuple[tuple[str, str], ...] = ()
    srid: int = 4326
    alcance: Alcance | None = None  # who reads; None: a trusted caller
    solo_validados: bool = False
    # The vocabulary's filters (geo.vocabulario.parametros): on records they choose the
    # features; on territory they choose what the aggregated measures count.
    filtros: Filtros | None = None

    @property
    def corte(self) -> date | None:
        """The day whose end the records are read at (None: now), a filter of the vocabulary."""
        return self.filtros.corte if self.filtros else None


def donde_sql(c: Coleccion, s: Seleccion) -> tuple[str, dict[str, Any]]:
    """The conditions that choose the features of ``c``, over its FROM clause. At a cut-off
    date they read the records of that date only inside a statement given to ``con_corte``."""
    condiciones = ["p.codigo = :programa"] if c.por_programa else ["r.cartografia = :v"]
    params: dict[str, Any] = {"programa": s.programa, "v": s.cartografia}
    if c.por_programa:  # the records (alliances, subprojects): what this reader may see
        limite, valores = condicion_lectura_sql("r", s.alcance, s.solo_validados)
        if limite:
            condiciones.append(limite)
            params |= valores
    if s.bbox:
        condiciones.append(
            f"ST_Intersects({c.geom_sql}, ST_MakeEnvelope(:x1, :y1, :x2, :y2, 4326))"
        )
        params |= dict(zip(("x1", "y1", "x2", "y2"), s.bbox, strict=True))
    if s.fechas:
        if c.temporal is None:
            raise ParametroInvalido(
                f"la colección {c.id} no tiene dimensión temporal", campo="datetime"
            )
        inicio, fin = s.fechas
        if inicio:
            condiciones.append(f"{c.temporal} >= :t1")
            params["t1"] = inicio
        if fin:
            condiciones.append(f"{c.temporal} <= :t2")
            params["t2"] = fin
    if s.filtros is not None:
        sql, valores = _por_vocabulario(c, s.filtros)
        condiciones += sql
        params |= valores
    for i, (nombre, valor) in enumerate(s.propiedades):
        a = c.atributo(nombre)
        if a is None:
            raise ParametroInvalido(
                f"'{nombre}' no es un atributo filtrable de {c.id}; vea "
                f"/collections/{c.id}/queryables",
                campo=nombre,
            )
        condiciones.append(f"{a.sql} = :p{i}")
        params[f"p{i}"] = _tipado(a, valor)
    return " AND ".join(condiciones), params


def _por_vocabulario(c: Coleccion, f: Filtros) -> tuple[list[str], dict[str, Any]]:
    """The vocabulary's filters as conditions: on records, the registry's own filter (the one
    the lists and the map use) compiled into an id subquery; on territory, the territorial
    names whose attribute the collection has (departamento -> departamento_codigo)."""
    if not c.por_programa:
        condiciones, params = [], {}
        for atributo, nombre in SINONIMOS_OGC.items():
            valor, a = getattr(f, nombre), c.atributo(atributo)
            if valor is not None and a is not None:
                condiciones.append(f"{a.sql} = :v_{nombre}")
                params[f"v_{nombre}"] = valor
        return condiciones, params
    # The cut-off date is not the subquery's: ``con_corte`` gives the whole statement the
    # records of that date, this subquery included (one evaluation, not one per reference).
    propios = replace(f, programa=None, alcance=None, solo_validados=False, corte=None)
    if propios == Filtros():
        return [], {}  # nothing but program and scope, which donde_sql applies itself
    registro = A if c.id == "alianzas" else SP
    desde: Any = registro.join(
        M,
        en_su_municipio(registro),
    )
    if c.id == "alianzas":
        desde = desde.outerjoin(O, O.c.id == A.c.organizacion_id)
        q = filtrar(select(A.c.id).select_from(desde), propios)
    else:
        q = filtrar_subproyectos(select(SP.c.id).select_from(desde), propios)
    sql, params = como_sql(q, prefijo="f_")
    return [f"{c.id_sql} IN ({sql})"], params


def con_corte(
    c: Coleccion, s: Seleccion, sql: str, params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """``sql``, one statement over ``c``'s records, read as they stood at the end of the
    selection's cut-off date: the registry's own WITH queries (``consultas.al_corte``, over
    the functions of migration 0012) put in front of it, so that every value the statement
    publishes (stage, stage date, money) is the one of that day, not only the choice of
    records. Unchanged without a cut-off date, and for territory, which has no history."""
    if s.corte is None or not c.por_programa:
        return sql, params
    compilado, valores = como_sql(al_corte(select(literal_column("1")), s.corte), "corte_")
    con, _, resto = compilado.rpartition(" SELECT 1")
    if resto or not con.startswith("WITH "):  # SQLAlchemy rendered it otherwise: never guess
        raise RuntimeError(f"al_corte compiled unexpectedly: {compilado!r}")
    return f"{con} {sql}", params | valores


def _tipado(a: Atributo, valor: str) -> Any:
    """An attribute filter's value as the column's type, or a 400 naming it (a database error
    would otherwise surface as a failure of the service)."""
    que = {"integer": "un entero", "number": "un número"}.get(a.tipo, "una fecha AAAA-MM-DD")
    try:
        if a.tipo == "integer":
            return exigir_parametro(a.nombre, int(valor))
        if a.tipo == "number":
            numero = float(valor)
            if not math.isfinite(numero):
                raise ValueError(valor)
            return numero
        if a.formato == "date":
            return date.fromisoformat(valor)
    except ValueError as exc:
        raise ParametroInvalido(f"{a.nombre} debe ser {que}: '{valor}'", campo=a.nombre) from exc
    return exigir_parametro(a.nombre, valor)


def _feature_sql(c: Coleccion, srid: int = 4326, decimales: int = 7) -> str:
    props = ", ".join(f"'{a.nombre}', {a.sql}" for a in c.atributos)
    geom = c.geom_sql if srid == 4326 else f"ST_Transform({c.geom_sql}, {int(srid)})"
    # RFC 7946: counter-clockwise exterior rings (no-op for points).
    return (
        f"json_build_object('type', 'Feature', 'id', {c.id_sql}, 'geometry', "
        f"ST_AsGeoJSON(ST_ForcePolygonCCW({geom}), {decimales})::json, "
        f"'properties', json_build_object({props}))::text"
    )


def pagina(
    conn: Connection, c: Coleccion, s: Seleccion, limite: int, desplazamiento: int
) -> tuple[list[dict[str, Any]], int]:
    donde, params = donde_sql(c, s)
    sql, valores = con_corte(c, s, f"SELECT count(*) FROM {c.desde} WHERE {donde}", params)  # noqa: S608
    total = conn.execute(text(sql), valores).scalar_one()
    sql, valores = con_corte(
        c,
        s,
        f"SELECT {_feature_sql(c)} FROM {c.desde} WHERE {donde} "  # noqa: S608
        f"ORDER BY {c.orden} LIMIT :limite OFFSET :desde",
        params | {"limite": limite, "desde": desplazamiento},
    )
    filas = conn.execute(text(sql), valores).scalars().all()
    features = [json.loads(f) for f in filas]
    _con_medidas(conn, c, s, features)
    return features, int(total)


def una(conn: Connection, c: Coleccion, s: Seleccion, fid: str) -> dict[str, Any]:
    donde, params = donde_sql(c, s)
    clave = f"{c.id_sql} = :fid" if c.id_sql.endswith(".codigo") else f"{c.id_sql}::text = :fid"
    sql, params = con_corte(
        c,
        s,
        f"SELECT {_feature_sql(c)} FROM {c.desde} WHERE {donde} AND {clave}",  # noqa: S608
        params | {"fid": fid},
    )
    fila = conn.execute(text(sql), params).scalar()
    if fila is None:
        raise NoEncontrado(f"{c.id}: no existe el elemento '{fid}'", campo="featureId")
    features = [json.loads(fila)]
    _con_medidas(conn, c, s, features)
    return features[0]


def _con_medidas(
    conn: Connection, c: Coleccion, s: Seleccion, features: list[dict[str, Any]]
) -> None:
    """Territorial units carry the program's aggregated measures (one engine query)."""
    if c.id not in NIVEL_DE or not features:
        return
    consulta = Consulta(
        NivelAgregacion(NIVEL_DE[c.id]),
        s.cartografia,
        replace(
            s.filtros or Filtros(),
            programa=s.programa,
            alcance=s.alcance,
            solo_validados=s.solo_validados,
        ),
        1.0,
    )
    medidas = {
        u["codigo"]: u["valores"] for u in estadisticas(conn, consulta, list(MEDIDAS_TERRITORIO))
    }
    for f in features:
        f["properties"].update(medidas.get(f["id"], dict.fromkeys(MEDIDAS_TERRITORIO)))


def extension(conn: Connection, c: Coleccion, s: Seleccion) -> dict[str, Any]:
    donde, params = donde_sql(c, s)
    tiempo = f", min({c.temporal})::text AS t1, max({c.temporal})::text AS t2" if c.temporal else ""
    sql, params = con_corte(
        c,
        s,
        f"SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)"  # noqa: S608
        f"{', t1, t2' if c.temporal else ''} FROM (SELECT ST_Extent({c.geom_sql}) AS b{tiempo} "
        f"FROM {c.desde} WHERE {donde}) x",
        params,
    )
    fila = conn.execute(text(sql), params).first()
    caja = [round(v, 6) for v in fila[:4]] if fila and fila[0] is not None else None
    salida: dict[str, Any] = {
        "spatial": {
            "bbox": [caja or [-69.7, -22.9, -57.4, -9.6]],
            "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        }
    }
    if c.temporal:
        salida["temporal"] = {
            "interval": [[fila[4], fila[5]] if fila else [None, None]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return salida


def flujo(
    conn: Connection, c: Coleccion, s: Seleccion, decimales: int = 7
) -> tuple[int, Iterator[str]]:
    """How many features are selected, and each of them as GeoJSON text from a server-side
    cursor: memory does not grow with the number of features. The query runs and its first
    row is read here, so that an error of the query is raised to the caller before anything is
    sent; the count comes in that row, from the same statement and so the same snapshot as the
    features."""
    donde, params = donde_sql(c, s)
    sql, params = con_corte(
        c,
        s,
        f"SELECT (SELECT count(*) FROM {c.desde} WHERE {donde}), "  # noqa: S608
        f"{_feature_sql(c, s.srid, decimales)} FROM {c.desde} WHERE {donde} ORDER BY {c.orden}",
        params,
    )
    filas = conn.execute(
        text(sql), params, execution_options={"stream_results": True, "yield_per": 2000}
    )
    primera = filas.fetchone()
    if primera is None:
        return 0, iter(())
    return int(primera[0]), chain([primera[1]], (f for _, f in filas))
