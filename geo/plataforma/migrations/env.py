"""Alembic environment. The connection comes from ``config.attributes['connection']`` when the
caller (CLI or tests) provides one, else from the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from geo.plataforma.config import Settings
from geo.plataforma.db import database_url, make_engine
from geo.plataforma.models import Base

config = context.config
target_metadata = Base.metadata


def _include_object(obj, name, type_, reflected, compare_to):  # type: ignore[no-untyped-def]
    # PostGIS's own tables (spatial_ref_sys, topology...) are not ours to manage.
    return not (type_ == "table" and reflected and compare_to is None)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection, target_metadata=target_metadata, include_object=_include_object
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(database_url(Settings()), pool_size=1, max_overflow=0)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
