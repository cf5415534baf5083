"""The map's points drawn from the server's vector tiles (issue 17), in Chromium over the
calibrated demo: ticking a type of points asks for .pbf tiles with the map's filters (never the
one GeoJSON of /mapa/puntos); below zoom 9 the clusters' counts, written in Bolivian format, add
up to the selection the API holds; from zoom 9 on each record is a point whose click opens its
popup with the stage's label; the tiles carry the reader's login, so a técnico sees the record
in verification of its unit that the public does not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine

from geo.plataforma.config import Settings
from tests.conftest import DIBUJADO, cabeceras

DOCS = Path(__file__).resolve().parents[1] / "docs"
ESCRITORIO = {"width": 1440, "height": 900}
MOVIL = {"width": 390, "height": 844}
CLAVE = "clave de las pruebas"  # tests/conftest.py cuentas_de_prueba
CODIGO = "TESELA-1"
LUGAR = (-63.6305, -21.9870)  # lon, lat in Yacuiba (Chaco)
GRUPOS = ".leaflet-marker-icon.grupo-{tipo}"


def _es_bo(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _abrir(page: Page, url: str, tamano: dict[str, int] = ESCRITORIO) -> None:
    page.set_viewport_size(tamano)
    page.goto(url)
    page.wait_for_selector(DIBUJADO, state="attached", timeout=30000)


def _ver(page: Page, tipo: str) -> None:
    """Tick a type of points, as a person does (on a phone, in the filters drawer)."""
    movil = page.viewport_size is not None and page.viewport_size["width"] < 900
    if movil:
        page.click("#boton-filtros")
        page.wait_for_selector("#controles.abierto")
    page.check(f"#ver-{tipo}")
    if movil:
        page.click("#filtros-listo")
        page.wait_for_selector("#controles:not(.abierto)", state="attached")


def _grupos_listos(page: Page, tipo: str) -> None:
    page.wait_for_selector(GRUPOS.format(tipo=tipo), timeout=20000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)  # the merge waits for the next frame


def _ir(page: Page, lon: float, lat: float, zoom: float) -> None:
    page.evaluate(
        "([lat, lon, z]) => mapa.setView([lat, lon], z, { animate: false })", [lat, lon, zoom]
    )
    page.wait_for_function(
        "() => document.querySelector('.leyenda-puntos .fila, .leyenda-puntos .meta')"
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)


def _clic_en(page: Page, lon: float, lat: float) -> None:
    x, y = page.evaluate(
        """([lat, lon]) => {
            const p = mapa.latLngToContainerPoint([lat, lon]);
            const r = document.getElementById('mapa').getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def _puntos_api(page: Page, consulta: str) -> list[dict]:
    """The same selection as the GeoJSON the page no longer asks for (the API still serves it)."""
    return page.evaluate(
        "async (q) => (await (await fetch('/api/v1/mapa/puntos?' + q)).json()).features", consulta
    )


@pytest.fixture(scope="module")
def en_verificacion(servidor: str, demo_engine: Engine) -> Iterator[dict]:
    """TESELA-1 in Yacuiba, entered by a Chaco técnico and not validated: its unit's staff may
    read it, the public may not. Committed to the demo database, and removed afterwards."""
    settings = Settings()
    api = httpx.Client(base_url=servidor + "/api/v1", timeout=30)
    r = api.post(
        "/alianzas",
        json={"codigo": CODIGO, "nombre": "Cacao de prueba en teselas", "sector": "apicultura",
              "modelo": 1, "financiamiento": "adicional", "familias": 1234, "familias_mujeres": 5,
              "lon": LUGAR[0], "lat": LUGAR[1]},
        headers=cabeceras(settings, "tecnico", "CHACO"),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    alianza = r.json()
    yield alianza
    nacional = cabeceras(settings, "nacional")
    version = api.get(f"/alianzas/{alianza['id']}", headers=nacional).headers["etag"]
    api.delete(f"/alianzas/{alianza['id']}", headers=nacional | {"If-Match": version})
    api.close()


def test_ticking_alliances_asks_for_tiles_with_the_filters_and_the_counts_add_up(pagina, servidor):
    pedidas: list[str] = []
    pagina.on("request", lambda r: pedidas.append(r.url))
    _abrir(pagina, servidor + "/#programa=PAR2&sector=apicultura")
    _ver(pagina, "alianzas")
    _grupos_listos(pagina, "alianzas")

    teselas = [urlparse(u) for u in pedidas if "/api/v1/teselas/" in u]
    assert teselas, "no tile was asked for"
    assert not [u for u in pedidas if "/mapa/puntos" in u]
    for u in teselas:
        assert u.path.startswith("/api/v1/teselas/alianzas/") and u.path.endswith(".pbf")
        q = parse_qs(u.query)
        assert q["sector"] == ["apicultura"] and q["programa"] == ["PAR2"]
        assert q["etapa_alcanzada"] == ["convenio_firmado"]  # the map's default filter

    grupos = pagina.eval_on_selector_all(
        GRUPOS.format(tipo="alianzas"), "gs => gs.map(g => [+g.dataset.cantidad, g.textContent])"
    )
    esperados = _puntos_api(
        pagina, "tipo=alianzas&programa=PAR2&sector=apicultura&etapa_alcanzada=convenio_firmado"
    )
    assert sum(n for n, _ in grupos) == len(esperados) > 0
    assert all(texto == _es_bo(n) for n, texto in grupos)
    # Circles never overlap: any two centres are at least two radii apart.
    cajas = pagina.eval_on_selector_all(
        GRUPOS.format(tipo="alianzas"),
        """gs => gs.map(g => {
            const r = g.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2, r.width / 2];
        })""",
    )
    for i, (x1, y1, r1) in enumerate(cajas):
        for x2, y2, r2 in cajas[i + 1 :]:
            assert ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5 >= r1 + r2 - 1

    # a new filter draws new tiles with it, and the counts follow
    pedidas.clear()
    pagina.select_option("#sector", "")
    pagina.wait_for_function("() => !location.hash.includes('sector=')")
    _grupos_listos(pagina, "alianzas")
    assert [u for u in pedidas if "/api/v1/teselas/alianzas/" in u]
    assert not [u for u in pedidas if "/api/v1/teselas/" in u and "sector=" in u]
    todas = _puntos_api(pagina, "tipo=alianzas&programa=PAR2&etapa_alcanzada=convenio_firmado")
    pagina.wait_for_timeout(500)
    suma = pagina.eval_on_selector_all(
        GRUPOS.format(tipo="alianzas"), "gs => gs.reduce((s, g) => s + +g.dataset.cantidad, 0)"
    )
    assert suma == len(todas)
    assert len(todas) > len(esperados)
    pagina.screenshot(path=str(DOCS / "teselas-grupos-1440.png"))
    assert pagina.errores == []


def test_a_cluster_zooms_in_and_from_zoom_9_a_point_opens_its_popup(pagina, servidor):
    _abrir(pagina, servidor + "/")
    _ver(pagina, "subproyectos")
    _grupos_listos(pagina, "subproyectos")
    antes = pagina.evaluate("mapa.getZoom()")
    pagina.locator(GRUPOS.format(tipo="subproyectos")).first.click()
    pagina.wait_for_function("(z) => mapa.getZoom() > z", arg=antes)
    pagina.wait_for_load_state("networkidle")
    pagina.wait_for_timeout(500)  # the zoom's animation ends

    punto = _puntos_api(pagina, "tipo=subproyectos&programa=PAR2")[0]
    lon, lat = punto["geometry"]["coordinates"]
    _ir(pagina, lon, lat, 13)
    assert pagina.locator(GRUPOS.format(tipo="subproyectos")).count() == 0
    etapas = pagina.eval_on_selector_all(
        ".leyenda-puntos .fila", "fs => fs.map(f => f.textContent)"
    )
    assert punto["properties"]["etapa_nombre"] in etapas

    _clic_en(pagina, lon, lat)
    popup = pagina.locator(".leaflet-popup-content .ficha-punto")
    popup.wait_for(timeout=5000)
    texto = popup.inner_text()
    p = punto["properties"]
    assert p["nombre"] in texto and p["codigo"] in texto and p["etapa_nombre"] in texto
    assert p["etapa"] not in texto  # the label, never the code
    assert "sel=" not in pagina.url  # the municipality under the point was not selected
    pagina.wait_for_timeout(400)  # the popup's fade-in, for the picture
    pagina.screenshot(path=str(DOCS / "teselas-puntos-popup-1440.png"))
    assert pagina.errores == []


def test_on_a_phone_the_clusters_and_their_folded_legend_leave_the_map_free(pagina, servidor):
    _abrir(pagina, servidor + "/", MOVIL)
    _ver(pagina, "alianzas")
    _grupos_listos(pagina, "alianzas")
    leyenda = pagina.locator(".leyenda-puntos")
    assert "plegada" in (leyenda.get_attribute("class") or "")
    caja = leyenda.bounding_box()
    assert caja is not None and caja["width"] < MOVIL["width"] / 2
    pagina.screenshot(path=str(DOCS / "teselas-grupos-390.png"))
    leyenda.locator(".titulo-leyenda").click()
    assert "Alianzas" in leyenda.inner_text()
    assert pagina.errores == []


@pytest.mark.parametrize("rol", ["unidad", "tecnico"])
def test_the_tiles_carry_the_login_a_unit_sees_its_record_in_verification(
    pagina, servidor, en_verificacion, rol
):
    lon, lat = LUGAR
    vista = "/#programa=PAR2&etapa_alcanzada=&registros=todos"
    _abrir(pagina, servidor + vista)
    _ver(pagina, "alianzas")
    _ir(pagina, lon, lat, 14)
    _clic_en(pagina, lon, lat)
    pagina.wait_for_timeout(300)
    assert CODIGO not in pagina.locator("#mapa").inner_text()  # the public: not there

    pedidas: list[dict[str, str]] = []
    pagina.on(
        "request", lambda r: pedidas.append(r.headers) if "/api/v1/teselas/" in r.url else None
    )
    pagina.click("#boton-ingresar")
    pagina.fill("#usuario", f"{rol}.chaco")
    pagina.fill("#clave", CLAVE)
    pagina.click("#ingreso-form button[type=submit]")
    pagina.wait_for_function("() => !document.querySelector('#boton-salir').hidden", timeout=15000)
    # the page takes a unit's staff to their unit, out of the town the public was looking at
    # (zoom 14; the unit is drawn at 7 to 8): wait until the view is there, then go on
    pagina.wait_for_function(
        "() => location.hash.includes('sel=unidad_operativa%3ACHACO') && mapa.getZoom() < 9",
        timeout=15000,
    )
    pagina.wait_for_load_state("networkidle")
    pagina.check("#registros-todos")
    _ir(pagina, lon, lat, 14)
    assert pedidas and all(h.get("authorization", "").startswith("Bearer ") for h in pedidas)
    # the unit's tile is drawn with the record in it (the public's held none here)
    pagina.wait_for_function("() => +mapa.getContainer().dataset.puntosAlianzas > 0")
    # the record's own page cannot be reached (as offline): the families come with the tile
    detalle = re.compile(r"/api/v1/alianzas/[0-9]+$")
    pagina.route(detalle, lambda ruta: ruta.abort())
    _clic_en(pagina, lon, lat)
    popup = pagina.locator(".leaflet-popup-content .ficha-punto")
    popup.wait_for(timeout=5000)
    assert popup.get_attribute("data-codigo") == CODIGO
    texto = popup.inner_text()
    pagina.unroute(detalle)
    assert "1.234 familias" in texto  # the test's record, in Bolivian format
    assert "Cacao de prueba en teselas" in texto and "Registrado" in texto
    assert "registrado" not in texto  # the state's label, not its code
    pagina.wait_for_timeout(400)  # the popup's fade-in, for the picture
    pagina.screenshot(path=str(DOCS / f"teselas-{rol}-en-verificacion-1440.png"))
    assert pagina.errores == []
