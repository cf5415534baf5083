"""GIS interoperability: the OGC API - Features service read by a real client (GDAL's OAPIF
driver through pyogrio), and the exports in every format, on the calibrated demo."""

from __future__ import annotations

import io
import json
import re
import zipfile

import geopandas as gpd
import pyogrio
import pytest
from pyproj import Transformer
from shapely.geometry import shape
from sqlalchemy import text


def test_gdal_lists_the_collections(servidor):
    capas = {nombre for nombre, _ in pyogrio.list_layers(f"OAPIF:{servidor}/ogc")}
    assert capas == {
        "alianzas",
        "subproyectos",
        "municipios",
        "provincias",
        "departamentos",
        "unidades-operativas",
    }


def test_gdal_reads_every_alliance_through_paging_and_equals_the_database(servidor, demo_conn):
    df = pyogrio.read_dataframe(f"OAPIF:{servidor}/ogc", layer="alianzas")
    db = demo_conn.execute(
        text(
            "SELECT a.codigo, a.familias, a.monto_transferido_bs::float8, a.municipio_codigo, "
            "ST_X(a.geom), ST_Y(a.geom) FROM alianza a JOIN programa p ON p.id = a.programa_id "
            "WHERE p.codigo = 'PAR2'"
        )
    ).all()
    assert len(df) == len(db) > 1000  # more than one page: paging followed the next links
    por_codigo = {r[0]: r for r in db}
    assert set(df["codigo"]) == set(por_codigo)
    for fila in df.sample(50, random_state=1).itertuples():
        esperado = por_codigo[fila.codigo]
        assert (fila.familias, fila.monto_transferido_bs, fila.municipio_codigo) == esperado[1:4]
        assert (fila.geometry.x, fila.geometry.y) == pytest.approx(esperado[4:], abs=1e-7)


def test_territorial_collection_carries_the_aggregated_measures(servidor, demo_client):
    df = pyogrio.read_dataframe(f"OAPIF:{servidor}/ogc", layer="unidades-operativas")
    chaco = df[df["codigo"] == "CHACO"].iloc[0]
    esperado = demo_client.get(
        "/api/v1/estadisticas",
        params={"nivel": "unidad_operativa", "unidad_operativa": "CHACO", "etapa_alcanzada": None},
    ).json()["data"][0]["valores"]
    assert chaco["familias"] == esperado["familias"]
    assert chaco["alianzas"] == esperado["alianzas"]


def test_items_page_has_counts_and_links_and_filters_on_queryables(demo_client, demo_conn):
    r = demo_client.get(
        "/ogc/collections/alianzas/items", params={"limit": 5, "offset": 5, "sector": "apicultura"}
    )
    assert r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    esperado = demo_conn.execute(
        text(
            "SELECT count(*) FROM alianza a JOIN programa p "
            "ON p.id = a.programa_id WHERE p.codigo = 'PAR2' "
            "AND a.sector = 'apicultura'"
        )
    ).scalar_one()
    assert (fc["numberMatched"], fc["numberReturned"]) == (esperado, 5)
    rels = {e["rel"]: e["href"] for e in fc["links"]}
    assert "offset=10" in rels["next"] and "offset=0" in rels["prev"]
    assert "sector=apicultura" in rels["next"]
    assert {f["properties"]["sector"] for f in fc["features"]} == {"apicultura"}
    uno = demo_client.get(f"/ogc/collections/alianzas/items/{fc['features'][0]['id']}").json()
    assert uno["properties"]["codigo"] == fc["features"][0]["properties"]["codigo"]


def test_bbox_and_datetime_select_the_right_features(demo_client, demo_conn):
    bbox = "-64.0,-22.5,-63.0,-21.5"
    fc = demo_client.get(
        "/ogc/collections/alianzas/items",
        params={"bbox": bbox, "datetime": "2020-01-01/..", "limit": 1000},
    ).json()
    esperado = demo_conn.execute(
        text(
            "SELECT count(*) FROM alianza WHERE ST_Intersects(geom, "
            "ST_MakeEnvelope(-64, -22.5, -63, -21.5, 4326)) AND fecha_solicitud >= '2020-01-01'"
            " AND programa_id = (SELECT id FROM programa WHERE codigo = 'PAR2')"
        )
    ).scalar_one()
    assert fc["numberMatched"] == esperado > 0
    for f in fc["features"]:
        x, y = f["geometry"]["coordinates"]
        assert -64 <= x <= -63 and -22.5 <= y <= -21.5
        assert f["properties"]["fecha_solicitud"] >= "2020-01-01"


