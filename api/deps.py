"""Request dependencies: settings and a database connection per request."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from sqlalchemy import Connection
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from geo.plataforma.config import Settings
from geo.plataforma.db import lectura


async def get_settings(request: Request) -> Settings:
    # async: read on the event loop, not handed to a worker thread.
    settings: Settings = request.app.state.settings
    return settings


class Perezosa:
    """A read's connection, opened (``abrir()``, a context manager) the first time it is used,
    in the thread that uses it: a synchronous route then takes it from the pool in the worker
    thread that runs it, rather than in one of its own before the route (a thread hop, 0.6-0.9
    ms on a request measured after a write), and a request that never touches it takes none.
    Everything is the Connection's (``__getattr__``); code that must hand the Connection
    itself to a library that checks its type passes ``conn.execution_options()`` (SQLAlchemy
    2 returns the same object). It is used by one request, in one thread at a time."""

    __slots__ = ("_abrir", "_abierta", "_conn")

    def __init__(self, abrir: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._abrir = abrir
        self._abierta: AbstractContextManager[Connection] | None = None
        self._conn: Connection | None = None

    def __getattr__(self, nombre: str) -> Any:
        conn = self._conn
        if conn is None:
            self._abierta = self._abrir()
            conn = self._conn = self._abierta.__enter__()
        return getattr(conn, nombre)

    async def terminar(self, fallo: BaseException | None) -> None:
        """The read's end, after the answer: COMMIT when it went well, ROLLBACK when ``fallo``
        ended it (in a worker thread, and only if it was opened)."""
        abierta = self._abierta
        if abierta is not None:
            await run_in_threadpool(abierta.__exit__, type(fallo) if fallo else None, fallo, None)


async def get_conn(request: Request) -> AsyncIterator[Connection]:
    """A connection for a read: the replica when one is configured, else the primary (ended
    by COMMIT, keeping what it prepared: ``geo.plataforma.db.lectura``), taken from the pool
    when it is first used (``Perezosa``)."""
    engine = request.app.state.engine_lectura
    conn = Perezosa(lambda: lectura(engine))
    try:
        yield cast(Connection, conn)
    except BaseException as fallo:
        await conn.terminar(fallo)
        raise
    await conn.terminar(None)


SettingsDep = Annotated[Settings, Depends(get_settings)]
ConnDep = Annotated[Connection, Depends(get_conn)]


def get_session(request: Request) -> Iterator[Session]:
    """A session for a request that writes: the route commits when its work is done, so the
    response tells the truth about what was saved (a write a phone may retry commits through
    api/idempotencia.py, which keeps its answer in the same transaction)."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
