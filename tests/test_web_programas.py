"""Programs from the page (issue 14), in Chromium: national coordination creates a third program
and its results framework without SQL; a repeated indicator code is shown at its field; the new
program appears in the filters' program select; a unit user has no such button."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine, text

from geo.acceso.cuentas import crear
from tests.test_web_ficha import ESCRITORIO, MOVIL, _abrir

CLAVE = "clave de prueba de programas"
DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture
def cuentas(demo_engine: Engine) -> Iterator[None]:
    with demo_engine.begin() as conn:
        crear(conn, "prog.nacional", "Coordinación (prueba)", "nacional", None, CLAVE)
        crear(conn, "prog.unidad", "Unidad Chaco (prueba)", "unidad", "CHACO", CLAVE)
    yield
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM indicador WHERE programa_id IN "
                          "(SELECT id FROM programa WHERE codigo = 'WEBP')"))  # fmt: skip
        conn.execute(text("DELETE FROM programa WHERE codigo = 'WEBP'"))
        conn.execute(text("DELETE FROM usuario WHERE nombre_usuario LIKE 'prog.%'"))


def _ingresar(page: Page, usuario: str) -> None:
    page.click("#boton-ingresar")
    page.fill("#usuario", usuario)
    page.fill("#clave", CLAVE)
    page.click("#ingreso-form button[type=submit]")
    page.wait_for_selector("#trabajo:not([hidden])", timeout=10000)


def _indicador(page: Page, codigo: str, nombre: str, unidad: str, meta: str = "") -> None:
    page.click("text=+ Indicador")
    f = page.locator(".marco .indicador").last
    f.locator("[name=codigo]").fill(codigo)
    f.locator("[name=nombre]").fill(nombre)
    f.locator("[name=unidad]").fill(unidad)
    if meta:
        f.locator("[name=meta]").fill(meta)


def test_national_creates_a_program_and_its_framework_from_the_page(
    pagina: Page, servidor: str, cuentas: None
) -> None:
    page = pagina
    _abrir(page, servidor + "/", ESCRITORIO)
    _ingresar(page, "prog.nacional")
    page.click("#boton-programas")
    page.wait_for_selector(".lista-programas")
    assert "PAR2 · Proyecto de Alianzas Rurales II" in page.inner_text(".lista-programas")
    page.click("text=+ Nuevo programa")
    page.fill("#p-codigo", "WEBP")
    page.fill("#p-nombre", "Programa creado desde la página")
    page.fill("#p-tipo_cambio", "6.96")
    page.click("#form-programa button[type=submit]")
    page.wait_for_selector("#form-programa .marco", state="attached", timeout=10000)
    assert "Programa WEBP creado" in page.inner_text("#espacio .nota")
    _indicador(page, "F1", "Familias beneficiarias", "familias", "500")
    page.locator(".marco .indicador").last.locator("[name=calculo]").select_option("r5")
    _indicador(page, "F1", "Encuesta de satisfacción", "%")
    page.click("#form-programa button[type=submit]")
    segundo = page.locator(".marco .indicador").nth(1)
    segundo.locator(".error-campo[data-campo=codigo]:not(:empty)").wait_for(timeout=10000)
    assert segundo.locator(".error-campo[data-campo=codigo]").inner_text() == "código F1 repetido"
    assert segundo.locator("[name=codigo]").get_attribute("aria-invalid") == "true"
    assert page.evaluate("() => window.scrollY") == 0  # the panel scrolled, not the window
    page.screenshot(path=str(DOCS / "issue14-programa-error-1440.png"))
    segundo.locator("[name=codigo]").fill("E1")
    page.click("#form-programa button[type=submit]")
    page.wait_for_function(
        "() => (document.querySelector('#espacio .nota') || {}).textContent"
        "?.includes('guardado con 2 indicadores')",
        timeout=10000,
    )
    opciones = page.locator("#programa option").all_inner_texts()
    assert "WEBP · Programa creado desde la página" in opciones
    calculo = page.locator(".marco .indicador").first.locator("[name=calculo] option:checked")
    assert calculo.inner_text().startswith("Calculado por SIGG: Familias beneficiarias")
    assert page.errores == []  # type: ignore[attr-defined]


def test_a_unit_user_has_no_programs_button(pagina: Page, servidor: str, cuentas: None) -> None:
    _abrir(pagina, servidor + "/", MOVIL)
    _ingresar(pagina, "prog.unidad")
    assert pagina.locator("#boton-programas").is_hidden()
    assert pagina.locator("#boton-nueva-alianza").is_visible()
