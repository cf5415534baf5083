"""A real PostGIS: the private cluster (or the external server of SIGG_DATABASE_URL) holds a
test database created once per session, migrated and loaded with the real boundaries; each test
runs in a transaction that is rolled back at the end."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from api.deps import get_conn
from api.main import create_app
from etl.fuente_territorio import ReglasTerritorio, fuente_por_defecto
from etl.territorio import cargar_territorio
from geo.cluster import PrivateCluster, create_database
from geo.config import PROJECT_ROOT, Settings
from geo.db import make_engine
from geo.migrate import upgrade

TEST_DB = "sigg_test"


def _test_url(settings: Settings, name: str = TEST_DB) -> str:
    """Create (afresh) database ``name`` on the configured server and return its URL."""
    if settings.database_url:
        url = make_url(settings.database_url)
        admin = url.set(drivername="postgresql", database="postgres")
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
            create_database(c, name, recreate=True)
        return url.set(database=name).render_as_string(hide_password=False)
    cluster = PrivateCluster.from_settings(settings)
    cluster.start()
    cluster.ensure_database(name, recreate=True)
    return cluster.url(name)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def reglas() -> ReglasTerritorio:
    return ReglasTerritorio.desde_directorio(PROJECT_ROOT / "data" / "municipios")


@pytest.fixture(scope="session")
def engine(settings: Settings, reglas: ReglasTerritorio) -> Iterator[Engine]:
    engine = make_engine(_test_url(settings))
    with engine.begin() as conn:
        upgrade(conn)
        for version in ("2012", "2024"):
            cargar_territorio(conn, fuente_por_defecto(settings.directorio_limites(), version), reglas)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture
def client(engine: Engine, conn: Connection, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    app.state.engine = engine
    app.dependency_overrides[get_conn] = lambda: conn
    with TestClient(app) as test_client:
        yield test_client
