"""What the benchmarks share: a database of their own, migrated, with the 2012 territory, and
the SIGG server in a process of its own on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import psycopg
from sqlalchemy.engine import make_url

from etl.fuente_territorio import ReglasTerritorio, fuente_por_defecto
from etl.territorio import cargar_territorio
from geo.plataforma.cluster import PrivateCluster, create_database
from geo.plataforma.config import PROJECT_ROOT, Settings
from geo.plataforma.db import database_url, make_engine
from geo.plataforma.migrate import upgrade


def base_con_territorio(settings: Settings, nombre: str) -> str:
    """Create database ``nombre`` afresh on the configured server and return its URL."""
    if settings.usa_cluster_privado:
        PrivateCluster.from_settings(settings).start()
    url = make_url(database_url(settings))
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        create_database(c, nombre, recreate=True)
    bench = url.set(database=nombre).render_as_string(hide_password=False)
    engine = make_engine(bench)
    with engine.begin() as conn:
        upgrade(conn)
        reglas = ReglasTerritorio.desde_directorio(PROJECT_ROOT / "data" / "municipios")
        cargar_territorio(conn, fuente_por_defecto(settings.directorio_limites(), "2012"), reglas)
    engine.dispose()
    return bench


def dsn(url: str) -> str:
    """The libpq form of a SQLAlchemy URL (for psycopg and ogr2ogr)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def borrar_base(settings: Settings, nombre: str) -> None:
    """Drop database ``nombre`` (closing its sessions) if it exists."""
    url = make_url(database_url(settings)).set(drivername="postgresql", database="postgres")
    with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{nombre}" WITH (FORCE)')


def esperar(url: str, intentos: int = 300) -> None:
    """Wait until ``url`` answers."""
    for _ in range(intentos):
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} no respondió")


@contextmanager
def servidor_sigg(url_db: str, puerto: int) -> Iterator[subprocess.Popen[bytes]]:
    """The API over ``url_db`` served by uvicorn on 127.0.0.1:``puerto`` until the block ends."""
    proceso = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:create_app",
            "--factory",
            "--port",
            str(puerto),
            "--log-level",
            "warning",
        ],
        env=os.environ | {"SIGG_DATABASE_URL": url_db},
        cwd=PROJECT_ROOT,
    )
    try:
        esperar(f"http://127.0.0.1:{puerto}/api/v1/health")
        yield proceso
    finally:
        proceso.terminate()
        proceso.wait()
