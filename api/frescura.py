"""How long a value read from the database may be served again without reading it, for the
answers given before routing (api/cache.py, ``AtajoCache``): the data generation of the cached
aggregates, and the load of the territory behind the map layer.

Every worker process keeps its own copy of such a value, and nothing but the database tells a
worker that another one (or another machine, or the command line) wrote. So each copy is read
again in the background once it is ``vida`` seconds old, by one read at a time per process,
never by every waiting request at once: while that read runs the copy is still served, up to
``vida + espera`` seconds after its own read was sent; past that, requests wait for the read
instead of being answered from an older copy (the cached aggregates send the first of them to
the route, which reads the value itself, and the rest wait for it). A read sent after a commit
sees it, so a commit made anywhere is served at most ``vida + espera`` after it, whatever the
load. A write through this process sends the next requests to the route instead, which reads
on the request's own connection, until one of them has read the value again.

The map layer (``CuerposFijos``) is built once per load of the territory, plain and gzipped,
and answered from memory while the load it was built from is still the current one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import anyio
from fastapi import Response

from api.respuestas import no_modificado

log = logging.getLogger("sigg.cache")

# How long a request waits for the read in flight before it asks the route instead.
ESPERA_LECTURA = 5.0  # seconds


class Frescura:
    """The freshness of one value held in memory (times are ``time.monotonic()``)."""

    def __init__(self, vida: float, espera: float, paciencia: float = ESPERA_LECTURA) -> None:
        self.vida, self.espera, self.paciencia = vida, espera, paciencia
        self._desde = float("-inf")  # when the read of the value held was sent
        self._minimo = float("-inf")  # reads sent before this moment are not believed
        self._caducada = False  # this process wrote: the route reads it
        self._lectura: asyncio.Task[None] | None = None
        self._lectura_en = float("-inf")  # when that read was started
        # The route whose read the others wait for (``turno``): its event and loop.
        self._turno: tuple[asyncio.Event, asyncio.AbstractEventLoop] | None = None

    async def vigente(
        self, releer: Callable[[], None], turno: list[asyncio.Event] | None = None
    ) -> bool:
        """Whether the value held may be served now. ``releer`` reads it again in a worker
        thread and reports it with :meth:`leida`; it is started here when the value is older
        than ``vida`` and no read is in flight. False: the read failed or did not come back
        in time, or this process wrote since; the caller asks the route (which reads on the
        request's own connection, as the writer's next read must see its write).

        With ``turno``, the first request past ``vida + espera`` (the process was idle) does
        not wait for a read before its route, which reads the value on its own connection in
        the worker thread that does the route's work anyway: False, and an event is put in
        ``turno``. Requests that come meanwhile wait for it as they would for a read (one
        read, not one each): it is set as soon as the value is read (:meth:`leida`, from any
        thread), not when that route's answer is done, or by the caller once the route has
        answered without reading it."""
        if self._caducada:
            return False
        if self._edad() < self.vida:
            return True
        lectura = self._lectura
        pasada = self._edad() >= self.vida + self.espera
        if lectura is None or not self._en_curso():
            if pasada and turno is not None:
                hecho = asyncio.Event()
                turno.append(hecho)
                self._turno = (hecho, asyncio.get_running_loop())
                self._lectura = asyncio.create_task(_esperar(hecho, self.paciencia))
                self._lectura_en = time.monotonic()
                return False
            lectura = self._lectura = asyncio.create_task(_releer(releer))
            self._lectura_en = time.monotonic()
        if not pasada:
            return True
        try:
            await asyncio.wait_for(asyncio.shield(lectura), self.paciencia)
        except TimeoutError:
            return False
        return self._edad() < self.vida + self.espera

    def fresca(self) -> bool:
        """Whether the value held is younger than ``vida`` (and this process has not written
        since): it may be used as it is, without starting a read."""
        return not self._caducada and self._edad() < self.vida

    def leida(self, desde: float) -> bool:
        """A read sent at ``desde`` returned. True: its value is now the one held; False: a
        read sent later, or a write of this process, came first (the value is not kept)."""
        if desde < self._desde or desde < self._minimo:
            return False
        self._desde, self._caducada = desde, False
        if (turno := self._turno) is not None:
            self._turno = None
            hecho, bucle = turno
            with contextlib.suppress(RuntimeError):  # that loop has closed: nobody waits
                bucle.call_soon_threadsafe(hecho.set)
        return True

    def caducar(self) -> None:
        """This process wrote: nobody is served the value held, nor one read before now."""
        self._desde, self._caducada = float("-inf"), True
        self._minimo = time.monotonic()

    def _edad(self) -> float:
        return time.monotonic() - self._desde

    def _en_curso(self) -> bool:
        """A read is running that may still bring a value to believe, on this event loop (a
        test client may run each request on a loop of its own)."""
        lectura = self._lectura
        return (
            lectura is not None
            and not lectura.done()
            and self._lectura_en >= self._minimo
            and lectura.get_loop() is asyncio.get_running_loop()
        )


async def _esperar(hecho: asyncio.Event, paciencia: float) -> None:
    """The read in flight, for those who wait, when it is a route's: until the route has read
    the value (:meth:`Frescura.leida` sets ``hecho``) or has answered without reading it."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(hecho.wait(), paciencia)


