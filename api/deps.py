"""Request dependencies: settings and a database connection per request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from geo.plataforma.config import Settings
from geo.plataforma.db import lectura


async def get_settings(request: Request) -> Settings:
    # async: read on the event loop, not handed to a worker thread.
    settings: Settings = request.app.state.settings
    return settings


class _Perezosa:
    """A read's connection, taken from the pool the first time it is used, in the thread that
    uses it: a synchronous route then does its checkout in the worker thread that runs it,
    rather than in one of its own before the route (a thread hop, 0.6-0.9 ms on a request
    measured after a write), and a request that never touches it takes none. Everything is
    the Connection's (``__getattr__``); it is used by one request, in one thread at a time."""

    __slots__ = ("_engine", "_lectura", "_conn")

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lectura: AbstractContextManager[Connection] | None = None
        self._conn: Connection | None = None

    def __getattr__(self, nombre: str) -> Any:
        conn = self._conn
        if conn is None:
            self._lectura = lectura(self._engine)
            conn = self._conn = self._lectura.__enter__()
        return getattr(conn, nombre)

    @property
    def usada(self) -> bool:
        return self._lectura is not None

    def cerrar(self, fallo: BaseException | None) -> None:
        """The read's end: COMMIT when it went well, ROLLBACK when ``fallo`` ended it."""
        if self._lectura is not None:
            self._lectura.__exit__(type(fallo) if fallo else None, fallo, None)


async def get_conn(request: Request) -> AsyncIterator[Connection]:
    """A connection for a read: the replica when one is configured, else the primary (ended
    by COMMIT, keeping what it prepared: ``geo.plataforma.db.lectura``), checked out when it
    is first used (``_Perezosa``)."""
    perezosa = _Perezosa(request.app.state.engine_lectura)
    try:
        yield cast(Connection, perezosa)
    except BaseException as fallo:
        if perezosa.usada:
            await run_in_threadpool(perezosa.cerrar, fallo)
        raise
    if perezosa.usada:
        await run_in_threadpool(perezosa.cerrar, None)


SettingsDep = Annotated[Settings, Depends(get_settings)]
ConnDep = Annotated[Connection, Depends(get_conn)]


def get_session(request: Request) -> Iterator[Session]:
    """A session for a request that writes: the route commits when its work is done, so the
    response tells the truth about what was saved (a write a phone may retry commits through
    api/idempotencia.py, which keeps its answer in the same transaction)."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
