"""Engine and sessions. One engine per process, made by whoever owns the process."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ClauseElement

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
# At most this many statements stay prepared on a connection, the least recently used
# deallocated past it (psycopg's own default is 100): an aggregate with every measure holds
# 0.8 MB of plan in its server process, and a server may hold 50 connections.
PREPARADAS = 16


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
    # The connection given back last is handed out first: its statements are prepared and
    # planned already (``con_plan_generico``); FIFO hands out each in turn, ten unprepared.
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _al_conectar(dbapi: psycopg.Connection, _registro: Any) -> None:
        dbapi.prepared_max = PREPARADAS

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


def _ajustes_sql(ajustes: dict[str, str]) -> tuple[str, dict[str, str]]:
    """One statement making ``ajustes`` (setting -> value) for the rest of the transaction."""
    pares = list(ajustes.items())
    sql = "SELECT " + ", ".join(f"set_config(%(n{i})s, %(v{i})s, true)" for i in range(len(pares)))
    valores = {f"n{i}": n for i, (n, _) in enumerate(pares)}
    return sql, valores | {f"v{i}": v for i, (_, v) in enumerate(pares)}


def ajustar(conn: Connection, ajustes: dict[str, str]) -> None:
    """``ajustes`` (setting -> value) for the rest of this transaction, in one round trip."""
    conn.exec_driver_sql(*_ajustes_sql(ajustes))


def sin_jit(conn: Connection) -> None:
    """JIT compilation off for the rest of this transaction. A statement over thousands of
    rows given at once (an import's block of points, bench/RESULTS.md) is estimated costly
    enough to be compiled, and compiling it (0.5 s for a block of 10,000 points) took longer
    than running it (0.45 s)."""
    ajustar(conn, {"jit": "off"})


@contextmanager
def lectura(engine: Engine) -> Iterator[Connection]:
    """A connection for reads, its transaction ended by COMMIT when the block ends well (a read
    has nothing to undo) rather than by ROLLBACK: psycopg deallocates every statement it has
    prepared on a connection at each ROLLBACK, and ``con_plan_generico`` would then plan its
    statements again on every request. A block that fails is rolled back, as before."""
    with engine.connect() as conn:
        yield conn
        if conn.in_transaction() and not conn.invalidated:
            conn.commit()


@contextmanager
def sin_transaccion(engine: Engine) -> Iterator[Connection]:
    """A connection in autocommit, for a lone read (a single statement needs no transaction):
    no BEGIN sent with it and no COMMIT or ROLLBACK after it, a round trip fewer, and nothing
    this connection has prepared is dropped (see ``lectura``)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


@contextmanager
def _en_una_ida(
    conn: Connection, sql: str, valores: dict[str, Any]
) -> Iterator[psycopg.Connection]:
    """``conn``'s psycopg connection in pipeline mode: what is executed in the block goes in one
    round trip, with the BEGIN of SQLAlchemy's transaction when the block opens it (psycopg
    sends a BEGIN on its own round trip before a statement outside a pipeline). Errors come out
    as SQLAlchemy's (``sql`` and ``valores`` name the statement), a lost connection
    invalidated, as ``Connection.execute`` would."""
    if not conn.in_transaction():
        # The transaction is SQLAlchemy's, so that the read's end commits it (``lectura``);
        # one psycopg began on its own would be rolled back when the pool takes the
        # connection back, and what the connection prepared would go with it.
        conn.begin()
    raw = cast(psycopg.Connection, conn.connection.driver_connection)  # the one driver
    try:
        with raw.pipeline():
            yield raw
    except psycopg.Error as exc:
        perdida = conn.dialect.is_disconnect(cast(Any, exc), conn.connection, None)
        if perdida:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            sql, valores, exc, psycopg.Error, connection_invalidated=perdida, dialect=conn.dialect
        ) from exc


Sentencia = tuple[str, dict[str, Any]]  # a statement's SQL (psycopg's %(name)s) and values


def en_una_ida(conn: Connection, *consultas: Sentencia) -> list[list[tuple[Any, ...]]]:
    """The rows of each of ``consultas``, all sent in one round trip, with the BEGIN of the
    read when they open it: where ``conn.execute`` takes a round trip for the BEGIN and one
    for each statement. For the reads on every request's path (the data generation of a
    cached answer, and what the answer needs with it)."""
    cursores = []
    with _en_una_ida(conn, *consultas[0]) as raw:
        for sql, valores in consultas:
            cursores.append(raw.execute(sql, valores))
    return [c.fetchall() for c in cursores]


