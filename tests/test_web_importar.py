"""The import from the page (issue 14) in a real browser: Debian's Chromium against the API over
the demo database, on a phone (390x844) and a desktop (1440x900). A Chaco técnico sends a file
with two bad rows: the dry run's table shows exactly those two rows, downloadable as a CSV, and
nothing is written. The fixed file is checked with a progress bar, confirmed and imported; the
page is closed mid-import and, reopened, the dialog shows the job going on to its end; the
alliances are then there for the API."""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import Engine, text

from geo.plataforma.config import Settings
from tests.conftest import DIBUJADO, cabeceras

DOCS = Path(__file__).resolve().parents[1] / "docs"
TAMANOS = {"390": {"width": 390, "height": 844}, "1440": {"width": 1440, "height": 900}}
CLAVE = "clave de las pruebas"  # the test accounts' (tests/conftest.py, cuentas_de_prueba)
FILAS = 25_000  # three blocks of the import: its progress is seen mid-step
ENCABEZADO = (
    "Código,Nombre de la alianza,Sector,Modelo,Financiamiento,Familias,Familias (mujeres),"
    "Latitud,Longitud"
)
LAGO = "-16.0,-69.2"  # Lake Titicaca


def _csv(prefijo: str, malas: bool) -> bytes:
    filas = [
        f"{prefijo}-{i:05d},Alianza importada {i},Apicultura,1,adicional,12,5,-22.015,-63.677"
        for i in range(FILAS)
    ]
    if malas:  # rows 4 and 7 of the file (row 1 is the header)
        filas[2] = filas[2].replace(",12,5,", ",10,12,")
        filas[5] = filas[5].replace("-22.015,-63.677", LAGO)
    return ("\n".join([ENCABEZADO, *filas]) + "\n").encode()


@pytest.fixture
def limpio(servidor: str, demo_engine: Engine) -> Iterator[None]:
    """What the imports commit to the demo database is removed afterwards."""
    yield
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM alianza WHERE codigo LIKE 'WIMP%'"))
        conn.execute(text("DELETE FROM trabajo_importacion WHERE usuario = 'tecnico.chaco'"))


def _abrir(page: Page, url: str, tamano: dict[str, int]) -> None:
    page.set_viewport_size(tamano)
    page.goto(url)
    page.wait_for_selector(DIBUJADO, state="attached", timeout=30000)


def _ingresar(page: Page) -> None:
    page.click("#boton-ingresar")
    page.fill("#usuario", "tecnico.chaco")
    page.fill("#clave", CLAVE)
    page.click("#ingreso-form button[type=submit]")
    page.wait_for_selector("#trabajo:not([hidden])", timeout=10000)


def _abrir_dialogo(page: Page) -> None:
    page.click("#boton-importar")
    page.wait_for_selector("#dialogo-importar[open]")
    assert page.evaluate(
        "() => document.getElementById('dialogo-importar').contains(document.activeElement)"
    ), "focus did not move into the dialog"


def _elegir(page: Page, nombre: str, datos: bytes) -> None:
    page.set_input_files(
        "#importar-archivo", files=[{"name": nombre, "mimeType": "text/csv", "buffer": datos}]
    )


def _vigilar_avance(page: Page) -> None:
    """Record every step of the progress bar the page draws (its value and text)."""
    page.evaluate(
        """() => {
            window.avances = [];
            const anotar = () => {
                const b = document.getElementById('importar-progreso');
                if (b) window.avances.push([b.getAttribute('value'),
                    document.getElementById('importar-filas').textContent]);
            };
            new MutationObserver(anotar).observe(document.getElementById('dialogo-importar'),
                { subtree: true, childList: true, characterData: true, attributes: true });
        }"""
    )


def _avance_visto(page: Page) -> list[Any]:
    """The progress seen mid-job: a value between 0 and 100 with its 'N de M filas'."""
    return [
        (v, t)
        for v, t in page.evaluate("window.avances")
        if v is not None and 0 < float(v) < 100 and " de " in t
    ]