@pytest.mark.parametrize(
    ("url", "status", "texto"),
    [
        ("/ogc/collections/nada/items", 404, "colección desconocida"),
        ("/ogc/collections/alianzas/items/999999999", 404, "no existe"),
        ("/ogc/collections/alianzas/items?bbox=1,2,3", 400, "4 números"),
        ("/ogc/collections/alianzas/items?bbox=-60,-20,-65,-10", 400, "mínimo mayor"),
        ("/ogc/collections/alianzas/items?limit=100000", 400, "limit"),
        ("/ogc/collections/alianzas/items?limit=-1", 400, "limit"),
        ("/ogc/collections/alianzas/items?color=rojo", 400, "color"),
        ("/ogc/collections/alianzas/items?f=xml", 400, "formato no soportado"),
        ("/ogc/collections/alianzas/items?datetime=ayer", 400, "datetime"),
        ("/ogc/collections/alianzas/items?crs=EPSG:3857", 400, "crs"),
        ("/ogc/collections/alianzas/items?familias=muchas", 400, "familias"),
        ("/api/v1/exportar/alianzas?formato=xml", 400, "formato no soportado"),
        ("/api/v1/exportar/alianzas?formato=geojson&srid=32720", 400, "WGS 84"),
        ("/api/v1/exportar/alianzas?formato=gpkg&srid=3857", 400, "srid"),
    ],
)
def test_bad_gis_requests_get_a_clear_4xx(demo_client, url, status, texto):
    r = demo_client.get(url)
    assert r.status_code == status, r.text
    assert texto in r.json()["detail"]


@pytest.mark.parametrize("valor", ["' OR 1=1 --", "apicultura'; DROP TABLE alianza; --"])
def test_sql_in_a_filter_is_just_a_value(demo_client, demo_conn, valor):
    r = demo_client.get("/ogc/collections/alianzas/items", params={"sector": valor})
    assert r.status_code == 200 and r.json()["numberMatched"] == 0
    assert demo_conn.execute(text("SELECT count(*) FROM alianza")).scalar_one() > 0


