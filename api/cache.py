"""Aggregates that do not change between writes are computed once: the response body is kept
in this process, keyed by the data generation (geo/migrations 0005: bumped by every write),
the request and who asks; its ETag names the same, so a browser or CDN revalidates and gets 304.
A write moves the generation on, and every cached body goes stale.

Two paths serve a cached body. The route (``cacheada``) reads the generation from the database
on the request's connection: always exact. In front of the router, ``AtajoCache`` answers a
public repeat (no Authorization header) without routing, dependencies or a database round trip,
while the generation it last read is younger than ``VIDA_GENERACION`` seconds (or, while one
request is reading it again, up to ``ESPERA_MAXIMA``); any write request through this process
expires it at once. Another process's write is thus seen here within about that time at most."""

from __future__ import annotations

import gzip
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from sqlalchemy import Connection, text
from starlette.types import ASGIApp, Receive, Scope, Send

from api.respuestas import no_modificado
from geo.acceso.alcance import PUBLICO, Alcance

VIDA_GENERACION = 0.05  # seconds
ESPERA_MAXIMA = 0.5  # seconds: how long others are served while one request reads it
CACHEABLES = (
    "/api/v1/estadisticas",
    "/api/v1/mapa/valores",
    "/api/v1/indicadores",
    "/api/v1/series",
)


@dataclass(frozen=True)
class Entrada:
    cuerpo: bytes
    gz: bytes
    # Headers that belong to the answer (e.g. how the aggregate was computed): sent on a hit too.
    propias: tuple[tuple[str, str], ...] = ()


class CacheRespuestas:
    """A bounded LRU of response bodies (plain and gzipped) of the current data generation."""

    def __init__(self, maximo: int = 512) -> None:
        self.maximo = maximo
        self._datos: OrderedDict[str, Entrada] = OrderedDict()
        self._generacion = -1
        self._leida_en = float("-inf")  # when the generation was last read from the database
        self._pedida_en = float("-inf")  # when a request last went to read it
        self._caducada = True

    def generacion_reciente(self) -> int | None:
        """The generation read less than VIDA_GENERACION ago, or None. When it is older, one
        request (the one that gets None) goes to the database for it; the others keep being
        answered meanwhile, for up to ESPERA_MAXIMA, instead of all rushing to the database."""
        ahora = time.monotonic()
        if ahora - self._leida_en < VIDA_GENERACION:
            return self._generacion
        leyendo = self._pedida_en > self._leida_en and ahora - self._pedida_en < ESPERA_MAXIMA
        if leyendo and not self._caducada:
            return self._generacion
        self._pedida_en = ahora
        return None

    def caducar(self) -> None:
        self._leida_en = float("-inf")
        self._caducada = True  # this process wrote: nobody is served the old generation

    def obtener(self, generacion: int, clave: str) -> Entrada | None:
        if generacion != self._generacion:
            return None
        entrada = self._datos.get(clave)
        if entrada is not None:
            self._datos.move_to_end(clave)
        return entrada

    def leida(self, generacion: int) -> None:
        """The database says ``generacion`` is current: older bodies go."""
        if generacion != self._generacion:
            self._datos.clear()
            self._generacion = generacion
        self._leida_en = time.monotonic()
        self._caducada = False

    def guardar(
        self, generacion: int, clave: str, cuerpo: bytes, propias: dict[str, str] | None = None
    ) -> Entrada:
        entrada = Entrada(
            cuerpo, gzip.compress(cuerpo, compresslevel=5), tuple((propias or {}).items())
        )
        if generacion == self._generacion:
            self._datos[clave] = entrada
            while len(self._datos) > self.maximo:
                self._datos.popitem(last=False)
        return entrada


def a_json(datos: Any) -> bytes:
    """The JSON body of ``datos`` (UTF-8, compact). orjson writes the plain values, dates and
    dataclasses itself; what it does not know (Decimal, pydantic models) goes through FastAPI's
    encoder, as it would on a plain route. At 339 municipalities with every measure, the generic
    encoder alone took longer than the whole aggregation does from the summary."""
    return orjson.dumps(datos, default=jsonable_encoder, option=orjson.OPT_NON_STR_KEYS)


