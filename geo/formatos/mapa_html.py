"""The map as a standalone HTML file made with folium that opens offline: Leaflet is inlined
from the xstatic package and every link to a CDN is taken out.

A document for people (issue 16): it opens on the data's extent (not Bolivia drawn small), says
what it shows (title, filters, the cut-off date, the source) and writes numbers as Bolivia reads
them ("2.243,5 familias", the legend "1.250 – 3.464,5")."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

import folium
import shapely
import xstatic.pkg.leaflet as xleaflet
from shapely.geometry import shape

from geo.formatos.numeros import numero_es

LEAFLET = Path(xleaflet.BASE_DIR)
_EXTERNO = re.compile(r'<(script|link)[^>]+(src|href)="https?://[^"]+"[^>]*>(\s*</script>)?')
# Bolivia, for a map with no shape to fit (every unit filtered out).
BOLIVIA = ((-22.9, -69.7), (-9.7, -57.5))
_MUESTRA = "display:inline-block;width:14px;height:14px;margin-right:4px;vertical-align:middle"


def valor_en_texto(valor: float | None, unidad: str, sin_dato: str | None) -> str:
    """A unit's value for its tooltip: "2.243,5 familias", "12,3 %", "sin dato (sin población)"."""
    if valor is None:
        return f"sin dato ({sin_dato})" if sin_dato else "sin dato"
    return f"{numero_es(valor)} {unidad}" if unidad != "%" else f"{numero_es(valor)} %"


def limites(fc: dict[str, Any]) -> tuple[tuple[float, float], tuple[float, float]]:
    """The ((south, west), (north, east)) of the features, as Leaflet's fitBounds takes them."""
    geometrias = [shape(f["geometry"]) for f in fc["features"] if f.get("geometry")]
    if not geometrias:
        return BOLIVIA
    oeste, sur, este, norte = shapely.total_bounds(geometrias)
    return (float(sur), float(oeste)), (float(norte), float(este))


def mapa_html(
    fc: dict[str, Any],
    datos: dict[str, Any],
    titulo: str,
    lineas: list[str],
    nota: str | None = None,
) -> str:
    """``fc`` (the shapes with their value and class) as a choropleth with ``datos``' legend;
    ``lineas`` are said under the title (filters, cut-off date, source)."""
    colores = {i: c["color"] for i, c in enumerate(datos["clases"])}
    unidad = datos.get("unidad", "")
    # folium's tooltip writes values as HTML: names go in escaped, so they show as text.
    for f in fc["features"]:
        p = f["properties"]
        p["nombre"] = escape(str(p["nombre"]))
        p["valor_texto"] = escape(valor_en_texto(p.get(datos["medida"]), unidad, p.get("sin_dato")))
    mapa = folium.Map(location=[-16.5, -64.5], zoom_start=5, tiles=None, zoom_snap=0.25)
    folium.GeoJson(
        fc,
        name=datos["etiqueta"],
        style_function=lambda f: {
            "fillColor": colores.get(f["properties"]["clase"], datos["sin_dato"]["color"]),
            "color": "#555",
            "weight": 0.6,
            "fillOpacity": 0.85,
        },
        tooltip=folium.GeoJsonTooltip(fields=["nombre", "valor_texto"], aliases=["", ""]),
    ).add_to(mapa)
    # Room at the top for the title box, so that no shape opens hidden beneath it.
    mapa.fit_bounds(limites(fc), padding_top_left=(20, 150), padding_bottom_right=(20, 20))
    mapa.get_root().html.add_child(  # type: ignore[attr-defined]
        folium.Element(_cabecera(titulo, lineas, nota) + _leyenda(datos))
    )
    html = _EXTERNO.sub("", mapa.get_root().render())
    css = (LEAFLET / "leaflet.css").read_text()
    js = (LEAFLET / "leaflet.js").read_text()
    html = html.replace("<html>", '<html lang="es">', 1)
    cabeza = f"<head><title>{escape(titulo)}</title><style>{css}</style><script>{js}</script>"
    return html.replace("<head>", cabeza, 1)


def _cabecera(titulo: str, lineas: list[str], nota: str | None) -> str:
    partes = [f'<h1 style="font-size:16px;margin:0 0 4px">{escape(titulo)}</h1>']
    partes += [f'<div style="margin:2px 0">{escape(linea)}</div>' for linea in lineas]
    if nota:
        partes.append(f'<div style="margin:4px 0;font-weight:bold">{escape(nota)}</div>')
    return (
        '<div class="sigg-cabecera" style="position:fixed;top:10px;left:50px;right:10px;'
        "z-index:1000;background:rgba(255,255,255,.92);padding:8px 10px;font:13px sans-serif;"
        f'max-width:640px">{"".join(partes)}</div>'
    )


def _leyenda(datos: dict[str, Any]) -> str:
    # The measure's label names its unit already ("Monto transferido (Bs)").
    filas = [
        f'<div><span style="background:{c["color"]};{_MUESTRA}"></span>'
        f"{escape(c.get('etiqueta') or numero_es(c['desde']) + ' – ' + numero_es(c['hasta']))}"
        f" ({c['n']})</div>"
        for c in datos["clases"]
    ]
    filas.append(
        f'<div><span style="background:{datos["sin_dato"]["color"]};{_MUESTRA}"></span>'
        f"Sin dato ({datos['sin_dato']['n']})</div>"
    )
    return (
        '<div class="sigg-leyenda" style="position:fixed;bottom:20px;left:10px;z-index:1000;'
        'background:white;padding:8px;font:12px sans-serif">'
        f"<b>{escape(datos['etiqueta'])}</b>{''.join(filas)}</div>"
    )
