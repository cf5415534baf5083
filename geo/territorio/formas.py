"""Shapes for the screen without specks (issue 16).

The INE municipal layer has sliver gaps and overlaps between neighbours (up to ~0.1 km², along
department borders too) and some municipalities carry tiny extra parts: slivers of a few square
metres and islets in Lake Titicaca and the salt flats. Merged into provinces, departments or
operational units, the gaps become specks (small holes) and the parts become dots.

Two rules, one threshold:

- ``AREA_MINIMA_KM2`` (1 km²): a polygon part smaller than this is dropped (never a unit's largest
  part) and a hole smaller than this is filled. Every sliver gap of the 2012 and 2024 layers is
  below 0.12 km², every real hole (lakes Poopó and Uru Uru, the salt flats) is above 17 km², so
  the threshold separates them with margin. Islets below 1 km² are lost from the *screen* and
  from the dissolved levels; the municipalities keep their full geometry in the database, the
  OGC service and the exports.
- ``ANCHO_HUECO_GRADOS`` (0.005°, about 500 m): the screen layer is first made a clean coverage
  (``shapely.coverage_clean``: no overlaps, gaps narrower than this given to the neighbour with
  the longest shared border, shared edges identical), then simplified as a coverage
  (``shapely.coverage_simplify``: each shared edge once, so neighbours never gap and every
  shape stays valid). The browser's merge of municipalities into units then removes every inner
  border: the Chaco unit, whose municipalities lie in three departments, is one shape.
"""

from __future__ import annotations

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

AREA_MINIMA_KM2 = 1.0
ANCHO_HUECO_GRADOS = 0.005
_GEOD = Geod(ellps="WGS84")


def area_km2(geom: BaseGeometry) -> float:
    """Geodesic area on the WGS 84 ellipsoid (lon/lat input)."""
    return abs(_GEOD.geometry_area_perimeter(geom)[0]) / 1e6


def sin_motas(geom: BaseGeometry | None) -> BaseGeometry | None:
    """``geom`` without parts or holes below the threshold (its largest part always kept)."""
    if geom is None or geom.is_empty:
        return geom
    partes = [p for p in getattr(geom, "geoms", [geom]) if isinstance(p, Polygon)]
    if not partes:
        return geom
    areas = [area_km2(Polygon(p.exterior)) for p in partes]
    mayor = int(np.argmax(areas))
    limpias = [
        Polygon(p.exterior, [h for h in p.interiors if area_km2(Polygon(h)) >= AREA_MINIMA_KM2])
        for i, (p, a) in enumerate(zip(partes, areas, strict=True))
        if i == mayor or a >= AREA_MINIMA_KM2
    ]
    return limpias[0] if len(limpias) == 1 else MultiPolygon(limpias)


def cobertura_limpia(geoms: np.ndarray) -> np.ndarray:
    """Municipalities (lon/lat) as a clean coverage without specks: small parts dropped, gaps
    and overlaps resolved, small parts that the cleaning left dropped again."""
    sin_partes = np.array([sin_motas(g) for g in geoms], dtype=object)
    limpias = shapely.coverage_clean(sin_partes, gap_width=ANCHO_HUECO_GRADOS)
    return np.array([sin_motas(g) for g in limpias], dtype=object)


def para_pantalla(geoms: np.ndarray, tolerancia: float) -> np.ndarray:
    """The municipalities as the screen draws them: a clean coverage, simplified as one (each
    shared edge once) and without specks, also none that the simplification made."""
    simplificadas = shapely.coverage_simplify(cobertura_limpia(geoms), tolerance=tolerancia)
    return np.array([sin_motas(g) for g in simplificadas], dtype=object)
