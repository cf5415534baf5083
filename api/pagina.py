"""The map page as it is served at ``/`` (issue 15): web/static/index.html with what it marks
``data-en-linea`` written into it: each stylesheet as a ``<style>``, and the light municipal
layer in its JSON data block (a ``<script type="application/json">``: never run, so the page's
CSP, which refuses inline script, has nothing to refuse).

On a slow line the page's first map costs two round trips in a row (the page, then what it
names: 2 s each on Slow 3G) and then its bytes. While the second round trip is on its way the
line is idle, except for the rest of the page itself: what travels in the page is free, what
the page names is paid for. And on HTTP/1.1 a browser opens at most six connections to a
server: a request past the sixth waits for one of them and then pays its own round trip.
So the stylesheets (scripts wait for them) and the light layer come in the page; what it names
for the first map is five requests (Leaflet, the topojson decoder, the session, the
application, the first values).

The files stay as they are (edited where they are, served at their own address too);
/static/index.html is the page before anything is put in, and a page served without the layer
(the database did not answer) leaves the block empty: app.js then asks /mapa/capa-ligera. The
page is built again when one of its files, or the layer, changes."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
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
BLOQUE = re.compile(
    r'(<script type="application/json" id="[^"]+" data-en-linea="([^"]+)">)</script>'
)
# A url() that names a file beside the stylesheet (Leaflet's images): resolved against the
# stylesheet's own address, which the page does not share.
RELATIVA = re.compile(r"""url\((['"]?)(?![a-z][a-z0-9+.-]*:|/|#)([^'")]+)\1\)""", re.IGNORECASE)


@dataclass(frozen=True)
class Dato:
    """A JSON body the page carries for the address its data block names: its version (the
    ETag of that address) and when what it shows last changed (a POSIX time)."""

    etag: str
    modificado: float
    cuerpo: bytes = field(compare=False, repr=False)


@dataclass(frozen=True)
class Construida:
    html: bytes
    br: bytes
    etag: str  # a hash of the page as served
    modificada: float  # the newest of its parts (Last-Modified, as the files it replaces)


def _en_linea(direccion: str, hoja: Path) -> str:
    css = hoja.read_text("utf-8")
    css = RELATIVA.sub(lambda m: f"url({m[1]}{urljoin(direccion, m[2])}{m[1]})", css)
    return f"<style>/* {direccion} */\n{css}</style>"


def _construida(html: bytes, modificada: float) -> Construida:
    return Construida(
        html, brotli.compress(html, quality=11), hashlib.sha256(html).hexdigest()[:16], modificada
    )


@lru_cache(maxsize=4)
def _con_hojas(plantilla: Path, hojas: tuple[tuple[str, Path], ...], _versiones: str) -> str:
    por_direccion = dict(hojas)
    html = plantilla.read_text("utf-8")
    return ENLACE.sub(lambda m: _en_linea(m[1], por_direccion[m[1]]), html)


@lru_cache(maxsize=8)
def _con_datos(html: str, modificada: float, datos: tuple[tuple[str, Dato], ...]) -> Construida:
    por_direccion = dict(datos)

    def bloque(m: re.Match[str]) -> str:
        dato = por_direccion.get(m[2])
        # "<" escaped: no "</script>" can end the block early
        return m[1] + (dato.cuerpo.decode().replace("<", "\\u003c") if dato else "") + "</script>"

    ultima = max([modificada, *(d.modificado for _, d in datos)])
    return _construida(BLOQUE.sub(bloque, html).encode(), ultima)


class Pagina:
    """index.html with what it marks in it; ``hojas`` maps each marked stylesheet's address
    to its file (a marked stylesheet with no file here is an error at the first request)."""

    def __init__(self, plantilla: Path, hojas: dict[str, Path]) -> None:
        self.plantilla = plantilla
        self.hojas = tuple(hojas.items())

    def construida(self, datos: dict[str, Dato] | None = None) -> Construida:
        """The page with ``datos`` (address: body) in the data blocks that name them; a block
        whose address is missing stays empty."""
        archivos = [self.plantilla, *(p for _, p in self.hojas)]
        estados = [p.stat() for p in archivos]
        versiones = ";".join(f"{s.st_mtime_ns}:{s.st_size}" for s in estados)
        html = _con_hojas(self.plantilla, self.hojas, versiones)
        modificada = max(s.st_mtime for s in estados)
        return _con_datos(html, modificada, tuple(sorted((datos or {}).items())))

    def huella(self, datos: dict[str, Dato] | None = None) -> str:
        """The page's revision in the service worker's precache list."""
        return self.construida(datos).etag

    def responder(self, pedido: Headers, datos: dict[str, Dato] | None = None) -> Response:
        """The page, brotli-compressed to who accepts it (the gzip middleware serves the
        others); 304 when the browser holds this version in the encoding it asked for."""
        p = self.construida(datos)
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
