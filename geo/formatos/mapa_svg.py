"""A choropleth as an SVG drawing, for documents laid out on the server (the one-page report).

Vector, so it prints sharp at any size and the PDF stays small. The shapes are the map's own
simplified municipalities (shared borders simplified once: no gaps between neighbours). Longitude
is scaled by the cosine of the middle latitude, an equirectangular projection that keeps
Bolivia's shapes right to within a few percent, which is all a page-sized map needs."""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

BORDE = "#ffffff"
CONTORNO = "#1f2d3d"
LAGO = "#a6cee3"


def _trazo(geom: BaseGeometry, coslat: float) -> str:
    """The path data of a polygon or multipolygon: x = lon · cos(lat0), y = -lat."""
    partes = []
    for poligono in getattr(geom, "geoms", [geom]):
        if poligono.geom_type != "Polygon" or poligono.is_empty:
            continue
        for anillo in (poligono.exterior, *poligono.interiors):
            xy = np.asarray(anillo.coords)[:, :2] * (coslat, -1.0)
            puntos = " ".join(f"{x:.3f},{y:.3f}" for x, y in xy)
            partes.append(f"M{puntos}Z")
    return "".join(partes)


def coropletas(
    formas: gpd.GeoDataFrame,
    colores: Mapping[str, str],
    *,
    destacado: str | None = None,
    lagos: gpd.GeoDataFrame | None = None,
    titulo: str = "",
) -> str:
    """An ``<svg>`` of ``formas`` (a ``codigo`` column and polygons in EPSG:4326) filled with
    ``colores[codigo]`` (grey when absent), the outline of the whole drawn over them, and
    ``destacado`` outlined in dark; lakes and salt flats, if given, on top in blue."""
    if formas.empty:
        return ""
    minx, miny, maxx, maxy = formas.total_bounds
    # Detail below a third of a millimetre on paper is not seen but costs the PDF renderer its
    # time: the shapes are simplified as a coverage (shared edges once, so no gaps open).
    tolerancia = max(maxx - minx, maxy - miny) / 500
    geometrias = shapely.coverage_simplify(shapely.make_valid(formas.geometry.values), tolerancia)
    coslat = math.cos(math.radians((miny + maxy) / 2))
    ancho, alto = (maxx - minx) * coslat, maxy - miny
    margen = max(ancho, alto) * 0.01
    trazo = max(ancho, alto) / 700
    caja = f"{minx * coslat - margen:.4f} {-maxy - margen:.4f} {ancho + 2 * margen:.4f} "
    caja += f"{alto + 2 * margen:.4f}"
    partes = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{caja}" role="img" '
        f'aria-label="{escape(titulo)}">'
    ]
    for codigo, geom in zip(formas["codigo"], geometrias, strict=True):
        color = colores.get(codigo, "#dddddd")
        partes.append(
            f'<path d="{_trazo(geom, coslat)}" fill="{color}" stroke="{BORDE}" '
            f'stroke-width="{trazo:.5f}" fill-rule="evenodd"/>'
        )
    if lagos is not None and not lagos.empty:
        recorte = lagos.clip((minx, miny, maxx, maxy))
        for geom in recorte.geometry:
            partes.append(f'<path d="{_trazo(geom, coslat)}" fill="{LAGO}" stroke="none"/>')
    contorno = shapely.coverage_union_all(geometrias)
    partes.append(
        f'<path d="{_trazo(contorno, coslat)}" fill="none" stroke="{CONTORNO}" '
        f'stroke-width="{2 * trazo:.5f}" stroke-linejoin="round"/>'
    )
    if destacado is not None:
        for geom in geometrias[(formas["codigo"] == destacado).to_numpy()]:
            partes.append(
                f'<path d="{_trazo(geom, coslat)}" fill="none" stroke="#d7301f" '
                f'stroke-width="{3 * trazo:.5f}" stroke-linejoin="round"/>'
            )
    partes.append("</svg>")
    return "".join(partes)
