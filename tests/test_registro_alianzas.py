"""Alliances through the API: every rule with a bad input and the exact error, the derived
municipality and operational unit, optimistic concurrency, the stage cycle and the audit."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

YACUIBA = (-63.6770, -22.0150)
PLAZA_MURILLO = (-68.1336, -16.4957)


def alianza(**cambios):
    base = {
        "codigo": "T-001",
        "nombre": "Miel del Chaco",
        "sector": "Apicultura",
        "modelo": 1,
        "financiamiento": "adicional",
        "familias": 20,
        "familias_mujeres": 8,
        "lon": YACUIBA[0],
        "lat": YACUIBA[1],
    }
    return base | cambios


def crear(client, **cambios):
    return client.post("/api/v1/alianzas", json=alianza(**cambios))


def errores(r):
    return {e["campo"]: e["mensaje"] for e in r.json()["errores"]}


def test_point_alone_gives_municipality_and_operational_unit_chaco_included(client):
    r = crear(client)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["municipio"] == {"codigo": "060301", "nombre": "Yacuiba"}
    assert a["unidad_operativa"]["codigo"] == "CHACO"
    assert a["departamento"]["codigo"] == "06"
    assert (a["precision_ubicacion"], a["version"], r.headers["etag"]) == (1, 1, '"1"')
    assert (a["lon"], a["lat"]) == pytest.approx(YACUIBA)


def test_municipality_alone_places_the_record_at_its_interior_point_with_precision_3(client):
    r = crear(client, lon=None, lat=None, municipio_codigo="070706")
    assert r.status_code == 201, r.text
    a = r.json()
    assert (a["municipio"]["nombre"], a["unidad_operativa"]["codigo"]) == ("Camiri", "CHACO")
    assert a["precision_ubicacion"] == 3
    dentro = client.get("/api/v1/territorio/ubicar", params={"lon": a["lon"], "lat": a["lat"]})
    assert dentro.json()["municipio"]["codigo"] == "070706"


def test_point_in_another_municipality_is_refused_naming_both(client):
    r = crear(client, lon=PLAZA_MURILLO[0], lat=PLAZA_MURILLO[1], municipio_codigo="020105")
    assert r.status_code == 422
    mensaje = errores(r)["municipio_codigo"]
    assert "Nuestra Señora de La Paz (020101)" in mensaje and "El Alto (020105)" in mensaje


def test_point_just_across_the_border_is_accepted_and_flagged(client, conn):
    # A point inside El Alto, within about 30 m of La Paz's border.
    lon, lat = conn.execute(
        text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(ST_Intersection("
            "ST_Buffer(a.geom, 0.0003), b.geom)) p FROM municipio a, municipio b "
            "WHERE a.cartografia = '2012' AND b.cartografia = '2012' "
            "AND a.codigo = '020101' AND b.codigo = '020105') x"
        )
    ).one()
    r = crear(client, lon=lon, lat=lat, municipio_codigo="020101")
    assert r.status_code == 201, r.text
    assert r.json()["municipio"]["codigo"] == "020101"
    assert r.json()["alertas"] == ["punto_cerca_del_limite"]


@pytest.mark.parametrize(
    ("cambios", "campo", "texto"),
    [
        ({"lon": -70.02, "lat": -15.84}, "lon", "fuera de Bolivia"),
        ({"lon": -69.2, "lat": -16.0}, "lon", "Lago Titicaca"),
        ({"lat": -95}, "lat", "no puede ser menor que -90"),
        ({"lon": None, "lat": None}, "lon", "falta la ubicación"),
        (
            {"municipio_codigo": "999999", "lon": None, "lat": None},
            "municipio_codigo",
            "municipio desconocido '999999'",
        ),
        (
            {"familias": 10, "familias_mujeres": 11},
            "familias_mujeres",
            "familias representadas por mujeres (11) no puede superar las familias (10)",
        ),
        (
            {"monto_par_comprometido_bs": -5},
            "monto_par_comprometido_bs",
            "no puede ser menor que 0",
        ),
        ({"hectareas_riego": -1}, "hectareas_riego", "no puede ser menor que 0"),
        ({"sector": "pesca"}, "sector", "sector desconocido 'pesca'"),
        ({"etapa": "terminada"}, "etapa", "etapa desconocido 'terminada'"),
        ({"modelo": 4}, "modelo", "no puede ser mayor que 3"),
        (
            {"monto_par_comprometido_bs": 100, "monto_transferido_bs": 150},
            "monto_transferido_bs",
            "monto_transferido_bs (150) supera monto_par_comprometido_bs (100)",
        ),
        (
            {
                "monto_par_comprometido_bs": 100,
                "monto_transferido_bs": 100,
                "monto_descargado_bs": 101,
            },
            "monto_descargado_bs",
            "monto_descargado_bs (101) supera monto_transferido_bs (100)",
        ),
        ({"color": "rojo"}, "color", "campo desconocido"),
    ],
)
def test_rule_breaking_record_gets_422_naming_field_and_reason(client, cambios, campo, texto):
    r = crear(client, **cambios)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert texto in errores(r)[campo]
    assert client.get("/api/v1/alianzas").json()["count"] == 0


def test_swapped_latitude_and_longitude_is_detected_and_the_swapped_point_proposed(client):
    # Swapped but still in range: lat=-63.6 is a valid latitude number, far south of Bolivia.
    r = crear(client, lon=YACUIBA[1], lat=YACUIBA[0])
    assert r.status_code == 422
    assert f"(lon={YACUIBA[0]}, lat={YACUIBA[1]}) cae en Yacuiba (060301)" in errores(r)["lon"]


def test_program_that_allows_excess_accepts_and_flags_it(client, conn):
    conn.execute(text("UPDATE programa SET permite_excesos = true WHERE codigo = 'PAR2'"))
    r = crear(client, monto_par_comprometido_bs=100, monto_transferido_bs=150)
    assert r.status_code == 201, r.text
    assert r.json()["alertas"] == ["transferido_excede_comprometido"]


def test_duplicate_code_in_the_program_is_a_409(client):
    assert crear(client).status_code == 201
    r = crear(client, nombre="otra")
    assert r.status_code == 409
    assert "ya existe una alianza con el código T-001" in r.json()["detail"]


def test_same_code_in_another_program_is_allowed(client):
    assert crear(client).status_code == 201
    r = client.post("/api/v1/alianzas", params={"programa": "BO481"}, json=alianza())
    assert r.status_code == 201
    assert r.json()["programa"] == "BO481"


def test_unknown_id_and_unknown_program_are_404(client):
    assert client.get("/api/v1/alianzas/999999").status_code == 404
    r = client.post("/api/v1/alianzas", params={"programa": "NOEXISTE"}, json=alianza())
    assert r.status_code == 404 and "NOEXISTE" in r.json()["detail"]


def test_concurrent_edit_needs_if_match_and_a_stale_version_is_refused(client):
    a = crear(client).json()
    url = f"/api/v1/alianzas/{a['id']}"
    assert client.patch(url, json={"familias": 21}).status_code == 428
    primero = client.patch(url, json={"familias": 21}, headers={"If-Match": '"1"'})
    assert primero.status_code == 200 and primero.json()["version"] == 2
    segundo = client.patch(url, json={"familias": 30}, headers={"If-Match": '"1"'})
    assert segundo.status_code == 412
    assert client.get(url).json()["familias"] == 21


def test_stage_follows_the_cycle_one_step_at_a_time(client):
    a = crear(client).json()
    url = f"/api/v1/alianzas/{a['id']}"
    salto = client.patch(url, json={"etapa": "concluida"}, headers={"If-Match": '"1"'})
    assert salto.status_code == 422
    assert errores(salto)["etapa"].startswith("cambio de etapa no permitido: solicitud → concluida")
    paso = client.patch(
        url,
        json={"etapa": "evaluacion_aprobada", "fecha_etapa": "2024-05-02"},
        headers={"If-Match": '"1"'},
    )
    assert paso.status_code == 200, paso.text
    etapas = client.get(f"{url}/historial").json()["etapas"]
    assert [(e["etapa"], e["fecha"]) for e in etapas][1] == ("evaluacion_aprobada", "2024-05-02")
    assert etapas[0]["etapa"] == "solicitud"


def test_every_change_is_audited_with_who_before_and_after(client):
    a = crear(client).json()
    client.patch(f"/api/v1/alianzas/{a['id']}", json={"familias": 25}, headers={"If-Match": '"1"'})
    cambios = client.get(f"/api/v1/alianzas/{a['id']}/historial").json()["cambios"]
    assert [c["accion"] for c in cambios] == ["alta", "cambio"]
    assert cambios[1]["campos"] == {"familias": {"antes": 20, "despues": 25}}
    assert cambios[1]["usuario"] == "nacional.bo"  # the token's user


def test_delete_needs_the_current_version_and_leaves_an_audit_entry(client, conn):
    a = crear(client).json()
    url = f"/api/v1/alianzas/{a['id']}"
    assert client.delete(url, headers={"If-Match": '"7"'}).status_code == 412
    assert client.delete(url, headers={"If-Match": '"1"'}).status_code == 204
    assert client.get(url).status_code == 404
    accion = conn.execute(
        text(
            "SELECT accion FROM auditoria WHERE tabla = 'alianza' "
            "AND registro_id = :i ORDER BY id DESC LIMIT 1"
        ),
        {"i": a["id"]},
    )
    assert accion.scalar_one() == "baja"


def test_database_refuses_a_stage_jump_and_women_above_families_on_its_own(client, conn):
    a = crear(client).json()
    jump = "cambio de etapa no permitido: solicitud -> concluida"
    with pytest.raises(DBAPIError, match=jump), conn.begin_nested():
        conn.execute(text("UPDATE alianza SET etapa = 'concluida' WHERE id = :i"), {"i": a["id"]})
    with (
        pytest.raises(DBAPIError, match="ck_alianza_mujeres_no_mas_que_familias"),
        conn.begin_nested(),
    ):
        conn.execute(text("UPDATE alianza SET familias_mujeres = 99 WHERE id = :i"), {"i": a["id"]})


def test_stage_transitions_in_the_database_equal_the_domain_rules(conn):
    from geo.vocabulario.catalogos import ETAPAS, SECTORES, TRANSICIONES

    assert (
        set(conn.execute(text("SELECT desde, hacia FROM transicion_etapa")).all()) == TRANSICIONES
    )
    assert dict(conn.execute(text("SELECT codigo, nombre FROM etapa_alianza")).all()) == ETAPAS
    assert dict(conn.execute(text("SELECT codigo, nombre FROM sector")).all()) == SECTORES


def test_list_filters_by_unit_text_and_stage_and_sorts_on_a_whitelist(client):
    crear(client)
    crear(
        client,
        codigo="T-002",
        nombre="Quinua Murillo",
        lon=PLAZA_MURILLO[0],
        lat=PLAZA_MURILLO[1],
        familias=50,
        familias_mujeres=10,
        sector="otros agropecuarios",
    )
    chaco = client.get("/api/v1/alianzas", params={"unidad_operativa": "chaco"}).json()
    assert [a["codigo"] for a in chaco["data"]] == ["T-001"] and chaco["count"] == 1
    assert (
        client.get("/api/v1/alianzas", params={"q": "quinua"}).json()["data"][0]["codigo"]
        == "T-002"
    )
    orden = client.get("/api/v1/alianzas", params={"orden": "-familias"}).json()["data"]
    assert [a["familias"] for a in orden] == [50, 20]
    malo = client.get("/api/v1/alianzas", params={"orden": "nombre; DROP TABLE alianza"})
    assert malo.status_code == 422 and "no se puede ordenar" in malo.json()["detail"]
    inyeccion = client.get("/api/v1/alianzas", params={"q": "' OR 1=1 --"}).json()
    assert inyeccion["count"] == 0


def test_records_come_back_as_geojson_features(client):
    crear(client)
    r = client.get("/api/v1/alianzas", params={"formato": "geojson"})
    assert r.headers["content-type"] == "application/geo+json"
    fc = r.json()
    assert fc["type"] == "FeatureCollection" and fc["numberMatched"] == 1
    f = fc["features"][0]
    assert f["geometry"] == {"type": "Point", "coordinates": [YACUIBA[0], YACUIBA[1]]}
    assert f["properties"]["unidad_operativa"]["codigo"] == "CHACO"
    uno = client.get(f"/api/v1/alianzas/{f['id']}", headers={"Accept": "application/geo+json"})
    assert uno.json()["type"] == "Feature"


def test_list_answers_the_installations_program_unless_another_is_named(client, settings):
    assert settings.programa == "PAR2"
    crear(client)
    otra = client.post("/api/v1/alianzas", params={"programa": "BO481"}, json=alianza(codigo="B-1"))
    assert otra.status_code == 201, otra.text
    por_defecto = client.get("/api/v1/alianzas").json()
    assert [(a["programa"], a["codigo"]) for a in por_defecto["data"]] == [("PAR2", "T-001")]
    bo481 = client.get("/api/v1/alianzas", params={"programa": "BO481"}).json()
    assert [(a["programa"], a["codigo"]) for a in bo481["data"]] == [("BO481", "B-1")]


def test_a_changed_code_is_refused_naming_the_field_and_nothing_changes(client):
    a = crear(client).json()
    url = f"/api/v1/alianzas/{a['id']}"
    r = client.patch(url, json={"codigo": "T-999"}, headers={"If-Match": '"1"'})
    assert r.status_code == 422
    assert r.json()["type"] == "urn:sigg:problema:registro-invalido"
    assert errores(r) == {"codigo": "el código de una alianza no cambia"}
    assert client.get(url).json()["codigo"] == "T-001"


def test_formato_wins_over_the_accept_header(client):
    crear(client)
    geo = {"Accept": "application/geo+json"}
    lista = client.get("/api/v1/alianzas", params={"formato": "json"}, headers=geo)
    assert (lista.headers["content-type"], lista.json()["count"]) == ("application/json", 1)
    aid = lista.json()["data"][0]["id"]
    como_geojson = client.get(f"/api/v1/alianzas/{aid}", headers=geo)
    assert (como_geojson.headers["content-type"], como_geojson.json()["type"]) == (
        "application/geo+json",
        "Feature",
    )
