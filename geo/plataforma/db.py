"""Engine and sessions. One engine per process, made by whoever owns the process."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.sql.elements import ClauseElement

from geo.plataforma.cluster import PrivateCluster
from geo.plataforma.config import Settings


def database_url(settings: Settings) -> str:
    """The external URL when configured, else the private cluster's."""
    if settings.database_url:
        return settings.database_url
    return PrivateCluster.from_settings(settings).url()


# A pooled connection idle this long is checked (a round trip) before it is handed out; one
# given back a moment ago is not.
PING_TRAS_S = 1.0


def make_engine(url: str, **kwargs) -> Engine:  # type: ignore[no-untyped-def]
    """The engine, its pool checking a connection before handing it out when it has been idle
    ``PING_TRAS_S`` or more (the database may have restarted meanwhile: a dead one is replaced,
    as ``pool_pre_ping`` would). ``pool_pre_ping`` checks every checkout, a round trip (about
    0.7 ms here) that a busy server's requests paid on connections used a moment before."""
    kwargs.setdefault("pool_size", 10)
    # 50 connections at most: more than the 40 threads that serve synchronous routes plus the
    # background threads (compactor, generation reader, import jobs), so that a request that
    # holds one connection can always get a second. With 30, the suite's 256-connection run
    # at 1,000,000 alliances left every request waiting 30 s for a connection (503s).
    kwargs.setdefault("max_overflow", 40)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _comprobar_inactivas(engine)
    return engine


def _comprobar_inactivas(engine: Engine) -> None:
    """SQLAlchemy's pessimistic disconnect handling, only for connections idle a while: the
    dialect's own ping, and a failed one raises DisconnectionError, upon which the pool
    discards the connection (and those as old) and hands out a new one."""

    @event.listens_for(engine, "checkin")
    def _devuelta(_dbapi: Any, registro: Any) -> None:
        registro.info["devuelta"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _entregada(dbapi: Any, registro: Any, _proxy: Any) -> None:
        devuelta = registro.info.get("devuelta")
        if devuelta is None or time.monotonic() - devuelta < PING_TRAS_S:
            return  # just opened, or given back a moment ago
        try:
            engine.dialect.do_ping(dbapi)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("la conexión con la base de datos se perdió") from exc


def sin_jit(conn: Connection) -> None:
    """JIT compilation off for the rest of this transaction. A statement over thousands of
    rows given at once (an import's block of points, bench/RESULTS.md) is estimated costly
    enough to be compiled, and compiling it (0.5 s for a block of 10,000 points) took longer
    than running it (0.45 s)."""
    conn.execute(text("SELECT set_config('jit', 'off', true)"))


def safe_url(url: str) -> str:
    """The URL with its password hidden, for printing."""
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def connect(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(database_url(settings), pool_size=2, max_overflow=2)
    try:
        yield engine
    finally:
        engine.dispose()


def postgis_version(conn) -> str | None:  # type: ignore[no-untyped-def]
    """PostGIS's version string, or None when the extension is not installed."""
    has = conn.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'postgis'")).first()
    if not has:
        return None
    return str(conn.execute(text("SELECT postgis_lib_version()")).scalar_one())


# The base PostgreSQL dialect: no driver casts (``::VARCHAR``) that text() would misread.
_DIALECTO = PGDialect(paramstyle="named")


def como_sql(clausula: ClauseElement, prefijo: str = "") -> tuple[str, dict[str, Any]]:
    """A Core expression as SQL text with ``:name`` bound values, for the queries that are
    written as text (OGC, indicators): a rule is stated once, in Core, and used by both.
    ``prefijo`` keeps the names apart from another compiled piece of the same query."""
    compilado = clausula.compile(dialect=_DIALECTO, compile_kwargs={"render_postcompile": True})
    sql, valores = str(compilado), dict(compilado.params)
    if not prefijo or not valores:
        return sql, valores
    nombres = "|".join(re.escape(k) for k in sorted(valores, key=len, reverse=True))
    sql = re.sub(rf":({nombres})\b", lambda m: f":{prefijo}{m.group(1)}", sql)
    return sql, {prefijo + k: v for k, v in valores.items()}


class Compiladas:
    """Statements compiled once per key, for the hot paths whose statement depends only on the
    query's shape and filters (aggregates, point tiles): building and compiling a Core
    statement took longer than running it. At most ``maximo`` are kept (all dropped past it)."""

    def __init__(self, maximo: int) -> None:
        self.maximo = maximo
        self._hechas: dict[str, tuple[str, dict[str, Any]]] = {}

    def __call__(
        self, conn: Connection, clave: str, hacer: Callable[[], ClauseElement]
    ) -> tuple[str, dict[str, Any]]:
        """The SQL text and bound values of ``hacer()`` for ``conn``'s dialect, made the first
        time ``clave`` is asked (``clave`` names everything the statement depends on)."""
        clave = f"{conn.dialect.name}:{clave}"
        hecha = self._hechas.get(clave)
        if hecha is None:
            compilada = hacer().compile(
                dialect=conn.dialect, compile_kwargs={"render_postcompile": True}
            )
            hecha = (str(compilada), dict(compilada.params))
            if len(self._hechas) >= self.maximo:
                self._hechas.clear()
            self._hechas[clave] = hecha
        return hecha