def con_plan_generico(
    conn: Connection, sql: str, valores: dict[str, Any], ajustes: dict[str, str] | None = None
) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """The column names and rows of ``sql``, run as a statement prepared on this connection
    with a generic plan: planned once per connection, then only executed.

    For the hot statements whose plan does not depend on the values: the aggregates over the
    summary (a few thousand rows whatever the number of records) and the point tiles (the
    tile's bounds). PostgreSQL plans a prepared statement afresh for each of its first five
    executions; an aggregate with every measure took longer to plan (4 ms) than to run, and a
    zoom-14 tile at 1,000,000 alliances took 1.9 ms with its plan and 1.1 ms without. A write
    does not change the plan. ``ajustes``: settings for the rest of the transaction (as
    ``set_config(..., true)``), made before the statement is planned. The settings, the
    statement and the plan setting restored go in one round trip (psycopg's pipeline,
    ``_en_una_ida``); the plan setting holds for that statement only. The rows come in
    PostgreSQL's binary format: no value is written out as text by the server and parsed
    back here (every measure of 339 municipalities: 3.9 ms for the statement where the text
    format took 5.9 ms, and a tile's bytes arrive as they are rather than in hex)."""
    with _en_una_ida(conn, sql, valores) as raw:
        raw.execute(*_ajustes_sql({**(ajustes or {}), "plan_cache_mode": "force_generic_plan"}))
        # An engine made with prepare_threshold=None (PgBouncer in transaction mode before
        # 1.21, docs/scale.md) prepares nothing: the statement is then planned each time.
        cursor = raw.execute(sql, valores, prepare=raw.prepare_threshold is not None, binary=True)
        raw.execute("RESET plan_cache_mode")
    columnas = tuple(d.name for d in cursor.description or ())
    return columnas, cursor.fetchall()


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
    statement took longer than running it. At most ``maximo`` are kept (all dropped past it).

    A key seen for the first time (a department not asked for yet, say) is built, but not
    always compiled: a statement of the same shape as one compiled before (SQLAlchemy's cache
    key: the same statement but for its values, and here the same length of each list of
    values, as each item of a list is a parameter of its own) takes that one's SQL, with its
    own values put in the same parameters (``_Molde``). SQLAlchemy does the same for what it
    executes itself. The SQL being the same, the database's generic plan of it serves too."""

    def __init__(self, maximo: int) -> None:
        self.maximo = maximo
        self._hechas: dict[str, tuple[str, dict[str, Any]]] = {}
        self._moldes: dict[tuple[Any, ...], _Molde | None] = {}

    def __call__(
        self, conn: Connection, clave: str, hacer: Callable[[], ClauseElement]
    ) -> tuple[str, dict[str, Any]]:
        """The SQL text and bound values of ``hacer()`` for ``conn``'s dialect, made the first
        time ``clave`` is asked (``clave`` names everything the statement depends on)."""
        clave = f"{conn.dialect.name}:{clave}"
        hecha = self._hechas.get(clave)
        if hecha is None:
            hecha = self._compilar(conn.dialect, hacer())
            if len(self._hechas) >= self.maximo:
                self._hechas.clear()
            self._hechas[clave] = hecha
        return hecha

    def _compilar(self, dialecto: Dialect, sentencia: ClauseElement) -> tuple[str, dict[str, Any]]:
        # The key SQLAlchemy's own statement cache goes by (its values apart, in a fixed order).
        llave = sentencia._generate_cache_key()
        forma = None
        if llave is not None:  # None: a construct SQLAlchemy cannot cache, compiled every time
            forma = (dialecto.name, llave.key, tuple(_largo(b) for b in llave.bindparams))
            # One get: another thread may empty the dict between a test and a read.
            molde = self._moldes.get(forma, _SIN_MOLDE)
            if isinstance(molde, _Molde):
                return molde.sql, molde.con(llave.bindparams)
            if molde is None:  # a shape not reused
                forma = None
        compilada = cast(
            SQLCompiler,
            sentencia.compile(dialect=dialecto, compile_kwargs={"render_postcompile": True}),
        )
        sql, valores = str(compilada), dict(compilada.params)
        if forma is not None and llave is not None:
            if len(self._moldes) >= self.maximo:
                self._moldes.clear()
            self._moldes[forma] = _Molde.de(compilada, sql, valores, llave.bindparams)
        return sql, valores


_SIN_MOLDE = object()  # a shape not seen yet


def _largo(b: BindParameter[Any]) -> int | None:
    """How many parameters ``b`` becomes in the SQL: one per item of a list (an IN)."""
    return len(cast(Sequence[Any], b.effective_value)) if b.expanding else None


@dataclass(frozen=True)
class _Molde:
    """A compiled statement's SQL, its values, and the parameter(s) each of its bound values
    went to, in the order of its cache key's values: what any statement of its shape needs to
    be run with this SQL."""

    sql: str
    valores: dict[str, Any]
    parametros: tuple[tuple[str, ...], ...]

    @classmethod
    def de(
        cls,
        compilada: SQLCompiler,
        sql: str,
        valores: dict[str, Any],
        ligadas: Sequence[BindParameter[Any]],
    ) -> _Molde | None:
        """The mould of ``compilada`` (its ``sql`` and ``valores``) for the values ``ligadas``
        (its cache key's), or None when one of them does not go to parameters of its own (a
        value written into the SQL, as SQLAlchemy does with some): such a shape is not
        reused."""
        parametros = []
        for b in ligadas:
            nombre = compilada.bind_names.get(b)
            if nombre is None or b.literal_execute:
                return None
            n = _largo(b)
            propios = (nombre,) if n is None else tuple(f"{nombre}_{i}" for i in range(1, n + 1))
            if any(p not in valores for p in propios):
                return None
            parametros.append(propios)
        molde = cls(sql, valores, tuple(parametros))
        # The mould must give back the very values the compiler gave: else it is not used.
        return molde if molde.con(ligadas) == valores else None

    def con(self, ligadas: Sequence[BindParameter[Any]]) -> dict[str, Any]:
        """The values for this SQL of a statement of the same shape, whose cache key's values
        are ``ligadas``."""
        valores = dict(self.valores)
        for propios, b in zip(self.parametros, ligadas, strict=True):
            if b.expanding:
                valores.update(zip(propios, cast(Sequence[Any], b.effective_value), strict=True))
            else:
                valores[propios[0]] = b.effective_value
        return valores
