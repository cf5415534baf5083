"""The numbers the national coordination reports, from the calibrated demo records: the
published tables row by row, totals that add up at every level, an independent recomputation
with GeoPandas, missing versus zero, normalisation and the exchange rate."""

from __future__ import annotations

import csv
import io
import random

import geopandas as gpd
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from geo.analisis.agregacion import MEDIDAS, Consulta, NivelAgregacion, estadisticas
from geo.registro.consultas import Filtros


def _publicada(settings, nombre: str) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(rows, total rows) of a published table."""
    with (settings.directorio_referencia() / nombre).open(encoding="utf-8") as fh:
        filas = list(csv.DictReader(fh))
    clave = next(iter(filas[0]))
    es_total = [f[clave].startswith(("Total", "Financiamiento")) for f in filas]
    return (
        [f for f, t in zip(filas, es_total, strict=True) if not t],
        [f for f, t in zip(filas, es_total, strict=True) if t],
    )


def _comparar(obtenida: list[dict], publicada: list[dict[str, str]]) -> None:
    clave = next(iter(publicada[0]))
    assert [str(f[clave]) for f in obtenida] == [f[clave] for f in publicada]
    for o, p in zip(obtenida, publicada, strict=True):
        assert {k: str(o[k]) for k in p} == p, p[clave]


@pytest.mark.parametrize(
    ("reporte", "archivo", "params"),
    [
        ("convenios-por-unidad", "par2_convenios_por_uo.csv", {}),
        ("planes-por-unidad", "par2_planes_por_uo.csv", {}),
        ("solicitudes-por-unidad", "par2_solicitudes_por_uo.csv", {"convocatoria": "3"}),
        ("solicitudes-por-sector", "par2_solicitudes_por_sector.csv", {"convocatoria": "3"}),
        ("subproyectos-por-etapa", "par2_subproyectos_municipales_por_estado.csv", {}),
    ],
)
def test_report_reproduces_the_published_table_row_by_row(
    demo_client, settings, reporte, archivo, params
):
    r = demo_client.get(f"/api/v1/reportes/{reporte}", params=params).json()
    filas, totales = _publicada(settings, archivo)
    n = len(filas)
    if reporte == "solicitudes-por-sector":  # published column name differs
        filas = [{"sector": f["sector"], "solicitudes": f["solicitudes_fa"]} for f in filas]
    _comparar(r["filas"][:n], filas)
    total = r["filas"][n]
    for k, v in total.items():
        if isinstance(v, int) and k != "avance_pct":
            assert v == sum(f[k] for f in r["filas"][:n]), k  # the total is the sum of the rows
            publicado = totales[0].get(k, totales[0].get("solicitudes_fa"))
            assert abs(v - int(publicado)) <= 1, k  # published totals carry ±1 Bs rounding


def test_usd_rows_use_the_configured_rate_and_match_the_published_within_rounding(
    demo_client, settings
):
    r = demo_client.get("/api/v1/reportes/convenios-por-unidad").json()
    total, usd = r["filas"][-2], r["filas"][-1]
    assert usd["unidad_operativa"] == "Total USD"
    assert usd["monto_par_comprometido_bs"] == round(total["monto_par_comprometido_bs"] / 6.86)
    _, publicados = _publicada(settings, "par2_convenios_por_uo.csv")
    for k in ("monto_par_comprometido_bs", "monto_par_descargado_bs"):
        assert abs(usd[k] - int(publicados[1][k])) <= 1


def test_convenios_has_chaco_as_its_own_row_and_chaco_counts_once(demo_client, demo_conn):
    filas = demo_client.get("/api/v1/reportes/convenios-por-unidad").json()["filas"]
    assert [f["unidad_operativa"] for f in filas[:10]][-1] == "Chaco"
    # Alliances in Yacuiba (Tarija) count for Chaco, not for the Tarija unit.
    en_yacuiba = demo_conn.execute(
        text(
            "SELECT count(*) FROM alianza "
            "WHERE municipio_codigo = '060301' AND etapa_alcanzada >= 6"
        )
    ).scalar_one()
    assert en_yacuiba > 0
    unidades = demo_client.get(
        "/api/v1/estadisticas",
        params={
            "nivel": "unidad_operativa",
            "municipio": "060301",
            "etapa_alcanzada": "convenio_firmado",
            "medidas": "alianzas",
        },
    ).json()["data"]
    assert [(u["codigo"], u["valores"]["alianzas"]) for u in unidades] == [("CHACO", en_yacuiba)]


def test_report_formats_csv_and_xlsx_hold_the_same_rows(demo_client):
    datos = demo_client.get("/api/v1/reportes/planes-por-unidad").json()
    crudo = demo_client.get("/api/v1/reportes/planes-por-unidad", params={"formato": "csv"})
    assert crudo.headers["content-type"].startswith("text/csv")
    filas_csv = list(csv.DictReader(io.StringIO(crudo.content.decode("utf-8-sig"))))
    assert [f["unidad_operativa"] for f in filas_csv] == [
        f["unidad_operativa"] for f in datos["filas"]
    ]
    assert int(filas_csv[3]["planes_viables"]) == datos["filas"][3]["planes_viables"]
    xlsx = demo_client.get("/api/v1/reportes/planes-por-unidad", params={"formato": "xlsx"})
    hoja = load_workbook(io.BytesIO(xlsx.content)).active
    valores = list(hoja.iter_rows(values_only=True))
    assert list(valores[1]) == datos["columnas"]
    assert list(valores[2]) == [datos["filas"][0][c] for c in datos["columnas"]]
    assert any("SINTÉTICOS" in str(v[0]) for v in valores)


def test_every_level_adds_up_to_the_nation(demo_conn):
    medidas = [
        "alianzas",
        "familias",
        "monto_par_comprometido_bs",
        "hectareas_riego",
        "subproyectos",
        "municipios",
    ]
    totales = {}
    for nivel in NivelAgregacion:
        filas = estadisticas(
            demo_conn, Consulta(nivel, "2012", Filtros(programa="PAR2"), 6.86), medidas
        )
        totales[nivel] = {m: sum(f["valores"][m] for f in filas) for m in medidas}
    nacion = totales[NivelAgregacion.nacional]
    assert nacion["municipios"] == 339 and nacion["subproyectos"] == 72
    assert all(t == nacion for t in totales.values()), totales


def test_aggregates_agree_with_a_geopandas_spatial_join_on_random_filters(demo_conn, settings):
    puntos = gpd.GeoDataFrame.from_postgis(
        "SELECT a.familias, a.sector, a.modelo, a.etapa_alcanzada, a.monto_transferido_bs, a.geom "
        "FROM alianza a JOIN programa p ON p.id = a.programa_id WHERE p.codigo = 'PAR2'",
        demo_conn,
        geom_col="geom",
    )
    municipios = gpd.read_file(settings.directorio_limites() / "bol_municipios_2012_339.geojson")
    unido = gpd.sjoin(puntos, municipios[["cod_ine", "cod_dep", "geometry"]], predicate="within")
    assert len(unido) == len(puntos)  # every point inside exactly one real municipality
    rnd = random.Random(5)
    for _ in range(4):
        sector = rnd.choice(["riego_tecnificado", "agua_para_ganaderia", "apicultura"])
        modelo = rnd.choice([1, 2, 3])
        esperado = unido[(unido.sector == sector) & (unido.modelo == modelo)]
        esperado = esperado.groupby("cod_dep")["familias"].sum()
        filas = estadisticas(
            demo_conn,
            Consulta(
                NivelAgregacion.departamento,
                "2012",
                Filtros(programa="PAR2", sector=[sector], modelo=[modelo]),
                6.86,
            ),
            ["familias"],
        )
        obtenido = {
            f["codigo"]: f["valores"]["familias"] for f in filas if f["valores"]["familias"]
        }
        assert obtenido == {k: int(v) for k, v in esperado.items() if v}, (sector, modelo)


def test_missing_is_not_zero(demo_conn, conn):
    sin_alianzas = demo_conn.execute(
        text(
            "SELECT m.codigo FROM municipio m WHERE NOT EXISTS (SELECT 1 FROM alianza a "
            "WHERE a.municipio_codigo = m.codigo) AND m.rural_2012 > 0 ORDER BY m.codigo LIMIT 1"
        )
    ).scalar_one()
    [unidad] = estadisticas(
        demo_conn,
        Consulta(
            NivelAgregacion.municipio,
            "2012",
            Filtros(programa="PAR2", municipio=sin_alianzas),
            6.86,
        ),
    )
    assert unidad["valores"]["alianzas"] == 0 and unidad["valores"]["familias"] == 0
    assert unidad["valores"]["pct_mujeres"] is None
    assert unidad["sin_dato"]["pct_mujeres"] == "sin familias registradas"
    assert unidad["valores"]["familias_por_mil_rurales"] == 0  # known population, no families
    # In the 2024 cartography the TIOC has no 2012 population: unknown, not zero.
    tioc = estadisticas(
        conn, Consulta(NivelAgregacion.municipio, "2024", Filtros(municipio="080901"), 6.86)
    )[0]
    assert tioc["valores"]["familias_por_mil_rurales"] is None
    assert tioc["sin_dato"]["familias_por_mil_rurales"] == "población rural 2012 desconocida"
    beni = estadisticas(
        conn,
        Consulta(NivelAgregacion.unidad_operativa, "2024", Filtros(unidad_operativa="BEN"), 6.86),
    )[0]
    assert beni["valores"]["poblacion_rural_2012"] is None  # never a partial sum


def test_normalised_measures_are_what_they_say(demo_conn):
    [chaco] = estadisticas(
        demo_conn,
        Consulta(
            NivelAgregacion.unidad_operativa,
            "2012",
            Filtros(programa="PAR2", unidad_operativa="CHACO"),
            6.86,
        ),
    )
    v = chaco["valores"]
    rural, familias, mujeres, transferido, con = demo_conn.execute(
        text(
            "SELECT (SELECT sum(rural_2012) FROM municipio WHERE unidad_operativa_codigo = 'CHACO' "
            "AND cartografia = '2012'), sum(familias), sum(familias_mujeres), "
            "sum(monto_transferido_bs), count(DISTINCT municipio_codigo) FROM alianza a "
            "JOIN municipio m ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo "
            "WHERE m.unidad_operativa_codigo = 'CHACO'"
        )
    ).one()
    assert rural == 182_458
    assert v["familias_por_mil_rurales"] == pytest.approx(1000 * familias / rural, abs=1e-3)
    assert v["pct_mujeres"] == pytest.approx(100 * mujeres / familias, abs=1e-3)
    assert v["transferido_por_familia_bs"] == pytest.approx(float(transferido) / familias, abs=1e-3)
    assert v["cobertura_pct"] == pytest.approx(100 * con / 16, abs=1e-3)
    assert v["monto_transferido_usd"] == pytest.approx(float(transferido) / 6.86, abs=0.01)


def test_exchange_rate_is_a_setting(demo_engine, demo_conn, settings):
    from fastapi.testclient import TestClient

    from api.deps import get_conn
    from api.main import create_app
    from tests.conftest import en_perezosa

    app = create_app(settings.model_copy(update={"tipo_cambio": 7.0}))
    app.state.engine = demo_engine
    app.dependency_overrides[get_conn] = en_perezosa(demo_conn)
    with TestClient(app) as client:
        r = client.get(
            "/api/v1/estadisticas",
            params={"nivel": "nacional", "medidas": "monto_transferido_bs,monto_transferido_usd"},
        ).json()
    v = r["data"][0]["valores"]
    assert r["tipo_cambio"] == 7.0
    assert v["monto_transferido_usd"] == pytest.approx(v["monto_transferido_bs"] / 7.0, abs=0.01)


def test_results_framework_against_targets_with_sin_dato(demo_client, settings):
    data = {i["codigo"]: i for i in demo_client.get("/api/v1/indicadores").json()["data"]}
    _, convenios = _publicada(settings, "par2_convenios_por_uo.csv")
    assert data["R5"]["valor"] == int(convenios[0]["familias"])
    assert data["R5"]["pct_meta"] == round(100 * data["R5"]["valor"] / 27825, 1)
    assert (data["1.2b"]["valor"], data["2.7"]["valor"], data["R6"]["valor"]) == (100, 15960, 13379)
    assert 33 <= data["R5.m"]["valor"] <= 39  # near the reported 35-37%
    assert data["3.2.1"]["estado"] == "sin dato" and data["3.2.1"]["pct_meta"] is None
    assert data["R3"]["origen"] == "registrado" and data["R3"]["valor"] == 64
    bo = {
        i["codigo"]: i
        for i in demo_client.get("/api/v1/indicadores", params={"programa": "BO481"}).json()["data"]
    }
    assert bo["R.2.1"]["valor"] is None
    assert bo["R.2.1"]["motivo"] == "No se cuenta con información de ingresos"
    assert bo["R.1.1a"]["valor"] == 0 and bo["R.1.1a"]["estado"] == "con dato"  # zero is data


def test_indicator_per_unit_covers_every_unit_and_adds_up(demo_client):
    data = demo_client.get("/api/v1/indicadores/R5/por-unidad").json()["data"]
    assert len(data) == 10 and data[-1]["unidad_operativa"]["codigo"] == "CHACO"
    assert sum(d["valor"] for d in data) == 28288
    manual = demo_client.get("/api/v1/indicadores/R3/por-unidad")
    assert manual.status_code == 422 and "no se calcula" in manual.json()["detail"]


def test_demo_points_lie_in_their_municipality_not_in_lakes_and_are_labelled(
    demo_client, demo_conn
):
    fuera = demo_conn.execute(
        text(
            "SELECT count(*) FROM alianza a JOIN municipio m ON m.cartografia = a.cartografia "
            "AND m.codigo = a.municipio_codigo WHERE NOT ST_Covers(m.geom, a.geom) "
            "OR EXISTS (SELECT 1 FROM cuerpo_agua c WHERE ST_Covers(c.geom, a.geom))"
        )
    ).scalar_one()
    assert fuera == 0
    exactos = demo_conn.execute(
        text(
            "SELECT count(*) FILTER (WHERE precision_ubicacion = 1), count(*) FROM alianza a "
            "JOIN programa p ON p.id = a.programa_id WHERE p.codigo = 'PAR2'"
        )
    ).one()
    assert exactos[0] == exactos[1]  # points, not centroids
    assert demo_client.get("/api/v1/estadisticas").json()["datos_sinteticos"] is True


def test_demo_generation_is_deterministic_for_a_seed(settings):
    from etl.demo import asignar_atributos, objetivos, planes_de_unidad

    unidades = {
        "Beni": "BEN",
        "Chuquisaca": "CHQ",
        "Cochabamba": "CBB",
        "La Paz": "LPZ",
        "Oruro": "ORU",
        "Pando": "PND",
        "Potosí": "PTS",
        "Santa Cruz": "SCZ",
        "Tarija": "TJA",
        "Chaco": "CHACO",
    }

    def generar(semilla: int) -> list[tuple]:
        rnd = random.Random(semilla)
        obj = objetivos(settings.directorio_referencia(), unidades)
        planes = [p for o in obj for p in planes_de_unidad(o, rnd)]
        asignar_atributos(planes, obj, rnd)
        return [
            (p.codigo, tuple(p.camino), p.sector, p.modelo, p.datos.get("familias")) for p in planes
        ]

    assert generar(7) == generar(7)
    assert generar(7) != generar(8)


@pytest.mark.parametrize(
    ("url", "status", "texto"),
    [
        ("/api/v1/reportes/inventado", 404, "reporte desconocido"),
        ("/api/v1/estadisticas?medidas=familias,felicidad", 422, "felicidad"),
        ("/api/v1/estadisticas?nivel=barrio", 422, "nivel"),
        ("/api/v1/estadisticas?programa=NOEXISTE", 404, "NOEXISTE"),
        ("/api/v1/estadisticas?etapa_alcanzada=abandonada", 422, "etapa_alcanzada"),
        ("/api/v1/indicadores/ZZ/por-unidad", 404, "ZZ"),
    ],
)
def test_bad_statistics_requests_get_clear_errors(demo_client, url, status, texto):
    r = demo_client.get(url)
    assert r.status_code == status
    assert texto in r.text


def test_manual_indicator_value_is_entered_with_its_source_and_can_be_sin_dato(demo_client):
    client = demo_client
    r = client.post(
        "/api/v1/indicadores/R3/valores",
        json={"periodo": "2023", "valor": 71, "fuente": "Encuesta 2023"},
    )
    assert r.status_code == 204
    r3 = next(i for i in client.get("/api/v1/indicadores").json()["data"] if i["codigo"] == "R3")
    assert (r3["valor"], r3["periodo"], r3["fuente"]) == (71, "2023", "Encuesta 2023")
    client.post(
        "/api/v1/indicadores/R3/valores",
        json={
            "periodo": "2024",
            "valor": None,
            "fuente": "Informe 2024",
            "nota": "No se levantó la encuesta",
        },
    )
    r3 = next(i for i in client.get("/api/v1/indicadores").json()["data"] if i["codigo"] == "R3")
    assert (r3["valor"], r3["estado"], r3["motivo"]) == (
        None,
        "sin dato",
        "No se levantó la encuesta",
    )
    calculado = client.post(
        "/api/v1/indicadores/R5/valores", json={"periodo": "2023", "valor": 1, "fuente": "xyz"}
    )
    assert calculado.status_code == 422 and "se calcula" in calculado.json()["detail"]


@pytest.mark.parametrize(
    "filtros",
    [
        Filtros(programa="PAR2"),
        Filtros(programa="PAR2", solo_validados=True, departamento="02"),
        Filtros(programa="PAR2", etapa_alcanzada="convenio_firmado"),
        Filtros(programa="PAR2", sector=["apicultura"]),  # the full query, not the summary
    ],
    ids=["programa", "validadas-la-paz", "alcanzaron-convenio", "sector"],
)
def test_a_measure_asked_alone_equals_the_same_measure_among_all(demo_conn, filtros):
    """The statement sums only what the asked measures are computed from: each measure, asked
    alone or in a pair, must come out as it does when every measure is asked."""
    rnd = random.Random(17)
    for nivel in NivelAgregacion:
        c = Consulta(nivel, "2012", filtros, 6.86)
        todas = {u["codigo"]: u for u in estadisticas(demo_conn, c)}
        assert any(u["valores"]["alianzas"] for u in todas.values())  # not a vacuous check
        for medida in MEDIDAS:
            pedidas = [medida, rnd.choice(MEDIDAS)]
            for u in estadisticas(demo_conn, c, pedidas):
                completa = todas[u["codigo"]]
                assert u["valores"] == {m: completa["valores"][m] for m in pedidas}, (
                    nivel,
                    pedidas,
                )
                esperado = {m: r for m, r in completa["sin_dato"].items() if m in pedidas}
                assert u["sin_dato"] == esperado, (nivel, pedidas)
