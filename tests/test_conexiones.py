"""The pool's connections (geo/plataforma/db.py): one idle a while is checked before it is
handed out and replaced when its server side is gone (a database restart); one given back a
moment ago is handed out as it is, without a round trip."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import Engine, text

from geo.plataforma import db


@pytest.fixture
def una(engine: Engine) -> Any:
    """An engine of one pooled connection on the test database, its pings counted."""
    motor = db.make_engine(engine.url.render_as_string(hide_password=False), pool_size=1,
                           max_overflow=0)  # fmt: skip
    pings: list[int] = []
    original = motor.dialect.do_ping

    def contar(dbapi: Any) -> bool:
        pings.append(1)
        return original(dbapi)

    motor.dialect.do_ping = contar  # type: ignore[method-assign]
    yield motor, pings
    motor.dispose()


def _pid(motor: Engine) -> int:
    with motor.connect() as c:
        return int(c.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_given_back_a_moment_ago_is_handed_out_without_a_ping(una):
    motor, pings = una
    primera = _pid(motor)
    assert [_pid(motor) for _ in range(5)] == [primera] * 5
    assert pings == []


def test_an_idle_connection_whose_server_side_went_is_replaced_before_use(una, engine, monkeypatch):
    motor, pings = una
    vieja = _pid(motor)
    with engine.connect() as otra:  # as a restart would: the server side of it ends
        assert otra.execute(text("SELECT pg_terminate_backend(:p)"), {"p": vieja}).scalar_one()
    time.sleep(0.2)
    monkeypatch.setattr(db, "PING_TRAS_S", 0.1)  # it has been idle longer than this
    nueva = _pid(motor)
    assert nueva != vieja and len(pings) == 1


# What a statement run by db.con_plan_generico left on its connection: how often PostgreSQL
# planned it generically and how often afresh (a custom plan).
_PLANES = (
    "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
    "WHERE strpos(statement, 'sigg_prueba_plan') > 0 AND strpos(statement, 'pg_prepared') = 0"
)
_SUMA = (
    "SELECT departamento_codigo, count(*) AS n /* sigg_prueba_plan */ FROM municipio "
    "WHERE cartografia = %(c)s GROUP BY departamento_codigo ORDER BY 1"
)


def test_a_hot_statement_is_planned_once_per_connection_and_kept_across_reads(una):
    motor, _ = una
    vistas = []
    for _ in range(4):  # four requests, each a read of its own ended as the routes end it
        with db.lectura(motor) as c:
            columnas, filas = db.con_plan_generico(c, _SUMA, {"c": "2012"})
            vistas.append(filas)
            plan = c.exec_driver_sql(_PLANES).one()
            # The setting held for that statement only.
            modo = c.exec_driver_sql("SHOW plan_cache_mode").scalar_one()
    with motor.connect() as c:
        esperadas = [tuple(r) for r in c.exec_driver_sql(_SUMA, {"c": "2012"})]
        departamentos = c.execute(
            text("SELECT count(*) FROM departamento WHERE cartografia = '2012'")
        ).scalar_one()
    assert columnas == ("departamento_codigo", "n")
    assert vistas == [esperadas] * 4 and len(esperadas) == departamentos > 0
    # Planned generically at each execution, never afresh: one prepared statement, still there
    # after three reads ended (a ROLLBACK would have made psycopg deallocate it).
    assert tuple(plan) == (4, 0)
    assert modo == "auto"


def test_a_hot_statement_alone_in_its_read_is_kept_prepared_too(una):
    """A point tile whose generation was held: the statement is the read's only one."""
    motor, _ = una
    for _ in range(3):
        with db.lectura(motor) as c:
            db.con_plan_generico(c, _SUMA, {"c": "2012"})
    with db.lectura(motor) as c:
        assert tuple(c.exec_driver_sql(_PLANES).one()) == (3, 0)


# Every kind of value the hot statements return (the aggregates' counts, sums and names, a
# tile's bytes), and their NULLs.
_TIPOS = (
    "SELECT m.codigo, m.nombre, count(*) OVER () AS n, sum(m.rural_2012) OVER () AS suma, "
    "CAST(m.rural_2012 AS FLOAT) / 3 AS razon, m.rural_2012 IS NOT NULL AS completa, "
    "CAST(NULL AS BIGINT) AS nada, 12345.675::numeric AS monto, "
    "(SELECT ST_AsMVT(t, 'capa') FROM (SELECT 1 AS id, ST_AsMVTGeom(ST_Point(0, 0), "
    "ST_MakeEnvelope(-1, -1, 1, 1)) AS geom) t) AS tesela "
    "FROM municipio m WHERE m.cartografia = %(c)s ORDER BY m.codigo LIMIT 3"
)


