"""The map page on a Slow 3G line (issue 15): Chromium with the network emulated through the
DevTools protocol (Network.emulateNetworkConditions: 2 s for every request, 50 KB/s each way,
DevTools' "Slow 3G"), cold (a new profile: empty HTTP cache, no service worker) and warm (the
same page loaded again), with the service worker blocked (the HTTP cache alone, as the issue's
"before" figures) and allowed (the application shell and the last answers from its caches).

    .venv/bin/python -m bench.pagina_lenta [--url http://127.0.0.1:8000] [--repeticiones 3]

Needs the server running with the demo (scripts/dev.sh run). Writes bench/RESULTS_lento.md
(or --salida).

The emulation of a page does not reach its service worker (a target of its own): every service
worker the browser starts is attached here through the browser's DevTools endpoint, held until
the same emulation is set on it, then let run. Otherwise the worker's own requests (the values
it asks the network for) would travel at loopback speed and flatter the warm figure."""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import socket
import statistics
import threading
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from playwright.sync_api import Browser, Page, sync_playwright
from websockets.sync.client import ClientConnection, connect

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LINEA = {
    "offline": False,
    "latency": 2000,
    "downloadThroughput": 50 * 1024,
    "uploadThroughput": 50 * 1024,
}
# The figures before this work (same profile), and its aims.
ANTES = {"pintado": 4.4, "controles": 9.2, "coropleta": 16.8, "tibia": 4.6}
META_FRIA, META_TIBIA = 6.0, 2.0
ESPERA_MS = 180_000
# Times the page itself cannot report: first contentful paint, and the moment the controls can
# be used (the measure selector filled from /mapa/medidas and enabled). Set before any script.
MARCAS = """(() => {
  const m = (window.__siggMarcas = {});
  new PerformanceObserver((l) => {
    const pintado = l.getEntries().find((e) => e.name === "first-contentful-paint");
    if (pintado) m.pintado = pintado.startTime;
  }).observe({ type: "paint", buffered: true });
  const controles = new MutationObserver(() => {
    const medida = document.getElementById("medida");
    if (!medida || !medida.options.length || medida.matches(":disabled")) return;
    m.controles = performance.now();
    controles.disconnect();
  });
  controles.observe(document, { childList: true, subtree: true, attributes: true,
    attributeFilter: ["disabled"] });
})();"""


def _puerto_libre() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LineaParaTrabajadores(threading.Thread):
    """Sets the line's emulation on every service worker as it starts (browser-level auto-attach
    with the worker held until released)."""

    def __init__(self, puerto: int) -> None:
        super().__init__(daemon=True)
        version = f"http://127.0.0.1:{puerto}/json/version"
        with urllib.request.urlopen(version) as r:  # noqa: S310 (loopback)
            self.url = json.load(r)["webSocketDebuggerUrl"]
        self.ids = itertools.count(1)
        self.atendidos = 0
        self.listo = threading.Event()
        self.ws: ClientConnection | None = None

    def _enviar(self, metodo: str, params: dict[str, Any], sesion: str | None = None) -> None:
        mensaje: dict[str, Any] = {"id": next(self.ids), "method": metodo, "params": params}
        if sesion:
            mensaje["sessionId"] = sesion
        assert self.ws is not None
        self.ws.send(json.dumps(mensaje))

    def run(self) -> None:
        solo_trabajadores = [{"type": "service_worker", "exclude": False}, {"exclude": True}]
        # Chromium answers no pings on this endpoint: none are sent.
        with connect(self.url, max_size=None, ping_interval=None) as self.ws:
            self._enviar(
                "Target.setAutoAttach",
                {
                    "autoAttach": True,
                    "waitForDebuggerOnStart": True,
                    "flatten": True,
                    "filter": solo_trabajadores,
                },
            )
            self.listo.set()
            try:
                for crudo in self.ws:
                    self._atender(json.loads(crudo))
            except Exception:  # noqa: S110 (the browser closed: nothing left to throttle)
                pass

    def _atender(self, m: dict[str, Any]) -> None:
        if m.get("method") == "Target.attachedToTarget":
            sesion = m["params"]["sessionId"]
            self._enviar("Network.enable", {}, sesion)
            self._enviar("Network.emulateNetworkConditions", LINEA, sesion)
            self._enviar("Runtime.runIfWaitingForDebugger", {}, sesion)
            self.atendidos += 1


