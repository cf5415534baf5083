"""What the map needs: the municipal layer simplified for the screen as one TopoJSON (shared
borders simplified once, so neighbours never gap; the browser merges municipalities into
provinces, departments and units from it), in two levels of detail (a light one drawn first on
a slow line, then the detailed one), and per request only the values of one measure with their
classes, computed with mapclassify."""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from threading import Lock
from typing import Any

import brotli
import geopandas as gpd
import mapclassify
import topojson as tp
from sqlalchemy import JSON, Connection, Text, cast, func, literal_column, select, text

from geo.analisis.agregacion import MEDIDAS, Consulta, estadisticas
from geo.formatos.numeros import numero_es
from geo.plataforma.errors import EntradaInvalida
from geo.plataforma.models import (
    Alianza,
    Municipio,
    Organizacion,
    SubproyectoMunicipal,
    tabla,
)
from geo.registro.consultas import Filtros, en_su_municipio, etiqueta, filtrar, filtrar_subproyectos
from geo.territorio.formas import para_pantalla
from geo.vocabulario.catalogos import ESTADOS, ETAPAS, ETAPAS_SUBPROYECTO

# ColorBrewer YlGnBu: sequential and readable by colour-blind people (colorbrewer2.org).
YLGNBU = {
    3: ["#edf8b1", "#7fcdbb", "#2c7fb8"],
    4: ["#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"],
    5: ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
    6: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"],
    7: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
}
SIN_DATO_COLOR = "#bdbdbd"
CLASIFICACIONES = {
    "cuantiles": mapclassify.Quantiles,
    "jenks": mapclassify.FisherJenks,
    "intervalos": mapclassify.EqualInterval,
}
# Measures a choropleth can show (single numbers), with their Spanish label.
MEDIDAS_MAPA = {
    "familias_por_mil_rurales": "Familias beneficiarias por 1.000 habitantes rurales (2012)",
    "familias": "Familias beneficiarias",
    "pct_mujeres": "Familias representadas por mujeres (%)",
    "alianzas": "Alianzas",
    "hectareas_riego": "Hectáreas con riego",
    "monto_par_comprometido_bs": "Monto PAR comprometido (Bs)",
    "monto_transferido_bs": "Monto transferido (Bs)",
    "monto_descargado_bs": "Monto descargado (Bs)",
    "monto_transferido_usd": "Monto transferido (US$)",
    "transferido_por_familia_bs": "Transferido por familia (Bs)",
    "cobertura_pct": "Cobertura: municipios con alianzas (%)",
    "subproyectos": "Subproyectos municipales",
}
# The unit each value is counted in, for tooltips and the legend ("Comarapa: 12 familias").
UNIDADES_MAPA = {
    "familias_por_mil_rurales": "familias por 1.000 hab. rurales",
    "familias": "familias",
    "pct_mujeres": "%",
    "alianzas": "alianzas",
    "hectareas_riego": "ha",
    "monto_par_comprometido_bs": "Bs",
    "monto_transferido_bs": "Bs",
    "monto_descargado_bs": "Bs",
    "monto_transferido_usd": "US$",
    "transferido_por_familia_bs": "Bs por familia",
    "cobertura_pct": "%",
    "subproyectos": "subproyectos",
}
assert set(MEDIDAS_MAPA) <= set(MEDIDAS) and set(UNIDADES_MAPA) == set(MEDIDAS_MAPA)


@dataclass(frozen=True)
class Capa:
    gzip: bytes
    etag: str
    bytes_crudos: int
    municipios: gpd.GeoDataFrame  # the same simplified shapes, for downloads
    cargada: str  # the load of the territory it was built from (cartografia.cargada_en)

    @cached_property
    def crudo(self) -> bytes:
        """The TopoJSON itself, for who carries it elsewhere (the map page's data block)."""
        return gzip.decompress(self.gzip)

    @cached_property
    def br(self) -> bytes:
        """The same TopoJSON for browsers that accept br (a tenth smaller than gzip), made the
        first time it is asked for (2 s for the detailed layer at the best quality)."""
        return brotli.compress(gzip.decompress(self.gzip), quality=11)


