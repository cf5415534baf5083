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
