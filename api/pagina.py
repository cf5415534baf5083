"""The map page as it is served at ``/`` (issue 15): web/static/index.html with the stylesheets it
marks ``data-en-linea`` written into it, each as a ``<style>``.

On HTTP/1.1 a browser opens at most six connections to a server, and on a slow line a request
past the sixth waits for one of them to free and then pays its own round trip (2 s on Slow 3G).
The first map needs six requests after the page: Leaflet, the topojson decoder, the session,
the application, the light shapes and the first values. Leaflet's stylesheet and the page's
would be two more, and scripts wait for stylesheets; inside the page they travel with it, while
those six are on their round trip and the line would otherwise be idle. The files stay as they
are (edited where they are, served at their own address too); /static/index.html is the page
before the stylesheets are put in. The page is built again when one of its files changes."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email.utils import formatdate
from functools import lru_cache
from pathlib import Path
from urllib.parse import urljoin

import brotli
from starlette.datastructures import Headers
from starlette.responses import Response

from api.compresion import acepta
from api.respuestas import coincide

ENLACE = re.compile(r'<link rel="stylesheet" href="([^"]+)" data-en-linea>')
# A url() that names a file beside the stylesheet (Leaflet's images): resolved against the
# stylesheet's own address, which the page does not share.
RELATIVA = re.compile(r"""url\((['"]?)(?![a-z][a-z0-9+.-]*:|/|#)([^'")]+)\1\)""", re.IGNORECASE)


@dataclass(frozen=True)
class Construida:
    html: bytes
    br: bytes
    etag: str  # a hash of the page as served
    modificada: float  # the newest of its files (Last-Modified, as the files it replaces)


def _en_linea(direccion: str, hoja: Path) -> str:
    css = hoja.read_text("utf-8")
    css = RELATIVA.sub(lambda m: f"url({m[1]}{urljoin(direccion, m[2])}{m[1]})", css)
    return f"<style>/* {direccion} */\n{css}</style>"


@lru_cache(maxsize=4)
def _construir(plantilla: Path, hojas: tuple[tuple[str, Path], ...], _versiones: str) -> Construida:
    por_direccion = dict(hojas)
    html = ENLACE.sub(lambda m: _en_linea(m[1], por_direccion[m[1]]), plantilla.read_text("utf-8"))
    cuerpo = html.encode()
    modificada = max(p.stat().st_mtime for p in (plantilla, *por_direccion.values()))
    return Construida(
        cuerpo,
        brotli.compress(cuerpo, quality=11),
        hashlib.sha256(cuerpo).hexdigest()[:16],
        modificada,
    )


class Pagina:
    """index.html with its marked stylesheets in it; ``hojas`` maps each stylesheet's address
    to its file (a marked stylesheet with no file here is an error at the first request)."""

    def __init__(self, plantilla: Path, hojas: dict[str, Path]) -> None:
        self.plantilla = plantilla
        self.hojas = tuple(hojas.items())

    def construida(self) -> Construida:
        versiones = ";".join(
            f"{p.stat().st_mtime_ns}:{p.stat().st_size}"
            for p in (self.plantilla, *(p for _, p in self.hojas))
        )
        return _construir(self.plantilla, self.hojas, versiones)

    def huella(self) -> str:
        """The page's revision in the service worker's precache list."""
        return self.construida().etag

    def responder(self, pedido: Headers) -> Response:
        """The page, brotli-compressed to who accepts it (the gzip middleware serves the
        others); 304 when the browser holds this version in the encoding it asked for."""
        p = self.construida()
        br = acepta(pedido.get("accept-encoding"), "br")
        cabeceras = {
            "ETag": f'"{p.etag}-br"' if br else f'"{p.etag}"',
            "Last-Modified": formatdate(p.modificada, usegmt=True),
            "Vary": "Accept-Encoding",
        }
        if coincide(pedido.get("if-none-match"), cabeceras["ETag"]):
            return Response(status_code=304, headers=cabeceras)
        if br:
            cabeceras["Content-Encoding"] = "br"
        return Response(p.br if br else p.html, media_type="text/html", headers=cabeceras)