def test_landing_conformance_queryables_and_html(demo_client):
    landing = demo_client.get("/ogc/").json()
    rels = {e["rel"] for e in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = demo_client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conf
    q = demo_client.get("/ogc/collections/alianzas/queryables")
    assert q.headers["content-type"] == "application/schema+json"
    assert q.json()["properties"]["familias"]["type"] == "integer"
    html = demo_client.get("/ogc/collections/alianzas/items", params={"f": "html"})
    assert html.headers["content-type"].startswith("text/html") and "<table>" in html.text


def test_geojson_of_one_municipality_opens_in_geopandas_like_the_registry(demo_client, demo_conn):
    r = demo_client.get(
        "/api/v1/exportar/alianzas", params={"formato": "geojson", "municipio_codigo": "060301"}
    )
    fc = json.loads(r.content)
    assert "crs" not in fc  # RFC 7946: WGS 84 only
    fecha = fc["features"][0]["properties"]["fecha_solicitud"]
    assert len(fecha) == 10 and fecha[4] == fecha[7] == "-"  # ISO 8601 dates
    gdf = gpd.read_file(io.BytesIO(r.content))
    registro = demo_client.get(
        "/api/v1/alianzas", params={"municipio": "060301", "programa": "PAR2", "limit": 1000}
    ).json()
    assert len(gdf) == registro["count"] > 0
    por_codigo = {a["codigo"]: a for a in registro["data"]}
    for fila in gdf.itertuples():
        a = por_codigo[fila.codigo]
        assert (fila.familias, fila.etapa, fila.sector) == (a["familias"], a["etapa"], a["sector"])
        assert fila.monto_transferido_bs == a["monto_transferido_bs"]
        assert fila.fecha_solicitud.date().isoformat() == a["fecha_solicitud"]
        assert (fila.geometry.x, fila.geometry.y) == pytest.approx((a["lon"], a["lat"]))


def test_polygons_follow_the_right_hand_rule(demo_client):
    r = demo_client.get("/api/v1/exportar/departamentos", params={"formato": "geojson"})
    fc = json.loads(r.content)
    assert len(fc["features"]) == 9
    for f in fc["features"]:
        assert all(p.exterior.is_ccw for p in shape(f["geometry"]).geoms)
        assert f["properties"]["familias"] is not None


def test_geojson_lines_csv_kml_and_geopackage_hold_the_same_features(demo_client):
    filtro = {"unidad_operativa_codigo": "CHACO"}
    base = json.loads(
        demo_client.get(
            "/api/v1/exportar/alianzas", params={"formato": "geojson", **filtro}
        ).content
    )
    codigos = sorted(f["properties"]["codigo"] for f in base["features"])
    lineas = demo_client.get(
        "/api/v1/exportar/alianzas", params={"formato": "geojsonl", **filtro}
    ).text.splitlines()
    assert sorted(json.loads(x)["properties"]["codigo"] for x in lineas) == codigos
    csv = demo_client.get("/api/v1/exportar/alianzas", params={"formato": "csv", **filtro})
    tabla = gpd.pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    assert sorted(tabla["codigo"]) == codigos
    assert {"lon", "lat", "wkt"} <= set(tabla.columns)
    assert tabla["wkt"].str.startswith("POINT").all()
    for formato in ("gpkg", "kml"):
        datos = demo_client.get(
            "/api/v1/exportar/alianzas", params={"formato": formato, **filtro}
        ).content
        gdf = pyogrio.read_dataframe(io.BytesIO(datos))
        assert len(gdf) == len(codigos), formato
        assert gdf.crs.to_epsg() == 4326


def test_zipped_shapefile_has_short_names_prj_and_utf8(demo_client):
    datos = demo_client.get(
        "/api/v1/exportar/alianzas", params={"formato": "shp", "unidad_operativa_codigo": "PTS"}
    ).content
    nombres = zipfile.ZipFile(io.BytesIO(datos)).namelist()
    assert {n.rsplit(".", 1)[1] for n in nombres} == {"shp", "shx", "dbf", "prj", "cpg"}
    gdf = pyogrio.read_dataframe(io.BytesIO(datos))
    assert max(len(c) for c in gdf.columns) <= 10
    assert "transf_bs" in gdf.columns and "Potosí" in set(gdf["municipio"]) | {"Potosí"}
    assert any("í" in m or "á" in m or "ó" in m for m in gdf["municipio"])  # accents intact


@pytest.mark.parametrize("srid", [32719, 32720, 32721])
def test_utm_output_is_exact_to_the_centimetre(demo_client, srid):
    filtro = {"municipio_codigo": "070706"}
    wgs = pyogrio.read_dataframe(
        io.BytesIO(
            demo_client.get(
                "/api/v1/exportar/alianzas", params={"formato": "gpkg", **filtro}
            ).content
        )
    )
    utm = pyogrio.read_dataframe(
        io.BytesIO(
            demo_client.get(
                "/api/v1/exportar/alianzas", params={"formato": "gpkg", "srid": srid, **filtro}
            ).content
        )
    )
    assert utm.crs.to_epsg() == srid
    referencia = Transformer.from_crs(4326, srid, always_xy=True)
    for a, b in zip(wgs.geometry, utm.geometry, strict=True):
        x, y = referencia.transform(a.x, a.y)
        assert abs(x - b.x) < 0.01 and abs(y - b.y) < 0.01


def test_items_html_is_for_people_and_its_links_stay_html(demo_client, demo_conn):
    r = demo_client.get(
        "/ogc/collections/alianzas/items",
        params={"f": "html", "municipio": "060301", "limit": 5},
    )
    assert r.headers["content-type"].startswith("text/html")
    pagina = r.text
    assert ">None<" not in pagina and "<th>Municipio</th>" in pagina and "Yacuiba" in pagina
    assert "Validado por coordinación nacional" in pagina and ">validado<" not in pagina
    total = demo_conn.execute(
        text(
            "SELECT count(*) FROM alianza a JOIN programa p ON p.id = a.programa_id "
            "WHERE p.codigo = 'PAR2' AND a.municipio_codigo = '060301'"
        )
    ).scalar_one()
    assert f"5 de {total} elementos" in pagina
    siguiente = re.search(r"href='([^']*offset=5[^']*)'", pagina).group(1)
    assert "f=html" in siguiente and "municipio=060301" in siguiente.replace("&amp;", "&")
    municipios = demo_client.get("/ogc/collections/municipios/items", params={"f": "html"}).text
    # Bolivian figures: thousands with a point (Población 2012 of any municipality > 999).
    assert re.search(r"<td class='n'>\d{1,3}(\.\d{3})+</td>", municipios)
