"""Documents for people (issue 16): the official tables as XLSX with Bolivian number formats, as
CSV for Spanish-language Excel and as PDF, and the one-page report (PDF) of a territory, each
holding exactly the figures of the JSON answers, for the same filters and reader."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import datetime

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Connection, Engine, text

from geo.formatos.documentos import csv_excel
from geo.formatos.numeros import numero_es
from geo.plataforma.config import Settings
from geo.publicacion.informes import BOLIVIA, ETIQUETAS
from tests.conftest import aplicacion_en, cabeceras

CONVENIO = {"etapa_alcanzada": "convenio_firmado"}


@pytest.fixture
def demo_como(
    demo_engine: Engine, demo_conn: Connection, settings: Settings
) -> Callable[[str | None, str | None], TestClient]:
    """``demo_como("unidad", "TJA")``: a client on the demo acting as that user (None: the
    public), in the test's transaction."""
    app = aplicacion_en(demo_engine, demo_conn, settings)

    def cliente(rol: str | None, unidad: str | None = None) -> TestClient:
        return TestClient(app, headers=cabeceras(settings, rol, unidad))

    return cliente


@pytest.fixture
def borradores_en_chaco(demo_conn: Connection) -> Iterator[int]:
    """Ten of Chaco's alliances with a signed agreement sent back to draft (registrado), inside
    the test's transaction: their families count for national coordination and the Chaco unit,
    not for the public nor for another unit."""
    familias = demo_conn.execute(
        text(
            "WITH x AS (SELECT a.id, a.familias FROM alianza a JOIN municipio m "
            "ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo "
            "WHERE m.unidad_operativa_codigo = 'CHACO' AND a.etapa_alcanzada >= 6 "
            "ORDER BY a.id LIMIT 10) "
            "UPDATE alianza SET estado = 'registrado' FROM x WHERE alianza.id = x.id "
            "RETURNING x.familias"
        )
    ).scalars()
    total = sum(familias)
    assert total > 0
    yield total


def _texto(pdf: bytes) -> tuple[int, str]:
    lector = PdfReader(io.BytesIO(pdf))
    return len(lector.pages), "\n".join(p.extract_text() for p in lector.pages)


def _familias_json(c: TestClient, **filtros: str) -> int:
    r = c.get(
        "/api/v1/estadisticas",
        params={"nivel": "unidad_operativa", "medidas": "familias", **CONVENIO, **filtros},
    )
    assert r.status_code == 200, r.text
    [unidad] = r.json()["data"]
    return int(unidad["valores"]["familias"])


def _ficha(c: TestClient, **params: str) -> str:
    r = c.get("/api/v1/informes/ficha", params={**CONVENIO, **params})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF")
    paginas, texto = _texto(r.content)
    assert paginas == 1
    return texto


# -- The official tables -------------------------------------------------------------------


def test_xlsx_table_has_numeric_cells_with_bolivian_formats_equal_to_the_json(demo_client):
    datos = demo_client.get("/api/v1/reportes/convenios-por-unidad").json()
    r = demo_client.get("/api/v1/informes/tablas/convenios-por-unidad", params={"formato": "xlsx"})
    assert r.status_code == 200, r.text
    assert 'filename="convenios-por-unidad.xlsx"' in r.headers["content-disposition"]
    hoja = load_workbook(io.BytesIO(r.content)).active
    filas = list(hoja.iter_rows(min_row=2))
    assert [c.value for c in filas[0]] == [ETIQUETAS[c] for c in datos["columnas"]]
    for celdas, fila in zip(filas[1:], datos["filas"], strict=False):
        assert [c.value for c in celdas] == [fila[k] for k in datos["columnas"]]
        for celda in celdas[1:]:
            assert isinstance(celda.value, int)  # a number, not text that looks like one
            # Stored as Excel stores formats; a Spanish-language Excel shows it as #.##0
            assert celda.number_format == "#,##0"
    notas = [f[0].value for f in filas[len(datos["filas"]) + 1 :]]
    assert any("6,86 Bs por dólar" in n for n in notas)  # the note's decimals are Spanish
    assert "Datos sintéticos de demostración" in notas