@dataclass
class Carga:
    pintado: float
    controles: float
    coropleta: float
    kb: float
    # the first choropleth with the server's values (a warm start may draw the kept ones first)
    al_dia: float = 0.0
    # the detailed shapes in place of the light ones the first map is drawn with
    detallada: float = 0.0
    pedidos: list[tuple[float, float, str, bool]] = field(default_factory=list)


def _carga(page: Page, url: str) -> Carga:
    """One navigation to the page, until the first choropleth is drawn."""
    terminados: list[Any] = []

    def anotar(request: Any) -> None:
        terminados.append(request)

    page.on("requestfinished", anotar)
    page.on("requestfailed", anotar)
    page.goto(url, timeout=ESPERA_MS)
    page.wait_for_selector("#mapa[data-listo]", state="attached", timeout=ESPERA_MS)
    page.wait_for_function("() => window.__siggMarcas.controles", timeout=ESPERA_MS)
    marcas = page.evaluate("() => window.__siggMarcas")
    page.wait_for_selector("#mapa[data-ms-red]", state="attached", timeout=ESPERA_MS)
    coropleta = float(page.locator("#mapa").get_attribute("data-ms-primero") or 0)
    al_dia = float(page.locator("#mapa").get_attribute("data-ms-red") or 0)
    page.remove_listener("requestfinished", anotar)
    page.remove_listener("requestfailed", anotar)
    origen = min(r.timing["startTime"] for r in terminados)
    pedidos, total = [], 0
    for r in terminados:
        t = r.timing
        fin = t["startTime"] + max(t["responseEnd"], 0) - origen
        ruta = urlparse(r.url).path + ("?…" if urlparse(r.url).query else "")
        respuesta = r.response() if r.failure is None else None
        del_sw = bool(respuesta and respuesta.from_service_worker)
        pedidos.append(((t["startTime"] - origen) / 1000, fin / 1000, ruta, del_sw))
        if not del_sw and r.failure is None:
            total += max(0, r.sizes()["responseBodySize"])  # -1: answered from the HTTP cache
    pedidos.sort()
    ms = (marcas.get("pintado", 0), marcas["controles"], coropleta)
    pintado, controles, primera = (x / 1000 for x in ms)
    # After the count: what the page asks once the first map is drawn is not in the figures above.
    page.wait_for_selector("#mapa[data-ms-detallada]", state="attached", timeout=ESPERA_MS)
    detallada = float(page.locator("#mapa").get_attribute("data-ms-detallada") or 0)
    return Carga(
        pintado,
        controles,
        primera,
        total / 1024,
        al_dia=al_dia / 1000,
        detallada=detallada / 1000,
        pedidos=pedidos,
    )


def una_visita(browser: Browser, url: str, trabajador: bool) -> tuple[Carga, Carga, float]:
    """A cold load in a new profile, then (with the worker) the wait until the page can start
    offline, then a warm load of the same page: (cold, warm, seconds to offline-ready)."""
    contexto = browser.new_context(
        viewport={"width": 1300, "height": 850}, service_workers="allow" if trabajador else "block"
    )
    contexto.add_init_script(MARCAS)
    page = contexto.new_page()
    cdp = contexto.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", LINEA)
    fria = _carga(page, url + "/")
    listo = 0.0
    if trabajador:
        page.wait_for_selector("html[data-sin-red=listo]", state="attached", timeout=ESPERA_MS)
        listo = page.evaluate("() => performance.now()") / 1000
    tibia = _carga(page, url + "/")
    contexto.close()
    return fria, tibia, listo


def _oleadas(pedidos: list[tuple[float, float, str, bool]]) -> list[tuple[float, list[str]]]:
    """Requests grouped by when they started: a new wave begins 0.5 s after the last one (at
    2 s a request, what starts later waited for something that ended)."""
    olas: list[tuple[float, list[str]]] = []
    for inicio, _fin, ruta, _sw in pedidos:
        if not olas or inicio - olas[-1][0] > 0.5:
            olas.append((inicio, []))
        olas[-1][1].append(ruta)
    return olas


def _mediana(cargas: list[Carga], campo: str) -> float:
    return statistics.median(getattr(c, campo) for c in cargas)


def _fila(nombre: str, valor: float, antes: float | None, meta: float | None) -> str:
    a = f"{antes:.1f} s" if antes else ""
    m = f"≤ {meta:.0f} s" if meta else ""
    ratio = f"{valor / meta:.2f}x" if meta else ""
    return f"| {nombre} | {valor:.1f} s | {a} | {m} | {ratio} |"


