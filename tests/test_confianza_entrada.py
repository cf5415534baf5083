"""One input boundary (issue 13, hole 4): a NUL character, an integer past its column, a date
that is not one, an exhausted connection pool or an unexpected failure never answer a plain 500;
each is a problem+json, and the input ones name the field."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from api.main import create_app
from geo.plataforma.db import make_engine
from tests.conftest import cabeceras
from tests.test_registro_alianzas import alianza

PROBLEMA = "application/problem+json"


def _problema(r, estado: int, campo: str | None) -> dict:
    assert r.status_code == estado, r.text
    assert r.headers["content-type"] == PROBLEMA
    cuerpo = r.json()
    if campo is not None:
        errores = cuerpo.get("errores", [])
        assert cuerpo.get("campo") == campo or any(e["campo"] == campo for e in errores)
    return cuerpo


@pytest.mark.parametrize(
    ("ruta", "params", "campo"),
    [
        ("/api/v1/alianzas", {"q": "miel\x00"}, "q"),
        ("/api/v1/alianzas", {"convocatoria": "\x00"}, "convocatoria"),
        ("/api/v1/estadisticas", {"financiamiento": "a\x00"}, "financiamiento"),
        ("/ogc/collections/alianzas/items", {"nombre": "x\x00"}, "nombre"),
        ("/api/v1/exportar/alianzas", {"formato": "csv", "nombre": "\x00"}, "nombre"),
        ("/api/v1/alianzas", {"offset": "99999999999999999999"}, "offset"),
        ("/api/v1/alianzas", {"modelo": "99999999999999999999"}, "modelo"),
        ("/api/v1/reclamos", {"offset": "2147483648"}, "offset"),
    ],
)
def test_query_values_that_cannot_be_stored_are_a_400_naming_the_parameter(
    client, ruta, params, campo
):
    _problema(client.get(ruta, params=params), 400, campo)


def test_an_id_past_the_integer_column_is_a_400_naming_it(client):
    cuerpo = _problema(client.get("/api/v1/alianzas/99999999999999999999"), 400, "alianza_id")
    assert "fuera de rango" in cuerpo["detail"]
    _problema(client.get("/api/v1/subproyectos/2147483648"), 400, "sp_id")
    assert client.get("/api/v1/alianzas/2147483647").status_code == 404  # in range: not found


@pytest.mark.parametrize(
    ("filtro", "valor"),
    [("fecha_etapa", "'"), ("fecha_solicitud", "2020-13-45"), ("familias", "99999999999")],
)
def test_ogc_attribute_filters_are_typed_before_they_reach_the_database(client, filtro, valor):
    cuerpo = _problema(
        client.get("/ogc/collections/alianzas/items", params={filtro: valor}), 400, filtro
    )
    assert filtro in cuerpo["detail"]


def test_a_nul_or_an_integer_past_its_column_in_a_body_is_a_422_naming_the_field(client):
    _problema(client.post("/api/v1/alianzas", json=alianza(nombre="Miel\x00")), 422, "nombre")
    _problema(client.post("/api/v1/alianzas", json=alianza(familias=2147483648)), 422, "familias")
    creada = client.post("/api/v1/alianzas", json=alianza(codigo="NUL-1"))
    assert creada.status_code == 201, creada.text
    cambio = client.patch(
        f"/api/v1/alianzas/{creada.json()['id']}",
        json={"comprador": "x\x00y"},
        headers={"If-Match": creada.headers["ETag"]},
    )
    _problema(cambio, 422, "comprador")


@pytest.fixture
def app_con_pool_de_uno(engine: Engine, settings) -> Iterator[tuple[TestClient, Engine]]:
    chico = make_engine(engine.url, pool_size=1, max_overflow=0, pool_timeout=0.2)
    app = create_app(settings)
    app.state.engine = app.state.engine_lectura = chico
    try:
        with TestClient(app, headers=cabeceras(settings, "nacional")) as c:
            yield c, chico
    finally:
        chico.dispose()


def test_an_exhausted_pool_is_a_503_with_retry_after(app_con_pool_de_uno):
    c, chico = app_con_pool_de_uno
    with chico.connect():  # the only connection, held
        r = c.get("/api/v1/alianzas", params={"limit": 1})
    cuerpo = _problema(r, 503, None)
    assert int(r.headers["Retry-After"]) > 0 and "conexiones" in cuerpo["detail"]
    assert c.get("/api/v1/alianzas", params={"limit": 1}).status_code == 200  # released


def test_an_unexpected_failure_is_a_problem_with_an_id_found_in_the_log(settings, caplog):
    app = create_app(settings)

    def falla() -> None:
        raise RuntimeError("algo que nadie previó")

    app.add_api_route("/api/v1/_falla", falla)
    with (
        caplog.at_level(logging.ERROR, logger="sigg.api"),
        TestClient(app, raise_server_exceptions=False) as c,
    ):
        r = c.get("/api/v1/_falla")
    cuerpo = _problema(r, 500, None)
    ident = cuerpo["id_solicitud"]
    assert r.headers["X-Request-ID"] == ident and ident in cuerpo["detail"]
    assert "algo que nadie previó" not in r.text  # the trace stays in the log
    registro = [x for x in caplog.records if ident in x.getMessage()]
    assert registro and registro[0].exc_info[1].args == ("algo que nadie previó",)
