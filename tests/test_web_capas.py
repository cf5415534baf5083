"""The two municipal layers in Chromium (issue 15, Slow 3G): the first map is drawn from the
light layer that travels in the page, and works (tooltip, click, selection) while the detailed
one is on its way; the detailed layer then replaces it in place: the same 339 shapes and
classes, the legend untouched, the view, the selection and the open tooltip kept. A page served
without the light layer asks for it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Page, Route

SAN_IGNACIO = "070301"  # large: its centre is inside it at any size
FORMA = f'path.leaflet-interactive[data-codigo="{SAN_IGNACIO}"]'
# Every change to the legend's content from now on.
VIGILAR_LEYENDA = """() => {
  window.cambiosLeyenda = 0;
  new MutationObserver(() => { window.cambiosLeyenda += 1; }).observe(
    document.querySelector(".leyenda"),
    { childList: true, subtree: true, characterData: true, attributes: true });
}"""
VISTA = "() => [mapa.getCenter().lat, mapa.getCenter().lng, mapa.getZoom()]"


def _retener_la_detallada(page: Page) -> list[Route]:
    retenidas: list[Route] = []

    def retener(route: Route) -> None:
        retenidas.append(route)

    page.route("**/api/v1/mapa/capa", retener)
    return retenidas


def _estado(page: Page) -> dict[str, Any]:
    return {
        "formas": page.locator("path.leaflet-interactive").count(),
        "colores": page.eval_on_selector_all(
            "path.leaflet-interactive", "ps => ps.map(p => p.getAttribute('fill')).sort()"
        ),
        "leyenda": page.locator(".leyenda").inner_text(),
        "vista": page.evaluate(VISTA),
        "panel": page.locator("#panel-titulo").inner_text(),
    }


def test_the_light_layer_is_drawn_first_and_the_detailed_one_replaces_it_in_place(pagina, servidor):
    retenidas = _retener_la_detallada(pagina)
    pedidas: list[str] = []
    pagina.on("request", lambda r: pedidas.append(urlparse(r.url).path))
    pagina.goto(servidor + "/")
    pagina.wait_for_selector("#mapa[data-listo]", state="attached", timeout=30000)
    pagina.wait_for_function("() => document.querySelector('.leyenda .fila')")
    assert pagina.locator("#mapa").get_attribute("data-capa") == "ligera"
    assert "/api/v1/mapa/capa-ligera" not in pedidas  # it came in the page
    assert pagina.locator("path.leaflet-interactive").count() == 339

    # the light shapes answer as the detailed ones do: a click selects, a hover names
    pagina.locator(FORMA).click(force=True)
    pagina.wait_for_selector("#panel:not([hidden])")
    assert pagina.locator("#panel-titulo").inner_text() == "San Ignacio"
    assert f"sel=municipio%3A{SAN_IGNACIO}" in pagina.url
    pagina.locator(FORMA).hover(force=True)
    tooltip = pagina.locator(".leaflet-tooltip")
    assert tooltip.inner_text().startswith("San Ignacio")
    ligera = pagina.locator(FORMA).get_attribute("d") or ""
    antes = _estado(pagina)

    pagina.evaluate(VIGILAR_LEYENDA)
    pagina.wait_for_timeout(300)  # the detailed layer is still held
    assert pagina.locator("#mapa").get_attribute("data-capa") == "ligera"
    for r in retenidas:
        r.continue_()
    pagina.wait_for_selector("#mapa[data-capa=detallada]", state="attached", timeout=30000)

    assert _estado(pagina) == antes  # shapes, classes, legend, view and selection
    assert pagina.evaluate("window.cambiosLeyenda") == 0  # no flicker: never redrawn
    # the light shape's tooltip fades out (Leaflet removes it 200 ms later); the detailed one's
    # is open in its place
    pagina.wait_for_function("() => document.querySelectorAll('.leaflet-tooltip').length === 1")
    assert tooltip.inner_text().startswith("San Ignacio")
    detallada = pagina.locator(FORMA).get_attribute("d") or ""
    # the same municipality in more detail (Leaflet draws each at the screen's resolution)
    assert detallada != ligera and len(detallada) > len(ligera)
    # and the detailed shapes answer too
    pagina.locator('path.leaflet-interactive[data-codigo="021501"]').click(force=True)
    pagina.wait_for_function(
        "() => document.querySelector('#panel-titulo').textContent === 'Ixiamas'"
    )
    assert pagina.errores == []


def test_a_level_drawn_from_the_light_layer_is_redrawn_at_that_level(pagina, servidor):
    retenidas = _retener_la_detallada(pagina)
    pagina.goto(servidor + "/#nivel=departamento")
    pagina.wait_for_selector("#mapa[data-listo]", state="attached", timeout=30000)
    assert pagina.locator("path.leaflet-interactive").count() == 9
    antes = _estado(pagina)
    for r in retenidas:
        r.continue_()
    pagina.wait_for_selector("#mapa[data-capa=detallada]", state="attached", timeout=30000)
    assert _estado(pagina) == antes
    assert pagina.errores == []


def test_a_page_without_the_light_layer_asks_for_it(pagina, servidor):
    pedidas: list[str] = []
    pagina.on("request", lambda r: pedidas.append(urlparse(r.url).path))
    pagina.goto(servidor + "/static/index.html")  # the page before the server writes into it
    pagina.wait_for_selector("#mapa[data-listo]", state="attached", timeout=30000)
    assert pedidas.count("/api/v1/mapa/capa-ligera") == 1
    assert pagina.locator("path.leaflet-interactive").count() == 339
    pagina.wait_for_selector("#mapa[data-capa=detallada]", state="attached", timeout=30000)
    assert pagina.errores == []


def test_without_the_detailed_layer_the_light_one_stays_and_works(pagina, servidor):
    pagina.route("**/api/v1/mapa/capa", lambda r: r.fulfill(status=503, body="no"))
    pagina.goto(servidor + "/")
    pagina.wait_for_selector("#mapa[data-listo]", state="attached", timeout=30000)
    pagina.wait_for_timeout(500)
    assert pagina.locator("#mapa").get_attribute("data-capa") == "ligera"
    assert pagina.locator("#aviso").is_hidden()  # the map is there: nothing to say
    antes = pagina.locator("#mapa").get_attribute("data-listo")
    pagina.select_option("#nivel", "provincia")
    pagina.wait_for_function(
        "(antes) => document.querySelector('#mapa').dataset.listo !== antes", arg=antes
    )
    assert pagina.locator("path.leaflet-interactive").count() > 100
    assert pagina.errores == []
