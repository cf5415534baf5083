"""The territory API over the real boundaries: listings, filters, features, point location."""

from __future__ import annotations

import csv

import pytest
from shapely.geometry import shape

PROBLEMA = "application/problem+json"


def test_health_reports_postgis_revision_and_territory_counts(client):
    r = client.get("/api/v1/health")
    assert r.status_code == 200
    cuerpo = r.json()
    assert cuerpo["estado"] == "ok"
    assert cuerpo["base_de_datos"]["postgis"].startswith("3.")
    assert cuerpo["base_de_datos"]["migracion"] == cuerpo["base_de_datos"]["migracion_esperada"]
    assert cuerpo["territorio"]["2012"]["municipios"] == 339
    assert cuerpo["tipo_cambio"] == 6.86


def test_municipalities_list_has_339_with_parents_and_population(client):
    cuerpo = client.get("/api/v1/territorio/municipios").json()
    assert cuerpo["count"] == len(cuerpo["data"]) == 339
    codigos = [m["codigo"] for m in cuerpo["data"]]
    assert codigos == sorted(set(codigos))
    yacuiba = next(m for m in cuerpo["data"] if m["codigo"] == "060301")
    assert yacuiba["departamento"] == {"codigo": "06", "nombre": "Tarija"}
    assert yacuiba["provincia"]["codigo"] == "0603"
    assert yacuiba["unidad_operativa"] == {"codigo": "CHACO", "nombre": "Chaco"}
    assert yacuiba["poblacion"]["pob_2012"] == 92_245
    assert yacuiba["poblacion"]["rural_2012"] == 28_082


def test_filter_by_parent_department_or_operational_unit(client, settings):
    beni = client.get("/api/v1/territorio/municipios", params={"departamento": "08"}).json()
    assert beni["count"] == 19 and {m["departamento"]["codigo"] for m in beni["data"]} == {"08"}
    chaco = client.get("/api/v1/territorio/municipios", params={"unidad_operativa": "chaco"}).json()
    with (settings.directorio_limites() / "chaco_municipios_16.csv").open() as fh:
        esperados = {f["cod_ine"] for f in csv.DictReader(fh)}
    assert {m["codigo"] for m in chaco["data"]} == esperados
    provincias = client.get("/api/v1/territorio/provincias", params={"unidad_operativa": "CHACO"})
    assert {p["codigo"] for p in provincias.json()["data"]} == {c[:4] for c in esperados}
    deps = client.get("/api/v1/territorio/departamentos", params={"unidad_operativa": "CHACO"})
    assert [d["nombre"] for d in deps.json()["data"]] == ["Chuquisaca", "Tarija", "Santa Cruz"]


def test_operational_units_list_ten_with_departments_served(client):
    data = client.get("/api/v1/territorio/unidades-operativas").json()["data"]
    assert len(data) == 10
    chaco = next(u for u in data if u["codigo"] == "CHACO")
    assert (chaco["tipo"], chaco["departamento"], chaco["departamentos"]) == (
        "regional",
        None,
        ["01", "06", "07"],
    )
    assert chaco["n_municipios"] == 16
    assert sum(u["n_municipios"] for u in data) == 339
    assert sum(u["poblacion"]["pob_2012"] for u in data) == 10_059_856


@pytest.mark.parametrize(
    ("departamento", "rural"),
    [("Beni", 113_318), ("Chuquisaca", 298_224), ("Pando", 56_605), ("Potosí", 491_681)],
)
def test_departments_carry_2012_rural_population(client, departamento, rural):
    data = client.get("/api/v1/territorio/departamentos").json()["data"]
    assert next(d for d in data if d["nombre"] == departamento)["poblacion"]["rural_2012"] == rural


def test_unit_as_geojson_feature_rfc7946(client):
    r = client.get("/api/v1/territorio/municipios/070706")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    f = r.json()
    assert (f["type"], f["id"], f["properties"]["nombre"]) == ("Feature", "070706", "Camiri")
    assert "crs" not in f
    geom = shape(f["geometry"])
    assert geom.geom_type == "MultiPolygon" and geom.is_valid
    assert all(p.exterior.is_ccw for p in geom.geoms)  # right-hand rule
    minx, miny, maxx, maxy = f["bbox"]
    assert geom.bounds == pytest.approx((minx, miny, maxx, maxy), abs=1e-6)
    assert -64 < geom.centroid.x < -63 and -20.3 < geom.centroid.y < -19.8


def test_operational_unit_feature_is_dissolved_from_its_municipalities(client):
    chaco = shape(client.get("/api/v1/territorio/unidades-operativas/CHACO").json()["geometry"])
    camiri = shape(client.get("/api/v1/territorio/municipios/070706").json()["geometry"])
    assert chaco.covers(camiri.representative_point())
    assert chaco.area > 10 * camiri.area