async def _releer(releer: Callable[[], None]) -> None:
    try:
        await anyio.to_thread.run_sync(releer)
    except Exception:  # the route reads the database itself and says what is wrong
        log.warning("no se pudo volver a leer un valor guardado", exc_info=True)


@dataclass(frozen=True)
class CuerpoFijo:
    """A body built once per load of what it shows, plain and gzipped, with its headers."""

    plano: bytes
    gz: bytes
    cabeceras: dict[str, str]


class CuerposFijos:
    """Bodies that change only when the territory is loaded again (the map layer, one per
    cartography). Each is kept with the load it was built from (``marca``: the cartography's
    ``cargada_en``); while that load is current, it is answered before routing."""

    def __init__(self, vida: float, espera: float) -> None:
        self.vida, self.espera = vida, espera
        self._cuerpos: dict[str, tuple[str, CuerpoFijo]] = {}
        self._frescuras: dict[str, Frescura] = {}

    async def vigente(self, clave: str, releer: Callable[[], None]) -> CuerpoFijo | None:
        """The body of ``clave`` while its load is current (``releer`` checks it and calls
        :meth:`confirmar`), else None: the route builds it again."""
        guardado = self._cuerpos.get(clave)
        if guardado is None or not await self._frescuras[clave].vigente(releer):
            return None
        return guardado[1]

    def confirmar(self, clave: str, marca: str | None, desde: float) -> None:
        """A read sent at ``desde`` found the load ``marca``: the body held is current if it
        was built from that load; if not, it is dropped."""
        guardado = self._cuerpos.get(clave)
        if guardado is not None and guardado[0] == marca:
            self._frescuras[clave].leida(desde)
        elif guardado is not None:
            del self._cuerpos[clave]

    def guardar(
        self, clave: str, desde: float, marca: str, etag: str, hacer: Callable[[], CuerpoFijo]
    ) -> CuerpoFijo:
        """The body of ``etag``, built from the load ``marca`` found by a read sent at
        ``desde``: made by ``hacer`` only when it is not the one held, and kept unless a later
        read came first."""
        frescura = self._frescuras.setdefault(clave, Frescura(self.vida, self.espera))
        guardado = self._cuerpos.get(clave)
        cuerpo = guardado[1] if guardado and guardado[1].cabeceras["ETag"] == etag else hacer()
        if frescura.leida(desde):
            self._cuerpos[clave] = (marca, cuerpo)
        return cuerpo


def responder_fijo(cuerpo: CuerpoFijo, if_none_match: str | None, acepta: str) -> Response:
    """304 when the client holds this version; the gzipped body to who accepts it."""
    if (igual := no_modificado(if_none_match, cuerpo.cabeceras)) is not None:
        return igual
    if "gzip" in acepta:
        cabeceras = cuerpo.cabeceras | {"Content-Encoding": "gzip"}
        return Response(cuerpo.gz, media_type="application/json", headers=cabeceras)
    return Response(cuerpo.plano, media_type="application/json", headers=cuerpo.cabeceras)
