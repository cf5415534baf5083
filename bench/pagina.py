"""The map page in Chromium: bytes and time to the first drawn municipal choropleth, and the
time a change of measure takes, against the raw 3.9 MB municipal GeoJSON as the baseline.

    .venv/bin/python -m bench.pagina [--url http://127.0.0.1:8000] [--repeticiones 5]

Needs the server running with the demo (scripts/dev.sh run). Writes bench/RESULTS_pagina.md."""

from __future__ import annotations

import argparse
import gzip
import statistics
from pathlib import Path

from playwright.sync_api import sync_playwright

from geo.plataforma.config import Settings

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
MEDIDAS = ["familias", "pct_mujeres", "monto_transferido_bs", "alianzas", "hectareas_riego"]


def una_carga(browser, url: str) -> tuple[float, int, int, list[float]]:  # type: ignore[no-untyped-def]
    contexto = browser.new_context(viewport={"width": 1300, "height": 850})
    page = contexto.new_page()
    transferido = {"total": 0, "capa": 0}

    def contar(response) -> None:  # type: ignore[no-untyped-def]
        try:
            tam = response.request.sizes()["responseBodySize"]
        except Exception:  # a request without a body
            return
        transferido["total"] += tam
        if "/mapa/capa" in response.url:
            transferido["capa"] += tam

    page.on("response", contar)
    page.goto(url + "/")
    page.wait_for_selector("#mapa[data-listo]", state="attached", timeout=60000)
    primero = float(page.locator("#mapa").get_attribute("data-ms") or 0)
    cambios = []
    for medida in MEDIDAS:
        antes = page.locator("#mapa").get_attribute("data-listo")
        t0 = page.evaluate("performance.now()")
        page.select_option("#medida", medida)
        page.wait_for_function(
            "(a) => document.querySelector('#mapa').dataset.listo !== a", arg=antes
        )
        cambios.append(float(page.locator("#mapa").get_attribute("data-ms") or 0) - t0)
    contexto.close()
    return primero, transferido["total"], transferido["capa"], cambios


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--repeticiones", type=int, default=5)
    args = parser.parse_args()
    crudo = Settings().directorio_limites() / "bol_municipios_2012_339.geojson"
    base = crudo.stat().st_size
    base_gz = len(gzip.compress(crudo.read_bytes(), 6))
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        cargas = [una_carga(browser, args.url) for _ in range(args.repeticiones)]
        browser.close()
    primero = statistics.median(c[0] for c in cargas)
    total = statistics.median(c[1] for c in cargas)
    capa = statistics.median(c[2] for c in cargas)
    cambio = statistics.median(x for c in cargas for x in c[3])
    texto = "\n".join(
        [
            "# Map page benchmark (Chromium, loopback, empty cache each run)",
            "",
            f"Median of {args.repeticiones} page loads and "
            f"{args.repeticiones * len(MEDIDAS)} changes of measure; municipal level, demo data.",
            "",
            "| what | value | baseline | ratio |",
            "|---|---:|---:|---:|",
            f"| municipal layer transferred (TopoJSON, gzip) | {capa / 1024:,.0f} KB | raw GeoJSON "
            f"{base / 1024:,.0f} KB | {capa / base:.3f}x |",
            f"| municipal layer vs the raw GeoJSON gzipped | {capa / 1024:,.0f} KB | "
            f"{base_gz / 1024:,.0f} KB | {capa / base_gz:.3f}x |",
            f"| everything transferred for the first view | {total / 1024:,.0f} KB | aim 400 KB | "
            f"{total / (400 * 1024):.2f}x |",
            f"| time to the first drawn choropleth | {primero:,.0f} ms | | |",
            f"| change of measure (values only, recolour) | {cambio:,.0f} ms | aim 200 ms | "
            f"{cambio / 200:.2f}x |",
            "",
        ]
    )
    print(texto)
    (Path(__file__).parent / "RESULTS_pagina.md").write_text(texto)


if __name__ == "__main__":
    main()
