"""Producer organizations, monitoring per productive cycle, and municipal subprojects."""

from __future__ import annotations

from sqlalchemy import text

YACUIBA = (-63.6770, -22.0150)


def _alianza(client, codigo="S-001", **extra):
    datos = {
        "codigo": codigo,
        "nombre": "Riego Yacuiba",
        "sector": "riego_tecnificado",
        "modelo": 1,
        "financiamiento": "adicional",
        "familias": 30,
        "lon": YACUIBA[0],
        "lat": YACUIBA[1],
    } | extra
    r = client.post("/api/v1/alianzas", json=datos)
    assert r.status_code == 201, r.text
    return r.json()


def test_organization_crud_with_duplicate_name_and_delete_guard(client):
    r = client.post(
        "/api/v1/organizaciones",
        json={"nombre": "APIC Yacuiba", "formalizada": True, "familias_miembro": 40},
    )
    assert r.status_code == 201 and r.headers["etag"] == '"1"'
    org = r.json()
    assert (org["programa"], org["n_alianzas"]) == ("PAR2", 0)
    duplicada = client.post("/api/v1/organizaciones", json={"nombre": "APIC Yacuiba"})
    assert duplicada.status_code == 409
    assert "ya existe una organización con ese nombre" in duplicada.json()["detail"]
    negativa = client.post("/api/v1/organizaciones", json={"nombre": "X", "familias_miembro": -1})
    assert negativa.status_code == 422
    _alianza(client, organizacion_id=org["id"])
    assert client.get(f"/api/v1/organizaciones/{org['id']}").json()["n_alianzas"] == 1
    borrar = client.delete(f"/api/v1/organizaciones/{org['id']}", headers={"If-Match": '"1"'})
    assert borrar.status_code == 409 and "tiene alianzas" in borrar.json()["detail"]


def test_organization_patch_needs_the_current_version(client):
    org = client.post("/api/v1/organizaciones", json={"nombre": "OPP Camiri"}).json()
    url = f"/api/v1/organizaciones/{org['id']}"
    assert client.patch(url, json={"formalizada": True}).status_code == 428
    ok = client.patch(url, json={"formalizada": True}, headers={"If-Match": '"1"'})
    assert (ok.status_code, ok.json()["formalizada"], ok.json()["version"]) == (200, True, 2)
    assert client.patch(url, json={"nombre": ""}, headers={"If-Match": '"2"'}).status_code == 422
    assert client.patch(url, json={"nombre": "Y"}, headers={"If-Match": '"1"'}).status_code == 412


def test_alliance_with_unknown_organization_id_is_refused(client):
    r = client.post(
        "/api/v1/alianzas",
        json={
            "codigo": "S-9",
            "nombre": "x",
            "sector": "apicultura",
            "modelo": 1,
            "financiamiento": "adicional",
            "municipio_codigo": "060301",
            "organizacion_id": 987654,
        },
    )
    assert r.status_code == 422
    assert r.json()["errores"][0] == {
        "campo": "organizacion_id",
        "mensaje": "organización desconocida 987654 en este programa",
    }


def test_monitoring_per_cycle_computes_income_and_refuses_a_second_same_cycle(client):
    a = _alianza(client)
    url = f"/api/v1/alianzas/{a['id']}/seguimientos"
    base = client.post(url, json={"ciclo": 0, "ventas_bs": 10000, "costos_bs": 7000})
    assert base.status_code == 201
    assert base.json()["ingreso_bs"] == 3000.0
    uno = client.post(
        url,
        json={
            "ciclo": 1,
            "volumen_vendido": 1200,
            "unidad_volumen": "kg",
            "precio_bs": 12.5,
            "ventas_bs": 15000,
            "costos_bs": 8000,
            "relacion_comercial_mantenida": True,
            "medidas_ambientales": True,
        },
    )
    assert uno.status_code == 201
    assert client.post(url, json={"ciclo": 1}).status_code == 409
    assert client.post(url, json={"ciclo": 2, "ventas_bs": -1}).status_code == 422
    lista = client.get(url).json()
    assert [s["ciclo"] for s in lista["data"]] == [0, 1]
    cambio = client.patch(f"{url}/1", json={"costos_bs": 9000}, headers={"If-Match": '"1"'})
    assert cambio.status_code == 200 and cambio.json()["ingreso_bs"] == 6000.0
    assert client.get("/api/v1/alianzas/999999/seguimientos").status_code == 404