def generacion(conn: Connection) -> int:
    return int(conn.execute(text("SELECT n FROM generacion WHERE id = 1")).scalar_one())


def ambito(quien: Alcance) -> str:
    """What the answer depends on about who asks: the public, one unit, or national."""
    if quien.publico:
        return "publico"
    return "nacional" if quien.nacional else f"unidad:{quien.unidad}"


def clave_de(ruta: str, consulta: list[tuple[str, str]], quien: str) -> str:
    return hashlib.sha256(json.dumps([ruta, sorted(consulta), quien]).encode()).hexdigest()[:24]


def _cabeceras(n: int, clave: str, publico: bool, acierto: bool) -> dict[str, str]:
    return {
        "ETag": f'"g{n}-{clave}"',
        "Cache-Control": ("public" if publico else "private") + ", no-cache",
        "Vary": "Authorization, Accept-Encoding",
        "X-Cache": "hit" if acierto else "miss",
        "X-Content-Type-Options": "nosniff",
    }


def _con_gzip(entrada: Entrada, acepta: str, cabeceras: dict[str, str]) -> tuple[bytes, dict]:  # type: ignore[type-arg]
    if "gzip" in acepta and len(entrada.cuerpo) > 1024:
        return entrada.gz, cabeceras | {"Content-Encoding": "gzip"}
    return entrada.cuerpo, cabeceras


def cacheada(
    request: Request,
    conn: Connection,
    quien: Alcance,
    calcular: Callable[[], Any],
    propias: dict[str, str] | None = None,
) -> Response:
    """The JSON answer of ``calcular()``, from the cache when this generation already has it;
    304 when the client holds the current version. ``propias``: headers of the answer itself,
    kept with it in the cache."""
    cache: CacheRespuestas = request.app.state.cache
    n = generacion(conn)
    cache.leida(n)
    clave = clave_de(request.url.path, list(request.query_params.multi_items()), ambito(quien))
    entrada = cache.obtener(n, clave)
    cabeceras = _cabeceras(n, clave, quien.publico, entrada is not None)
    if (igual := no_modificado(request.headers.get("if-none-match"), cabeceras)) is not None:
        return igual
    if entrada is None:
        cuerpo = a_json(calcular())
        entrada = cache.guardar(n, clave, cuerpo, propias)
    cabeceras |= dict(entrada.propias)
    cuerpo, cabeceras = _con_gzip(entrada, request.headers.get("accept-encoding", ""), cabeceras)
    return Response(cuerpo, media_type="application/json", headers=cabeceras)


class AtajoCache:
    """ASGI middleware: a public repeat of a cached GET is answered here, before routing.

    Only requests WITHOUT an Authorization header take this path. A staff token is not enough
    to answer: its account must still exist, be active and hold the token's role and unit,
    which takes the database; routing does that check (``api.seguridad.alcance``) and the route
    still answers from the same cache."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        cache: CacheRespuestas = scope["app"].state.cache
        if scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            cache.caducar()  # this process wrote: read the generation again
            return None
        respuesta = self._atajo(scope, cache)
        if respuesta is None:
            return await self.app(scope, receive, send)
        return await respuesta(scope, receive, send)

    def _atajo(self, scope: Scope, cache: CacheRespuestas) -> Response | None:
        if scope["path"] not in CACHEABLES:
            return None
        n = cache.generacion_reciente()
        if n is None:
            return None
        cabeceras = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        if "authorization" in cabeceras:
            return None  # staff: routing checks the account first
        consulta = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        clave = clave_de(scope["path"], consulta, ambito(PUBLICO))
        entrada = cache.obtener(n, clave)
        if entrada is None:
            return None
        salida = _cabeceras(n, clave, True, True)
        if (igual := no_modificado(cabeceras.get("if-none-match"), salida)) is not None:
            return igual
        salida |= dict(entrada.propias)
        cuerpo, salida = _con_gzip(entrada, cabeceras.get("accept-encoding", ""), salida)
        return Response(cuerpo, media_type="application/json", headers=salida)
