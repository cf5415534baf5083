"""The staff session in a real browser: the must-show path of the verification, ending on the
public map. A Chaco técnico's alliance in Yacuiba, verified by the Chaco unit, is validated by
national coordination from the page's tray; only then does the public map serve it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine, text

from geo.acceso.cuentas import crear
from geo.plataforma.config import Settings
from tests.conftest import cabeceras
from tests.test_web import _abrir

CLAVE = "clave de prueba web"


@pytest.fixture
def alianza_verificada(servidor: str, demo_engine: Engine) -> Iterator[int]:
    """WEB-1 in Yacuiba: entered by a Chaco técnico, verified by the Chaco unit; a national
    account to log in with. Both are committed to the demo database, and removed afterwards."""
    settings = Settings()
    with demo_engine.begin() as conn:
        crear(conn, "web.nacional", "Coordinación (prueba web)", "nacional", None, CLAVE)
    api = httpx.Client(base_url=servidor + "/api/v1", timeout=30)
    r = api.post(
        "/alianzas",
        json={"codigo": "WEB-1", "nombre": "Miel de prueba web", "sector": "apicultura",
              "modelo": 1, "financiamiento": "adicional", "familias": 12, "familias_mujeres": 5,
              "lon": -63.677, "lat": -22.015},
        headers=cabeceras(settings, "tecnico", "CHACO"),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    aid = r.json()["id"]
    r = api.post(
        f"/alianzas/{aid}/verificacion",
        json={"accion": "verificar"},
        headers=cabeceras(settings, "unidad", "CHACO") | {"If-Match": '"1"'},
    )
    assert r.json()["estado"] == "verificado"
    yield aid
    nacional = cabeceras(settings, "nacional")
    version = api.get(f"/alianzas/{aid}", headers=nacional).headers["etag"]
    if api.get(f"/alianzas/{aid}", headers=nacional).json()["estado"] == "validado":
        r = api.post(
            f"/alianzas/{aid}/verificacion",
            json={"accion": "reabrir", "comentario": "fin de la prueba"},
            headers=nacional | {"If-Match": version},
        )
        version = r.headers["etag"]
    api.delete(f"/alianzas/{aid}", headers=nacional | {"If-Match": version})
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM usuario WHERE nombre_usuario = 'web.nacional'"))
    api.close()


def _publico_ve(page: Page, codigo: str) -> bool:
    codigos = page.evaluate(
        """async () => {
            const r = await fetch('/api/v1/mapa/puntos?tipo=alianzas&programa=PAR2');
            return (await r.json()).features.map((f) => f.properties.codigo);
        }"""
    )
    return codigo in codigos


def test_national_validates_from_the_tray_and_only_then_the_public_map_shows_it(
    pagina: Page,
    servidor: str,
    alianza_verificada: int,
) -> None:
    _abrir(pagina, servidor + "/")
    assert pagina.locator("#vista-publica").is_visible()
    assert not _publico_ve(pagina, "WEB-1")
    pagina.click("#boton-ingresar")
    pagina.fill("#usuario", "web.nacional")
    pagina.fill("#clave", "no es la clave")
    pagina.click("#ingreso-form button[type=submit]")
    pagina.wait_for_function(
        "() => document.querySelector('#ingreso-error').textContent.length > 0"
    )
    assert "incorrectos" in pagina.text_content("#ingreso-error")
    pagina.fill("#clave", CLAVE)
    pagina.click("#ingreso-form button[type=submit]")
    item = pagina.locator("#bandeja-lista li[data-codigo='WEB-1']")
    item.wait_for(timeout=15000)
    assert "Coordinación nacional" in pagina.text_content("#sesion-quien")
    assert not pagina.locator("#vista-publica").is_visible()
    assert not _publico_ve(pagina, "WEB-1")  # still verified only
    item.locator("button[data-accion='validar']").click()
    item.locator("button[data-confirmar='validar']").click()  # asked first: "¿Validar WEB-1?"
    item.wait_for(state="detached", timeout=15000)
    assert "WEB-1 fue validada" in pagina.text_content("#bandeja-aviso")
    pagina.click("#boton-salir")
    assert pagina.locator("#vista-publica").is_visible()
    assert pagina.evaluate("sessionStorage.getItem('sigg.sesion')") is None
    assert _publico_ve(pagina, "WEB-1")
    assert pagina.errores == []  # type: ignore[attr-defined]