def test_xlsx_results_framework_keeps_decimals_as_numbers(demo_client):
    datos = demo_client.get("/api/v1/reportes/marco-de-resultados").json()
    r = demo_client.get("/api/v1/informes/marco-de-resultados", params={"formato": "xlsx"})
    hoja = load_workbook(io.BytesIO(r.content)).active
    col = datos["columnas"].index("valor")
    decimales = [
        (fila[col], json)
        for fila, json in zip(hoja.iter_rows(min_row=3), datos["filas"], strict=False)
        if isinstance(json["valor"], float)
    ]
    assert decimales  # e.g. R1, 45,29 %
    for celda, json in decimales:
        assert celda.value == json["valor"]
        assert celda.number_format == "#,##0.0#"  # shown as 45,29 in Spanish Excel


def test_csv_for_spanish_excel_reads_back_to_the_json_values(demo_client):
    datos = demo_client.get("/api/v1/reportes/marco-de-resultados").json()
    r = demo_client.get(
        "/api/v1/informes/tablas/marco-de-resultados", params={"formato": "csv-excel"}
    )
    assert r.status_code == 200, r.text
    assert r.content.startswith("\ufeff".encode())  # Excel then reads the accents as UTF-8
    primera = r.content.decode("utf-8-sig").splitlines()[0]
    assert primera.startswith("Código;Indicador;Unidad;")
    tabla = pd.read_csv(
        io.BytesIO(r.content), sep=";", decimal=",", encoding="utf-8-sig", dtype={"Código": str}
    )
    assert list(tabla.columns) == [ETIQUETAS[c] for c in datos["columnas"]]
    # Codes stay text: "2.1" is not the number 2,1 nor a date, "3.2.1" stays as it is.
    assert list(tabla["Código"]) == [f["codigo"] for f in datos["filas"]]
    for (_, fila), json in zip(tabla.iterrows(), datos["filas"], strict=True):
        for clave in ("meta", "valor", "pct_meta"):
            leido = fila[ETIQUETAS[clave]]
            assert (pd.isna(leido) and json[clave] is None) or leido == json[clave], clave


def test_csv_for_excel_writes_codes_as_text_and_decimals_with_a_comma():
    contenido = csv_excel(["Código INE", "Valor"], [["010101", 7.3988], ["060301", 1234]])
    assert contenido.decode("utf-8-sig") == "Código INE;Valor\r\n010101;7,3988\r\n060301;1234\r\n"
    tabla = pd.read_csv(io.BytesIO(contenido), sep=";", decimal=",", dtype={"Código INE": str})
    assert list(tabla["Código INE"]) == ["010101", "060301"]
    assert list(tabla["Valor"]) == [7.3988, 1234]


def test_machine_csv_is_the_reports_csv(demo_client):
    hoy = demo_client.get("/api/v1/reportes/planes-por-unidad", params={"formato": "csv"})
    doc = demo_client.get("/api/v1/informes/tablas/planes-por-unidad", params={"formato": "csv"})
    assert doc.content == hoy.content


def test_table_pdf_holds_the_figures_in_spanish_format(demo_client):
    datos = demo_client.get("/api/v1/reportes/convenios-por-unidad").json()
    r = demo_client.get("/api/v1/informes/tablas/convenios-por-unidad", params={"formato": "pdf"})
    assert r.content.startswith(b"%PDF")
    _, texto = _texto(r.content)
    total = next(f for f in datos["filas"] if f["unidad_operativa"] == "Total Bs")
    assert total["monto_par_comprometido_bs"] > 1000
    assert numero_es(total["monto_par_comprometido_bs"]) in texto  # 1.234.567
    assert "Alianzas con convenio firmado" in texto
    assert "Datos sintéticos de demostración" in texto


# -- The one-page report -------------------------------------------------------------------


def test_one_page_report_of_chaco_has_its_name_date_and_json_figures(demo_client):
    texto = _ficha(demo_client, nivel="unidad_operativa", codigo="CHACO")
    familias = _familias_json(demo_client, unidad_operativa="CHACO")
    assert familias >= 1000  # so that the figure is written with a thousands point
    assert "Chaco" in texto
    assert numero_es(familias) in texto  # e.g. 2.223
    hoy = datetime.now(BOLIVIA).strftime("%d/%m/%Y")
    assert f"Situación al\n{hoy}" in texto or f"Situación al {hoy}" in texto
    assert f"Fuente: SIGG, registros validados y sin validar al {hoy}" in texto
    assert "Datos sintéticos de demostración" in texto
    assert "060301" in texto and "Yacuiba" in texto  # the main table, by municipality
    assert "Llegó a la etapa: Convenio firmado" in texto  # the filters in words