def test_a_hot_statements_rows_are_the_values_a_plain_read_gives(una):
    """The hot statements' rows travel in PostgreSQL's binary format: the same Python values
    as the text format gives, NULLs and a tile's bytes included."""
    motor, _ = una
    with db.lectura(motor) as c:
        columnas, filas = db.con_plan_generico(c, _TIPOS, {"c": "2012"})
        texto = c.exec_driver_sql(_TIPOS, {"c": "2012"})
        esperadas = [tuple(r) for r in texto]
    assert columnas == tuple(texto.keys())
    assert filas == esperadas and len(filas) == 3
    assert [type(v) for v in filas[0]] == [type(v) for v in esperadas[0]]
    tesela = filas[0][-1]
    assert isinstance(tesela, bytes) and tesela[:1] == b"\x1a"  # an MVT layer, not hex text


def test_a_read_that_fails_is_rolled_back_and_its_error_is_sqlalchemys(una):
    from sqlalchemy.exc import DBAPIError, ProgrammingError

    motor, _ = una
    with pytest.raises(ProgrammingError) as error, db.lectura(motor) as c:
        db.con_plan_generico(c, "SELECT no_such_column FROM municipio", {})
    assert isinstance(error.value, DBAPIError) and "no_such_column" in str(error.value)
    with motor.connect() as c:  # the connection went back clean and serves the next read
        assert c.execute(text("SELECT 1 + 1")).scalar_one() == 2


def test_a_lost_connection_under_a_hot_statement_is_invalidated_and_says_so(una, engine):
    from sqlalchemy.exc import OperationalError

    motor, _ = una
    with db.lectura(motor) as c:
        pid = c.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with engine.connect() as otra:
            otra.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        time.sleep(0.2)
        with pytest.raises(OperationalError) as error:
            db.con_plan_generico(c, _SUMA, {"c": "2012"})
        assert error.value.connection_invalidated and c.invalidated
    assert _pid(motor) != pid  # the pool opened a new one


def test_an_engine_that_prepares_nothing_answers_the_same_unprepared(engine, una):
    """PgBouncer in transaction mode before 1.21 (docs/scale.md): prepare_threshold=None."""
    motor, _ = una
    sin = db.make_engine(engine.url.render_as_string(hide_password=False), pool_size=1,
                         max_overflow=0, connect_args={"prepare_threshold": None})  # fmt: skip
    try:
        with db.lectura(sin) as c:
            filas = [db.con_plan_generico(c, _SUMA, {"c": "2012"})[1] for _ in range(3)]
            preparadas = c.exec_driver_sql(_PLANES).all()
        with db.lectura(motor) as c:
            esperadas = db.con_plan_generico(c, _SUMA, {"c": "2012"})[1]
    finally:
        sin.dispose()
    assert filas == [esperadas] * 3 and esperadas
    assert preparadas == []


def test_a_connection_keeps_a_bounded_number_of_statements_prepared(una):
    """An aggregate's plan is 0.8 MB in the server process: the least used go first."""
    motor, _ = una

    def sql(k: int) -> str:
        return f"SELECT {k} AS k /* sigg_prueba_plan */"

    with db.lectura(motor) as c:
        for k in range(db.PREPARADAS + 4):  # as many distinct statements, each prepared
            assert db.con_plan_generico(c, sql(k), {})[1] == [(k,)]
        preparadas = {r[0] for r in c.exec_driver_sql(
            "SELECT statement FROM pg_prepared_statements WHERE strpos(statement, "
            "'sigg_prueba_plan') > 0 AND strpos(statement, 'pg_prepared') = 0"
        )}  # fmt: skip
    assert db.PREPARADAS - 1 <= len(preparadas) <= db.PREPARADAS
    # The last ones asked are those kept; the first ones went.
    assert {sql(k) for k in range(5, db.PREPARADAS + 4)} <= preparadas
    assert not {sql(k) for k in range(4)} & preparadas


def test_a_request_takes_its_read_connection_only_when_used_in_the_thread_that_uses_it(
    engine, settings
):
    import threading

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from api.main import create_app

    motor = db.make_engine(engine.url.render_as_string(hide_password=False), pool_size=2)
    hilos: list[str] = []

    def tomada(*_: Any) -> None:
        nombre = threading.current_thread().name
        if nombre != "sigg-resumen":  # the summary's compactor, on a schedule of its own
            hilos.append(nombre)

    event.listen(motor, "checkout", tomada)
    app = create_app(settings)
    app.state.engine = app.state.engine_lectura = motor
    ruta = "/api/v1/estadisticas"
    try:
        with TestClient(app) as cliente:
            hilos.clear()  # the start-up's own reads
            # Refused while its parameters are read: its connection was never used nor taken.
            assert cliente.get(ruta, params={"nivel": "galaxia"}).status_code == 422
            assert hilos == []
            # Used, then failed: taken once, in the route's worker thread, and given back.
            r = cliente.get(ruta, params={"nivel": "departamento", "programa": "NINGUNO"})
            assert (r.status_code, r.json()["campo"]) == (404, "programa")
            assert hilos == ["AnyIO worker thread"]
            assert motor.pool.checkedout() == 0
            r = cliente.get(ruta, params={"nivel": "departamento"})
            assert r.status_code == 200 and r.json()["count"] == 9
            assert hilos == ["AnyIO worker thread"] * 2 and motor.pool.checkedout() == 0
    finally:
        motor.dispose()
