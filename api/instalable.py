"""The map page as an installable application that starts with no network: the web app
manifest, and the service worker served at the root so that it controls ``/``.

No build chain: the service worker (web/static/sw.js) is sent with the list of the application
shell's files and a hash of each one's content prepended, computed here when the browser asks.
A file that changes changes that list, so the browser sees a new service worker and Workbox
fetches again exactly the files whose hash changed."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from api.pagina import Dato, Pagina

# Scripts and styles of the other pages (the complaint form, the API documentation) and the
# service worker itself are not part of the map page's shell.
OTRAS_PAGINAS = {"sw.js", "docs.js", "reclamo.js", "reclamo.css", "ogc_mapa.js"}
LEAFLET = ("leaflet.js", "leaflet.css")


def archivos_de_la_pagina(web: Path, leaflet: Path) -> list[tuple[str, Path]]:
    """Every file the map page loads, as (URL, file): what the service worker precaches."""
    propios = sorted(p for p in web.iterdir() if p.suffix in (".js", ".css"))
    vendidos = [
        web / "vendor/topojson-client/topojson-client.min.js",
        web / "vendor/idb-keyval/index.js",
    ]
    return [
        ("/", web / "index.html"),
        ("/static/index.html", web / "index.html"),
        ("/manifest.webmanifest", web / "manifest.webmanifest"),
        *((f"/static/{p.name}", p) for p in propios if p.name not in OTRAS_PAGINAS),
        *((f"/static/{p.relative_to(web).as_posix()}", p) for p in vendidos),
        *((f"/static/iconos/{p.name}", p) for p in sorted((web / "iconos").glob("*.png"))),
        *((f"/vendor/leaflet/{n}", leaflet / n) for n in LEAFLET),
        *((f"/vendor/leaflet/images/{p.name}", p) for p in sorted((leaflet / "images").glob("*"))),
    ]


@lru_cache(maxsize=256)
def _huella(ruta: Path, _mtime_ns: int, _tamano: int) -> str:
    # Keyed on the file's time and size too: an edited file is read again, an unchanged one not.
    return hashlib.sha256(ruta.read_bytes()).hexdigest()[:16]


def huella(ruta: Path) -> str:
    """A short hash of the file's content: the Workbox revision of its precache entry."""
    st = ruta.stat()
    return _huella(ruta, st.st_mtime_ns, st.st_size)


def precache(archivos: list[tuple[str, Path]]) -> list[list[str]]:
    return [[url, huella(ruta)] for url, ruta in archivos]


def router(
    web: Path,
    leaflet: Path,
    pagina: Pagina,
    datos: Callable[[Request], dict[str, Dato]],
) -> APIRouter:
    """``GET /sw.js`` and ``GET /manifest.webmanifest``, outside the API's schema. ``pagina``
    and ``datos``: the page as ``/`` serves it (api/pagina.py), with what it carries."""
    rutas = APIRouter(include_in_schema=False)

    @rutas.get("/sw.js")
    def service_worker(request: Request) -> Response:
        # Asked again on every navigation (no-cache): the browser compares it byte for byte.
        # "/" carries its stylesheets and the light layer: its revision is the page's own.
        revision = pagina.huella(datos(request))
        entradas = precache(archivos_de_la_pagina(web, leaflet))
        lista = json.dumps([[u, revision if u == "/" else h] for u, h in entradas])
        cuerpo = f"self.__SIGG_PRECACHE = {lista};\n" + (web / "sw.js").read_text("utf-8")
        return Response(
            cuerpo,
            media_type="application/javascript",
            headers={"Service-Worker-Allowed": "/", "Cache-Control": "no-cache"},
        )

    @rutas.get("/manifest.webmanifest")
    def manifiesto() -> FileResponse:
        return FileResponse(
            web / "manifest.webmanifest",
            media_type="application/manifest+json",
            headers={"Cache-Control": "no-cache"},
        )

    return rutas
