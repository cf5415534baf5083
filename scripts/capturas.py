"""Screenshots of the main views for the README (docs/*.png), from a running server:
.venv/bin/python scripts/capturas.py http://127.0.0.1:8000"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

VISTAS = {
    "mapa_municipios.png": "/",
    "mapa_chaco.png": "/#nivel=municipio&unidad_operativa=CHACO&medida=familias",
    "mapa_departamentos.png": "/#nivel=departamento&medida=monto_transferido_bs"
    "&clasificacion=jenks",
}


def main(base: str) -> None:
    destino = Path(__file__).resolve().parents[1] / "docs"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for archivo, ruta in VISTAS.items():
            page = browser.new_page(viewport={"width": 1400, "height": 850})
            page.goto(base + ruta)
            page.wait_for_selector("#mapa[data-listo]", state="attached", timeout=30000)
            if "chaco" in archivo:
                page.check("#ver-alianzas")
                page.wait_for_load_state("networkidle")
            page.wait_for_timeout(600)
            page.screenshot(path=str(destino / archivo))
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