@pytest.mark.parametrize(
    ("nivel", "codigo", "nombre"),
    [
        ("nacional", None, "Bolivia"),
        ("departamento", "02", "La Paz"),
        ("municipio", "060301", "Yacuiba"),
    ],
)
def test_every_level_fits_one_page(demo_client, nivel, codigo, nombre):
    params = {"nivel": nivel} | ({"codigo": codigo} if codigo else {})
    texto = _ficha(demo_client, **params)
    assert nombre in texto
    if nivel == "nacional":  # the targets of the results framework, with % of the target
        assert "% de la meta" in texto and "27.825" in texto


def test_the_public_report_counts_validated_records_only(demo_como, borradores_en_chaco):
    publico, nacional = demo_como(None), demo_como("nacional")
    solo_validadas = _familias_json(publico, unidad_operativa="CHACO")
    todas = _familias_json(nacional, unidad_operativa="CHACO")
    assert todas - solo_validadas == borradores_en_chaco
    texto = _ficha(publico, nivel="unidad_operativa", codigo="CHACO")
    assert numero_es(solo_validadas) in texto and numero_es(todas) not in texto
    assert "Fuente: SIGG, registros validados al" in texto
    assert "Solo registros validados" in texto


def test_another_units_report_respects_the_readers_scope(demo_como, borradores_en_chaco):
    tarija, chaco = demo_como("unidad", "TJA"), demo_como("unidad", "CHACO")
    para_tarija = _familias_json(tarija, unidad_operativa="CHACO")
    para_chaco = _familias_json(chaco, unidad_operativa="CHACO")
    assert para_chaco - para_tarija == borradores_en_chaco
    texto = _ficha(tarija, nivel="unidad_operativa", codigo="CHACO")
    assert numero_es(para_tarija) in texto and numero_es(para_chaco) not in texto
    assert numero_es(para_chaco) in _ficha(chaco, nivel="unidad_operativa", codigo="CHACO")


@pytest.mark.parametrize(
    ("ruta", "params", "status", "campo"),
    [
        ("/api/v1/informes/tablas/planes-por-unidad", {"formato": "docx"}, 422, "formato"),
        ("/api/v1/informes/tablas/planes-por-unidad", {}, 422, "formato"),
        ("/api/v1/informes/tablas/no-existe", {"formato": "pdf"}, 404, "nombre"),
        ("/api/v1/informes/ficha", {"nivel": "provincia", "codigo": "0601"}, 422, "nivel"),
        ("/api/v1/informes/ficha", {"nivel": "municipio", "codigo": "999999"}, 404, "codigo"),
        ("/api/v1/informes/ficha", {"nivel": "municipio"}, 422, "codigo"),
        ("/api/v1/informes/ficha", {"medida": "colores"}, 422, "medida"),
        (
            "/api/v1/informes/ficha",
            {"nivel": "unidad_operativa", "codigo": "CHACO", "unidad_operativa": "TJA"},
            422,
            "unidad_operativa",
        ),
        ("/api/v1/informes/ficha", {"formato": "pdf"}, 400, "formato"),
    ],
)
def test_a_bad_request_gets_a_problem_naming_the_field(demo_client, ruta, params, status, campo):
    r = demo_client.get(ruta, params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    cuerpo = r.json()
    campos = [cuerpo.get("campo"), *(e["campo"] for e in cuerpo.get("errores", []))]
    assert campo in campos
    valor = params.get(campo)
    if valor and status != 404:
        assert campo in cuerpo["detail"]


def test_chaco_report_at_the_end_of_2022_says_its_cut_off_date_and_figures(demo_client):
    corte = {"corte": "2022-12-31"}
    familias = _familias_json(demo_client, unidad_operativa="CHACO", **corte)
    texto = _ficha(demo_client, nivel="unidad_operativa", codigo="CHACO", **corte)
    assert "Chaco" in texto and "31/12/2022" in texto
    assert "registros validados y sin validar al 31/12/2022" in texto
    assert numero_es(familias) in texto
