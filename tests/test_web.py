"""The map application in a real browser: Debian's Chromium driven by Playwright, against the
API serving the calibrated demo on loopback, with every request beyond localhost refused."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import text

from tests.conftest import DIBUJADO


def _abrir(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector(DIBUJADO, state="attached", timeout=30000)


def _esperar_cambio(page: Page, antes: str) -> None:
    page.wait_for_function(
        "(antes) => document.querySelector('#mapa').dataset.listo !== antes",
        arg=antes,
        timeout=20000,
    )


def _formas(page: Page) -> int:
    return page.locator("path.leaflet-interactive").count()


def _listo(page: Page) -> str:
    return page.locator("#mapa").get_attribute("data-listo") or ""


def test_municipal_choropleth_draws_339_shapes_with_legend_and_no_external_requests(
    pagina, servidor
):
    _abrir(pagina, servidor + "/")
    assert _formas(pagina) == 339
    leyenda = pagina.locator(".leyenda").inner_text()
    assert "Familias beneficiarias por 1.000 habitantes rurales" in leyenda
    assert "Sin dato" in leyenda
    assert pagina.locator(".leyenda .fila").count() == 6  # 5 classes and "sin dato"
    assert pagina.locator("#sintetico").is_visible()
    assert pagina.errores == []


def test_changing_the_measure_recolours_shapes_and_legend(pagina, servidor):
    _abrir(pagina, servidor + "/")
    colores = pagina.eval_on_selector_all(
        "path.leaflet-interactive", "ps => ps.map(p => p.getAttribute('fill'))"
    )
    antes = _listo(pagina)
    pagina.select_option("#medida", "monto_transferido_bs")
    _esperar_cambio(pagina, antes)
    assert "Monto transferido (Bs)" in pagina.locator(".leyenda").inner_text()
    despues = pagina.eval_on_selector_all(
        "path.leaflet-interactive", "ps => ps.map(p => p.getAttribute('fill'))"
    )
    assert len(despues) == 339 and despues != colores
    assert "medida=monto_transferido_bs" in pagina.url  # the view can be shared


def test_clicking_a_department_drills_down_and_back(pagina, servidor):
    _abrir(pagina, servidor + "/#nivel=departamento")
    assert _formas(pagina) == 9
    antes = _listo(pagina)
    pagina.locator('path[data-codigo="09"]').click(force=True)  # Pando
    _esperar_cambio(pagina, antes)
    assert _formas(pagina) == 15
    assert pagina.locator("#ruta").inner_text() == "Bolivia › Pando"
    # The panel has its own request, answered after the map's or before it.
    expect(pagina.locator("#panel-titulo")).to_have_text("Pando", timeout=10_000)
    assert pagina.locator("#panel").is_visible()
    antes = _listo(pagina)
    pagina.click("#volver")
    _esperar_cambio(pagina, antes)
    assert _formas(pagina) == 9


def test_chaco_filter_leaves_its_16_municipalities(pagina, servidor):
    _abrir(pagina, servidor + "/")
    antes = _listo(pagina)
    pagina.select_option("#unidad_operativa", "CHACO")
    _esperar_cambio(pagina, antes)
    codigos = set(
        pagina.eval_on_selector_all(
            "path.leaflet-interactive", "ps => ps.map(p => p.dataset.codigo)"
        )
    )
    assert len(codigos) == 16
    assert {"060301", "070706", "011003"} <= codigos


def test_download_returns_the_features_on_screen(pagina, servidor):
    _abrir(pagina, servidor + "/#nivel=departamento&unidad_operativa=CHACO")
    en_pantalla = set(
        pagina.eval_on_selector_all(
            "path.leaflet-interactive", "ps => ps.map(p => p.dataset.codigo)"
        )
    )
    enlace = pagina.locator("#bajar-geojson").get_attribute("href")
    fc = pagina.request.get(servidor + enlace).json()
    assert {f["id"] for f in fc["features"]} == en_pantalla == {"01", "06", "07"}
    csv = pagina.request.get(servidor + pagina.locator("#bajar-csv").get_attribute("href"))
    assert csv.text().count("\n") == 4  # header and the three departments
    html = pagina.request.get(servidor + pagina.locator("#bajar-html").get_attribute("href"))
    assert "https://" not in "".join(
        line for line in html.text().splitlines() if "<script src" in line or "<link" in line
    )
    assert "L.geoJson" in html.text() or "L.geoJSON" in html.text()


def test_names_are_shown_as_text_never_as_html(pagina, servidor, demo_engine):
    malicioso = "<img src=x onerror=alert(1)>"
    with demo_engine.begin() as conn:
        original = conn.execute(
            text("SELECT nombre FROM municipio WHERE cartografia = '2012' AND codigo = '090101'")
        ).scalar_one()
        conn.execute(
            text("UPDATE municipio SET nombre = :n WHERE codigo = '090101'"), {"n": malicioso}
        )
    try:
        _abrir(pagina, servidor + "/#nivel=municipio&departamento=09")
        pagina.locator('path[data-codigo="090101"]').click(force=True)
        pagina.wait_for_function(
            "() => document.querySelector('#panel-titulo').textContent.includes('onerror')"
        )
        assert pagina.locator("#panel-titulo").inner_text() == malicioso
        assert pagina.locator("#panel img").count() == 0
        pagina.locator('path[data-codigo="090101"]').hover(force=True)
        assert pagina.locator(".leaflet-tooltip").inner_text().startswith(malicioso)
        assert pagina.errores == []  # no alert dialog, no script error
    finally:
        with demo_engine.begin() as conn:
            conn.execute(
                text("UPDATE municipio SET nombre = :n WHERE codigo = '090101'"), {"n": original}
            )


def test_a_failing_api_gets_a_clear_message(pagina, servidor):
    pagina.route(
        "**/api/v1/mapa/valores*",
        lambda route: route.fulfill(
            status=503,
            content_type="application/problem+json",
            body='{"detail": "no se pudo contactar la base de datos"}',
        ),
    )
    pagina.goto(servidor + "/")
    aviso = pagina.locator("#aviso")
    aviso.wait_for(state="visible", timeout=20000)
    assert "503" in aviso.inner_text() and "base de datos" in aviso.inner_text()


def test_controls_have_labels_and_take_keyboard_focus(pagina, servidor):
    _abrir(pagina, servidor + "/")
    sin_etiqueta = pagina.eval_on_selector_all(
        "select, input:not([type=checkbox])",
        "cs => cs.filter(c => !document.querySelector(`label[for='${c.id}']`)).map(c => c.id)",
    )
    assert sin_etiqueta == []
    pagina.focus("#medida")
    assert pagina.evaluate("document.activeElement.id") == "medida"
    # The 339 shapes are not tab stops ahead of the work panels: a keyboard chooses a place in
    # the search box, and the first stop skips to the work.
    assert pagina.locator('path[tabindex="0"]').count() == 0
    assert pagina.locator("path[data-codigo]").count() == 339
    primero = pagina.evaluate(
        "document.querySelector('a[href], button, input, select, [tabindex=\"0\"]').textContent"
    )
    assert primero == "Saltar al contenido de trabajo"
