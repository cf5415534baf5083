"""The phone layout (issue 15) in Debian's Chromium at 390x844: the map takes the screen, the
filters are a drawer opened from the search bar, and the figures, the tray and the record screen
are a bottom sheet that peeks above the map and rises when there is something to read. The same
page at 1440x900 keeps its three columns and shows none of the phone's controls."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

from tests.conftest import DIBUJADO

DOCS = Path(__file__).resolve().parents[1] / "docs"
MOVIL = {"width": 390, "height": 844}
ESCRITORIO = {"width": 1440, "height": 900}
COTOCA = "070102"


def _abrir(page: Page, url: str, tamano: dict[str, int]) -> None:
    page.set_viewport_size(tamano)
    page.goto(url)
    page.wait_for_selector(DIBUJADO, state="attached", timeout=30000)


def _caja(page: Page, selector: str) -> dict[str, float]:
    caja = page.locator(selector).bounding_box()
    assert caja is not None, selector
    return caja


def test_on_a_phone_the_map_takes_the_screen_and_the_filters_are_a_drawer(pagina, servidor):
    _abrir(pagina, servidor + "/", MOVIL)
    mapa = _caja(pagina, "#mapa")
    hoja = _caja(pagina, "#lateral")
    # the map: the whole width, and at least 70% of the height above the sheet's peek
    assert mapa["width"] == MOVIL["width"]
    assert mapa["height"] >= 0.7 * MOVIL["height"]
    assert hoja["y"] >= mapa["y"] + mapa["height"] - 1  # the peek sits under the map
    assert hoja["height"] <= 0.08 * MOVIL["height"]
    assert pagina.evaluate("document.documentElement.scrollWidth") <= MOVIL["width"]
    # the search stays on top; the filters wait behind their button
    assert pagina.locator("#buscar").is_visible()
    assert pagina.locator("#nivel").is_hidden() and pagina.locator("#sector").is_hidden()
    boton = pagina.locator("#boton-filtros")
    assert boton.get_attribute("aria-expanded") == "false" and boton.inner_text() == "Filtros"

    boton.click()
    assert boton.get_attribute("aria-expanded") == "true"
    assert pagina.locator("#sector").is_visible()
    cajon = _caja(pagina, "#controles")
    assert cajon["height"] >= mapa["height"]  # the drawer covers the map, not a strip
    assert _caja(pagina, "#sector")["height"] >= 40  # a finger-sized target
    pagina.select_option("#sector", "apicultura")
    pagina.screenshot(path=str(DOCS / "movil-filtros-390.png"))
    pagina.click("#filtros-listo")
    assert pagina.locator("#sector").is_hidden()
    # the button says how many filters differ from the page's defaults
    assert boton.inner_text() == "Filtros (1)"
    assert pagina.evaluate("mapa.getSize().y") == round(mapa["height"])  # the map never resized
    assert pagina.errores == []


def test_on_a_phone_a_tapped_municipality_raises_the_sheet_half_way(pagina, servidor):
    _abrir(pagina, servidor + "/", MOVIL)
    asa = pagina.locator("#hoja-asa")
    assert asa.inner_text() == "Cifras · solo registros validados"
    pagina.locator(f'path[data-codigo="{COTOCA}"]').click(force=True)
    pagina.wait_for_selector("#lateral.media")
    pagina.wait_for_function(  # the sheet rises with a 0.2 s transition
        "() => { const h = document.getElementById('lateral').getBoundingClientRect().height;"
        " const m = document.querySelector('main').getBoundingClientRect().height;"
        " return h >= 0.4 * m; }"
    )
    assert asa.inner_text().startswith("Cotoca")
    assert pagina.locator("#panel-titulo").is_visible()
    alto = _caja(pagina, "#lateral")["height"]
    principal = _caja(pagina, "main")["height"]
    assert 0.4 * principal <= alto <= 0.6 * principal
    pagina.screenshot(path=str(DOCS / "movil-hoja-municipio-390.png"))
    asa.click()  # the handle lowers it again
    assert pagina.locator("#lateral.media").count() == 0
    assert asa.get_attribute("aria-expanded") == "false"
    assert pagina.errores == []


def test_on_a_desktop_none_of_the_phone_controls_show(pagina, servidor):
    _abrir(pagina, servidor + "/", ESCRITORIO)
    for selector in ("#boton-filtros", "#filtros-listo", "#hoja-asa"):
        assert pagina.locator(selector).is_hidden(), selector
    assert pagina.locator("#sector").is_visible()
    assert pagina.locator("#vista-publica").is_visible()
    assert _caja(pagina, "#controles")["x"] == 0
    assert _caja(pagina, "#lateral")["x"] > _caja(pagina, "#mapa")["x"]
    assert pagina.errores == []
