"""One search box (issue 14): places by name or INE code, accents, case and spaces aside, the
closest match first; alliances by code, name or organization, within the reader's scope, never
with the buyer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo.plataforma.config import Settings
from tests.conftest import cliente_en
from tests.test_registro_alianzas import alianza

URL = "/api/v1/buscar"


@pytest.fixture
def demo_publico(
    demo_engine: Engine, demo_conn: Connection, settings: Settings
) -> Iterator[TestClient]:
    yield from cliente_en(demo_engine, demo_conn, settings, rol=None)


def municipio(conn: Connection, patron: str) -> str:
    return str(
        conn.execute(
            text("SELECT codigo FROM municipio WHERE cartografia = '2012' AND nombre LIKE :p"),
            {"p": patron},
        ).scalar_one()
    )


def buscar(c: TestClient, q: str, **params: object) -> dict:
    r = c.get(URL, params={"q": q, **params})
    assert r.status_code == 200, r.text
    return dict(r.json())


def campos(r) -> set[str]:  # type: ignore[no-untyped-def]
    cuerpo = r.json()
    return {cuerpo.get("campo"), *(e["campo"] for e in cuerpo.get("errores") or [])}


@pytest.mark.parametrize(
    "q,patron",
    [
        ("charagua", "Charagua%"),
        ("CHARAGUÁ", "Charagua%"),
        ("villamontes", "Villa Montes"),
        ("yacuiba", "Yacuiba"),
        ("yacu", "Yacuiba"),
        ("060301", "Yacuiba"),
    ],
)
def test_a_municipality_is_found_first_by_name_part_accents_case_spaces_or_code(
    demo_publico, demo_conn, q, patron
):
    cuerpo = buscar(demo_publico, q)
    primero = cuerpo["lugares"][0]
    assert (primero["nivel"], primero["codigo"]) == ("municipio", municipio(demo_conn, patron))
    assert cuerpo["q"] == q


def test_a_municipality_reads_with_its_province_department_and_unit(demo_publico):
    [yacuiba] = [x for x in buscar(demo_publico, "yacuiba")["lugares"] if x["codigo"] == "060301"]
    assert yacuiba == {
        "nivel": "municipio",
        "codigo": "060301",
        "nombre": "Yacuiba",
        "contexto": "Gran Chaco · Tarija · Unidad Chaco",
    }


def test_cercado_finds_the_provinces_of_that_name_exact_match_first(demo_publico, demo_conn):
    cercados = demo_conn.execute(
        text("SELECT codigo FROM provincia WHERE cartografia = '2012' AND nombre = 'Cercado'")
    ).scalars()
    lugares = buscar(demo_publico, "cercado")["lugares"]
    assert {x["codigo"] for x in lugares if x["nivel"] == "provincia"} == set(cercados)
    assert (lugares[0]["nivel"], lugares[0]["nombre"]) == ("provincia", "Cercado")


def test_departments_units_and_provinces_are_found_with_their_context(demo_publico, demo_conn):
    tarija = buscar(demo_publico, "TARIJA")["lugares"]
    # Exact matches first, the municipality, then the department, then the unit of that name.
    assert tarija[0]["codigo"] == municipio(demo_conn, "Tarija")
    assert tarija[1:3] == [
        {"nivel": "departamento", "codigo": "06", "nombre": "Tarija", "contexto": "Bolivia"},
        {
            "nivel": "unidad_operativa",
            "codigo": "TJA",
            "nombre": "Tarija",
            "contexto": "Unidad operativa",
        },
    ]
    assert buscar(demo_publico, "chaco")["lugares"][0]["codigo"] == "CHACO"
    gran_chaco = buscar(demo_publico, "gran chaco")["lugares"][0]
    assert (gran_chaco["nivel"], gran_chaco["codigo"], gran_chaco["contexto"]) == (
        "provincia",
        "0603",
        "Tarija",
    )


def test_an_alliance_is_found_by_a_part_of_its_code(demo_publico, demo_conn):
    id_, codigo = demo_conn.execute(
        text("SELECT id, codigo FROM alianza WHERE estado = 'validado' ORDER BY id LIMIT 1")
    ).one()
    alianzas = buscar(demo_publico, codigo[2:].lower(), limit=50)["alianzas"]
    [hallada] = [a for a in alianzas if a["id"] == id_]
    assert hallada["codigo"] == codigo
    assert set(hallada) == {
        "id", "codigo", "nombre", "municipio", "etapa", "etapa_nombre", "estado", "lon", "lat",
    }  # fmt: skip
    assert buscar(demo_publico, codigo)["alianzas"][0]["id"] == id_  # exact first


def test_a_draft_is_found_by_its_organization_by_staff_and_never_by_the_public(
    demo_client, demo_publico
):
    datos = alianza(codigo="BUSCA-0001", organizacion="Asociación Ñandutí de Apicultores")
    r = demo_client.post("/api/v1/alianzas", json=datos | {"comprador": "Zenón Quispe Mamani"})
    assert r.status_code == 201, r.text
    creada = r.json()
    assert creada["estado"] != "validado"
    [hallada] = buscar(demo_client, "ñandutí de APICULTORES")["alianzas"]
    assert (hallada["id"], hallada["municipio"], hallada["estado"]) == (
        creada["id"],
        "Yacuiba",
        creada["estado"],
    )
    assert buscar(demo_client, "busca-0001")["alianzas"][0]["id"] == creada["id"]
    assert buscar(demo_publico, "busca-0001")["alianzas"] == []
    assert buscar(demo_publico, "nanduti")["alianzas"] == []
    # The buyer is never searched (it may be a person), whoever asks.
    assert buscar(demo_client, "Zenón Quispe")["alianzas"] == []


def test_the_public_never_gets_the_buyer_in_any_field(demo_publico, demo_conn):
    comprador = demo_conn.execute(
        text("SELECT comprador FROM alianza WHERE estado = 'validado' AND comprador <> '' LIMIT 1")
    ).scalar()
    r = demo_publico.get(URL, params={"q": "ch", "limit": 50})
    assert r.status_code == 200
    assert len(r.json()["alianzas"]) == 50
    assert all("comprador" not in a for a in r.json()["alianzas"])
    if comprador:
        assert comprador not in r.text


@pytest.mark.parametrize("q", ["y", "  y  ", "--", "x" * 101])
def test_a_search_too_short_or_too_long_is_a_422_naming_q(demo_publico, q):
    r = demo_publico.get(URL, params={"q": q})
    assert r.status_code == 422, r.text
    assert "q" in campos(r)


def test_an_unknown_parameter_is_a_400_naming_it(demo_publico):
    r = demo_publico.get(URL, params={"q": "yacuiba", "nivel": "municipio"})
    assert r.status_code == 400
    assert r.json()["campo"] == "nivel"


def test_the_limit_bounds_each_list(demo_publico):
    cuerpo = buscar(demo_publico, "ch", limit=3)
    assert (len(cuerpo["lugares"]), len(cuerpo["alianzas"])) == (3, 3)
    assert len(buscar(demo_publico, "ch")["alianzas"]) == 10  # the default
    for malo in (0, 51):
        r = demo_publico.get(URL, params={"q": "ch", "limit": malo})
        assert r.status_code == 422
        assert "limit" in campos(r)