def test_2024_version_is_asked_for_explicitly_and_not_mixed(client):
    assert (
        client.get("/api/v1/territorio/municipios", params={"cartografia": "2024"}).json()["count"]
        == 343
    )
    r = client.get("/api/v1/territorio/municipios/031304")
    assert r.status_code == 404 and "2012" in r.json()["detail"]
    assert (
        client.get(
            "/api/v1/territorio/municipios/031304", params={"cartografia": "2024"}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("lon", "lat", "municipio", "unidad"),
    [
        (-68.1336, -16.4957, "020101", "LPZ"),  # Plaza Murillo, La Paz
        (-68.1925, -16.5047, "020105", "LPZ"),  # El Alto
        (-63.6770, -22.0150, "060301", "CHACO"),  # Yacuiba
        (-63.5180, -20.0390, "070706", "CHACO"),  # Camiri
        (-64.9000, -14.8333, "080101", "BEN"),  # Trinidad
        (-68.7692, -11.0267, "090101", "PND"),  # Cobija
    ],
)
def test_point_resolves_to_its_municipality_and_unit(client, lon, lat, municipio, unidad):
    r = client.get("/api/v1/territorio/ubicar", params={"lon": lon, "lat": lat})
    assert r.status_code == 200, r.text
    cuerpo = r.json()
    assert cuerpo["municipio"]["codigo"] == municipio
    assert cuerpo["unidad_operativa"]["codigo"] == unidad
    assert cuerpo["provincia"]["codigo"] == municipio[:4]
    assert cuerpo["departamento"]["codigo"] == municipio[:2]
    assert cuerpo["aproximado"] is False


def test_point_in_lake_titicaca_says_so_and_names_the_nearest_municipality(client):
    r = client.get("/api/v1/territorio/ubicar", params={"lon": -69.2, "lat": -16.0})
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEMA
    cuerpo = r.json()
    assert cuerpo["type"] == "urn:sigg:problema:cuerpo-de-agua"
    assert "Titicaca" in cuerpo["cuerpo_agua"] and "Titicaca" in cuerpo["detail"]
    assert cuerpo["municipio_cercano"]["codigo"][:2] == "02"
    assert 0 < cuerpo["municipio_cercano"]["distancia_km"] < 30


def test_point_in_peru_is_outside_bolivia(client):
    r = client.get("/api/v1/territorio/ubicar", params={"lon": -70.0219, "lat": -15.8402})  # Puno
    assert r.status_code == 422
    cuerpo = r.json()
    assert cuerpo["type"] == "urn:sigg:problema:fuera-de-bolivia"
    assert "fuera de Bolivia" in cuerpo["detail"]
    assert cuerpo["municipio_cercano"]["distancia_km"] > 1


def test_swapped_latitude_and_longitude_is_suggested(client):
    r = client.get("/api/v1/territorio/ubicar", params={"lon": -16.4957, "lat": -68.1336})
    assert r.status_code == 422
    assert "invertidas" in r.json()["detail"] and "020101" in r.json()["detail"]


@pytest.mark.parametrize(
    ("params", "campo", "texto"),
    [
        ({"lon": "abc", "lat": "-16.5"}, "lon", "número"),
        ({"lon": "-68.1", "lat": "nan"}, "lat", "finito"),
        ({"lon": "-68.1", "lat": "-95"}, "lat", "fuera de rango"),
        ({"lon": "-68.1"}, "lat", "obligatorio"),
    ],
)
def test_bad_coordinates_get_a_422_naming_the_field(client, params, campo, texto):
    r = client.get("/api/v1/territorio/ubicar", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEMA
    cuerpo = r.json()
    campos = [e["campo"] for e in cuerpo.get("errores", [])] + [cuerpo.get("campo")]
    assert campo in campos
    assert texto in cuerpo["detail"]


@pytest.mark.parametrize(
    ("url", "status", "texto"),
    [
        ("/api/v1/territorio/comarcas", 422, "departamentos"),
        ("/api/v1/territorio/municipios/999999", 404, "999999"),
        ("/api/v1/territorio/municipios?departamento=99", 404, "departamento '99'"),
        ("/api/v1/territorio/municipios?departamento=La%20Paz", 422, "departamento"),
        ("/api/v1/territorio/municipios?cartografia=1950", 404, "1950"),
        ("/api/v1/territorio/municipios?departamento=1'%20OR%201=1", 422, "departamento"),
    ],
)
def test_bad_requests_get_clear_problem_details(client, url, status, texto):
    r = client.get(url)
    assert r.status_code == status
    assert r.headers["content-type"] == PROBLEMA
    assert texto in r.json()["detail"]


def test_openapi_docs_are_served(client):
    assert client.get("/docs").status_code == 200
    rutas = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/health",
        "/api/v1/territorio/ubicar",
        "/api/v1/territorio/{nivel}",
        "/api/v1/territorio/{nivel}/{codigo}",
    } <= set(rutas)
