"""The registry's filters are read from the query string by one pydantic model
(api/parametros.py ``leer_consulta``) rather than declared one by one to FastAPI: what a user
or a GIS analyst sees must not change. Every name is documented in /openapi.json with the
vocabulary's words, a malformed value is the same 4xx naming it, a repeated name filters by
every value, and a name the route does not read is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geo.vocabulario.parametros import FILTROS

TODOS = {
    "programa", "departamento", "provincia", "unidad_operativa", "municipio", "sector",
    "modelo", "etapa", "etapa_alcanzada", "financiamiento", "convocatoria", "desde", "hasta",
    "validados", "corte",
}  # fmt: skip
DE_SUBPROYECTOS = {
    "programa", "departamento", "provincia", "unidad_operativa", "municipio", "etapa",
    "validados", "corte",
}  # fmt: skip


@pytest.fixture
def documento(demo_client):
    return demo_client.get("/openapi.json").json()


@pytest.mark.parametrize(
    ("ruta", "nombres"),
    [
        ("/api/v1/estadisticas", TODOS),
        ("/api/v1/teselas/{tipo}/{z}/{x}/{y}.pbf", TODOS),
        ("/ogc/collections/{cid}/items", TODOS),
        ("/api/v1/subproyectos", DE_SUBPROYECTOS),
    ],
)
def test_every_filter_a_route_reads_is_documented_with_the_vocabularys_words(
    documento, ruta, nombres
):
    parametros = {p["name"]: p for p in documento["paths"][ruta]["get"]["parameters"]}
    leidos = set(parametros) & TODOS
    assert leidos == nombres
    for nombre in nombres:
        p = parametros[nombre]
        assert p["in"] == "query" and p["required"] is False
        assert p["description"] == FILTROS[nombre] == p["schema"]["description"]
        assert "default" not in p["schema"] or p["schema"]["default"] is not None
    assert parametros["departamento"]["schema"]["anyOf"][0]["pattern"] == "^[0-9]{2}$"
    # A name that may repeat is documented as an array.
    assert parametros["etapa"]["schema"]["anyOf"][0]["type"] == "array"


@pytest.mark.parametrize(
    ("params", "campo"),
    [
        ({"departamento": "2"}, "departamento"),
        ({"unidad_operativa": "chaco1"}, "unidad_operativa"),
        ({"modelo": "dos"}, "modelo.0"),
        ({"desde": "ayer"}, "desde"),
        ({"validados": "quizas"}, "validados"),
        ({"etapa_alcanzada": "x" * 41}, "etapa_alcanzada"),
    ],
)
def test_a_malformed_filter_is_a_422_naming_it(demo_client, params, campo):
    r = demo_client.get("/api/v1/estadisticas", params=params)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["campo"] for e in r.json()["errores"]] == [campo]
    assert r.json()["errores"][0]["valor"] in (*params.values(), "dos")


def test_on_the_ogc_service_a_malformed_filter_is_a_400(demo_client):
    r = demo_client.get("/ogc/collections/alianzas/items", params={"municipio": "12"})
    assert r.status_code == 400, r.text
    assert r.json()["errores"][0]["campo"] == "municipio"


def test_a_future_cutoff_is_refused_naming_it(demo_client):
    r = demo_client.get("/api/v1/estadisticas", params={"corte": "2999-01-01"})
    assert r.status_code == 422 and r.json()["campo"] == "corte"


def test_a_repeated_filter_selects_every_value_and_the_unit_code_is_read_in_capitals(
    demo_client, demo_conn
):
    sectores = [
        s
        for (s,) in demo_conn.execute(
            text("SELECT sector FROM alianza GROUP BY sector ORDER BY count(*) DESC LIMIT 2")
        )
    ]
    esperado = demo_conn.execute(
        text(
            "SELECT count(*) FROM alianza a JOIN municipio m ON m.cartografia = a.cartografia "
            "AND m.codigo = a.municipio_codigo JOIN programa p ON p.id = a.programa_id "
            "WHERE a.sector = ANY(:s) AND m.unidad_operativa_codigo = 'CHACO' "
            "AND a.estado = 'validado' AND p.codigo = 'PAR2'"
        ),
        {"s": sectores},
    ).scalar_one()
    r = demo_client.get(
        "/api/v1/estadisticas",
        params=[("sector", sectores[0]), ("sector", sectores[1]), ("unidad_operativa", "chaco")]
        + [("nivel", "nacional")],
    )
    assert r.status_code == 200, r.text
    assert sum(u["valores"]["alianzas"] for u in r.json()["data"]) == esperado > 0
    solo_uno = demo_client.get(
        "/api/v1/estadisticas",
        params={"sector": sectores[0], "unidad_operativa": "CHACO", "nivel": "nacional"},
    ).json()["data"]
    assert sum(u["valores"]["alianzas"] for u in solo_uno) < esperado


def test_a_name_the_route_does_not_read_is_refused_and_the_filters_are_listed(demo_client):
    r = demo_client.get("/api/v1/subproyectos", params={"sector": "leche"})
    assert r.status_code == 400 and r.json()["campo"] == "sector"
    assert set(r.json()["aceptados"]) >= DE_SUBPROYECTOS and "sector" not in r.json()["aceptados"]
    r = demo_client.get("/api/v1/estadisticas", params={"departmento": "02"})
    assert r.status_code == 400 and r.json()["campo"] == "departmento"
    assert set(r.json()["aceptados"]) >= TODOS


def test_an_integer_filter_past_the_columns_range_is_refused_naming_it(demo_client):
    r = demo_client.get("/api/v1/estadisticas", params={"modelo": str(2**40)})
    assert 400 <= r.status_code < 500 and r.status_code != 404, r.text
    assert "modelo" in r.text