def _cuantas(servidor: str, prefijo: str) -> int:
    """Alliances with the prefix, as the API lists them to national coordination."""
    r = httpx.get(
        f"{servidor}/api/v1/alianzas",
        params={"q": prefijo, "limit": 1},
        headers=cabeceras(Settings(), "nacional"),
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return int(r.json()["count"])


@pytest.mark.parametrize("tamano", list(TAMANOS))
def test_two_bad_rows_are_shown_then_the_fixed_file_imports_with_a_progress_bar(
    pagina: Page, servidor: str, limpio: None, tamano: str
) -> None:
    prefijo = f"WIMP{tamano}"
    _abrir(pagina, servidor + "/", TAMANOS[tamano])
    _ingresar(pagina)
    _abrir_dialogo(pagina)
    assert pagina.text_content("#importar-titulo") == "Importar alianzas"

    # A file with two bad rows: exactly those two rows, nothing written.
    _elegir(pagina, "alianzas_chaco.csv", _csv(prefijo, malas=True))
    _vigilar_avance(pagina)
    pagina.click("#importar-revisar")
    pagina.wait_for_selector("#importar-errores", timeout=120000)
    filas = pagina.locator("#importar-errores tbody tr")
    assert filas.count() == 2
    celdas = [
        [t.replace("\u200b", "") for t in filas.nth(i).locator("td").all_inner_texts()]
        for i in range(2)
    ]
    assert [c[:3] for c in celdas] == [
        ["4", "familias_mujeres", "12"],
        ["7", "lon", "latitud: -16.0; longitud: -69.2"],
    ]
    assert "no puede superar las familias (10)" in celdas[0][3]
    assert "2 filas tienen errores: no se escribió nada." in pagina.inner_text(
        "#importar-resultado"
    )
    assert _avance_visto(pagina), "no progress was seen during the dry run"
    assert _cuantas(servidor, prefijo) == 0
    pagina.screenshot(path=str(DOCS / f"importar-errores-{tamano}.png"))
    with pagina.expect_download() as descarga:
        pagina.click("#importar-descargar")
    contenido = Path(descarga.value.path()).read_text(encoding="utf-8-sig")
    tabla = list(csv.reader(io.StringIO(contenido), delimiter=";"))
    assert [f[:3] for f in tabla] == [
        ["fila", "columna", "valor"],
        ["4", "familias_mujeres", "12"],
        ["7", "lon", "latitud: -16.0; longitud: -69.2"],
    ]

    # The fixed file: checked with a progress bar, then confirmed.
    _elegir(pagina, "alianzas_chaco.csv", _csv(prefijo, malas=False))
    _vigilar_avance(pagina)
    pagina.click("#importar-revisar")
    pagina.wait_for_function(
        "() => { const b = document.getElementById('importar-progreso');"
        " return b && b.value > 0 && b.value < 100; }",
        timeout=120000,
    )
    with contextlib.suppress(PlaywrightTimeout):  # for the picture, rows counted if it can
        pagina.wait_for_function(
            "() => /^[1-9]/.test(document.getElementById('importar-filas').textContent)"
            " && document.getElementById('importar-progreso').value < 100",
            timeout=10000,
        )
    pagina.screenshot(path=str(DOCS / f"importar-progreso-{tamano}.png"))
    pagina.wait_for_selector("#importar-confirmar", timeout=120000)
    assert _avance_visto(pagina), "no progress was seen while checking the fixed file"
    n = f"{FILAS:,}".replace(",", ".")
    assert (
        f"Sin errores: se importarían {n} alianzas ({n} nuevas, 0 cambiadas, 0 sin cambios)."
        in pagina.inner_text("#importar-resultado")
    )
    assert _cuantas(servidor, prefijo) == 0  # a dry run writes nothing
    pagina.click("#importar-confirmar")
    pagina.wait_for_selector("#importar-progreso:not([value='100'])", timeout=30000)

    # The page is closed mid-import; reopened, the dialog finds the job and follows it.
    pagina.reload()
    pagina.wait_for_selector("#trabajo:not([hidden])", timeout=30000)
    _vigilar_avance(pagina)
    _abrir_dialogo(pagina)
    pagina.wait_for_selector("#importar-resultado .importar-bien", timeout=120000)
    assert (
        f"Importación terminada: se guardaron {n} alianzas ({n} nuevas, 0 cambiadas, "
        "0 sin cambios)." in pagina.inner_text("#importar-resultado")
    )
    assert pagina.get_attribute("#importar-progreso", "value") == "100"
    assert pagina.inner_text("#importar-filas") == f"{n} de {n} filas"
    assert _cuantas(servidor, prefijo) == FILAS
    pagina.screenshot(path=str(DOCS / f"importar-hecho-{tamano}.png"))

    # Esc closes the dialog and gives the focus back to its button.
    pagina.keyboard.press("Escape")
    pagina.wait_for_selector("#dialogo-importar:not([open])", state="attached")
    assert pagina.evaluate("() => document.activeElement.id") == "boton-importar"
    assert pagina.errores == []  # type: ignore[attr-defined]
