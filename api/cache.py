"""Aggregates that do not change between writes are computed once: the response body is kept
in this process, keyed by the data generation (geo/migrations 0005: bumped by every write),
the request and who asks; its ETag names the same, so a browser or CDN revalidates and gets 304.
A write moves the generation on, and every cached body goes stale.

Two paths serve a cached body. The route (``cacheada``) reads the generation from the database
on the request's connection (exact) for staff, and for the public when the one this process
holds is older than ``VIDA_GENERACION`` (``generacion_para``). In front of the router,
``AtajoCache`` answers a public repeat (no Authorization header) without routing, dependencies
or a database round trip, while the generation it holds is fresh (api/frescura.py): a write
request through this process expires it at once, and a write anywhere else (another worker
process, another machine, the command line) is served here at most ``DESFASE_MAXIMO`` seconds
after its commit, plus the replica's lag when reads go to a replica. The database is what every
worker shares; nothing else tells them.

The map layer (``/api/v1/mapa/capa``) changes only when the territory is loaded again: its body
is built once per load, kept plain and gzipped (``CuerposFijos``), and answered the same way
in front of the router, within ``VIDA_CAPA + ESPERA_MAXIMA`` of a reload."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import brotli
import orjson
from fastapi import Request, Response
from fastapi.encoders import jsonable_encoder
from sqlalchemy import Connection
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from api.compresion import MINIMO, acepta
from api.frescura import CuerposFijos, Frescura, responder_fijo
from api.respuestas import no_modificado
from geo.acceso.alcance import PUBLICO, Alcance
from geo.plataforma.db import Sentencia, en_una_ida, sin_transaccion
from geo.territorio.consultas import cargada_en

VIDA_GENERACION = 0.05  # seconds
ESPERA_MAXIMA = 0.5  # seconds: how long it is still served while it is read again
# The most a public repeat may lag behind a commit made by another process.
DESFASE_MAXIMO = VIDA_GENERACION + ESPERA_MAXIMA
# The territory is loaded again by an administrator, rarely: the layer is checked once a second.
VIDA_CAPA = 1.0  # seconds
CAPA = "/api/v1/mapa/capa"
CACHEABLES = (
    "/api/v1/estadisticas",
    "/api/v1/mapa/valores",
    "/api/v1/indicadores",
    "/api/v1/series",
)


# Brotli's quality for an answer: 4 is both smaller and faster than gzip at level 5 (on the
# 400 KB of every measure for every municipality: 44 KB in 2.9 ms against 49 KB in 3.9 ms).
# Past MEDIANO, the first request is not kept waiting for it: it is sent at quality 1 (a
# quarter of the time: the 107 KB of one department's municipalities in 0.34 ms against
# 1.14 ms, 16 KB against 13 KB), and quality 4 is made meanwhile on a thread of its own
# (brotli lets go of the GIL while it compresses) for every request after it.
MEDIANO = 16 * 1024
GRANDE = 128 * 1024
RAPIDA, FINA = 1, 4
AFINAR_TRAS_S = 0.05
_MEJORAS = ThreadPoolExecutor(1, thread_name_prefix="sigg-brotli")
# Past this many waiting, an answer keeps its quick encoding.
_EN_COLA = threading.BoundedSemaphore(64)


def _comprimir(codificacion: str, cuerpo: bytes, calidad: int = FINA) -> bytes:
    if codificacion == "br":
        return brotli.compress(cuerpo, quality=calidad)
    return gzip.compress(cuerpo, compresslevel=5 if len(cuerpo) <= GRANDE else 1)


@dataclass(frozen=True)
class Entrada:
    """An answer's body, compressed for each encoding the first time a client accepts it (an
    answer is compressed once, in the one encoding the asker takes)."""

    cuerpo: bytes
    # Headers that belong to the answer (e.g. how the aggregate was computed): sent on a hit too.
    propias: tuple[tuple[str, str], ...] = ()
    _codificados: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    def codificado(self, accept_encoding: str | None, minimo: int = MINIMO) -> tuple[bytes, str]:
        """The body for a client sending ``accept_encoding``, and its Content-Encoding ("" for
        the plain body: at ``minimo`` bytes or fewer, or when it takes neither br nor gzip)."""
        if len(self.cuerpo) <= minimo:
            return self.cuerpo, ""
        for codificacion in ("br", "gzip"):
            if acepta(accept_encoding, codificacion):
                hecho = self._codificados.get(codificacion)
                if hecho is None:  # two threads may both compress it once: the same bytes
                    hecho = self._codificar(codificacion)
                return hecho, codificacion
        return self.cuerpo, ""

    def _codificar(self, codificacion: str) -> bytes:
        if codificacion != "br" or len(self.cuerpo) <= MEDIANO:
            hecho = self._codificados[codificacion] = _comprimir(codificacion, self.cuerpo)
            return hecho
        nuevo = _comprimir("br", self.cuerpo, RAPIDA)
        rapido = self._codificados.setdefault("br", nuevo)
        if rapido is nuevo and _EN_COLA.acquire(blocking=False):  # once, and while few wait
            _MEJORAS.submit(self._afinar)
        return rapido

    def _afinar(self) -> None:
        try:
            # After the first answer has gone out, not beside it: on two cores, compressing
            # while it is sent and read slowed that very answer down.
            time.sleep(AFINAR_TRAS_S)
            self._codificados["br"] = _comprimir("br", self.cuerpo, FINA)
        finally:
            _EN_COLA.release()


class CacheRespuestas:
    """A bounded LRU of response bodies (plain and gzipped) of the current data generation."""

    def __init__(self, maximo: int = 512) -> None:
        self.maximo = maximo
        self._datos: OrderedDict[str, Entrada] = OrderedDict()
        self._generacion = -1
        self._frescura = Frescura(VIDA_GENERACION, ESPERA_MAXIMA)

    async def generacion_vigente(
        self, releer: Callable[[], None], turno: list[asyncio.Event] | None = None
    ) -> int | None:
        """The generation held while it is fresh (``releer`` reads it again in the background
        and calls :meth:`leida`), or None: the route reads it (``turno``: see
        ``Frescura.vigente``)."""
        return self._generacion if await self._frescura.vigente(releer, turno) else None

    def generacion_fresca(self) -> int | None:
        """The generation held while it is younger than ``VIDA_GENERACION``, else None."""
        return self._generacion if self._frescura.fresca() else None

    def caducar(self) -> None:
        self._frescura.caducar()

    def obtener(self, generacion: int, clave: str) -> Entrada | None:
        if generacion != self._generacion:
            return None
        entrada = self._datos.get(clave)
        if entrada is not None:
            self._datos.move_to_end(clave)
        return entrada

    def leida(self, generacion: int, desde: float | None = None) -> None:
        """The database says ``generacion`` is current, in a read sent at ``desde`` (None: now,
        for a cache that is never answered from its freshness alone): older bodies go."""
        if not self._frescura.leida(time.monotonic() if desde is None else desde):
            return
        if generacion != self._generacion:
            self._datos.clear()
            self._generacion = generacion

    def guardar(
        self, generacion: int, clave: str, cuerpo: bytes, propias: dict[str, str] | None = None
    ) -> Entrada:
        entrada = Entrada(cuerpo, tuple((propias or {}).items()))
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


class Unidades:
    """The JSON of each unit of an aggregate answer, kept by the row it was built from.

    After a write the statement is run again (every value comes afresh from the summary), but
    of a level's units only those whose row changed need building again: building the 339
    municipalities with every measure took longer than the statement (5.3 ms, bench/RESULTS.md)
    and encoding them another 1 ms. A unit's JSON is a pure function of its row, how it is
    built (``armar``) and the exchange rate, which together are the key; an answer is then the
    kept fragments joined (``orjson.Fragment``). At most ``tope`` units are kept: past it the
    store starts again (memory stays bounded; threads share it without a lock, as each get and
    set is atomic and a lost one only builds a unit again)."""

    def __init__(self, tope: int = 4096) -> None:
        self.tope = tope
        self._hechas: dict[tuple[Any, ...], orjson.Fragment] = {}

    def __call__(
        self,
        armar: Callable[[tuple[Any, ...], float], dict[str, Any]],
        filas: list[tuple[Any, ...]],
        tipo_cambio: float,
    ) -> list[orjson.Fragment]:
        hechas = self._hechas
        salida = []
        for fila in filas:
            clave = (armar, tipo_cambio, fila)
            hecha = hechas.get(clave)
            if hecha is None:
                hecha = orjson.Fragment(a_json(armar(fila, tipo_cambio)))
                if len(hechas) >= self.tope:
                    hechas.clear()
                hechas[clave] = hecha
            salida.append(hecha)
        return salida


GENERACION: Sentencia = ("SELECT n FROM generacion WHERE id = 1", {})


def generacion(conn: Connection) -> int:
    """The data generation, with the read's BEGIN in the same round trip (it is the first
    statement of most reads that answer after a write)."""
    return int(en_una_ida(conn, GENERACION)[0][0][0])


def generacion_para(
    cache: CacheRespuestas, conn: Connection, publico: bool, antes: Sentencia | None = None
) -> tuple[int, bool, list[tuple[Any, ...]] | None]:
    """The data generation a routed answer is for, whether it was read now, and the rows of
    ``antes`` when it was (sent in the same round trip; else None). For the public: the one
    ``cache`` holds while it is younger than ``VIDA_GENERACION`` (the shortcut in front of the
    router serves the public within the same bound, ``DESFASE_MAXIMO``), which spares a round
    trip to the database on most requests of a busy map. For staff, or when none is fresh:
    read on the request's connection (exact: a writer's next read sees its write) and held."""
    if publico and (n := cache.generacion_fresca()) is not None:
        return n, False, None
    desde = time.monotonic()
    filas = en_una_ida(conn, GENERACION, *([antes] if antes else []))
    n = int(filas[0][0][0])
    cache.leida(n, desde)
    return n, True, filas[1] if antes else None


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


def codificada(
    entrada: Entrada,
    acepta: str | None,
    cabeceras: dict[str, str],
    media_type: str = "application/json",
) -> Response:
    """The answer held in ``entrada``, in the encoding a client sending ``acepta`` takes."""
    cuerpo, codificacion = entrada.codificado(acepta)
    if codificacion:
        cabeceras = cabeceras | {"Content-Encoding": codificacion}
    return Response(cuerpo, media_type=media_type, headers=cabeceras)


def cacheada(
    request: Request,
    conn: Connection,
    quien: Alcance,
    calcular: Callable[..., Any],
    propias: dict[str, str] | None = None,
    antes: Sentencia | None = None,
) -> Response:
    """The JSON answer of ``calcular()``, from the cache when this generation already has it;
    304 when the client holds the current version. ``propias``: headers of the answer itself,
    kept with it in the cache. ``antes``: a statement whose rows ``calcular`` needs, read in
    the same round trip as the generation when that is read (an answer computed after a
    write waits for one round trip fewer): it is then called ``calcular(filas)``, the rows
    or None (not read: ``calcular`` reads them itself)."""
    cache: CacheRespuestas = request.app.state.cache
    n, _, previas = generacion_para(cache, conn, quien.publico, antes)
    clave = clave_de(request.url.path, list(request.query_params.multi_items()), ambito(quien))
    entrada = cache.obtener(n, clave)
    cabeceras = _cabeceras(n, clave, quien.publico, entrada is not None)
    if (igual := no_modificado(request.headers.get("if-none-match"), cabeceras)) is not None:
        return igual
    if entrada is None:
        cuerpo = a_json(calcular(previas) if antes else calcular())
        entrada = cache.guardar(n, clave, cuerpo, propias)
    cabeceras |= dict(entrada.propias)
    return codificada(entrada, request.headers.get("accept-encoding"), cabeceras)


class AtajoCache:
    """ASGI middleware: a public repeat of a cached GET, and the map layer, are answered here,
    before routing.

    Only requests WITHOUT an Authorization header take this path. A staff token is not enough
    to answer: its account must still exist, be active and hold the token's role and unit,
    which takes the database; routing does that check (``api.seguridad.alcance``) and the route
    still answers from the same cache. The map layer is public and the same for everyone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        estado = scope["app"].state
        if scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            estado.cache.caducar()  # this process wrote: read the generation again
            return None
        turno: list[asyncio.Event] = []
        if scope["path"] == CAPA:
            respuesta = await self._capa(scope, estado)
        else:
            respuesta = await self._atajo(scope, estado, turno)
        if respuesta is None:
            try:
                return await self.app(scope, receive, send)
            finally:
                for hecho in turno:  # the route has read the generation: those waiting go on
                    hecho.set()
        return await respuesta(scope, receive, send)

    async def _atajo(
        self, scope: Scope, estado: State, turno: list[asyncio.Event]
    ) -> Response | None:
        if scope["path"] not in CACHEABLES:
            return None
        cabeceras = _de_scope(scope)
        if "authorization" in cabeceras:
            return None  # staff: routing checks the account first
        cache: CacheRespuestas = estado.cache

        def releer() -> None:
            with sin_transaccion(estado.engine_lectura) as conn:
                desde = time.monotonic()
                cache.leida(generacion(conn), desde)

        n = await cache.generacion_vigente(releer, turno)
        if n is None:
            return None
        consulta = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        clave = clave_de(scope["path"], consulta, ambito(PUBLICO))
        entrada = cache.obtener(n, clave)
        if entrada is None:
            return None
        salida = _cabeceras(n, clave, True, True)
        if (igual := no_modificado(cabeceras.get("if-none-match"), salida)) is not None:
            return igual
        salida |= dict(entrada.propias)
        return codificada(entrada, cabeceras.get("accept-encoding"), salida)

    async def _capa(self, scope: Scope, estado: State) -> Response | None:
        """The layer of the cartography asked for (``?cartografia=``, or the default) while
        the load it was built from is current; anything else the route reads (and refuses
        when it is wrong)."""
        consulta = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if len(consulta) > 1 or any(nombre != "cartografia" for nombre, _ in consulta):
            return None
        version = (consulta[0][1] if consulta else "") or estado.settings.cartografia
        capas: CuerposFijos = estado.capas

        def releer() -> None:
            with sin_transaccion(estado.engine_lectura) as conn:
                desde = time.monotonic()
                capas.confirmar(version, cargada_en(conn, version), desde)

        cuerpo = await capas.vigente(version, releer)
        if cuerpo is None:
            return None
        cabeceras = _de_scope(scope)
        return responder_fijo(
            cuerpo, cabeceras.get("if-none-match"), cabeceras.get("accept-encoding", "")
        )


def _de_scope(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
