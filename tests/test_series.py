"""Periods (issue 16): a measure by year, semester, quarter or month is the program at the end of
each period, so every point equals the statistics at that cut-off date, and the per-period
values are the changes between them."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from geo.analisis.series import etiqueta, finales

HOY = date.today()


def test_period_ends_run_from_the_first_period_to_today_the_last_one_cut_short():
    assert finales(date(2021, 2, 10), date(2022, 8, 3), "semestre") == [
        date(2021, 6, 30),
        date(2021, 12, 31),
        date(2022, 6, 30),
        date(2022, 8, 3),
    ]
    assert finales(date(2021, 1, 1), date(2021, 12, 31), "anio") == [date(2021, 12, 31)]
    assert finales(date(2020, 11, 5), date(2021, 3, 1), "trimestre") == [
        date(2020, 12, 31),
        date(2021, 3, 1),
    ]
    meses = finales(date(2020, 1, 31), date(2020, 12, 31), "mes")
    assert len(meses) == 12 and meses[1] == date(2020, 2, 29)
    assert [etiqueta(f, p) for f, p in [(date(2022, 12, 31), "anio"), (date(2022, 8, 3),
            "semestre"), (date(2022, 8, 3), "trimestre"), (date(2022, 8, 3), "mes")]] == [
        "2022", "2022-S2", "2022-T3", "2022-08"]  # fmt: skip


def _estadistica(client, nivel: str, medida: str, corte: date, **filtros: Any) -> dict[str, Any]:
    r = client.get(
        "/api/v1/estadisticas",
        params={"nivel": nivel, "medidas": medida, "corte": corte.isoformat(), **filtros},
    )
    assert r.status_code == 200, r.text
    return {u["codigo"]: u["valores"][medida] for u in r.json()["data"]}


@pytest.mark.parametrize(
    ("nivel", "medida", "periodo", "filtros"),
    [
        ("nacional", "alianzas", "anio", {}),
        ("unidad_operativa", "monto_transferido_bs", "semestre", {}),
        (
            "departamento",
            "familias",
            "trimestre",
            {"etapa_alcanzada": "convenio_firmado", "corte": "2021-05-20"},
        ),
        ("municipio", "alianzas_por_etapa", "anio", {"unidad_operativa": "CHACO"}),
        ("provincia", "pct_mujeres", "mes", {"departamento": "06", "corte": "2019-02-14"}),
    ],
)
def test_each_point_of_a_series_is_the_statistics_at_the_end_of_its_period(
    demo_client, nivel, medida, periodo, filtros
):
    filtros = dict(filtros)
    r = demo_client.get(
        "/api/v1/series",
        params={"nivel": nivel, "medida": medida, "periodo": periodo, **filtros},
    )
    assert r.status_code == 200, r.text
    s = r.json()
    fines = [date.fromisoformat(p["fin"]) for p in s["periodos"]]
    hasta = date.fromisoformat(filtros.pop("corte", HOY.isoformat()))
    assert fines[-1] == hasta and fines == sorted(fines) and len(fines) > 1
    assert s["periodos"][-1]["periodo"] == etiqueta(hasta, periodo)
    rnd = random.Random(len(fines))
    for i in {0, len(fines) - 1, *rnd.sample(range(len(fines)), min(3, len(fines)))}:
        esperado = _estadistica(demo_client, nivel, medida, fines[i], **filtros)
        assert {u["codigo"]: u["valores"][i] for u in s["data"]} == esperado, fines[i]


def test_per_period_values_are_the_changes_and_add_up_to_the_cumulative(demo_client):
    params = {"nivel": "unidad_operativa", "medida": "monto_descargado_bs", "periodo": "anio"}
    acumulada = demo_client.get("/api/v1/series", params=params).json()
    por_periodo = demo_client.get("/api/v1/series", params=params | {"acumulado": "false"}).json()
    assert acumulada["periodos"] == por_periodo["periodos"]
    movido = 0
    for a, p in zip(acumulada["data"], por_periodo["data"], strict=True):
        assert a["codigo"] == p["codigo"]
        assert sum(p["valores"]) == pytest.approx(a["valores"][-1], abs=0.01)
        for i in range(1, len(a["valores"])):
            assert p["valores"][i] == pytest.approx(a["valores"][i] - a["valores"][i - 1], abs=0.01)
        movido += sum(1 for v in p["valores"][1:] if v)
    assert movido > 0  # money did move in some period, so the check above had teeth


def test_a_series_at_a_cutoff_ends_there(demo_client):
    s = demo_client.get(
        "/api/v1/series",
        params={"medida": "alianzas", "periodo": "semestre", "corte": "2021-03-15"},
    ).json()
    assert s["periodos"][-1] == {"periodo": "2021-S1", "fin": "2021-03-15"}
    assert (
        s["data"][0]["valores"][-1]
        == _estadistica(demo_client, "nacional", "alianzas", date(2021, 3, 15))["BO"]
    )


@pytest.mark.parametrize(
    ("params", "campo"),
    [
        ({"medida": "pct_mujeres", "acumulado": "false"}, "acumulado"),
        ({"medida": "bogus"}, "medida"),
        ({"medida": "alianzas", "periodo": "semana"}, "periodo"),
        ({"medida": "alianzas", "nivel": "barrio"}, "nivel"),
    ],
)
def test_a_series_that_cannot_be_made_is_refused_naming_why(demo_client, params, campo):
    r = demo_client.get("/api/v1/series", params=params)
    assert r.status_code == 422, r.text
    cuerpo = r.json()
    assert campo in {cuerpo.get("campo"), *(e.get("campo") for e in cuerpo.get("errores", []))}


def test_results_framework_by_semester_is_the_framework_at_each_semesters_end(demo_client):
    r = demo_client.get("/api/v1/indicadores/por-periodo", params={"periodo": "semestre"})
    assert r.status_code == 200, r.text
    periodos = {p["periodo"]: p for p in r.json()["data"]}
    s2 = periodos["2022-S2"]
    assert s2["fin"] == "2022-12-31"
    marco = demo_client.get("/api/v1/indicadores", params={"corte": "2022-12-31"}).json()
    assert s2["valores"] == {i["codigo"]: i["valor"] for i in marco["data"]}
    # Cumulative counts never fall from one semester to the next.
    orden = sorted(periodos)
    r5 = [periodos[p]["valores"]["R5"] or 0 for p in orden]
    assert r5 == sorted(r5) and r5[0] < r5[-1]
    assert (
        demo_client.get("/api/v1/indicadores/por-periodo", params={"periodo": "mes"}).status_code
        == 422
    )
