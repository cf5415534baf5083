"""The offline module (issue 15), the must-show path in Chromium: a Chaco técnico loads the app
online, loses the network, reloads (it works), creates three alliances, a monitoring visit and
a photo; closes the browser and opens it again (still queued); goes online and syncs. The first
sync is cut after two operations have reached the server; the retry sends the rest and each
record exists exactly once. Meanwhile the Chaco unit changed an alliance the técnico had edited
offline: the phone shows the conflict and keeps both versions until the técnico chooses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route
from sqlalchemy import Engine, text

from geo.acceso.cuentas import crear
from geo.plataforma.config import Settings
from tests.conftest import FLAGS, _sin_limites, cabeceras
from tests.test_adjuntos import FOTO_YACUIBA, jpeg

CLAVE = "clave de prueba sin red"
DOCS = Path(__file__).resolve().parents[1] / "docs"
MOVIL = {"width": 390, "height": 844}
PUNTOS = [(-22.02, -63.68), (-21.95, -63.62), (-21.85, -63.45)]  # in Yacuiba


@pytest.fixture
def preparado(demo_engine: Engine, servidor: str) -> Iterator[dict[str, Any]]:
    """A técnico of the Chaco unit, and an alliance of the unit he will edit offline."""
    _sin_limites(demo_engine)
    with demo_engine.begin() as conn:
        crear(conn, "red.tecnico", "Técnica sin red (prueba)", "tecnico", "CHACO", CLAVE)
    api = httpx.Client(base_url=servidor + "/api/v1", timeout=30)
    r = api.post(
        "/alianzas",
        json={"codigo": "SINRED-E", "nombre": "Alianza a editar sin red", "sector": "apicultura",
              "modelo": 1, "financiamiento": "inicial", "familias": 20, "familias_mujeres": 5,
              "lon": -63.677, "lat": -22.015},
        headers=cabeceras(Settings(), "unidad", "CHACO"),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    yield {"api": api, "editada": r.json()}
    api.close()
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM adjunto WHERE recurso = 'alianza' AND registro_id IN "
                          "(SELECT id FROM alianza WHERE codigo LIKE 'SINRED-%')"))  # fmt: skip
        conn.execute(text("DELETE FROM seguimiento WHERE alianza_id IN "
                          "(SELECT id FROM alianza WHERE codigo LIKE 'SINRED-%')"))  # fmt: skip
        conn.execute(text("DELETE FROM alianza WHERE codigo LIKE 'SINRED-%'"))
        conn.execute(text("DELETE FROM usuario WHERE nombre_usuario = 'red.tecnico'"))


def _abrir_navegador(navegador: Browser, carpeta: Path) -> BrowserContext:
    """A browser with a profile on disk: closing it and opening it again is a restart."""
    return navegador.browser_type.launch_persistent_context(
        str(carpeta),
        executable_path="/usr/bin/chromium",
        args=FLAGS,
        viewport=MOVIL,
        service_workers="allow",
    )


def _listo(page: Page) -> None:
    page.wait_for_selector("#mapa[data-listo]", state="attached", timeout=60000)


def _ingresar(page: Page) -> None:
    page.click("#boton-ingresar")
    page.fill("#usuario", "red.tecnico")
    page.fill("#clave", CLAVE)
    page.click("#ingreso-form button[type=submit]")
    page.wait_for_selector("#trabajo:not([hidden])", timeout=15000)


def _nueva(page: Page, codigo: str, punto: tuple[float, float]) -> None:
    page.click("#boton-nueva-alianza")
    page.wait_for_selector("#form-alianza")
    page.fill("#f-codigo", codigo)
    page.fill("#f-nombre", f"Alianza {codigo}")
    page.select_option("#f-sector", "apicultura")
    page.select_option("#f-modelo", "1")
    page.select_option("#f-financiamiento", "inicial")
    page.fill("#f-familias", "15")
    page.fill("#f-familias_mujeres", "6")
    page.fill("#f-coordenadas", f"{punto[0]}, {punto[1]}")
    page.dispatch_event("#f-coordenadas", "change")
    page.wait_for_selector("#f-lugar strong", timeout=15000)
    assert "provisional" in page.inner_text("#f-lugar")
    page.click("#form-alianza button[type=submit]")
    page.wait_for_selector("#espacio .sellos >> text=Sin enviar", timeout=15000)


def _contar(api: httpx.Client, codigo: str) -> int:
    r = api.get("/alianzas", params={"q": codigo}, headers=cabeceras(Settings(), "nacional"))
    return sum(1 for a in r.json()["data"] if a["codigo"] == codigo)


def test_offline_entries_survive_a_restart_and_sync_once_even_when_cut(
    navegador: Browser, servidor: str, preparado: dict[str, Any], tmp_path: Path
) -> None:
    api = preparado["api"]
    editada = preparado["editada"]
    perfil = tmp_path / "perfil"

    # 1. online: the app, the service worker, the session, the unit's alliances kept
    contexto = _abrir_navegador(navegador, perfil)
    page = contexto.pages[0] if contexto.pages else contexto.new_page()
    page.goto(servidor + "/")
    _listo(page)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    _ingresar(page)
    page.wait_for_timeout(1500)  # the copy of the unit's alliances

    # 2. no network: reload, it works
    contexto.set_offline(True)
    page.reload()
    _listo(page)
    assert page.locator("path.leaflet-interactive").count() == 16  # the unit landed on: Chaco
    # The session of this tab survives the reload. The staff toolbar shows once the staff
    # modules have loaded, after the first map (body[data-modulos]; until then it is
    # visibility: hidden): checked the moment the map was ready, it read as hidden when the
    # modules took a moment longer.
    assert page.evaluate("() => sessionStorage.getItem('sigg.sesion') !== null")
    page.wait_for_selector("body[data-modulos]", state="attached", timeout=30000)
    assert page.locator("#trabajo").is_visible()
    assert page.locator("#boton-ingresar").is_hidden()

    # 3. three alliances, a visit and a photo for the first, and a change to an existing one
    for i, punto in enumerate(PUNTOS, 1):
        _nueva(page, f"SINRED-{i}", punto)
        if i == 1:
            page.click("text=+ Registrar visita de seguimiento")
            page.fill("#f-ventas_bs", "8000")
            page.fill("#f-costos_bs", "5000")
            page.click("#form-seguimiento button[type=submit]")
            page.wait_for_selector("#ficha-seguimientos >> text=sin enviar", timeout=10000)
            page.set_input_files(
                "#ficha-adjuntos input[type=file]",
                files=[{"name": "colmenas.jpg", "mimeType": "image/jpeg",
                        "buffer": jpeg(FOTO_YACUIBA)}],
            )  # fmt: skip
            page.wait_for_selector("#ficha-adjuntos .nota-info", timeout=10000)
    page.evaluate(
        "(id) => document.dispatchEvent(new CustomEvent('sigg:abrir-ficha',"
        " { detail: { recurso: 'alianzas', id } }))",
        editada["id"],
    )
    page.wait_for_selector("#espacio .resultado-accion >> text=Sin conexión", timeout=15000)
    page.click("#espacio button:text-is('Editar')")
    page.wait_for_selector("#form-alianza")
    page.fill("#f-familias", "33")
    page.click("#form-alianza button[type=submit]")
    page.wait_for_selector("#espacio .sellos >> text=Sin enviar", timeout=15000)
    assert page.inner_text("#boton-cola").startswith("6 por enviar")
    page.click("#boton-cola")
    page.wait_for_selector("#cola-lista .operacion")
    page.screenshot(path=str(DOCS / "sin-red-cola-390.png"), full_page=True)

    # 4. the browser closes and opens again, still with no network: still queued
    contexto.close()
    contexto = _abrir_navegador(navegador, perfil)
    contexto.set_offline(True)
    page = contexto.pages[0] if contexto.pages else contexto.new_page()
    page.goto(servidor + "/")
    _listo(page)
    page.wait_for_selector("#boton-cola:not([hidden])", timeout=15000)
    assert page.inner_text("#boton-cola").startswith("6 por enviar")

    # meanwhile the unit changes the alliance the técnico edited
    unidad = cabeceras(Settings(), "unidad", "CHACO")
    r = api.patch(f"/alianzas/{editada['id']}", json={"familias": 25},
                  headers=unidad | {"If-Match": f'"{editada["version"]}"'})  # fmt: skip
    assert r.status_code == 200, r.text

    # 5. online again: the login (lost with the browser) is asked, then the queue goes; the
    # first attempt is cut after two operations reached the server (their answers are lost)
    llegadas: list[str] = []

    def cortar(route: Route) -> None:
        if route.request.method == "GET" or "/sesion/" in route.request.url:
            route.continue_()
            return
        llegadas.append(route.request.url)
        if len(llegadas) == 2:
            pedido = route.request
            hecho = httpx.request(pedido.method, pedido.url, headers=pedido.headers,
                                  content=pedido.post_data_buffer, timeout=30)  # fmt: skip
            assert hecho.status_code == 201, hecho.text  # the server does it...
            route.abort("connectionreset")  # ...and the phone never hears back
            return
        route.continue_()

    contexto.route("**/api/v1/**", cortar)  # the context's route sees the service worker's too
    contexto.set_offline(False)
    _ingresar(page)
    # the first alliance went; its visit reached the server but its answer was lost
    page.wait_for_function(
        "() => document.getElementById('boton-cola').textContent.startsWith('5 por enviar')",
        timeout=30000,
    )
    # the second operation may still be on its way when the first one's answer is drawn: let
    # the route see it (Playwright runs the route's handler while the page waits)
    for _ in range(150):
        if len(llegadas) >= 2:
            break
        page.wait_for_timeout(100)
    contexto.unroute("**/api/v1/**")
    assert len(llegadas) == 2
    assert _contar(api, "SINRED-1") == 1 and _contar(api, "SINRED-2") == 0
    page.click("#boton-cola")
    page.click("#cola-enviar")
    page.wait_for_selector("#cola-lista .estado-conflicto", timeout=30000)
    for codigo in ("SINRED-1", "SINRED-2", "SINRED-3"):
        assert _contar(api, codigo) == 1, codigo
    nacional = cabeceras(Settings(), "nacional")
    uno = api.get("/alianzas", params={"q": "SINRED-1"}, headers=nacional).json()["data"][0]
    assert uno["municipio"]["codigo"] == "060301"
    visitas = api.get(f"/alianzas/{uno['id']}/seguimientos", headers=nacional).json()["data"]
    # the visit went twice with one key: one visit
    assert [(v["ciclo"], v["ingreso_bs"]) for v in visitas] == [(0, 3000)]
    fotos = api.get(f"/alianzas/{uno['id']}/adjuntos", headers=nacional).json()["data"]
    assert [f["nombre"] for f in fotos] == ["colmenas.jpg"]

    # 6. the conflict: both versions until the técnico chooses
    assert page.locator("#cola-lista .operacion").count() == 1
    page.click("#cola-lista .estado-conflicto button:text-is('Ver el conflicto')")
    tabla = page.locator(".conflicto table")
    tabla.wait_for(timeout=10000)
    fila = tabla.locator("tr", has=page.locator("th", has_text="familias"))
    assert fila.locator("td").all_inner_texts() == ["33", "25"]
    page.screenshot(path=str(DOCS / "sin-red-conflicto-390.png"), full_page=True)
    assert api.get(f"/alianzas/{editada['id']}", headers=nacional).json()["familias"] == 25
    page.click(".conflicto button[data-eleccion=mia]")
    page.wait_for_selector("#espacio .nota-info >> text=su versión quedó guardada", timeout=15000)
    assert api.get(f"/alianzas/{editada['id']}", headers=nacional).json()["familias"] == 33
    assert page.locator("#boton-cola").is_hidden()
    contexto.close()
