"""Programs managed by national coordination (issue 14): a third program from the API or the
command line, never SQL: its code, name, cartography, exchange rate and results framework, with
the program's version as If-Match, and the figures following its own exchange rate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from etl.cli import app
from tests.test_registro_alianzas import YACUIBA

MARCO = [
    {"codigo": "F1", "nombre": "Familias beneficiarias", "unidad": "familias",
     "linea_base": 0, "meta": 500, "frecuencia": "anual", "calculo": "r5"},
    {"codigo": "E1", "nombre": "Encuestas de satisfacción", "unidad": "%",
     "meta": 80, "frecuencia": "anual"},
]  # fmt: skip


def _crear(c, **campos):
    cuerpo = {"codigo": "PRUEBA3", "nombre": "Programa de prueba", "tipo_cambio": 6.86} | campos
    return c.post("/api/v1/programas", json=cuerpo)


def test_national_creates_a_program_and_only_national_may(como):
    nacional, unidad, publico = como("nacional"), como("unidad", "CHACO"), como(None)
    assert _crear(unidad).status_code == 403
    assert _crear(publico).status_code == 401
    r = _crear(nacional)
    assert r.status_code == 201, r.text
    assert r.headers["etag"] == '"1"'
    assert (r.json()["cartografia"], r.json()["tipo_cambio"]) == ("2012", 6.86)
    codigos = [p["codigo"] for p in publico.get("/api/v1/programas").json()["data"]]
    assert codigos == ["PAR2", "BO481", "PRUEBA3"]
    # one code per program, whatever its capitals
    assert _crear(nacional, codigo="prueba3").status_code == 409


@pytest.mark.parametrize(
    ("campos", "campo"),
    [({"cartografia": "1999"}, "cartografia"), ({"tipo_cambio": 0}, "tipo_cambio"),
     ({"codigo": "con espacio"}, "codigo"), ({"color": "rojo"}, "color")],
)  # fmt: skip
def test_a_bad_field_is_refused_naming_it(como, campos, campo):
    r = _crear(como("nacional"), **campos)
    assert r.status_code == 422
    assert campo in {e["campo"] for e in r.json()["errores"]}


def test_changes_need_the_version_read(como):
    nacional = como("nacional")
    _crear(nacional)
    sin = nacional.patch("/api/v1/programas/PRUEBA3", json={"nombre": "Otro nombre"})
    assert sin.status_code == 428
    r = nacional.patch(
        "/api/v1/programas/PRUEBA3", json={"nombre": "Otro nombre"}, headers={"If-Match": '"1"'}
    )
    assert r.status_code == 200 and r.json()["nombre"] == "Otro nombre"
    assert r.headers["etag"] == '"2"'
    viejo = nacional.patch(
        "/api/v1/programas/PRUEBA3", json={"tipo_cambio": 7}, headers={"If-Match": '"1"'}
    )
    assert viejo.status_code == 412
    assert nacional.get("/api/v1/programas/PRUEBA3").json()["tipo_cambio"] == 6.86


def test_the_results_framework_is_set_and_followed_by_the_indicators(como):
    nacional = como("nacional")
    _crear(nacional)
    r = nacional.put("/api/v1/programas/PRUEBA3/indicadores", json=MARCO,
                     headers={"If-Match": '"1"'})  # fmt: skip
    assert r.status_code == 200, r.text
    assert [i["codigo"] for i in r.json()["indicadores"]] == ["F1", "E1"]
    # an alliance of the program, with its agreement signed, is counted by the computed one
    a = nacional.post("/api/v1/alianzas", params={"programa": "PRUEBA3"},
                      json={"codigo": "P3-1", "nombre": "Miel", "sector": "apicultura",
                            "modelo": 1, "financiamiento": "inicial", "familias": 40,
                            "familias_mujeres": 10, "etapa": "convenio_firmado",
                            "monto_par_comprometido_bs": 68600,
                            "lon": YACUIBA[0], "lat": YACUIBA[1]})  # fmt: skip
    assert a.status_code == 201, a.text
    marco = {i["codigo"]: i for i in nacional.get(
        "/api/v1/indicadores", params={"programa": "PRUEBA3"}).json()["data"]}  # fmt: skip
    assert (marco["F1"]["valor"], marco["F1"]["meta"]) == (40, 500)
    assert marco["E1"]["valor"] is None  # entered, not computed: nothing entered yet
    # the figures in dollars use the program's own rate (68,600 Bs / 6.86 = 10,000 USD)
    e = nacional.get("/api/v1/estadisticas", params={"programa": "PRUEBA3", "nivel": "nacional"})
    assert e.json()["tipo_cambio"] == 6.86
    assert e.json()["data"][0]["valores"]["monto_par_comprometido_usd"] == 10000


def test_an_indicator_with_entered_values_cannot_be_dropped(como):
    nacional = como("nacional")
    _crear(nacional)
    nacional.put("/api/v1/programas/PRUEBA3/indicadores", json=MARCO, headers={"If-Match": '"1"'})
    v = nacional.post("/api/v1/indicadores/E1/valores", params={"programa": "PRUEBA3"},
                      json={"periodo": "2025", "valor": 75, "fuente": "Encuesta 2025"})  # fmt: skip
    assert v.status_code == 204, v.text
    r = nacional.put("/api/v1/programas/PRUEBA3/indicadores", json=MARCO[:1],
                     headers={"If-Match": '"2"'})  # fmt: skip
    assert r.status_code == 409 and "E1" in r.json()["detail"]
    mal = nacional.put("/api/v1/programas/PRUEBA3/indicadores",
                       json=[MARCO[0] | {"calculo": "inventado"}, MARCO[1]],
                       headers={"If-Match": '"2"'})  # fmt: skip
    assert mal.status_code == 422 and "inventado" in mal.text


@pytest.fixture
def base_de_prueba(engine: Engine) -> Iterator[str]:
    yield engine.url.render_as_string(hide_password=False)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM indicador WHERE programa_id IN "
                          "(SELECT id FROM programa WHERE codigo = 'CLI3')"))  # fmt: skip
        conn.execute(text("DELETE FROM programa WHERE codigo = 'CLI3'"))


def test_the_command_line_creates_a_program_and_loads_its_framework(base_de_prueba, tmp_path):
    runner = CliRunner()
    env = {"SIGG_DATABASE_URL": base_de_prueba}
    r = runner.invoke(app, ["programas", "crear", "CLI3", "--nombre", "Programa por consola",
                            "--tipo-cambio", "6.96"], env=env)  # fmt: skip
    assert r.exit_code == 0, r.output
    archivo = tmp_path / "marco.csv"
    archivo.write_text(
        "codigo;nombre;unidad;linea_base;meta;frecuencia;como_se_calcula;calculo\n"
        "F1;Familias beneficiarias;familias;0;1200;anual;;r5\n"
        "H1;Hectáreas con riego;ha;;300;anual;;2.7\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["programas", "marco", "CLI3", str(archivo)], env=env)
    assert r.exit_code == 0, r.output
    assert "Hectáreas con riego" in r.output and "1200" in r.output
    malo = tmp_path / "malo.csv"
    malo.write_text("codigo;nombre;unidad;calculo\nX;Algo;u;no_existe\n", encoding="utf-8")
    r = runner.invoke(app, ["programas", "marco", "CLI3", str(malo)], env=env)
    assert r.exit_code == 1 and "no_existe" in r.output
