"""The command line and the private cluster, end to end on real PostgreSQL processes."""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import inspect, text
from typer.testing import CliRunner

from etl.cli import app
from geo.plataforma.cluster import PrivateCluster
from geo.plataforma.config import PROJECT_ROOT, Settings
from geo.plataforma.db import make_engine
from geo.plataforma.errors import ErrorCluster
from geo.plataforma.migrate import current_revision, downgrade, head_revision, upgrade
from tests.conftest import _test_url, drop_database

runner = CliRunner()


@pytest.fixture
def scratch_url(settings):
    """A database of its own, for commands that commit."""
    name = f"sigg_test_{uuid.uuid4().hex[:8]}"
    yield _test_url(settings, name)
    drop_database(settings, name)


def test_private_cluster_starts_from_nothing_reports_and_stops():
    state = PROJECT_ROOT / ".sigg" / f"prueba-{uuid.uuid4().hex[:6]}"
    env = {"SIGG_STATE_DIR": str(state), "SIGG_PG_PORT": "54399", "SIGG_DATABASE_URL": ""}
    try:
        inicio = runner.invoke(app, ["db", "start"], env=env)
        assert inicio.exit_code == 0, inicio.output
        assert "arrancado" in inicio.output and "54399" in inicio.output
        assert (state / "pgdata" / "PG_VERSION").read_text().strip() == "15"
        assert oct((state / "password").stat().st_mode)[-3:] == "600"
        otra_vez = runner.invoke(app, ["db", "start"], env=env)
        assert "ya estaba en marcha" in otra_vez.output
        assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
        estado = runner.invoke(app, ["db", "status"], env=env)
        assert estado.exit_code == 0 and head_revision() in estado.output
        assert (
            runner.invoke(app, ["db", "stop"], env=env).output.strip()
            == "PostgreSQL privado detenido"
        )
        detenido = runner.invoke(app, ["db", "status"], env=env)
        assert detenido.exit_code == 3 and "detenido" in detenido.output
    finally:
        PrivateCluster.from_settings(Settings(state_dir=state, pg_port=54399)).stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to 'postgres'")
def test_state_dir_the_server_user_cannot_reach_gets_a_clear_error(tmp_path):
    privado = tmp_path / "privado"
    privado.mkdir(mode=0o700)
    tmp_path.chmod(0o700)
    cluster = PrivateCluster.from_settings(Settings(state_dir=privado / "sigg", pg_port=54398))
    with pytest.raises(ErrorCluster, match="SIGG_STATE_DIR"):
        cluster.init()


def test_external_database_url_starts_nothing(scratch_url):
    state = PROJECT_ROOT / ".sigg" / f"no-debe-existir-{uuid.uuid4().hex[:6]}"
    env = {"SIGG_DATABASE_URL": scratch_url, "SIGG_STATE_DIR": str(state)}
    r = runner.invoke(app, ["db", "start"], env=env)
    assert r.exit_code == 0 and "Base externa alcanzable" in r.output
    assert "nada que detener" in runner.invoke(app, ["db", "stop"], env=env).output
    assert not state.exists()


def test_cli_migrates_loads_idempotently_and_skips_when_asked(scratch_url):
    env = {"SIGG_DATABASE_URL": scratch_url}
    assert runner.invoke(app, ["db", "upgrade"], env=env).exit_code == 0
    for _ in range(2):
        r = runner.invoke(app, ["etl", "territorio"], env=env)
        assert r.exit_code == 0, r.output
        assert "339" in r.output and "Territorio cargado" in r.output
    assert "ya cargado" in runner.invoke(app, ["etl", "territorio", "--si-falta"], env=env).output
    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM municipio")).scalar_one() == 339
        assert conn.execute(text("SELECT count(*) FROM cuerpo_agua")).scalar_one() == 7
    engine.dispose()


def test_cli_refuses_a_bad_source_with_its_reason(scratch_url, tmp_path):
    env = {"SIGG_DATABASE_URL": scratch_url}
    runner.invoke(app, ["db", "upgrade"], env=env)
    r = runner.invoke(app, ["etl", "territorio", "--source", str(tmp_path)], env=env)
    assert r.exit_code == 1
    assert "bol_municipios_2012_339.geojson" in r.output
    r = runner.invoke(
        app,
        ["etl", "territorio", "--archivo", str(tmp_path / "x.gpkg"), "--campo", "color=ROJO"],
        env=env,
    )
    assert r.exit_code == 1 and "--campo 'color=ROJO'" in r.output


def test_migrations_upgrade_downgrade_and_upgrade_again(scratch_url):
    engine = make_engine(scratch_url)
    with engine.begin() as conn:
        upgrade(conn)
        assert current_revision(conn) == head_revision()
        tablas = set(inspect(conn).get_table_names())
        assert {
            "cartografia",
            "departamento",
            "provincia",
            "municipio",
            "unidad_operativa",
            "cuerpo_agua",
        } <= tablas
        downgrade(conn, "base")
        assert "municipio" not in inspect(conn).get_table_names()
        upgrade(conn)
        assert current_revision(conn) == head_revision()
    engine.dispose()


def test_migrations_and_models_describe_the_same_schema(conn):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from geo.plataforma.models import Base

    # PostGIS's own tables (spatial_ref_sys...) are not ours: compare only our tables.
    contexto = MigrationContext.configure(
        conn, opts={"include_object": lambda o, n, t, r, c: not (t == "table" and c is None)}
    )
    diferencias = compare_metadata(contexto, Base.metadata)
    assert diferencias == []
