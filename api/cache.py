"""Aggregates that do not change between writes are computed once: the response body is kept
in this process, keyed by the data generation (geo/migrations 0005: bumped by every write),
the request and who asks; its ETag names the same, so a browser or CDN revalidates with one
tiny query and gets 304. A write moves the generation on, and every cached body goes stale."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from sqlalchemy import Connection, text

from geo.acceso import Alcance


class CacheRespuestas:
    """A bounded LRU of response bodies; entries of an older generation are dropped."""

    def __init__(self, maximo: int = 512) -> None:
        self.maximo = maximo
        self._datos: OrderedDict[str, bytes] = OrderedDict()
        self._generacion = -1

    def obtener(self, generacion: int, clave: str) -> bytes | None:
        if generacion != self._generacion:
            self._datos.clear()
            self._generacion = generacion
            return None
        cuerpo = self._datos.get(clave)
        if cuerpo is not None:
            self._datos.move_to_end(clave)
        return cuerpo

    def guardar(self, generacion: int, clave: str, cuerpo: bytes) -> None:
        if generacion != self._generacion:
            self._datos.clear()
            self._generacion = generacion
        self._datos[clave] = cuerpo
        while len(self._datos) > self.maximo:
            self._datos.popitem(last=False)


def generacion(conn: Connection) -> int:
    return int(conn.execute(text("SELECT n FROM generacion WHERE id = 1")).scalar_one())


def _ambito(quien: Alcance) -> str:
    """What the answer depends on about who asks: the public, one unit, or national."""
    if quien.publico:
        return "publico"
    return "nacional" if quien.nacional else f"unidad:{quien.unidad}"


def cacheada(
    request: Request, conn: Connection, quien: Alcance, calcular: Callable[[], Any]
) -> Response:
    """The JSON answer of ``calcular()``, from the cache when this generation already has it;
    304 when the client holds the current version."""
    n = generacion(conn)
    consulta = sorted(request.query_params.multi_items())
    clave = hashlib.sha256(
        json.dumps([request.url.path, consulta, _ambito(quien)]).encode()
    ).hexdigest()[:24]
    etag = f'"g{n}-{clave}"'
    cabeceras = {
        "ETag": etag,
        "Cache-Control": ("public" if quien.publico else "private") + ", no-cache",
        "Vary": "Authorization, Accept-Encoding",
        "X-Cache": "hit",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=cabeceras)
    cache: CacheRespuestas = request.app.state.cache
    cuerpo = cache.obtener(n, clave)
    if cuerpo is None:
        cabeceras["X-Cache"] = "miss"
        cuerpo = json.dumps(
            jsonable_encoder(calcular()), ensure_ascii=False, separators=(",", ":")
        ).encode()
        cache.guardar(n, clave, cuerpo)
    return Response(cuerpo, media_type="application/json", headers=cabeceras)
