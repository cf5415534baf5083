"""The light municipal layer (issue 15, Slow 3G): what the page draws first, from the same
boundaries as the detailed layer. Valid TopoJSON, every municipality with the codes the browser
merges by (province, department, unit), a valid coverage with the country's area, and a quarter
of the detailed layer's bytes in each encoding the server sends."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from sqlalchemy import text

from geo.analisis.mapa import LIGERA, capa_web
from geo.territorio.formas import area_km2

RUTA = "/api/v1/mapa/capa-ligera"


@pytest.fixture
def municipios(conn) -> dict[str, tuple[str, str, str]]:
    filas = conn.execute(
        text(
            "SELECT codigo, provincia_codigo, departamento_codigo, unidad_operativa_codigo "
            "FROM municipio WHERE cartografia = '2012'"
        )
    ).all()
    return {codigo: (prov, dep, uo) for codigo, prov, dep, uo in filas}


def test_the_light_layer_has_every_municipality_with_its_codes(client, municipios):
    r = client.get(RUTA)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    topo = r.json()
    assert topo["type"] == "Topology" and set(topo["objects"]) == {"municipios"}
    geometrias = topo["objects"]["municipios"]["geometries"]
    propiedades = [g["properties"] for g in geometrias]
    codigos = {p["codigo"]: (p["prov"], p["dep"], p["uo"]) for p in propiedades}
    assert len(geometrias) == len(municipios) == 339
    assert codigos == municipios
    # no names: the values the page draws with carry them
    assert all(set(p) == {"codigo", "prov", "dep", "uo"} for p in propiedades)
    assert all(g["type"] in ("Polygon", "MultiPolygon") and g["arcs"] for g in geometrias)


def test_the_light_layer_is_a_valid_coverage_of_the_same_country(client, conn, tmp_path):
    archivo = tmp_path / "ligera.topojson"
    archivo.write_bytes(client.get(RUTA).content)
    formas = gpd.read_file(archivo, engine="pyogrio")
    assert len(formas) == 339 and formas["codigo"].is_unique
    assert not formas.geometry.is_empty.any() and formas.geometry.is_valid.all()
    assert shapely.coverage_is_valid(formas.geometry.values)  # neighbours never gap
    original = conn.execute(
        text("SELECT sum(area_km2) FROM municipio WHERE cartografia = '2012'")
    ).scalar_one()
    total = sum(area_km2(g) for g in formas.geometry)
    assert abs(total - original) / original < 0.002


def test_the_light_layer_is_a_quarter_of_the_detailed_one(conn):
    ligera, detallada = capa_web(conn, "2012", LIGERA), capa_web(conn, "2012")
    assert len(ligera.gzip) < len(detallada.gzip) / 3
    assert ligera.bytes_crudos < detallada.bytes_crudos / 2


def test_the_light_layer_crosses_the_line_in_brotli_when_the_browser_accepts_it(client):
    br = client.get(RUTA, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    gz = client.get(RUTA, headers={"Accept-Encoding": "gzip"})
    assert (br.headers["content-encoding"], gz.headers["content-encoding"]) == ("br", "gzip")
    # bytes on the line (httpx decodes the body)
    assert br.num_bytes_downloaded < gz.num_bytes_downloaded < 22_000
    assert br.headers["vary"] == "Accept-Encoding"


def test_every_encoding_carries_the_same_layer_and_its_etag_answers_304(client):
    cuerpos = {
        c: client.get(RUTA, headers={"Accept-Encoding": c}) for c in ("br", "gzip", "identity")
    }
    assert cuerpos["identity"].headers.get("content-encoding") is None
    assert len({json.dumps(r.json(), sort_keys=True) for r in cuerpos.values()}) == 1
    etag = cuerpos["br"].headers["etag"]
    assert {r.headers["etag"] for r in cuerpos.values()} == {etag}
    assert cuerpos["br"].headers["cache-control"] == "public, max-age=3600, must-revalidate"
    igual = client.get(RUTA, headers={"If-None-Match": etag, "Accept-Encoding": "br"})
    assert igual.status_code == 304 and igual.content == b""


def test_the_light_layer_refuses_an_unknown_cartography(client):
    r = client.get(RUTA, params={"cartografia": "1999"})
    assert r.status_code in (400, 422) and "1999" in r.text
