"""Rate-limit counts kept in PostgreSQL, so that every worker process (and every machine on
the same database) shares one count per client address: with a count in each process's memory,
a second worker, or a restart, let a client start again from zero.

``ContadorPostgres`` is a storage for the ``limits`` library (which has none for PostgreSQL or
files), enough for its fixed-window strategy: each hit is one UPSERT that adds to the window's
count, or opens a new window when the old one has expired, and returns the count. The row lock
of ``ON CONFLICT DO UPDATE`` serialises hits from any number of processes, and each hit commits
on its own, whatever the request then does with its transaction."""

from __future__ import annotations

import time
from datetime import timedelta

from limits.storage import Storage
from sqlalchemy import Engine, case, delete, extract, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import SQLAlchemyError

from geo.plataforma.models import LimiteSolicitudes, tabla

T = tabla(LimiteSolicitudes)
PURGA_CADA = 60.0  # seconds between deletions of expired windows, per process


class ContadorPostgres(Storage):
    """A ``limits`` storage (fixed window) on the table ``limite_solicitudes``."""

    STORAGE_SCHEME = None  # built from an engine, never from a storage URI

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine
        self._purgado = float("-inf")

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the window of ``key``; a window that has expired (or none) starts
        again at ``amount`` and lasts ``expiry`` seconds from now."""
        nueva = insert(T).values(
            clave=key, cuenta=amount, expira=func.now() + timedelta(seconds=expiry)
        )
        vencida = T.c.expira <= func.now()
        sentencia = nueva.on_conflict_do_update(
            index_elements=[T.c.clave],
            set_={
                "cuenta": case(
                    (vencida, nueva.excluded.cuenta), else_=T.c.cuenta + nueva.excluded.cuenta
                ),
                "expira": case((vencida, nueva.excluded.expira), else_=T.c.expira),
            },
        ).returning(T.c.cuenta)
        with self.engine.begin() as conn:
            cuenta = int(conn.execute(sentencia).scalar_one())
        self._purgar()
        return cuenta

    def get(self, key: str) -> int:
        with self.engine.connect() as conn:
            cuenta = conn.execute(
                select(T.c.cuenta).where(T.c.clave == key, T.c.expira > func.now())
            ).scalar()
        return int(cuenta or 0)

    def get_expiry(self, key: str) -> float:
        """When the window of ``key`` ends (epoch seconds); now when there is none."""
        with self.engine.connect() as conn:
            expira = conn.execute(
                select(extract("epoch", T.c.expira)).where(T.c.clave == key)
            ).scalar()
        return float(expira) if expira is not None else time.time()

    def check(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as conn:
            return conn.execute(delete(T)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(T).where(T.c.clave == key))

    def _purgar(self) -> None:
        """Expired windows are dead weight (a row per address ever seen): dropped now and then,
        in a transaction of their own that skips rows a hit holds, so it never waits on one."""
        ahora = time.monotonic()
        if ahora - self._purgado < PURGA_CADA:
            return
        self._purgado = ahora
        vencidas = (
            select(T.c.clave).where(T.c.expira < func.now()).with_for_update(skip_locked=True)
        )
        with self.engine.begin() as conn:
            conn.execute(delete(T).where(T.c.clave.in_(vencidas)))