@dataclass(frozen=True)
class Detalle:
    """How much of the boundaries a layer keeps: the coverage simplification's tolerance in
    degrees, the TopoJSON grid (cells across the extent) and whether it carries the names."""

    tolerancia: float
    cuantizacion: float
    nombres: bool = True


# What the map draws once loaded, and what the downloads and documents use.
DETALLADA = Detalle(0.006, 1e5)
# The page's first layer on a slow line (issue 15), shown for the seconds the detailed one takes
# to arrive: at the national view 0.05° is about 3 px on a 1440 px screen and 1.5 px on a phone.
# Without names (the first values carry them): 16 KB with brotli against 68 KB.
LIGERA = Detalle(0.05, 5e3, nombres=False)

# Layers kept in memory, least recently served dropped first: a reload of the territory gives a
# new key and leaves the old layer stale, so an unbounded cache would grow for the life of the
# process. Eight cover both cartographies in both details and a reload of each.
CAPAS_MAX = 8
_CACHE: OrderedDict[tuple[str, str, Detalle], Capa] = OrderedDict()
_LOCK = Lock()


def capa_web(conn: Connection, cartografia: str, detalle: Detalle = DETALLADA) -> Capa:
    """The municipal layer as compressed TopoJSON, built once per load of the territory and
    detail (the cache key includes the load time) and then served from memory."""
    cargada = conn.execute(
        text("SELECT cargada_en::text FROM cartografia WHERE codigo = :v"), {"v": cartografia}
    ).scalar()
    if cargada is None:
        raise EntradaInvalida(f"cartografía '{cartografia}' no cargada", campo="cartografia")
    clave = (cartografia, cargada, detalle)
    with _LOCK:
        if clave in _CACHE:
            _CACHE.move_to_end(clave)
        else:
            _CACHE[clave] = _construir(conn, cartografia, detalle, cargada)
            if len(_CACHE) > CAPAS_MAX:
                _CACHE.popitem(last=False)
        return _CACHE[clave]


def _construir(conn: Connection, cartografia: str, detalle: Detalle, cargada: str) -> Capa:
    municipios = gpd.read_postgis(
        text(
            "SELECT codigo, nombre, provincia_codigo AS prov, departamento_codigo AS dep, "
            "unidad_operativa_codigo AS uo, geom AS geometry FROM municipio "
            "WHERE cartografia = :v ORDER BY codigo"
        ),
        # The Connection itself (SQLAlchemy 2's execution_options() returns the very object):
        # pandas tells SQLAlchemy from a DB-API connection by its type, and a request's may
        # stand behind a proxy that takes it from the pool when first used (api/deps.py).
        conn.execution_options(),
        geom_col="geometry",
        params={"v": cartografia},
    )
    # Simplified here as a coverage, without specks (geo/territorio/formas.py); the topology
    # only finds the shared arcs and quantizes them.
    formas = municipios.assign(
        geometry=para_pantalla(municipios.geometry.values, detalle.tolerancia)
    )
    if not detalle.nombres:
        formas = formas.drop(columns="nombre")
    topo = tp.Topology(
        formas, object_name="municipios", prequantize=detalle.cuantizacion, toposimplify=False
    )
    crudo = str(topo.to_json()).encode()
    return Capa(
        gzip.compress(crudo, 9),
        hashlib.sha256(crudo).hexdigest()[:16],
        len(crudo),
        topo.to_gdf(crs=4326),
        cargada,
    )


def _clasificar(valores: list[float], metodo: str, k: int) -> list[float]:
    """Upper bounds of the classes, rounded as the legend shows them and never repeated.

    Zero is a class of its own when the data has zeros beside other values (a municipality with
    no alliance is not "a little"): the other values share the remaining ``k - 1`` classes.
    Fewer distinct values than classes give one class per value."""
    if min(valores) == 0 < max(valores):
        return [0.0, *_cortes([v for v in valores if v > 0], metodo, k - 1)]
    return _cortes(valores, metodo, k)


