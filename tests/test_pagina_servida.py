"""The map page as it crosses a slow line (issue 15): the static text files in brotli with an
ETag of their own, the page with its two stylesheets and the light municipal layer written into
it (api/pagina.py), served without the layer when the database does not answer, and the service
worker's revision of the page following what it carries."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from api.compresion import acepta
from api.pagina import Dato, Pagina

WEB = Path(__file__).resolve().parents[1] / "web" / "static"
NAVEGADOR = "gzip, deflate, br, zstd"  # what Chromium sends


@pytest.mark.parametrize(
    ("cabecera", "esperado"),
    [(NAVEGADOR, True), ("gzip", False), ("br;q=0", False), ("gzip, br;q=0.000", False),
     ("BR;q=0.5", True), (None, False)],
)  # fmt: skip
def test_an_encoding_is_accepted_unless_absent_or_refused_with_q_zero(cabecera, esperado):
    assert acepta(cabecera, "br") is esperado


def test_a_script_crosses_in_brotli_with_an_etag_of_that_encoding(client):
    r = client.get("/static/app.js", headers={"Accept-Encoding": NAVEGADOR})
    assert r.headers["content-encoding"] == "br" and r.headers["vary"] == "Accept-Encoding"
    assert r.content == (WEB / "app.js").read_bytes()
    assert r.num_bytes_downloaded < len(r.content) / 3
    etag = r.headers["etag"]
    assert etag.endswith('-br"')
    igual = client.get(
        "/static/app.js", headers={"Accept-Encoding": NAVEGADOR, "If-None-Match": etag}
    )
    assert igual.status_code == 304 and igual.headers["etag"] == etag
    # the brotli version's tag does not validate the gzip one
    gz = client.get("/static/app.js", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert gz.status_code == 200 and gz.headers["content-encoding"] == "gzip"
    assert gz.headers["etag"] == etag.removesuffix('-br"') + '"'


def test_leaflet_crosses_in_brotli_and_images_are_left_alone(client):
    leaflet = client.get("/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": NAVEGADOR})
    assert leaflet.headers["content-encoding"] == "br"
    icono = next((WEB / "iconos").glob("*.png")).name
    imagen = client.get(f"/static/iconos/{icono}", headers={"Accept-Encoding": NAVEGADOR})
    assert imagen.status_code == 200 and "content-encoding" not in imagen.headers


def _bloque(html: str) -> str:
    m = re.search(r'<script type="application/json" id="capa-ligera"[^>]*>(.*?)</script>', html)
    assert m is not None
    return m[1]


def test_the_page_carries_its_stylesheets_after_what_the_first_map_asks_for(client):
    r = client.get("/", headers={"Accept-Encoding": NAVEGADOR})
    assert r.headers["content-encoding"] == "br" and r.headers["etag"].endswith('-br"')
    assert "script-src 'self'" in r.headers["content-security-policy"]
    html = r.text
    assert 'rel="stylesheet"' not in html and "data-en-linea>" not in html
    hoja = (WEB / "app.css").read_text()
    assert f"<style>/* /static/app.css */\n{hoja}</style>" in html
    # Leaflet's images are named from the stylesheet's own folder, not the page's
    assert "url(/vendor/leaflet/images/layers.png)" in html and "url(images/" not in html
    primera_hoja = html.index("<style>")
    pedidos = re.findall(r'<link rel="preload" href="([^"]+)"', html[:primera_hoja])
    assert [p.split("?")[0] for p in pedidos] == [
        "/api/v1/mapa/valores",
        "/vendor/leaflet/leaflet.js",
        "/static/vendor/topojson-client/topojson-client.min.js",
        "/static/sesion.js",
        "/static/app.js",
    ]
    igual = client.get(
        "/", headers={"Accept-Encoding": NAVEGADOR, "If-None-Match": r.headers["etag"]}
    )
    assert igual.status_code == 304


def test_the_page_carries_the_light_layer_as_its_route_answers_it(client):
    html = client.get("/").text
    assert json.loads(_bloque(html)) == client.get("/api/v1/mapa/capa-ligera").json()
    assert "<script>" not in html  # a data block only: nothing inline runs


def test_without_the_database_the_page_is_served_without_the_layer(client):
    client.app.state.engine_lectura = create_engine("postgresql+psycopg://x@127.0.0.1:9/nada")
    r = client.get("/")
    assert r.status_code == 200 and _bloque(r.text) == ""  # app.js then asks for it
    assert "<style>/* /static/app.css */" in r.text


def test_the_service_worker_revision_of_the_page_is_the_page_served(client):
    pagina = client.get("/", headers={"Accept-Encoding": "gzip"})
    trabajador = client.get("/sw.js").text
    lista = json.loads(re.match(r"self\.__SIGG_PRECACHE = (.*);\n", trabajador)[1])
    revision = dict(lista)["/"]
    assert pagina.headers["etag"] == f'"{revision}"'


def test_a_changed_stylesheet_changes_the_page_and_its_revision(tmp_path):
    plantilla = tmp_path / "index.html"
    plantilla.write_text('<head><link rel="stylesheet" href="/s/a.css" data-en-linea></head>')
    hoja = tmp_path / "a.css"
    hoja.write_text("p { background: url('img/x.png') }")
    pagina = Pagina(plantilla, {"/s/a.css": hoja})
    antes = pagina.huella()
    assert pagina.construida().html == (
        b"<head><style>/* /s/a.css */\np { background: url('/s/img/x.png') }</style></head>"
    )
    hoja.write_text("p { color: red }")
    assert pagina.huella() != antes
    assert b"color: red" in pagina.construida().html


def test_a_data_block_carries_its_body_escaped_and_its_version_in_the_page(tmp_path):
    plantilla = tmp_path / "index.html"
    plantilla.write_text('<script type="application/json" id="x" data-en-linea="/d"></script>')
    pagina = Pagina(plantilla, {})
    vacia = pagina.construida()
    assert vacia.html == plantilla.read_bytes()
    dato = Dato("v1", 2e9, b'{"a": "</script><b>"}')
    llena = pagina.construida({"/d": dato})
    assert llena.html == (
        b'<script type="application/json" id="x" data-en-linea="/d">'
        b'{"a": "\\u003c/script>\\u003cb>"}</script>'
    )
    assert json.loads(re.search(rb'"/d">(.*)</script>', llena.html)[1]) == {"a": "</script><b>"}
    assert llena.modificada == 2e9  # the layer is newer than the files
    assert pagina.construida({"/d": Dato("v2", 2e9, b"{}")}).etag not in (vacia.etag, llena.etag)
