"""The Informes panel (issue 16) in a real Chromium over the demo database: every indicator of
the results framework with the API's value, target and % of target (the bar drawn to 100 %, the
number as it is), per unit; an official table seen on the page and downloaded as XLSX with the
JSON's values; a table's count opening the list of exactly those alliances; the one-page PDF;
the OGC URL for QGIS, which answers, and the filtered points as GeoJSON."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, ViewportSize
from pypdf import PdfReader

from geo.plataforma.config import Settings
from tests.conftest import cabeceras

DOCS = Path(__file__).resolve().parents[1] / "docs"
ESCRITORIO: ViewportSize = {"width": 1440, "height": 900}
MOVIL: ViewportSize = {"width": 390, "height": 844}
CLAVE = "clave de las pruebas"  # tests/conftest.py, cuentas_de_prueba


def _es(texto: str) -> float:
    """A number as the page writes it (es-BO: 1.234,5), with its unit after it."""
    m = re.search(r"-?[\d.]+(?:,\d+)?", texto)
    assert m, f"no number in {texto!r}"
    return float(m.group(0).replace(".", "").replace(",", "."))


def _abrir(page: Page, url: str, tamano: ViewportSize) -> None:
    page.set_viewport_size(tamano)
    page.goto(url)
    page.wait_for_function("() => document.body.dataset.modulos === 'listos'", timeout=30000)


def _ingresar(page: Page, usuario: str) -> None:
    if page.viewport_size and page.viewport_size["width"] <= 900:
        page.evaluate("() => document.getElementById('ingreso').showModal()")
    else:
        page.click("#boton-ingresar")
    page.fill("#usuario", usuario)
    page.fill("#clave", CLAVE)
    page.click("#ingreso-form button[type=submit]")
    page.wait_for_selector("#trabajo:not([hidden])", timeout=10000)
    page.wait_for_function("() => document.querySelector('#mapa').dataset.listo", timeout=15000)


def _informes(page: Page) -> None:
    page.click("#boton-informes")
    page.wait_for_selector("#dialogo-informes[open] .tabla-marco tbody tr", timeout=20000)


def _escuchar_lista(page: Page) -> None:
    page.evaluate(
        "() => { window.__listas = [];"
        " document.addEventListener('sigg:abrir-lista', (e) => window.__listas.push(e.detail)); }"
    )


def _api(
    servidor: str, ruta: str, q: dict[str, Any] | None = None, h: dict[str, str] | None = None
) -> Any:
    r = httpx.get(f"{servidor}/api/v1{ruta}", params=q, headers=h or {}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_panel_shows_every_indicator_as_the_api_computes_it(
    pagina: Page, servidor: str
) -> None:
    page = pagina
    _abrir(page, servidor + "/", ESCRITORIO)
    _informes(page)
    marco = _api(servidor, "/indicadores")["data"]
    filas = page.locator(".tabla-marco tbody tr")
    assert filas.count() == len(marco) == 21
    for i in marco:
        fila = page.locator(f'.tabla-marco tbody tr[data-codigo="{i["codigo"]}"]')
        valor = fila.locator("td.valor").inner_text()
        avance = fila.locator("td.avance").inner_text()
        if i["valor"] is None:
            assert valor == "sin dato", i["codigo"]
            assert i["motivo"] in avance  # the reason, never a 0
            continue
        assert _es(valor) == pytest.approx(i["valor"], abs=0.005), i["codigo"]
        assert _es(fila.locator("td.meta-ind").inner_text()) == pytest.approx(i["meta"])
        assert _es(avance) == pytest.approx(i["pct_meta"], abs=0.05), i["codigo"]
    # beyond the target: the bar stops at the track's end, the % is written as it is
    r6 = next(i for i in marco if i["codigo"] == "R6")
    assert r6["pct_meta"] > 100
    fila = page.locator('.tabla-marco tr[data-codigo="R6"]')
    assert fila.locator(".barra-texto").inner_text() == f"{r6['pct_meta']:.0f} %".replace(".", ",")
    anchos = fila.locator(".barra-relleno").evaluate(
        "(e) => [e.getBoundingClientRect().width, e.parentElement.getBoundingClientRect().width]"
    )
    assert anchos[0] == pytest.approx(anchos[1], abs=0.5)
    page.screenshot(path=str(DOCS / "informes-marco-1440.png"))

    # per unit: the API's value for Chaco; an entered indicator says it is not computed
    page.select_option("#informes-unidad", "CHACO")
    page.wait_for_function(
        "() => document.querySelector('.tabla-marco caption').textContent.includes('Chaco')"
    )
    chaco = next(
        u["valor"]
        for u in _api(servidor, "/indicadores/1.2a/por-unidad")["data"]
        if u["unidad_operativa"]["codigo"] == "CHACO"
    )
    total = next(i["valor"] for i in marco if i["codigo"] == "1.2a")
    celda = page.locator('.tabla-marco tr[data-codigo="1.2a"] td.valor').inner_text()
    assert _es(celda) == chaco != total
    r3 = page.locator('.tabla-marco tr[data-codigo="R3"] td.valor').inner_text()
    assert r3 == "no se calcula a partir de los registros"

    # the indicator's value opens the unit's model-1 agreements: as many as it says
    _escuchar_lista(page)
    page.click('.tabla-marco tr[data-codigo="1.2a"] td.valor .cifra')
    assert page.evaluate("() => document.getElementById('dialogo-informes').open") is False
    detalle = page.evaluate("() => window.__listas[0]")
    f = detalle["filtros"]
    assert (f["unidad_operativa"], f["modelo"], f["etapa_alcanzada"]) == (
        "CHACO",
        "1",
        "convenio_firmado",
    )
    q = {k: v for k, v in f.items() if v not in ("", None)}
    assert _api(servidor, "/alianzas", {"limit": 1, **q})["count"] == chaco


def test_an_official_table_is_shown_and_downloaded_with_the_same_values(
    pagina: Page, servidor: str, settings: Settings
) -> None:
    page = pagina
    _abrir(page, servidor + "/#unidad_operativa=CHACO", MOVIL)
    _ingresar(page, "nacional.bo")
    _informes(page)
    page.click("#informes-pestana-tablas")
    page.wait_for_selector('.tabla-oficial[data-tabla="convenios-por-unidad"]', timeout=20000)
    # the staff's page counts validated records unless switched: the table asks the same,
    # without the map's "Llegó a la etapa" (the tables are the cycle, stage by stage)
    h = cabeceras(settings, "nacional")
    q = {"unidad_operativa": "CHACO", "programa": "PAR2", "validados": "true"}
    json_ = _api(servidor, "/reportes/convenios-por-unidad", q, h)
    chaco = json_["filas"][0]
    assert chaco["unidad_operativa"] == "Chaco"
    fila = page.locator(".tabla-oficial tbody tr").first
    assert fila.locator("th").inner_text() == "Chaco"
    en_pagina = [_es(t) for t in fila.locator("td").all_inner_texts()]
    assert en_pagina == [chaco[c] for c in json_["columnas"][1:]]
    page.screenshot(path=str(DOCS / "informes-tablas-390.png"))

    with page.expect_download() as descarga:
        page.click('.informes-tabla-cuerpo [data-formato="xlsx"]')
    assert descarga.value.suggested_filename == "convenios-por-unidad.xlsx"
    hoja = load_workbook(io.BytesIO(Path(descarga.value.path()).read_bytes())).active
    filas = [list(r) for r in hoja.iter_rows(values_only=True)]
    cabeza = filas.index(next(r for r in filas if r[0] == "Unidad operativa"))
    datos = {r[0]: r[1 : len(json_["columnas"])] for r in filas[cabeza + 1 :] if r[1] is not None}
    for f in json_["filas"]:
        assert list(datos[f["unidad_operativa"]]) == [f[c] for c in json_["columnas"][1:]]

    # the one-page report of the place the map shows
    assert "tabla principal de Chaco" in page.inner_text(".informes-ficha")
    with page.expect_download(timeout=60000) as ficha:
        page.click("#informes-ficha")
    assert ficha.value.suggested_filename == "sigg_unidad_operativa_chaco.pdf"
    texto = "".join(p.extract_text() for p in PdfReader(ficha.value.path()).pages)
    assert "Chaco" in texto and f"{chaco['alianzas_con_convenio']}" in texto


def test_a_table_count_opens_the_list_of_those_alliances(pagina: Page, servidor: str) -> None:
    page = pagina
    _abrir(page, servidor + "/", ESCRITORIO)
    _informes(page)
    page.click("#informes-pestana-tablas")
    page.select_option("#informes-tabla", "planes-por-unidad")
    page.wait_for_selector('.tabla-oficial[data-tabla="planes-por-unidad"]', timeout=20000)
    fila = page.locator('.tabla-oficial tr:has(th:text-is("Chaco"))')
    celda = fila.locator('td[data-columna="aprobado_evaluacion_par"] .cifra')
    numero = _es(celda.inner_text())
    assert numero > 0
    assert celda.get_attribute("title") == f"Ver las {numero:.0f} alianzas"
    _escuchar_lista(page)
    celda.focus()
    page.keyboard.press("Enter")  # a real button: the keyboard reaches it
    detalle = page.evaluate("() => window.__listas[0]")
    assert detalle["titulo"] == "Aprobados en evaluación PAR · Chaco"
    f = detalle["filtros"]
    assert (f["unidad_operativa"], f["etapa_alcanzada"]) == ("CHACO", "aprobado")
    q = {k: v for k, v in f.items() if v not in ("", None)}
    assert _api(servidor, "/alianzas", {"limit": 1, **q})["count"] == numero
    # the list (lista.js) opens with the page's filters plus the cell's: as many as it said
    page.wait_for_function(
        "(n) => (document.getElementById('lista-cuenta') || {}).textContent?.endsWith(' de ' + n)",
        arg=f"{numero:.0f}",
        timeout=15000,
    )
    assert page.is_visible("#lista")


def test_gis_users_get_the_ogc_url_and_the_filtered_points(pagina: Page, servidor: str) -> None:
    page = pagina
    _abrir(page, servidor + "/#sector=apicultura", ESCRITORIO)
    _informes(page)
    page.click("#informes-pestana-sig")
    url = page.input_value("#informes-ogc")
    assert url == servidor + "/ogc"
    assert httpx.get(url, params={"f": "json"}, timeout=30).status_code == 200
    assert "Sector: Apicultura" in page.inner_text("#informes-sig")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#informes-copiar")
    assert page.evaluate("() => navigator.clipboard.readText()") == url
    page.screenshot(path=str(DOCS / "informes-sig-1440.png"))
    with page.expect_download() as descarga:
        page.click('[data-coleccion="alianzas"] [data-formato="geojson"]')
    assert descarga.value.suggested_filename == "sigg_alianzas.geojson"
    fc = json.loads(Path(descarga.value.path()).read_text())
    q = {"programa": "PAR2", "sector": "apicultura", "etapa_alcanzada": "convenio_firmado"}
    assert len(fc["features"]) == _api(servidor, "/alianzas", {"limit": 1, **q})["count"] > 0
    assert {f["properties"]["sector"] for f in fc["features"]} == {"apicultura"}