def _cortes(valores: list[float], metodo: str, k: int) -> list[float]:
    distintos = sorted(set(valores))
    if len(distintos) <= k:
        return distintos
    with warnings.catch_warnings():  # Fisher-Jenks warns it runs without numba: fine for 339
        warnings.simplefilter("ignore", UserWarning)
        bins = CLASIFICACIONES[metodo](valores, k=k).bins
    # Quantiles repeat a bound when many units share a value, and rounding can merge two:
    # a repeated bound would be an empty class "a – a".
    return sorted({_redondo(float(b)) for b in bins})


def _leyenda(
    limites: list[float], conocidos: list[float], clase_de: list[int], colores: list[str]
) -> list[dict[str, Any]]:
    """The legend's classes: each reads from the previous bound to its own; a class that holds
    one value only (zero, or a lone value) reads as that value."""
    clases = []
    for i, (hasta, color) in enumerate(zip(limites, colores, strict=True)):
        miembros = [v for v, c in zip(conocidos, clase_de, strict=True) if c == i]
        unico = bool(miembros) and min(miembros) == max(miembros)
        primera = i == 0 or (i == 1 and limites[0] == 0)  # the first after the zero class
        if miembros and (unico or primera):
            desde = _redondo(min(miembros))
        else:
            desde = limites[i - 1] if i else hasta
        clases.append(
            {
                "desde": desde,
                "hasta": hasta,
                "color": color,
                "n": len(miembros),
                "etiqueta": (
                    numero_es(desde)
                    if desde == hasta
                    else f"{numero_es(desde)} – {numero_es(hasta)}"
                ),
                "cero": desde == hasta == 0,
            }
        )
    return clases


def _clase(v: float, limites: list[float]) -> int:
    return next((i for i, b in enumerate(limites) if v <= b + 1e-9), len(limites) - 1)


def valores(conn: Connection, c: Consulta, medida: str, metodo: str, k: int) -> dict[str, Any]:
    if medida not in MEDIDAS_MAPA:
        raise EntradaInvalida(
            f"medida '{medida}' no se puede mapear; use: {', '.join(MEDIDAS_MAPA)}", campo="medida"
        )
    if metodo not in CLASIFICACIONES:
        raise EntradaInvalida(
            f"clasificación '{metodo}' desconocida; use: {', '.join(CLASIFICACIONES)}",
            campo="clasificacion",
        )
    if not 3 <= k <= 7:
        raise EntradaInvalida("clases debe estar entre 3 y 7", campo="clases")
    filas = estadisticas(conn, c, [medida])
    conocidos = [float(f["valores"][medida]) for f in filas if f["valores"][medida] is not None]
    limites = _clasificar(conocidos, metodo, k) if conocidos else []
    colores = YLGNBU[max(3, len(limites))][-len(limites) :] if limites else []
    unidades = {}
    for f in filas:
        v = f["valores"][medida]
        unidades[f["codigo"]] = {
            "nombre": f["nombre"],
            "valor": v,
            "clase": None if v is None else _clase(float(v), limites),
            "sin_dato": f["sin_dato"].get(medida),
        }
    clase_de = [_clase(v, limites) for v in conocidos]
    return {
        "medida": medida,
        "etiqueta": MEDIDAS_MAPA[medida],
        "unidad": UNIDADES_MAPA[medida],
        "clasificacion": metodo,
        "clases": _leyenda(limites, conocidos, clase_de, colores),
        "sin_dato": {
            "color": SIN_DATO_COLOR,
            "n": sum(1 for u in unidades.values() if u["clase"] is None),
            "etiqueta": "Sin dato",
        },
        "unidades": unidades,
    }


