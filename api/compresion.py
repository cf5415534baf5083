"""Brotli for what the map page loads first (issue 15). On a slow line the page's first view is
bounded by its bytes (50 KB/s on Slow 3G): brotli at its best quality is 10-15 % smaller than
gzip on JavaScript, CSS and JSON, and every browser sends ``br`` over HTTPS (Chromium over
plain HTTP to localhost too). The static files do not change between deployments, so each is
compressed once (at the quality no server could afford per request) and kept in memory, keyed
on its time and size. What is not static, or not text, is left to the gzip middleware, which
passes an answer that already has a Content-Encoding through untouched."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import anyio
import brotli
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, StaticFiles
from starlette.types import Scope

TEXTOS = re.compile(r"^(text/|application/(javascript|json|manifest\+json|xml)|image/svg\+xml)")
MINIMO = 1024  # below this the encoding saves less than its headers cost (as GZipMiddleware)


def acepta(accept_encoding: str | None, codificacion: str) -> bool:
    """Whether an Accept-Encoding header accepts ``codificacion`` ("br", "gzip"); a q of 0
    refuses it."""
    for parte in (accept_encoding or "").lower().split(","):
        nombre, _, parametros = parte.partition(";")
        if nombre.strip() == codificacion:
            return not re.fullmatch(r"q=0(\.0{0,3})?", parametros.replace(" ", ""))
    return False


@lru_cache(maxsize=256)
def _comprimido(ruta: str, _mtime_ns: int, _tamano: int) -> bytes:
    # Keyed on the file's time and size too: an edited file is compressed again.
    return brotli.compress(Path(ruta).read_bytes(), quality=11)


class EstaticosComprimidos(StaticFiles):
    """StaticFiles that answers a GET of a text file with its brotli body when the browser
    accepts it. That body is another representation of the file: its ETag says so (``-br``),
    so that a revalidation (If-None-Match) is answered 304 only for the encoding it holds."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        respuesta = await super().get_response(path, scope)
        pedido = Headers(scope=scope)
        if not (
            isinstance(respuesta, FileResponse)
            and respuesta.status_code == 200
            and scope["method"] == "GET"
            and "range" not in pedido
            and acepta(pedido.get("accept-encoding"), "br")
            and TEXTOS.match(respuesta.media_type or "")
            and respuesta.stat_result is not None
            and respuesta.stat_result.st_size >= MINIMO
        ):
            return respuesta
        st = respuesta.stat_result
        cuerpo = await anyio.to_thread.run_sync(
            _comprimido, str(respuesta.path), st.st_mtime_ns, st.st_size
        )
        cabeceras = {k: v for k, v in respuesta.headers.items() if k != "content-length"}
        cabeceras["etag"] = cabeceras["etag"].removesuffix('"') + '-br"'
        cabeceras |= {"content-encoding": "br", "vary": "Accept-Encoding"}
        if self.is_not_modified(Headers(cabeceras), pedido):
            return NotModifiedResponse(Headers(cabeceras))
        return Response(cuerpo, headers=cabeceras, media_type=respuesta.media_type)
