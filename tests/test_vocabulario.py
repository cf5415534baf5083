"""One parameter vocabulary: the same name chooses the same records on every endpoint, and an
endpoint refuses a name it does not know (400 naming it) instead of answering unfiltered."""

from __future__ import annotations

import io
import json
import zipfile
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pyogrio
import pytest
from sqlalchemy import text

from geo.vocabulario.catalogos import ESTADOS, ETAPAS, ETAPAS_SUBPROYECTO, ORDEN_ETAPA

YACUIBA = "060301"

FILTRAN = [
    "/api/v1/alianzas",
    "/api/v1/subproyectos",
    "/api/v1/estadisticas",
    "/api/v1/indicadores",
    "/api/v1/reportes/solicitudes-por-unidad",
    "/api/v1/mapa/valores",
    "/api/v1/mapa/puntos",
    "/api/v1/mapa/descarga",
    "/api/v1/exportar/alianzas",
    "/ogc/collections/alianzas/items",
    "/api/v1/territorio/municipio",
    "/api/v1/reclamos/vencidos",
]


def _alianzas_de(conn, municipio: str) -> set[str]:
    return set(
        conn.execute(
            text(
                "SELECT a.codigo FROM alianza a JOIN programa p ON p.id = a.programa_id "
                "WHERE p.codigo = 'PAR2' AND a.municipio_codigo = :m"
            ),
            {"m": municipio},
        ).scalars()
    )


@pytest.mark.parametrize("ruta", FILTRAN)
def test_every_filtering_endpoint_refuses_an_unknown_parameter_naming_it(demo_client, ruta):
    r = demo_client.get(ruta, params={"bogus": "1"})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    cuerpo = r.json()
    assert cuerpo["campo"] == "bogus" and "'bogus'" in cuerpo["detail"]
    assert "municipio" in cuerpo["aceptados"] or ruta.startswith(
        ("/api/v1/indicadores", "/api/v1/territorio", "/api/v1/reclamos")
    )


def test_the_names_that_were_silently_ignored_now_get_a_400(demo_client):
    lista = demo_client.get("/api/v1/alianzas", params={"municipio_codigo": YACUIBA})
    assert lista.status_code == 400 and lista.json()["campo"] == "municipio_codigo"
    assert "municipio" in lista.json()["aceptados"]
    nacional = demo_client.get(
        "/api/v1/estadisticas",
        params={"nivel": "nacional", "municipio_codigo": YACUIBA, "bogus": 1},
    )
    assert nacional.status_code == 400 and nacional.json()["campo"] == "municipio_codigo"


def test_municipio_chooses_yacuibas_alliances_on_list_statistics_points_and_ogc(
    demo_client, demo_conn
):
    esperadas = _alianzas_de(demo_conn, YACUIBA)
    assert len(esperadas) > 0
    lista = demo_client.get("/api/v1/alianzas", params={"municipio": YACUIBA, "limit": 1000})
    assert {a["codigo"] for a in lista.json()["data"]} == esperadas
    stats = demo_client.get(
        "/api/v1/estadisticas",
        params={"nivel": "nacional", "municipio": YACUIBA, "medidas": "alianzas"},
    ).json()
    assert stats["data"][0]["valores"]["alianzas"] == len(esperadas)
    puntos = demo_client.get("/api/v1/mapa/puntos", params={"municipio": YACUIBA}).json()
    assert {f["properties"]["codigo"] for f in puntos["features"]} == esperadas
    for nombre in ("municipio", "municipio_codigo"):  # the vocabulary and the OGC attribute
        ogc = demo_client.get(
            "/ogc/collections/alianzas/items", params={nombre: YACUIBA, "limit": 1000}
        ).json()
        assert {f["properties"]["codigo"] for f in ogc["features"]} == esperadas, nombre


@pytest.mark.parametrize("formato", ["geojson", "geojsonl", "csv", "gpkg", "shp", "kml"])
def test_municipio_chooses_yacuibas_alliances_in_every_export_format(
    demo_client, demo_conn, formato
):
    esperadas = _alianzas_de(demo_conn, YACUIBA)
    r = demo_client.get(
        "/api/v1/exportar/alianzas", params={"formato": formato, "municipio": YACUIBA}
    )
    assert r.status_code == 200, r.text
    if formato == "geojson":
        codigos = {f["properties"]["codigo"] for f in json.loads(r.content)["features"]}
    elif formato == "geojsonl":
        codigos = {json.loads(x)["properties"]["codigo"] for x in r.text.splitlines()}
    elif formato == "csv":
        codigos = set(gpd.pd.read_csv(io.BytesIO(r.content), encoding="utf-8-sig")["codigo"])
    else:
        if formato == "shp":
            assert zipfile.ZipFile(io.BytesIO(r.content)).namelist()
        codigos = set(pyogrio.read_dataframe(io.BytesIO(r.content))["codigo"])
    assert codigos == esperadas


