"""The map page as an installable application that starts with no network (issue 15): Debian's
Chromium with the service worker allowed (the ``pagina`` fixture blocks it, since requests it
answers escape ``route``), against the API over the demo database. The page is loaded once
online; offline, a reload draws the municipal choropleth with the last values and figures. A
login's answers stay in a cache of that session, gone at logout; a changed shell file reaches
the browser through the new service worker."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import Engine, text

from geo.acceso.cuentas import crear
from geo.plataforma.config import PROJECT_ROOT
from tests.conftest import _puerto_libre, _sin_limites

DOCS = PROJECT_ROOT / "docs"
WEB = PROJECT_ROOT / "web" / "static"
CLAVE = "clave de la prueba sin red"
USUARIO = "sinred.unidad"
LEER_CACHE = """async (nombre) => {
  const c = await caches.open(nombre);
  return (await c.keys()).map((r) => new URL(r.url).pathname + new URL(r.url).search);
}"""

CON_VALORES_PRIVADOS = """async () => {
  for (const n of await caches.keys()) {
    const claves = n.startsWith("sigg-privado-") ? await (await caches.open(n)).keys() : [];
    if (claves.some((r) => r.url.includes("/mapa/valores"))) return true;
  }
  return false;
}"""


def _esperar(page: Page, condicion: str, segundos: float = 20) -> None:
    """Poll an async condition (wait_for_function takes its promise for a truthy value)."""
    limite = time.monotonic() + segundos
    while not page.evaluate(condicion):
        assert time.monotonic() < limite, condicion
        page.wait_for_timeout(100)


def _contexto(navegador: Browser, tamano: dict[str, int]) -> tuple[BrowserContext, list[str]]:
    """A context with the service worker allowed, no ``route``; requests beyond localhost are
    recorded for the test to refuse."""
    contexto = navegador.new_context(viewport=tamano, service_workers="allow")
    externas: list[str] = []

    def anotar(request: Any) -> None:
        if urlparse(request.url).hostname not in ("127.0.0.1", "localhost"):
            externas.append(request.url)

    contexto.on("request", anotar)
    return contexto, externas


def _instalar(page: Page, url: str) -> None:
    """Open the page online and wait until the service worker controls it and holds what the
    page read (instalar.js marks <html data-sin-red="listo">)."""
    page.goto(url)
    page.wait_for_selector("#mapa[data-listo]", state="attached", timeout=30000)
    page.wait_for_selector("html[data-sin-red=listo]", state="attached", timeout=30000)
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")


def _recargar_sin_red(page: Page, contexto: BrowserContext) -> Any:
    contexto.set_offline(True)
    respuesta = page.reload()
    page.wait_for_selector("#mapa[data-listo]", state="attached", timeout=30000)
    return respuesta


@pytest.mark.parametrize("tamano", [{"width": 390, "height": 844}, {"width": 1440, "height": 900}])
def test_with_no_network_a_reload_draws_the_map_with_the_last_values(
    navegador: Browser, servidor: str, tamano: dict[str, int]
) -> None:
    contexto, externas = _contexto(navegador, tamano)
    page = contexto.new_page()
    errores: list[str] = []
    page.on("pageerror", lambda e: errores.append(str(e)))
    _instalar(page, servidor + "/")
    cifras = page.locator("#titulares").inner_text()
    leyenda = page.locator(".leyenda").inner_text()

    respuesta = _recargar_sin_red(page, contexto)
    assert respuesta is not None and respuesta.from_service_worker  # the shell, from its cache
    assert page.locator("path.leaflet-interactive").count() == 339
    assert page.locator(".leyenda").inner_text() == leyenda  # the same classes, from the cache
    page.wait_for_function(
        "(antes) => document.querySelector('#titulares').innerText === antes", arg=cifras
    )
    assert "1.101" in cifras  # the demo's alliances: a figure, not an empty dashboard
    assert page.locator("#aviso").is_hidden()  # no "No se pudo contactar la API"
    assert page.locator("#medida option").count() > 5  # the controls, from the cache too
    assert errores == [] and externas == []
    if tamano["width"] < 900:  # on a phone the map sits below the filters
        page.evaluate("() => document.getElementById('vista').scrollIntoView()")
    page.screenshot(path=str(DOCS / f"sin-red-{tamano['width']}.png"))
    contexto.close()


def test_the_manifest_names_the_application_and_its_icons_answer(servidor: str) -> None:
    with httpx.Client(base_url=servidor, timeout=30) as http:
        r = http.get("/manifest.webmanifest")
        assert r.headers["content-type"] == "application/manifest+json"
        m = r.json()
        assert (m["name"], m["short_name"]) == ("SIGG · Alianzas rurales", "SIGG")
        assert (m["start_url"], m["display"], m["theme_color"]) == ("/", "standalone", "#12355b")
        tamanos = set()
        for icono in m["icons"]:
            png = http.get(icono["src"])
            assert png.status_code == 200 and png.headers["content-type"] == "image/png"
            lado = Image.open(io.BytesIO(png.content)).size
            assert f"{lado[0]}x{lado[1]}" == icono["sizes"]
            tamanos.add(icono["sizes"])
        assert tamanos == {"192x192", "512x512"}
        pagina = http.get("/").text
        assert '<link rel="manifest" href="/manifest.webmanifest">' in pagina
        assert '<meta name="theme-color" content="#12355b">' in pagina


def test_the_service_worker_controls_the_root_and_precaches_every_file_the_page_loads(
    servidor: str,
) -> None:
    with httpx.Client(base_url=servidor, timeout=30) as http:
        r = http.get("/sw.js")
        assert r.headers["content-type"].startswith("application/javascript")
        assert r.headers["service-worker-allowed"] == "/"
        assert r.headers["cache-control"] == "no-cache"
        primera, _, resto = r.text.partition("\n")
        assert primera.startswith("self.__SIGG_PRECACHE = ") and primera.endswith(";")
        precache = dict(json.loads(primera.removeprefix("self.__SIGG_PRECACHE = ")[:-1]))
        # Workbox from this server, never from its CDN.
        assert 'modulePathPrefix: "/static/vendor/workbox/"' in resto
        assert "googleapis" not in resto
        pagina = http.get("/").text
        cargados = set(re.findall(r'(?:src|href)="(/(?:static|vendor)/[^"]+)"', pagina))
        assert cargados - {"/static/sw.js"} <= set(precache)
        for modulo in re.findall(r'import\("(/static/[^"]+)"\)', (WEB / "app.js").read_text()):
            assert modulo in precache  # loaded later (the search box): there offline too
        # Each entry's revision is the hash of exactly what the server sends for that URL.
        for url, revision in precache.items():
            cuerpo = http.get(url).content
            assert hashlib.sha256(cuerpo).hexdigest()[:16] == revision, url
        for modulo in ("sw", "core", "routing", "strategies", "precaching", "expiration"):
            nombre = "workbox-sw.js" if modulo == "sw" else f"workbox-{modulo}.prod.js"
            assert http.get(f"/static/vendor/workbox/{nombre}").status_code == 200
        assert "export {" in http.get("/static/vendor/idb-keyval/index.js").text


def test_the_page_csp_lets_only_this_server_give_the_worker_and_the_manifest(
    servidor: str,
) -> None:
    csp = httpx.get(servidor + "/", timeout=30).headers["content-security-policy"]
    directivas = {d.split()[0]: " ".join(d.split()[1:]) for d in csp.split(";") if d.strip()}
    assert directivas["worker-src"] == "'self'" and directivas["manifest-src"] == "'self'"
    assert directivas["script-src"] == "'self'"


@pytest.fixture(scope="module")
def cuenta(demo_engine: Engine) -> Iterator[str]:
    with demo_engine.begin() as conn:
        crear(conn, USUARIO, "Unidad Chaco (sin red)", "unidad", "CHACO", CLAVE)
    yield USUARIO
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM usuario WHERE nombre_usuario = :u"), {"u": USUARIO})


def test_a_logins_answers_stay_in_its_own_cache_and_leave_with_the_logout(
    navegador: Browser, servidor: str, cuenta: str, demo_engine: Engine
) -> None:
    _sin_limites(demo_engine)
    contexto, externas = _contexto(navegador, {"width": 1440, "height": 900})
    page = contexto.new_page()
    _instalar(page, servidor + "/")
    page.click("#boton-ingresar")
    page.fill("#usuario", cuenta)
    page.fill("#clave", CLAVE)
    page.click("#ingreso-form button[type=submit]")
    page.wait_for_selector("#trabajo:not([hidden])", timeout=10000)

    def cache_privada() -> list[str]:
        nombres = page.evaluate("() => caches.keys()")
        return [n for n in nombres if n.startswith("sigg-privado-")]

    # The unit's user lands on the unit: the map asks its values again, now with the login.
    _esperar(page, CON_VALORES_PRIVADOS)
    (privada,) = cache_privada()
    # The staff's figures (validated only: ?validados=true) are in the session's cache, and
    # never in the shared one another person using this browser could be answered from.
    assert any("validados=true" in u for u in page.evaluate(LEER_CACHE, privada))
    assert not any("validados=true" in u for u in page.evaluate(LEER_CACHE, "sigg-datos"))

    page.click("#boton-salir")
    _esperar(page, "async () => !(await caches.keys()).some((n) => n.startsWith('sigg-privado-'))")
    assert cache_privada() == [] and externas == []
    contexto.close()


@pytest.fixture(scope="module")
def servidor_copia(demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The API serving a copy of web/static (over the demo database), so that a test may change
    a file of the shell without touching the project's."""
    copia = tmp_path_factory.mktemp("web") / "static"
    shutil.copytree(WEB, copia, ignore=shutil.ignore_patterns("swagger-ui-dist", "redoc"))
    puerto = _puerto_libre()
    arranque = (
        "import sys, pathlib, uvicorn, api.main as m; m.WEB = pathlib.Path(sys.argv[1]); "
        "uvicorn.run(m.create_app(), host='127.0.0.1', port=int(sys.argv[2]), log_level='warning')"
    )
    url = demo_engine.url.render_as_string(hide_password=False)
    proceso = subprocess.Popen(
        [sys.executable, "-c", arranque, str(copia), str(puerto)],
        env=os.environ | {"SIGG_DATABASE_URL": url},
        cwd=PROJECT_ROOT,
    )
    base = f"http://127.0.0.1:{puerto}"
    for _ in range(200):
        try:
            httpx.get(base + "/api/v1/health", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield base, copia
    proceso.terminate()
    proceso.wait(timeout=10)


def test_a_changed_shell_file_reaches_the_browser_through_the_new_service_worker(
    navegador: Browser, servidor_copia: tuple[str, Path]
) -> None:
    base, copia = servidor_copia
    contexto, externas = _contexto(navegador, {"width": 1440, "height": 900})
    page = contexto.new_page()
    _instalar(page, base + "/")
    hoja = copia / "app.css"
    hoja.write_text(hoja.read_text() + "\n/* versión nueva de la hoja */\n")
    # The browser checks /sw.js on every navigation; asked here directly. The new worker takes
    # over at once (skipWaiting, clientsClaim) with the new hash of app.css.
    page.evaluate(
        """async () => {
          const cambio = new Promise((ok) => navigator.serviceWorker.addEventListener(
            "controllerchange", ok, { once: true }));
          await (await navigator.serviceWorker.getRegistration()).update();
          await cambio;
        }"""
    )
    _recargar_sin_red(page, contexto)
    servida = page.evaluate("async () => (await fetch('/static/app.css')).text()")
    assert servida.endswith("/* versión nueva de la hoja */\n")
    assert page.locator("path.leaflet-interactive").count() == 339
    assert externas == []
    contexto.close()
