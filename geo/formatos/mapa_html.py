"""The map as a standalone HTML file made with folium that opens offline: Leaflet is inlined
from the xstatic package and every link to a CDN is taken out."""

from __future__ import annotations

import re
from html import escape
from pathlib import Path
from typing import Any

import folium
import xstatic.pkg.leaflet as xleaflet

LEAFLET = Path(xleaflet.BASE_DIR)
_EXTERNO = re.compile(r'<(script|link)[^>]+(src|href)="https?://[^"]+"[^>]*>(\s*</script>)?')


def mapa_html(fc: dict[str, Any], datos: dict[str, Any], titulo: str, nota: str | None) -> str:
    colores = {i: c["color"] for i, c in enumerate(datos["clases"])}
    # folium's tooltip writes values as HTML: names go in escaped, so they show as text.
    for f in fc["features"]:
        f["properties"]["nombre"] = escape(str(f["properties"]["nombre"]))
    mapa = folium.Map(location=[-16.5, -64.5], zoom_start=5, tiles=None)
    folium.GeoJson(
        fc,
        name=datos["etiqueta"],
        style_function=lambda f: {
            "fillColor": colores.get(f["properties"]["clase"], datos["sin_dato"]["color"]),
            "color": "#555",
            "weight": 0.6,
            "fillOpacity": 0.85,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["nombre", datos["medida"]], aliases=["", datos["etiqueta"]]
        ),
    ).add_to(mapa)
    leyenda = "".join(
        f'<div><span style="background:{c["color"]};display:inline-block;width:14px;'
        f'height:14px"></span> {c["desde"]:,} – {c["hasta"]:,}</div>'
        for c in datos["clases"]
    )
    leyenda += (
        f'<div><span style="background:{datos["sin_dato"]["color"]};'
        'display:inline-block;width:14px;height:14px"></span> Sin dato</div>'
    )
    cabecera = f"<h3>{escape(titulo)}</h3>" + (f"<p><b>{escape(nota)}</b></p>" if nota else "")
    mapa.get_root().html.add_child(  # type: ignore[attr-defined]
        folium.Element(
            '<div style="position:fixed;bottom:20px;left:20px;z-index:1000;background:white;'
            f'padding:8px;font:12px sans-serif">{cabecera}<b>{escape(datos["etiqueta"])}</b>'
            f"{leyenda}</div>"
        )
    )
    html = _EXTERNO.sub("", mapa.get_root().render())
    css = (LEAFLET / "leaflet.css").read_text()
    js = (LEAFLET / "leaflet.js").read_text()
    return html.replace("<head>", f"<head><style>{css}</style><script>{js}</script>", 1)
