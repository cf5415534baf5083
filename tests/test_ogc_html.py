"""The OGC API HTML pages for people (issue 16): every attribute under its Spanish label, codes
read by their labels, empty values empty, a small Leaflet map drawn by a static script (the
Content-Security-Policy forbids inline ones), and the queryables as an HTML page."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from geo.publicacion.colecciones import ALIANZAS, TERRITORIO
from geo.publicacion.ogc_html import etiquetas, texto

ITEMS = "/ogc/collections/{}/items"
TRAZOS = "document.querySelectorAll('path.leaflet-interactive')"
BORDES = "document.querySelectorAll('.leaflet-overlay-pane path')"


def _datos_mapa(html: str) -> dict:
    [bloque] = re.findall(
        r'<script type="application/json" id="datos-mapa">(.*?)</script>', html, re.S
    )
    return dict(json.loads(bloque))


def _editable(conn) -> int:  # type: ignore[no-untyped-def]
    """An alliance a test may change: a validated one is locked, so it is sent back first."""
    fid = int(conn.execute(text("SELECT min(id) FROM alianza")).scalar_one())
    conn.execute(text("UPDATE alianza SET estado = 'observado' WHERE id = :i"), {"i": fid})
    return fid


def _encabezados(html: str) -> list[str]:
    return re.findall(r"<th>([^<]*)</th>", html)


def test_every_attribute_of_every_collection_has_a_spanish_label():
    for c in (ALIANZAS, *TERRITORIO.values()):
        nombres = etiquetas(c)
        sin = [a.nombre for a in c.atributos if a.nombre not in nombres]
        assert sin == [], c.id
        assert all(nombres[a.nombre] != a.nombre for a in c.atributos), c.id
    assert etiquetas(ALIANZAS)["monto_transferido_bs"] == "Monto transferido (Bs)"
    assert etiquetas(TERRITORIO["municipios"])["familias"] == "Familias beneficiarias"


@pytest.mark.parametrize(
    "nombre,valor,esperado",
    [
        ("familias", None, ("", False)),
        ("organizacion", "", ("", False)),
        ("modelo", 1, ("Inversión integral", False)),
        ("precision_ubicacion", 3, ("Municipio (punto interior del municipio)", False)),
        ("monto_transferido_bs", 1234567.891, ("1.234.567,89", True)),
        ("pob_2012", 342036, ("342.036", True)),
        ("fecha_etapa", "2020-04-04", ("04/04/2020", False)),
        ("etapa", "convenio_firmado", ("Convenio firmado", False)),
    ],
)
def test_a_value_reads_as_a_person_in_bolivia_reads_it(nombre, valor, esperado):
    assert texto(nombre, valor) == esperado


def test_the_items_page_has_every_attribute_labelled_and_a_map_of_its_features(demo_client):
    r = demo_client.get(ITEMS.format("alianzas"), params={"f": "html", "limit": 7})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    cabecera = _encabezados(html)
    nombres = etiquetas(ALIANZAS)
    assert cabecera == ["id", *(nombres[a.nombre] for a in ALIANZAS.atributos)]
    assert len(cabecera) > 20  # not the nine columns of before
    sin_datos = re.sub(r"<script.*?</script>", "", html, flags=re.S)
    assert ">None<" not in html and "None" not in sin_datos
    assert "Inversión integral" in html or "Asistencia técnica productiva" in html
    datos = _datos_mapa(html)
    assert len(datos["features"]) == 7
    primera = datos["features"][0]
    assert primera["geometry"]["type"] == "Point"
    assert primera["properties"]["enlace"] == f"items/{primera['id']}?f=html"
    assert "7 de " in html and "(del 1 al 7)" in html


def test_the_page_runs_no_inline_script_and_loads_leaflet_from_this_server(demo_client):
    r = demo_client.get(ITEMS.format("municipios"), params={"f": "html", "limit": 3})
    assert "script-src 'self';" in r.headers["content-security-policy"]
    html = r.text
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts == [
        ' type="application/json" id="datos-mapa"',
        ' src="/vendor/leaflet/leaflet.js"',
        ' src="/static/vendor/topojson-client/topojson-client.min.js"',
        ' src="/static/ogc_mapa.js"',
    ]
    assert '<link rel="stylesheet" href="/vendor/leaflet/leaflet.css">' in html
    assert "http://" not in "".join(scripts) and "https://" not in html
    assert demo_client.get("/static/ogc_mapa.js").status_code == 200


def test_a_name_cannot_close_the_data_block_or_become_html(demo_client, demo_conn):
    fid = _editable(demo_conn)
    demo_conn.execute(
        text("UPDATE alianza SET nombre = :n WHERE id = :i"),
        {"n": "Miel </script><script>alert(1)</script> & <b>cera</b>", "i": fid},
    )
    html = demo_client.get(f"{ITEMS.format('alianzas')}/{fid}", params={"f": "html"}).text
    assert "<script>alert(1)" not in html and "<b>cera</b>" not in html
    datos = _datos_mapa(html)
    assert datos["features"][0]["properties"]["nombre"].startswith("Miel </script><script>")
    assert "Miel &lt;/script&gt;&lt;script&gt;alert(1)" in html


def test_the_item_page_lists_every_attribute_with_empty_values_empty(demo_client, demo_conn):
    fid = _editable(demo_conn)
    demo_conn.execute(
        text("UPDATE alianza SET organizacion_id = NULL, convocatoria = NULL WHERE id = :i"),
        {"i": fid},
    )
    r = demo_client.get(f"{ITEMS.format('alianzas')}/{fid}", params={"f": "html"})
    html = r.text
    terminos = re.findall(r"<dt>([^<]*)<small>([^<]*)</small></dt><dd>([^<]*)</dd>", html)
    por_nombre = {n: (etiqueta, valor) for etiqueta, n, valor in terminos}
    propiedades = demo_client.get(f"{ITEMS.format('alianzas')}/{fid}").json()["properties"]
    assert set(por_nombre) == set(propiedades)
    assert por_nombre["organizacion"] == ("Organización de productores (OPP)", "")
    assert por_nombre["convocatoria"] == ("Convocatoria", "")
    assert por_nombre["etapa"][0] == "Etapa del ciclo"
    assert "None" not in html
    datos = _datos_mapa(html)
    assert [f["id"] for f in datos["features"]] == [fid]
    # Breadcrumbs back to the collection, as HTML pages.
    assert "/ogc/collections/alianzas/items?f=html'>Elementos</a>" in html


def test_a_territorial_item_shows_its_measures_with_their_labels(demo_client):
    html = demo_client.get(
        f"{ITEMS.format('unidades-operativas')}/CHACO", params={"f": "html"}
    ).text
    terminos = dict(re.findall(r"<dt>([^<]*)<small>[^<]*</small></dt><dd>([^<]*)</dd>", html))
    assert terminos["Tipo de unidad"] == "Regional"
    assert terminos["Población 2012 (CNPV)"] == "342.036"
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", terminos["Familias beneficiarias"])
    assert _datos_mapa(html)["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_queryables_answer_an_html_page_when_asked(demo_client):
    r = demo_client.get("/ogc/collections/alianzas/queryables", params={"f": "html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    filas = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td>", r.text)
    assert [f[0] for f in filas] == [a.nombre for a in ALIANZAS.atributos]
    assert ("fecha_solicitud", "Fecha de solicitud", "fecha (AAAA-MM-DD)") in filas
    assert ("familias", "Familias", "entero") in filas
    # JSON stays the default (QGIS and GDAL read it).
    j = demo_client.get("/ogc/collections/alianzas/queryables")
    assert j.headers["content-type"] == "application/schema+json"
    assert (
        demo_client.get("/ogc/collections/alianzas/queryables", headers={"Accept": "text/html"})
        .headers["content-type"]
        .startswith("text/html")
    )


def test_the_collection_page_links_its_items_and_queryables_as_html(demo_client):
    html = demo_client.get("/ogc/collections/municipios", params={"f": "html"}).text
    assert "/ogc/collections/municipios/queryables?f=html'>Atributos filtrables" in html
    assert "/ogc/collections/municipios/items?f=html'>Elementos en HTML" in html


def test_chromium_draws_the_features_with_no_error_or_blocked_script(pagina, servidor):
    avisos: list[str] = []
    pagina.on("console", lambda m: avisos.append(m.text) if m.type == "error" else None)
    pagina.set_viewport_size({"width": 1440, "height": 900})
    pagina.goto(f"{servidor}/ogc/collections/alianzas/items?f=html&limit=12&unidad_operativa=CHACO")
    pagina.wait_for_function(f"() => {TRAZOS}.length >= 12")
    assert pagina.locator("path.leaflet-interactive").count() == 12
    # The municipal borders come beneath (the map page's TopoJSON).
    pagina.wait_for_function(f"() => {BORDES}.length > 12")
    centro = pagina.evaluate(
        "() => { const r = document.getElementById('mapa').getBoundingClientRect();"
        " return [r.width, r.height]; }"
    )
    assert centro[0] > 1000 and centro[1] >= 300
    pagina.locator("path.leaflet-interactive").first.click()
    pagina.wait_for_url(re.compile(r"/items/\d+\?f=html$"))
    pagina.wait_for_function(f"() => {TRAZOS}.length === 1")
    pagina.set_viewport_size({"width": 390, "height": 844})
    ancho = pagina.evaluate("() => document.documentElement.scrollWidth")
    assert ancho <= 390  # the attribute list folds to one column on a phone
    assert [a for a in avisos if "favicon" not in a] == []
    assert pagina.errores == []
