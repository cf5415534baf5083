"""Every number opens its records (issue 16): a figure of the dashboard, a bar of the cycle and a
territory's panel open the list of the alliances behind them, with the page's filters plus the
figure's own, and the list's count is the figure. In Debian's Chromium against the demo."""

from __future__ import annotations

import re

from playwright.sync_api import Page

ESCRITORIO = {"width": 1440, "height": 900}
COTOCA = "070102"


def _abrir(page: Page, url: str) -> None:
    page.set_viewport_size(ESCRITORIO)
    page.goto(url)
    page.wait_for_selector("body[data-modulos]", state="attached", timeout=30000)
    page.wait_for_selector("#tablero[data-consulta]", state="attached", timeout=30000)


def _numero(texto: str) -> int:
    return int(texto.strip().replace(".", ""))


def _total_de_la_lista(page: Page, antes: str) -> int:
    """The list's "1–25 de N" once it answers the new figure (not the text it showed before)."""
    page.wait_for_function(
        "(t) => { const c = document.querySelector('#lista-cuenta');"
        " return c && / de /.test(c.textContent) && c.textContent !== t; }",
        arg=antes,
        timeout=20000,
    )
    texto = page.inner_text("#lista-cuenta")
    m = re.search(r"de ([\d.]+)$", texto)
    assert m, texto
    return _numero(m.group(1))


def test_a_bar_of_the_cycle_opens_exactly_its_alliances(pagina, servidor):
    _abrir(pagina, servidor + "/")
    cuentas = {}
    for etapa in ("En operación", "Concluidas"):
        boton = pagina.locator("#embudo-ciclo .barra", has_text=etapa).locator("button")
        cifra = _numero(boton.inner_text())
        antes = (
            pagina.inner_text("#lista-cuenta") if pagina.locator("#lista-cuenta").count() else ""
        )
        boton.click()
        assert _total_de_la_lista(pagina, antes) == cifra
        assert pagina.inner_text(".lista-cifra strong") == etapa
        cuentas[etapa] = cifra
    assert cuentas["Concluidas"] < cuentas["En operación"]  # two different figures, two lists
    pagina.click(".lista-cifra button")  # "Quitar": back to the map's own filters
    total = _total_de_la_lista(pagina, pagina.inner_text("#lista-cuenta"))
    alianzas = _numero(pagina.inner_text("#titulares [data-medida=alianzas] .cifra"))
    assert total == alianzas
    assert pagina.errores == []


def test_a_municipality_panel_opens_its_alliances(pagina, servidor):
    _abrir(pagina, servidor + "/")
    pagina.locator(f'path[data-codigo="{COTOCA}"]').click(force=True)
    ver = pagina.locator(".ver-registros")
    ver.wait_for(timeout=15000)
    n = _numero(re.search(r"([\d.]+)", ver.inner_text()).group(1))  # type: ignore[union-attr]
    ver.click()
    assert _total_de_la_lista(pagina, "") == n
    assert pagina.inner_text(".lista-cifra strong") == "Cotoca"
    municipios = set(pagina.locator("#lista tbody td:nth-child(3)").all_inner_texts())
    assert municipios == {"Cotoca"}
    assert pagina.errores == []