def _version_de_la_pagina() -> str:
    """Which page was measured: a short hash of each file of the shell that changes often."""
    web = Path(__file__).resolve().parents[1] / "web" / "static"
    nombres = ("index.html", "app.js", "sw.js")
    return ", ".join(
        f"{n} `{hashlib.sha256((web / n).read_bytes()).hexdigest()[:12]}`" for n in nombres
    )


def informe(resultados: dict[bool, list[tuple[Carga, Carga, float]]], repeticiones: int) -> str:
    sin, con = resultados[False], resultados[True]
    frias = [f for f, _, _ in sin + con]
    tibias_http = [t for _, t, _ in sin]
    tibias_sw = [t for _, t, _ in con]
    lineas = [
        "# The map page on Slow 3G (issue 15)",
        "",
        "Chromium, DevTools protocol emulation on the page and on its service worker: 2,000 ms "
        "per request, 50 KB/s down and up. Municipal level, demo data, server on loopback. "
        f"Median of {repeticiones} visits with the service worker blocked and {repeticiones} "
        "with it allowed (cold loads: all of them). Measured on " + _version_de_la_pagina() + ".",
        "",
        "| what | now | before (issue) | aim | now / aim |",
        "|---|---:|---:|---:|---:|",
        _fila("first contentful paint, cold", _mediana(frias, "pintado"), ANTES["pintado"], None),
        _fila("controls usable, cold", _mediana(frias, "controles"), ANTES["controles"], None),
        _fila(
            "first choropleth, cold", _mediana(frias, "coropleta"), ANTES["coropleta"], META_FRIA
        ),
        _fila("detailed shapes drawn, cold", _mediana(frias, "detallada"), None, None),
        _fila(
            "first choropleth, warm (HTTP cache only)",
            _mediana(tibias_http, "coropleta"),
            ANTES["tibia"],
            META_TIBIA,
        ),
        _fila(
            "first choropleth, warm (service worker)",
            _mediana(tibias_sw, "coropleta"),
            ANTES["tibia"],
            META_TIBIA,
        ),
        _fila(
            "the server's values drawn, warm (service worker)",
            _mediana(tibias_sw, "al_dia"),
            None,
            None,
        ),
        _fila(
            "controls usable, warm (service worker)", _mediana(tibias_sw, "controles"), None, None
        ),
        _fila(
            "cold load until the page can start offline",
            statistics.median(x for _, _, x in con),
            None,
            None,
        ),
        "",
        f"Transferred: cold {_mediana(frias, 'kb'):,.0f} KB; warm with the HTTP cache "
        f"{_mediana(tibias_http, 'kb'):,.0f} KB; warm with the service worker "
        f"{_mediana(tibias_sw, 'kb'):,.0f} KB (bodies that crossed the line; the worker's own "
        "requests are not counted).",
        "",
        "First choropleth of each cold load, in the order measured: "
        + ", ".join(f"{c.coropleta:.1f} s" for c in frias)
        + ".",
        "",
    ]
    return "\n".join(lineas + cadena(con[0][0], "cold") + cadena(con[0][1], "warm, service worker"))


def cadena(carga: Carga, nombre: str) -> list[str]:
    """The requests of one load grouped in waves: each wave waited for the one before."""
    lineas = [
        f"## Request chain of one {nombre} load",
        "",
        "| wave | starts | requests (from the service worker: *) |",
        "|---:|---:|---|",
    ]
    marcadas = {ruta: sw for _, _, ruta, sw in carga.pedidos}
    for i, (inicio, rutas) in enumerate(_oleadas(carga.pedidos), 1):
        nombres = ", ".join(f"`{r}`{'*' if marcadas[r] else ''}" for r in rutas)
        lineas.append(f"| {i} | {inicio:.1f} s | {nombres} |")
    return [*lineas, ""]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--repeticiones", type=int, default=3)
    parser.add_argument("--salida", type=Path, default=Path(__file__).parent / "RESULTS_lento.md")
    args = parser.parse_args()
    puerto = _puerto_libre()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=[*FLAGS, f"--remote-debugging-port={puerto}"]
        )
        linea = LineaParaTrabajadores(puerto)
        linea.start()
        linea.listo.wait(10)
        resultados = {
            t: [una_visita(browser, args.url, t) for _ in range(args.repeticiones)]
            for t in (False, True)
        }
        assert linea.atendidos > 0, "no service worker was throttled"
        browser.close()
    texto = informe(resultados, args.repeticiones)
    print(texto)
    args.salida.write_text(texto)


if __name__ == "__main__":
    main()
