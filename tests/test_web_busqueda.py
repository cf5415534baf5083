"""The one search box of the map page (issue 14) in a real browser: Debian's Chromium driven by
Playwright, against the API serving the calibrated demo. A place found by name is selected by
its code, an alliance opens its popup, and no request ever sends a name where a code belongs."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, Response

from tests.conftest import DIBUJADO

CHARAGUA = "070702"  # "Charagua (Autonomía Guaraní Charagua Iyambae)"
YACUIBA = "060301"
DOCS = Path(__file__).resolve().parents[1] / "docs"
MOVIL = {"width": 390, "height": 844}
ESCRITORIO = {"width": 1440, "height": 900}


def _abrir(page: Page, url: str, tamano: dict[str, int]) -> list[str]:
    """Open the page at a viewport size; return the list that collects every failed request."""
    fallidas: list[str] = []

    def anotar(r: Response) -> None:
        if r.status >= 400:
            fallidas.append(f"{r.status} {r.url}")

    page.on("response", anotar)
    page.set_viewport_size(tamano)
    page.goto(url)
    page.wait_for_selector(DIBUJADO, state="attached", timeout=30000)
    return fallidas


def _escribir(page: Page, texto: str) -> None:
    page.locator("#buscar").fill("")
    page.locator("#buscar").press_sequentially(texto, delay=30)
    # the list that answers the whole text, not an earlier answer to its first letters
    page.wait_for_function(
        "(q) => document.querySelector('#buscar-lista').dataset.q === q",
        arg=texto.strip(),
        timeout=10000,
    )
    page.wait_for_selector("#buscar-lista [role=option]", timeout=10000)


def _opcion(page: Page, nombre: str):  # type: ignore[no-untyped-def]
    return page.locator("#buscar-lista [role=option]", has=page.locator(".nombre", has_text=nombre))


def _seleccionado(page: Page, codigo: str, nombre: str) -> None:
    page.wait_for_function(
        "([c, n]) => location.hash.includes('municipio=' + c) && "
        "document.querySelector('#panel-titulo').textContent.startsWith(n)",
        arg=[codigo, nombre],
        timeout=20000,
    )


def test_on_a_phone_charagua_in_lowercase_is_suggested_and_selected_by_its_code(pagina, servidor):
    fallidas = _abrir(pagina, servidor + "/", MOVIL)
    _escribir(pagina, "charagua")
    opcion = _opcion(pagina, "Charagua").first
    assert "Municipio" in opcion.inner_text()
    assert "Cordillera" in opcion.inner_text() and "Santa Cruz" in opcion.inner_text()
    assert pagina.locator("#buscar").get_attribute("aria-expanded") == "true"
    DOCS.mkdir(exist_ok=True)
    pagina.screenshot(path=str(DOCS / "issue14-busqueda-movil-sugerencias.png"))
    opcion.click()
    _seleccionado(pagina, CHARAGUA, "Charagua")
    assert pagina.locator("#panel").is_visible()
    assert pagina.locator("#buscar-lista").is_hidden()
    assert pagina.locator("#ruta").inner_text().startswith("Bolivia › Charagua")
    assert pagina.locator("#municipio-nombre").inner_text().startswith("Charagua")
    # the filter holds the code: the map is redrawn with Charagua alone (the panel's title may
    # arrive first, so wait for the drawing rather than read it at once)
    pagina.wait_for_function(
        "() => document.querySelectorAll('path.leaflet-interactive').length === 1", timeout=20000
    )
    pagina.mouse.move(0, 0)  # no hover tooltip left over the map in the picture
    pagina.screenshot(path=str(DOCS / "issue14-busqueda-movil-elegido.png"), full_page=True)
    assert fallidas == [] and pagina.errores == []


def test_on_a_desktop_yacu_then_arrow_down_and_enter_selects_yacuiba(pagina, servidor):
    fallidas = _abrir(pagina, servidor + "/", ESCRITORIO)
    _escribir(pagina, "yacu")
    primera = pagina.locator("#buscar-lista [role=option]").first
    assert primera.locator(".nombre").inner_text() == "Yacuiba"
    pagina.screenshot(path=str(DOCS / "issue14-busqueda-escritorio-sugerencias.png"))
    pagina.locator("#buscar").press("ArrowDown")
    assert primera.get_attribute("aria-selected") == "true"
    activa = pagina.locator("#buscar").get_attribute("aria-activedescendant")
    assert activa == primera.get_attribute("id")
    pagina.locator("#buscar").press("Enter")
    _seleccionado(pagina, YACUIBA, "Yacuiba")
    assert "sel=municipio%3A060301" in pagina.url
    assert fallidas == [] and pagina.errores == []


def test_escape_closes_the_suggestions_and_the_groups_are_labelled(pagina, servidor):
    _abrir(pagina, servidor + "/", ESCRITORIO)
    _escribir(pagina, "chaco")
    titulos = pagina.locator("#buscar-lista .titulo-grupo").all_text_contents()
    assert titulos[0] == "Lugares"
    pagina.locator("#buscar").press("Escape")
    assert pagina.locator("#buscar-lista").is_hidden()
    assert pagina.locator("#buscar").get_attribute("aria-expanded") == "false"


def test_choosing_an_alliance_by_part_of_its_code_opens_its_popup(pagina, servidor):
    fallidas = _abrir(pagina, servidor + "/", ESCRITORIO)
    _escribir(pagina, "CHACO-3-00")
    alianza = (
        pagina.locator("#buscar-lista [role=group]", has_text="Alianzas")
        .locator("[role=option]")
        .first
    )
    codigo = re.match(r"CHACO-3-00\d\d", alianza.locator(".nombre").inner_text())
    assert codigo, alianza.inner_text()
    alianza.click()
    popup = pagina.locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=10000)
    texto = popup.inner_text()
    assert codigo.group(0) in texto
    assert "Código" in texto and "Etapa" in texto and "Municipio" in texto
    assert pagina.evaluate("() => mapa.getZoom()") >= 10  # zoomed in from the whole country
    assert fallidas == [] and pagina.errores == []


def test_yacuiba_typed_in_lowercase_never_gets_a_422(pagina, servidor):
    fallidas = _abrir(pagina, servidor + "/", ESCRITORIO)
    pedidos: list[str] = []
    pagina.on("request", lambda r: pedidos.append(r.url))
    _escribir(pagina, "yacuiba")
    pagina.locator("#buscar").press("Tab")  # a change event on the box must not filter by name
    pagina.locator("#buscar").focus()
    pagina.locator("#buscar").press("ArrowDown")
    pagina.locator("#buscar").press("Enter")
    _seleccionado(pagina, YACUIBA, "Yacuiba")
    pagina.select_option("#medida", "monto_transferido_bs")  # later changes still work
    pagina.wait_for_function("() => location.hash.includes('medida=monto_transferido_bs')")
    pagina.wait_for_load_state("networkidle")
    municipios = [u for u in pedidos if "municipio=" in u]
    assert municipios and all(re.search(r"municipio=\d{6}(&|$)", u) for u in municipios)
    assert fallidas == [] and pagina.errores == []
    assert pagina.locator("#aviso").is_hidden()


def test_a_failing_search_shows_its_message_and_the_page_keeps_working(pagina, servidor):
    _abrir(pagina, servidor + "/", ESCRITORIO)
    pagina.route(
        "**/api/v1/buscar*",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"detail": "no se pudo contactar la base de datos"}',
        ),
    )
    pagina.locator("#buscar").press_sequentially("yacu", delay=30)
    estado = pagina.locator("#buscar-estado")
    pagina.wait_for_function(
        "() => document.querySelector('#buscar-estado').textContent.includes('503')"
    )
    assert "base de datos" in estado.inner_text()
    pagina.unroute("**/api/v1/buscar*")
    antes = pagina.locator("#mapa").get_attribute("data-listo")
    pagina.select_option("#nivel", "departamento")
    pagina.wait_for_function(
        "(a) => document.querySelector('#mapa').dataset.listo !== a", arg=antes, timeout=20000
    )
    assert pagina.locator("path.leaflet-interactive").count() == 9
    assert pagina.errores == []


def test_an_old_link_with_a_municipality_name_is_not_sent_to_the_api(pagina, servidor):
    fallidas = _abrir(pagina, servidor + "/#municipio=Yacuiba", ESCRITORIO)
    assert fallidas == [] and pagina.errores == []
    assert pagina.locator("path.leaflet-interactive").count() == 339