def test_the_maps_own_filters_work_in_the_export(demo_client, demo_conn):
    esperado = demo_conn.execute(
        text(
            "SELECT count(*) FROM alianza a JOIN programa p ON p.id = a.programa_id "
            "JOIN municipio m ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo "
            "WHERE p.codigo = 'PAR2' AND m.unidad_operativa_codigo = 'CHACO' "
            "AND a.etapa_alcanzada >= :orden"
        ),
        {"orden": ORDEN_ETAPA["convenio_firmado"]},
    ).scalar_one()
    exportadas = json.loads(
        demo_client.get(
            "/api/v1/exportar/alianzas",
            params={"unidad_operativa": "chaco", "etapa_alcanzada": "convenio_firmado"},
        ).content
    )["features"]
    puntos = demo_client.get(
        "/api/v1/mapa/puntos",
        params={"unidad_operativa": "CHACO", "etapa_alcanzada": "convenio_firmado"},
    ).json()["features"]
    assert len(exportadas) == len(puntos) == esperado > 0


def test_an_alliance_filter_on_subprojects_is_refused_not_ignored(demo_client):
    r = demo_client.get("/api/v1/mapa/puntos", params={"tipo": "subproyectos", "sector": "leche"})
    assert r.status_code == 400 and r.json()["campo"] == "sector"


def test_openapi_documents_the_ogc_items_parameters(demo_client):
    spec = demo_client.get("/openapi.json").json()
    items = spec["paths"]["/ogc/collections/{cid}/items"]["get"]
    nombres = {p["name"] for p in items["parameters"]}
    assert {"limit", "offset", "bbox", "datetime", "f", "municipio", "etapa_alcanzada"} <= nombres
    exportar = spec["paths"]["/api/v1/exportar/{cid}"]["get"]
    assert {"municipio", "formato", "srid", "bbox"} <= {p["name"] for p in exportar["parameters"]}


def test_ogc_links_carry_the_filters_percent_encoded(demo_client, demo_conn):
    r = demo_client.get(
        "/ogc/collections/alianzas/items", params={"nombre": "Miel & Cera", "limit": 10}
    )
    enlaces = {e["rel"]: e["href"] for e in r.json()["links"]}
    assert " " not in enlaces["self"]
    assert parse_qs(urlsplit(enlaces["self"]).query)["nombre"] == ["Miel & Cera"]
    # A value with spaces and accents that has several pages: following "next" keeps it.
    nombre = demo_conn.execute(
        text(
            "SELECT m.nombre FROM alianza a JOIN municipio m ON m.cartografia = a.cartografia "
            "AND m.codigo = a.municipio_codigo WHERE m.nombre LIKE '% %' "
            "GROUP BY m.nombre HAVING count(*) > 1 LIMIT 1"
        )
    ).scalar_one()
    primera = demo_client.get(
        "/ogc/collections/alianzas/items", params={"municipio_nombre": nombre, "limit": 1}
    ).json()
    siguiente = next(e["href"] for e in primera["links"] if e["rel"] == "next")
    assert parse_qs(urlsplit(siguiente).query)["municipio_nombre"] == [nombre]
    segunda = demo_client.get(siguiente.replace("http://testserver", "")).json()
    assert segunda["numberMatched"] == primera["numberMatched"] > 1
    assert segunda["features"][0]["id"] != primera["features"][0]["id"]
    assert segunda["features"][0]["properties"]["municipio_nombre"] == nombre


def test_map_points_carry_labels_for_their_codes(demo_client):
    puntos = demo_client.get("/api/v1/mapa/puntos", params={"municipio": YACUIBA}).json()
    for f in puntos["features"]:
        p = f["properties"]
        assert (
            p["etapa_nombre"] == ETAPAS[p["etapa"]] and p["estado_nombre"] == ESTADOS[p["estado"]]
        )
    sub = demo_client.get("/api/v1/mapa/puntos", params={"tipo": "subproyectos"}).json()
    assert {f["properties"]["etapa_nombre"] for f in sub["features"]} <= set(
        ETAPAS_SUBPROYECTO.values()
    )
