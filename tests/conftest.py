"""A real PostGIS: the private cluster (or the external server of SIGG_DATABASE_URL) holds a
test database created once per session, migrated and loaded with the real boundaries; each test
runs in a transaction that is rolled back at the end."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any, cast
from urllib.parse import urlparse

import psycopg
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, sync_playwright
from psycopg import sql
from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from api.deps import Perezosa, get_conn, get_session
from api.main import create_app
from etl.fuente_territorio import ReglasTerritorio, fuente_por_defecto
from etl.territorio import cargar_territorio
from geo.plataforma.cluster import PrivateCluster, create_database
from geo.plataforma.config import PROJECT_ROOT, Settings
from geo.plataforma.db import make_engine
from geo.plataforma.migrate import upgrade

# Another name lets two test runs share one server (e.g. two checkouts, or parallel work).
TEST_DB = os.environ.get("SIGG_TEST_DB", "sigg_test")


def _server_url(settings: Settings) -> str:
    """The configured server (starting the private cluster if that is the one)."""
    if settings.database_url:
        return settings.database_url
    cluster = PrivateCluster.from_settings(settings)
    cluster.start()
    return cluster.url()


def _admin(settings: Settings) -> psycopg.Connection:
    url = make_url(_server_url(settings)).set(drivername="postgresql", database="postgres")
    return psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)


def _test_url(settings: Settings, name: str = TEST_DB) -> str:
    """Create (afresh) database ``name`` on the configured server and return its URL."""
    with _admin(settings) as conn:
        create_database(conn, name, recreate=True)
    return make_url(_server_url(settings)).set(database=name).render_as_string(hide_password=False)


def drop_database(settings: Settings, name: str) -> None:
    with _admin(settings) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


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
            cargar_territorio(
                conn, fuente_por_defecto(settings.directorio_limites(), version), reglas
            )
        cuentas_de_prueba(conn)
    yield engine
    engine.dispose()


def cuentas_de_prueba(conn: Connection) -> None:
    """The accounts ``cabeceras`` signs tokens for (a token speaks only for an account that
    exists, is active and holds the token's role and unit): national, and a unit user and a
    técnico of every operational unit, named as ``cabeceras`` names them."""
    from geo.acceso.cuentas import crear

    unidades = conn.execute(text("SELECT DISTINCT codigo FROM unidad_operativa")).scalars()
    crear(conn, "nacional.bo", "nacional.bo", "nacional", None, "clave de las pruebas")
    for unidad in unidades:
        for rol in ("unidad", "tecnico"):
            nombre = f"{rol}.{unidad}".lower()
            crear(conn, nombre, nombre, rol, unidad, "clave de las pruebas")


def _sin_limites(engine: Engine) -> None:
    """Rate-limit counts are committed (shared by every worker, whatever the request's
    transaction does): clear them so that no test starts with another's."""
    from geo.acceso.limites import ContadorPostgres

    ContadorPostgres(engine).reset()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()
    _sin_limites(engine)


def cabeceras(settings: Settings, rol: str | None, unidad: str | None = None) -> dict[str, str]:
    """The Authorization header of a signed token for a user of ``rol`` (None: the public)."""
    if rol is None:
        return {}
    from api.seguridad import emitir
    from geo.acceso.cuentas import Usuario

    nombre = f"{rol}.{unidad or 'bo'}".lower()
    token, _ = emitir(settings, Usuario(0, nombre, nombre, rol, unidad, True))
    return {"Authorization": f"Bearer {token}"}


def cliente_en(
    engine: Engine, conn: Connection, settings: Settings, rol: str | None = "nacional"
) -> Iterator[TestClient]:
    """A test client whose requests run inside the test's transaction: a route's commit
    releases a savepoint, a failed request rolls its savepoint back, and the test's transaction
    is still rolled back at the end. It acts as national coordination unless ``rol`` says
    otherwise (None: the public, with no token)."""
    app = aplicacion_en(engine, conn, settings)
    with TestClient(app, headers=cabeceras(settings, rol)) as test_client:
        yield test_client


def en_perezosa(conn: Connection) -> Callable[[], AsyncIterator[Connection]]:
    """A ``get_conn`` over the test's connection, behind the proxy the application's requests
    get theirs through (api/deps.py, ``Perezosa``): what works in a test works behind it. Its
    end leaves the test's transaction as it is."""

    async def get_conn() -> AsyncIterator[Connection]:
        yield cast(Connection, Perezosa(lambda: nullcontext(conn)))

    return get_conn


def aplicacion_en(engine: Engine, conn: Connection, settings: Settings) -> Any:
    app = create_app(settings)
    app.state.engine = app.state.engine_lectura = engine
    app.dependency_overrides[get_conn] = en_perezosa(conn)

    def session() -> Iterator[Session]:
        with Session(bind=conn, join_transaction_mode="create_savepoint") as s:
            yield s

    app.dependency_overrides[get_session] = session
    return app


@pytest.fixture
def client(engine: Engine, conn: Connection, settings: Settings) -> Iterator[TestClient]:
    yield from cliente_en(engine, conn, settings)


@pytest.fixture
def publico(engine: Engine, conn: Connection, settings: Settings) -> Iterator[TestClient]:
    """A client with no token: the public."""
    yield from cliente_en(engine, conn, settings, rol=None)


@pytest.fixture
def como(
    engine: Engine, conn: Connection, settings: Settings
) -> Callable[[str | None, str | None], TestClient]:
    """``como("unidad", "CHACO")``: a client acting as that user, in the test's transaction."""
    app = aplicacion_en(engine, conn, settings)

    def cliente(rol: str | None, unidad: str | None = None) -> TestClient:
        return TestClient(app, headers=cabeceras(settings, rol, unidad))

    return cliente


@pytest.fixture(scope="session")
def demo_engine(settings: Settings, reglas: ReglasTerritorio) -> Iterator[Engine]:
    """A database of its own holding the calibrated demo (the registry tests need an empty one)."""
    from etl.demo_carga import cargar_demo

    engine = make_engine(_test_url(settings, f"{TEST_DB}_demo"))
    with engine.begin() as conn:
        upgrade(conn)
        cargar_territorio(conn, fuente_por_defecto(settings.directorio_limites(), "2012"), reglas)
        cargar_demo(conn, settings.directorio_referencia())
        cuentas_de_prueba(conn)
    yield engine
    engine.dispose()


@pytest.fixture
def demo_conn(demo_engine: Engine) -> Iterator[Connection]:
    with demo_engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()
    _sin_limites(demo_engine)


@pytest.fixture
def demo_client(
    demo_engine: Engine, demo_conn: Connection, settings: Settings
) -> Iterator[TestClient]:
    yield from cliente_en(demo_engine, demo_conn, settings)


def _puerto_libre() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def arrancado(
    orden: list[str],
    entorno: dict[str, str],
    listo: Callable[[], object],
    intentos: int = 200,
    fin: float = 10,
    **popen: Any,
) -> Iterator[subprocess.Popen[bytes]]:
    """A server process started with ``orden``: yielded once ``listo()`` stops raising
    OSError (``intentos`` tries, 0.1 s apart), stopped afterwards; killed when it does not end
    within ``fin`` seconds (a client kept a connection open: never hang the run)."""
    proceso = subprocess.Popen(orden, env=entorno, cwd=PROJECT_ROOT, **popen)
    try:
        for _ in range(intentos):
            try:
                listo()
                break
            except OSError:
                time.sleep(0.1)
        yield proceso
    finally:
        proceso.terminate()
        try:
            proceso.wait(timeout=fin)
        except subprocess.TimeoutExpired:
            proceso.kill()
            proceso.wait(timeout=10)


@pytest.fixture(scope="session")
def servidor(demo_engine: Engine) -> Iterator[str]:
    """The API on loopback over the demo database, in a process of its own, for real clients
    (Chromium, GDAL: GDAL holds the GIL while it waits for HTTP, so not in a thread)."""
    import urllib.request

    puerto = _puerto_libre()
    url = demo_engine.url.render_as_string(hide_password=False)
    base = f"http://127.0.0.1:{puerto}"
    orden = [
        sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(puerto), "--log-level", "warning",
        "--no-proxy-headers",  # as `sigg serve`: X-Forwarded-For is not the client's address
    ]  # fmt: skip
    with arrancado(
        orden,
        os.environ | {"SIGG_DATABASE_URL": url},
        lambda: urllib.request.urlopen(base + "/api/v1/health", timeout=1),  # noqa: S310
    ):
        yield base


# --- A real browser: Debian's Chromium driven by Playwright, nothing beyond localhost ---------

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def navegador() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def pagina(navegador: Browser, servidor: str, demo_engine: Engine) -> Iterator[Page]:
    # Each browser test logs in as a person would: the login limit (10 a minute) counts every
    # earlier test's logins too, so each page starts with the counts cleared.
    _sin_limites(demo_engine)
    # No service worker here: requests it answers would escape ``route`` (the guard below and
    # the tests' own fakes). tests/test_web_offline.py drives the page with it.
    contexto = navegador.new_context(
        viewport={"width": 1300, "height": 850}, service_workers="block"
    )
    externas: list[str] = []

    def solo_local(route, request) -> None:  # type: ignore[no-untyped-def]
        if urlparse(request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            externas.append(request.url)
            route.abort()

    contexto.route("**/*", solo_local)
    page = contexto.new_page()
    page.errores = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errores.append(str(e)))  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.errores.append(f"dialog: {d.message}"), d.dismiss()))  # type: ignore[attr-defined]
    yield page
    assert externas == [], f"requests beyond localhost: {externas}"
    contexto.close()


# The map as a visitor sees it once loaded: drawn, and with the detailed shapes in place of the
# light first layer (web/static/app.js ``detallar``). A click before the swap may land on a
# shape that is about to be replaced (a flake the fresh-clone CI caught).
DIBUJADO = "#mapa[data-listo][data-capa=detallada]"
