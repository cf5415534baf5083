"""Request dependencies: settings and a database connection per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from geo.plataforma.config import Settings
from geo.plataforma.db import lectura


async def get_settings(request: Request) -> Settings:
    # async: read on the event loop, not handed to a worker thread.
    settings: Settings = request.app.state.settings
    return settings


def get_conn(request: Request) -> Iterator[Connection]:
    """A connection for a read: the replica when one is configured, else the primary (ended
    by COMMIT, keeping what it prepared: ``geo.plataforma.db.lectura``)."""
    with lectura(request.app.state.engine_lectura) as conn:
        yield conn


SettingsDep = Annotated[Settings, Depends(get_settings)]
ConnDep = Annotated[Connection, Depends(get_conn)]


def get_session(request: Request) -> Iterator[Session]:
    """A session for a request that writes: the route commits when its work is done, so the
    response tells the truth about what was saved (a write a phone may retry commits through
    api/idempotencia.py, which keeps its answer in the same transaction)."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
