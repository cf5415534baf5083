"""Screenshots of the main views for the README (docs/*.png), from a running server:
.venv/bin/python scripts/capturas.py http://127.0.0.1:8000 [prefix, e.g. issue12]
The staff view logs in with the demo account written by `sigg usuarios demo`
(.sigg/usuarios_demo.txt); without that file it is skipped."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

RAIZ = Path(__file__).resolve().parents[1]
ANCHO, GRANDE, TELEFONO = (1440, 900), (1400, 850), (390, 844)
ALIANZAS, AMBAS = ("#ver-alianzas",), ("#ver-alianzas", "#ver-subproyectos")
CHACO = "/#unidad_operativa=CHACO"
# file: (path, viewport, point layers to tick, staff account to log in with)
VISTAS = {
    "mapa_municipios.png": ("/", GRANDE, (), None),
    "mapa_chaco.png": (
        "/#nivel=municipio&unidad_operativa=CHACO&medida=familias",
        GRANDE,
        ALIANZAS,
        None,
    ),
    "mapa_departamentos.png": (
        "/#nivel=departamento&medida=monto_transferido_bs&clasificacion=jenks",
        GRANDE,
        (),
        None,
    ),
    "issue12-mapa-puntos-1440.png": ("/", ANCHO, AMBAS, None),
    "issue12-chaco-apicultura-1440.png": (
        CHACO + "&sector=apicultura&sel=municipio:060301",
        ANCHO,
        AMBAS,
        None,
    ),
    "issue12-bandeja-nacional-1440.png": (CHACO, ANCHO, AMBAS, "nacional"),
    "issue12-telefono-390.png": (CHACO + "&sel=municipio:060301", TELEFONO, AMBAS, None),
    "issue12-ogc-municipio-060301.png": (
        "/ogc/collections/alianzas/items?municipio=060301&f=html",
        ANCHO,
        (),
        None,
    ),
}


def _clave(usuario: str) -> str | None:
    archivo = RAIZ / ".sigg" / "usuarios_demo.txt"
    if not archivo.exists():
        return None
    for linea in archivo.read_text(encoding="utf-8").splitlines():
        campos = linea.split("\t")
        if campos[0] == usuario and len(campos) > 1:
            return campos[1]
    return None


def main(base: str, prefijo: str = "") -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for archivo, (ruta, (ancho, alto), casillas, usuario) in VISTAS.items():
            if not archivo.startswith(prefijo):
                continue
            clave = _clave(usuario) if usuario else None
            if usuario and not clave:
                print(f"{archivo}: sin la cuenta de demostración {usuario!r}, omitida")
                continue
            page = browser.new_page(viewport={"width": ancho, "height": alto})
            page.goto(base + ruta)
            if not ruta.startswith("/ogc"):
                page.wait_for_selector("#mapa[data-listo]", state="attached", timeout=30000)
            if usuario and clave:
                page.click("#boton-ingresar")
                page.fill("#usuario", usuario)
                page.fill("#clave", clave)
                page.click("#ingreso-form button[type=submit]")
                page.wait_for_selector("#bandeja-lista li", timeout=15000)
            for casilla in casillas:
                with page.expect_response(lambda r: "/mapa/puntos" in r.url):
                    page.check(casilla)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(800)
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=str(RAIZ / "docs" / archivo))
            page.close()
        browser.close()


if __name__ == "__main__":
    main(*(sys.argv[1:3] or ["http://127.0.0.1:8000"]))
