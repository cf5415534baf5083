"""The aggregate summary's upkeep (migration 0014). Every write appends its signed difference to
``resumen_*_delta`` in its own transaction; readers add base and differences. This module folds
the committed differences into the base, so that what a reader adds stays a few thousand rows
whatever the number of writes since: in a short transaction of its own, one compactor at a time
(the database function takes an advisory lock; another server's compactor just skips a turn).
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("sigg.resumen")

CADA = 2.0  # seconds between folds


def compactar(conn: Connection) -> bool:
    """Fold the committed differences into the base; False if another compactor is at it."""
    return bool(conn.execute(text("SELECT sigg_resumen_compactar()")).scalar_one())


def rehacer(conn: Connection) -> None:
    """Recompute the summary from the records (after a load with the triggers disabled)."""
    conn.execute(text("SELECT sigg_resumen_rehacer()"))


class Compactador:
    """A daemon thread folding the differences every ``cada`` seconds. A database that is
    down or not migrated yet is logged once per failure streak and tried again later: the
    readers stay exact either way (they add the differences themselves)."""

    def __init__(self, engine: Engine, cada: float = CADA) -> None:
        self.engine = engine
        self.cada = cada
        self._parar = threading.Event()
        self._hilo = threading.Thread(target=self._correr, name="sigg-resumen", daemon=True)

    def iniciar(self) -> None:
        self._hilo.start()

    def parar(self) -> None:
        self._parar.set()
        if self._hilo.is_alive():
            self._hilo.join(timeout=10)

    def _correr(self) -> None:
        fallando = False
        while not self._parar.wait(self.cada):
            try:
                with self.engine.begin() as conn:
                    compactar(conn)
                fallando = False
            except SQLAlchemyError as exc:
                if not fallando:
                    log.warning("no se pudo compactar el resumen: %s", exc)
                fallando = True