def _redondo(v: float) -> float:
    if v == 0 or not math.isfinite(v):
        return v
    digitos = max(0, 3 - int(math.floor(math.log10(abs(v)))))
    return round(v, digitos)


def como_geojson(capa: Capa, nivel: str, datos: dict[str, Any]) -> dict[str, Any]:
    """The features on screen: the simplified shapes of the level with their value and class."""
    municipios = capa.municipios
    clave = {
        "municipio": "codigo",
        "provincia": "prov",
        "departamento": "dep",
        "unidad_operativa": "uo",
    }.get(nivel)
    claves = municipios[clave] if clave else "BO"
    # Simplification can leave a ring touching itself: repair before merging the shapes.
    validos = municipios.assign(clave=claves, geometry=municipios.geometry.make_valid())
    formas = validos[["clave", "geometry"]].dissolve(by="clave")
    presentes = formas[formas.index.isin(list(datos["unidades"]))]
    salida = json.loads(presentes.to_json(drop_id=True))
    for feature, codigo in zip(salida["features"], presentes.index, strict=True):
        u = datos["unidades"][codigo]
        feature["id"] = codigo
        feature["properties"] = {
            "codigo": codigo,
            "nombre": u["nombre"],
            datos["medida"]: u["valor"],
            "clase": u["clase"],
            "sin_dato": u["sin_dato"],
        }
    return salida


def lagos(conn: Connection, cartografia: str) -> str:
    """Lakes and salt flats, lightly simplified, for the background (a few KB)."""
    return str(
        conn.execute(
            text(
                "SELECT json_build_object('type', 'FeatureCollection', 'features', "
                "coalesce(json_agg(json_build_object('type', 'Feature', "
                "'properties', json_build_object('nombre', nombre), "
                "'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, 0.003), 4)::json)), "
                "'[]'::json))::text FROM cuerpo_agua WHERE cartografia = :v"
            ),
            {"v": cartografia},
        ).scalar_one()
    )


def puntos_geojson(conn: Connection, f: Filtros, tipo: str) -> str:
    """Alliances (every registry filter) or subprojects (program and territory) as a GeoJSON
    FeatureCollection serialised by PostGIS."""
    A, SP, M = tabla(Alianza), tabla(SubproyectoMunicipal), tabla(Municipio)
    registro = A if tipo == "alianzas" else SP
    desde: Any = registro.join(
        M,
        en_su_municipio(registro),
    )
    q = select(
        registro.c.id,
        registro.c.codigo,
        registro.c.nombre,
        registro.c.etapa,
        registro.c.familias,
        registro.c.estado,
        M.c.nombre.label("municipio"),
        registro.c.geom,
    )
    if tipo == "alianzas":
        if f.q:
            desde = desde.outerjoin(
                tabla(Organizacion), tabla(Organizacion).c.id == A.c.organizacion_id
            )
        q = filtrar(q.select_from(desde), f)
    else:
        q = filtrar_subproyectos(q.select_from(desde), f)
    x = q.subquery("x")
    feature = func.json_build_object(
        "type",
        "Feature",
        "id",
        x.c.id,
        "geometry",
        cast(func.ST_AsGeoJSON(x.c.geom, 6), JSON),
        "properties",
        func.json_build_object(
            "codigo",
            x.c.codigo,
            "nombre",
            x.c.nombre,
            "etapa",
            x.c.etapa,
            "familias",
            x.c.familias,
            "municipio",
            x.c.municipio,
            "estado",
            x.c.estado,
            # Labels for people (the popups), beside the codes.
            "etapa_nombre",
            etiqueta(x.c.etapa, ETAPAS | ETAPAS_SUBPROYECTO),
            "estado_nombre",
            etiqueta(x.c.estado, ESTADOS),
        ),
    )
    coleccion = func.json_build_object(
        "type",
        "FeatureCollection",
        "features",
        func.coalesce(func.json_agg(feature), literal_column("'[]'::json")),
    )
    return str(conn.execute(select(cast(coleccion, Text))).scalar_one())