def test_subproject_is_located_linked_to_alliances_and_follows_its_stages(client, conn):
    _alianza(client, "S-001")
    _alianza(client, "S-002", lon=None, lat=None, municipio_codigo="060302")
    r = client.post(
        "/api/v1/subproyectos",
        json={
            "codigo": "FPS-01",
            "nombre": "Sistema de riego Yacuiba",
            "tipo_obra": "riego",
            "familias": 120,
            "monto_empoderar_comprometido_bs": 900000,
            "lon": YACUIBA[0],
            "lat": YACUIBA[1],
            "alianzas": ["S-001", "S-002"],
        },
    )
    assert r.status_code == 201, r.text
    s = r.json()
    assert (s["municipio"]["codigo"], s["unidad_operativa"]["codigo"]) == ("060301", "CHACO")
    assert (s["etapa"], s["alianzas"]) == ("evaluacion_fps", ["S-001", "S-002"])
    url = f"/api/v1/subproyectos/{s['id']}"
    salto = client.patch(url, json={"etapa": "recepcion_definitiva"}, headers={"If-Match": '"1"'})
    assert salto.status_code == 422 and "evaluacion_fps → recepcion_definitiva" in salto.text
    paso = client.patch(
        url, json={"etapa": "licitacion", "alianzas": ["S-001"]}, headers={"If-Match": '"1"'}
    )
    assert paso.status_code == 200 and paso.json()["alianzas"] == ["S-001"]
    desconocida = client.post(
        "/api/v1/subproyectos",
        json={
            "codigo": "FPS-02",
            "nombre": "x",
            "municipio_codigo": "060301",
            "alianzas": ["NO-1"],
        },
    )
    assert desconocida.status_code == 422 and "NO-1" in desconocida.json()["detail"]
    geo = client.get(
        "/api/v1/subproyectos", params={"unidad_operativa": "CHACO", "formato": "geojson"}
    ).json()
    assert geo["numberMatched"] == 1 and geo["features"][0]["geometry"]["type"] == "Point"
    auditados = conn.execute(
        text("SELECT count(*) FROM auditoria WHERE tabla = 'subproyecto_municipal'")
    ).scalar_one()
    assert auditados == 2  # created, then changed


def test_subproject_point_in_a_lake_is_refused(client):
    r = client.post(
        "/api/v1/subproyectos",
        json={"codigo": "FPS-9", "nombre": "Muelle", "lon": -69.2, "lat": -16.0},
    )
    assert r.status_code == 422 and "Lago Titicaca" in r.json()["detail"]


def _subproyecto(client, codigo="FPS-01", **extra):
    datos = {"codigo": codigo, "nombre": "Riego", "municipio_codigo": "060301"} | extra
    r = client.post("/api/v1/subproyectos", json=datos)
    assert r.status_code == 201, r.text
    return r.json()


def test_subproject_list_reads_the_shared_filters_with_repeated_stages(client):
    _subproyecto(client, "FPS-01")
    _subproyecto(client, "FPS-02", municipio_codigo="070706")  # Camiri, Santa Cruz
    tres = _subproyecto(client, "FPS-03")
    paso = client.patch(
        f"/api/v1/subproyectos/{tres['id']}",
        json={"etapa": "licitacion"},
        headers={"If-Match": '"1"'},
    )
    assert paso.status_code == 200, paso.text

    def codigos(**params):
        r = client.get("/api/v1/subproyectos", params=params)
        assert r.status_code == 200, r.text
        return [s["codigo"] for s in r.json()["data"]]

    assert codigos() == ["FPS-01", "FPS-02", "FPS-03"]
    assert codigos(etapa=["licitacion"]) == ["FPS-03"]
    assert codigos(etapa=["licitacion", "evaluacion_fps"]) == ["FPS-01", "FPS-02", "FPS-03"]
    assert codigos(departamento="07") == ["FPS-02"]
    assert codigos(provincia="0603") == ["FPS-01", "FPS-03"]
    assert codigos(programa="BO481") == []


def test_subproject_formato_wins_over_accept_and_a_code_does_not_change(client):
    s = _subproyecto(client)
    url = f"/api/v1/subproyectos/{s['id']}"
    geo = {"Accept": "application/geo+json"}
    lista = client.get("/api/v1/subproyectos", params={"formato": "json"}, headers=geo)
    assert (lista.headers["content-type"], lista.json()["count"]) == ("application/json", 1)
    assert client.get(url, headers=geo).json()["type"] == "Feature"
    cambio = client.patch(url, json={"codigo": "FPS-99"}, headers={"If-Match": '"1"'})
    assert cambio.status_code == 422
    assert cambio.json()["errores"] == [
        {"campo": "codigo", "mensaje": "el código de un subproyecto no cambia"}
    ]
    assert client.delete(url, headers={"If-Match": '"1"'}).status_code == 204
    assert client.get(url).status_code == 404
