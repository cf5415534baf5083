"""Backup and restore, as a drill: a database with territory and alliances is backed up with
``sigg db respaldar``, changed (insert, update, delete: the audit trail grows), and restored with
``sigg db restaurar`` into a new database of another installation, which must hold the first
state exactly and serve it through the API."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, func, select, table, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from api.main import create_app
from etl.cli import app as cli
from etl.fuente_territorio import ReglasTerritorio, fuente_por_defecto
from etl.territorio import cargar_territorio
from geo.acceso.cuentas import crear as crear_cuenta
from geo.plataforma.config import Settings
from geo.plataforma.db import make_engine
from geo.plataforma.migrate import head_revision, upgrade
from tests.conftest import _admin, _test_url, cabeceras, drop_database

runner = CliRunner()
CLAVE = "clave-de-firma-de-prueba-" + uuid.uuid4().hex


def _foto() -> tuple[str, bytes, str]:
    salida = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 30)).save(salida, "PNG")
    return "colmenar.png", salida.getvalue(), "image/png"


FOTO = _foto()


def _alianza(codigo: str, familias: int, comprometido: float, transferido: float) -> dict:
    return {
        "codigo": codigo,
        "nombre": f"Alianza {codigo}",
        "sector": "Apicultura",
        "modelo": 1,
        "financiamiento": "adicional",
        "familias": familias,
        "familias_mujeres": familias // 3,
        "monto_par_comprometido_bs": comprometido,
        "monto_transferido_bs": transferido,
        "lon": -63.6770,  # Yacuiba, Chaco
        "lat": -22.0150,
    }


@contextmanager
def _api(engine: Engine, settings: Settings) -> Iterator[TestClient]:
    """The application on ``engine``, as national coordination; its writes commit."""
    app = create_app(settings)
    app.state.engine = app.state.engine_lectura = engine
    with TestClient(app, headers=cabeceras(settings, "nacional")) as client:
        yield client


def _estado(engine: Engine) -> dict[str, Any]:
    """What a restore must give back: every table's rows, the alliances' sums, the audit trail,
    the sequences and the schema revision."""
    with engine.connect() as conn:
        tablas = conn.scalars(
            text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
                "AND table_type = 'BASE TABLE' AND table_name <> 'spatial_ref_sys' ORDER BY 1"
            )
        ).all()
        una = conn.execute
        return {
            "filas": {
                t: una(select(func.count()).select_from(table(t))).scalar_one() for t in tablas
            },
            "sumas": tuple(
                una(
                    text(
                        "SELECT count(*), sum(familias), sum(familias_mujeres), "
                        "sum(monto_par_comprometido_bs), sum(monto_transferido_bs) FROM alianza"
                    )
                ).one()
            ),
            "alianzas": [
                tuple(r)
                for r in una(text("SELECT codigo, familias, version FROM alianza ORDER BY codigo"))
            ],
            "auditoria": [
                tuple(r)
                for r in una(
                    text(
                        "SELECT id, tabla, registro_id, accion, usuario, momento, antes, despues "
                        "FROM auditoria ORDER BY id"
                    )
                )
            ],
            "secuencias": dict(
                una(
                    text(
                        "SELECT sequencename, last_value FROM pg_sequences "
                        "WHERE schemaname = 'public' ORDER BY 1"
                    )
                ).all()
            ),
            "revision": una(text("SELECT version_num FROM alembic_version")).scalar_one(),
        }


def _en(url: str, base: str) -> str:
    return make_url(url).set(database=base).render_as_string(hide_password=False)


def _bases(settings: Settings, prefijo: str) -> set[str]:
    with _admin(settings) as conn:
        filas = conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s)", (prefijo,)
        ).fetchall()
    return {f[0] for f in filas}


@dataclass
class Simulacro:
    nombre: str
    url: str
    archivo: Path
    otra_instalacion: Path
    primero: dict[str, Any]
    cambiado: dict[str, Any]
    salida_respaldo: str
    salida_restauracion: str
    restaurada: Engine


@pytest.fixture(scope="module")
def simulacro(
    settings: Settings, reglas: ReglasTerritorio, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Simulacro]:
    nombre = f"sigg_test_resp_{uuid.uuid4().hex[:8]}"
    carpeta = tmp_path_factory.mktemp("respaldo")
    estado, otra = carpeta / "estado", carpeta / "otra_instalacion"
    estado.mkdir()
    (estado / "clave_secreta").write_text(CLAVE)
    (estado / "usuarios_demo.txt").write_text("nacional\tno-va-en-el-respaldo\n")
    url = _test_url(settings, nombre)
    origen = make_engine(url)
    restaurada = make_engine(_en(url, f"{nombre}_r"))
    try:
        with origen.begin() as conn:
            upgrade(conn)
            cargar_territorio(
                conn, fuente_por_defecto(settings.directorio_limites(), "2012"), reglas
            )
            # The account ``cabeceras`` signs for: accounts travel in the backup too.
            crear_cuenta(conn, "nacional.bo", "Coordinación nacional", "nacional", None, CLAVE)
        with _api(origen, settings) as api:
            ids = [
                api.post("/api/v1/alianzas", json=_alianza(*a)).json()["id"]
                for a in (
                    ("R-1", 20, 100_000, 40_000),
                    ("R-2", 35, 250_000.5, 0),
                    ("R-3", 12, 0, 0),
                )
            ]
            api.patch(
                f"/api/v1/alianzas/{ids[0]}", json={"familias": 21}, headers={"If-Match": "1"}
            )
            # A photo lives in the database with its record, so the dump carries it.
            foto = api.post(f"/api/v1/alianzas/{ids[0]}/adjuntos", files={"archivo": FOTO})
            assert foto.status_code == 201, foto.text
        primero = _estado(origen)
        archivo = carpeta / "respaldo.tar"
        env = {"SIGG_DATABASE_URL": url, "SIGG_STATE_DIR": str(estado)}
        respaldo = runner.invoke(cli, ["db", "respaldar", str(archivo)], env=env)
        assert respaldo.exit_code == 0, respaldo.output
        with _api(origen, settings) as api:  # after the backup: insert, update, delete
            api.post("/api/v1/alianzas", json=_alianza("R-4", 50, 9, 9))
            api.patch(
                f"/api/v1/alianzas/{ids[1]}", json={"familias": 99}, headers={"If-Match": "1"}
            )
            api.delete(f"/api/v1/alianzas/{ids[2]}", headers={"If-Match": "1"})
            api.post(f"/api/v1/alianzas/{ids[1]}/adjuntos", files={"archivo": FOTO})
        cambiado = _estado(origen)
        # Another installation: its own state folder, the same server's credentials.
        env = {"SIGG_DATABASE_URL": url, "SIGG_STATE_DIR": str(otra)}
        restauracion = runner.invoke(
            cli, ["db", "restaurar", str(archivo), "--base", f"{nombre}_r"], env=env
        )
        assert restauracion.exit_code == 0, restauracion.output
        yield Simulacro(
            nombre, url, archivo, otra, primero, cambiado,
            respaldo.output, restauracion.output, restaurada,
        )  # fmt: skip
    finally:
        origen.dispose()
        restaurada.dispose()
        for base in _bases(settings, nombre):
            drop_database(settings, base)


def test_restored_database_holds_the_state_of_the_backup_not_the_later_changes(simulacro):
    primero, cambiado = simulacro.primero, simulacro.cambiado
    assert primero["sumas"] == (3, 21 + 35 + 12, 6 + 11 + 4, 350_000.5, 40_000)
    assert cambiado["sumas"] == (3, 21 + 99 + 50, 6 + 11 + 16, 350_009.5, 40_009)
    # Insert, update and delete of alliances, and one attachment: each audited.
    assert cambiado["filas"]["auditoria"] == primero["filas"]["auditoria"] + 4

    restaurado = _estado(simulacro.restaurada)
    assert restaurado["filas"] == primero["filas"]
    assert restaurado["filas"]["municipio"] == 339 and restaurado["filas"]["alianza"] == 3
    assert restaurado["sumas"] == primero["sumas"]
    assert restaurado["alianzas"] == [("R-1", 21, 2), ("R-2", 35, 1), ("R-3", 12, 1)]
    assert restaurado["auditoria"] == primero["auditoria"]
    assert [(a[1], a[3]) for a in restaurado["auditoria"]] == [
        ("alianza", "alta"), ("alianza", "alta"), ("alianza", "alta"), ("alianza", "cambio"),
        ("adjunto", "alta"),
    ]  # fmt: skip
    assert restaurado["secuencias"] == primero["secuencias"]
    assert restaurado["revision"] == head_revision()


def test_backup_holds_manifest_dump_and_signing_key_and_nothing_of_the_server(simulacro):
    with tarfile.open(simulacro.archivo) as tar:
        assert tar.getnames() == ["manifiesto.json", "base.dump", "clave_secreta"]
        manifiesto = json.load(tar.extractfile("manifiesto.json"))  # type: ignore[arg-type]
        volcado = tar.extractfile("base.dump").read()  # type: ignore[union-attr]
        assert tar.extractfile("clave_secreta").read().decode() == CLAVE  # type: ignore[union-attr]
    assert volcado[:5] == b"PGDMP"  # pg_dump's custom format
    assert manifiesto["volcado_sha256"] == hashlib.sha256(volcado).hexdigest()
    assert manifiesto["volcado_bytes"] == len(volcado)
    assert manifiesto["migracion"] == head_revision()
    assert manifiesto["base"] == simulacro.nombre
    assert manifiesto["postgresql"].startswith("15.") and manifiesto["postgis"].startswith("3.")
    tablas = {t.removeprefix("public."): n for t, n in manifiesto["tablas"].items()}
    assert tablas == simulacro.primero["filas"] and tablas["alembic_version"] == 1
    assert list(manifiesto["archivos"]) == ["clave_secreta"]
    # The server's password is needed neither to read the backup nor to restore it.
    clave_servidor = make_url(simulacro.url).password
    assert clave_servidor and clave_servidor not in json.dumps(manifiesto)
    assert oct(simulacro.archivo.stat().st_mode)[-3:] == "600"
    assert "Respaldo escrito" in simulacro.salida_respaldo
    assert f"{len(tablas)} tablas" in simulacro.salida_respaldo


def test_restore_elsewhere_brings_the_signing_key_and_says_how_to_point_sigg_at_it(simulacro):
    clave = simulacro.otra_instalacion / "clave_secreta"
    assert clave.read_text() == CLAVE
    assert oct(clave.stat().st_mode)[-3:] == "600"
    assert not (simulacro.otra_instalacion / "usuarios_demo.txt").exists()
    salida = " ".join(simulacro.salida_restauracion.split())
    assert "iguales al manifiesto" in salida
    destino = make_url(simulacro.url).set(database=f"{simulacro.nombre}_r")
    assert f"SIGG_DATABASE_URL='{destino.render_as_string(hide_password=True)}'" in salida
    assert make_url(simulacro.url).password not in salida


def test_api_serves_the_restored_records_and_accounts_to_national_coordination(simulacro, settings):
    with _api(simulacro.restaurada, settings) as api:
        salud = api.get("/api/v1/health").json()
        assert salud["estado"] == "ok"
        assert salud["base_de_datos"]["migracion"] == head_revision()
        # Staff sign in on the restored database with the passwords they had.
        ingreso = api.post(
            "/api/v1/sesion/token", data={"username": "nacional.bo", "password": CLAVE}
        )
        assert ingreso.status_code == 200, ingreso.text
        assert ingreso.json()["usuario"]["rol"] == "nacional"
        token = {"Authorization": f"Bearer {ingreso.json()['access_token']}"}
        lista = api.get("/api/v1/alianzas", params={"orden": "codigo"}, headers=token).json()
    assert lista["count"] == 3
    assert [
        (a["codigo"], a["familias"], a["unidad_operativa"]["codigo"]) for a in lista["data"]
    ] == [
        ("R-1", 21, "CHACO"),
        ("R-2", 35, "CHACO"),
        ("R-3", 12, "CHACO"),
    ]


def test_an_attachment_survives_backup_and_restore_byte_for_byte(simulacro, settings):
    assert simulacro.primero["filas"]["adjunto"] == 1
    assert simulacro.cambiado["filas"]["adjunto"] == 2  # the later one is not in the backup
    token = cabeceras(settings, "nacional")
    with _api(simulacro.restaurada, settings) as api:
        ids = {
            a["codigo"]: a["id"] for a in api.get("/api/v1/alianzas", headers=token).json()["data"]
        }
        [foto] = api.get(f"/api/v1/alianzas/{ids['R-1']}/adjuntos", headers=token).json()["data"]
        archivo = api.get(foto["url"], headers=token)
        sin = api.get(f"/api/v1/alianzas/{ids['R-2']}/adjuntos", headers=token).json()
    assert (foto["nombre"], foto["tipo"]) == ("colmenar.png", "image/png")
    assert archivo.content == FOTO[1]
    assert foto["sha256"] == hashlib.sha256(FOTO[1]).hexdigest()
    assert sin["count"] == 0


def test_existing_database_is_refused_unless_replaced_and_the_replaced_one_is_kept(
    simulacro, settings
):
    antes = _bases(settings, simulacro.nombre)
    env = {"SIGG_DATABASE_URL": simulacro.url, "SIGG_STATE_DIR": str(simulacro.otra_instalacion)}
    nueva = runner.invoke(cli, ["db", "restaurar", str(simulacro.archivo)], env=env)
    assert nueva.exit_code == 0, nueva.output
    (destino,) = _bases(settings, simulacro.nombre) - antes  # a new name, from the backup's
    assert destino.startswith(f"{simulacro.nombre}_20")
    engine = make_engine(_en(simulacro.url, destino))
    try:
        with _api(engine, settings) as api:
            r3 = api.get("/api/v1/alianzas", params={"q": "R-3"}).json()["data"][0]
            api.delete(f"/api/v1/alianzas/{r3['id']}", headers={"If-Match": "1"})
        assert _estado(engine)["sumas"][0] == 2

        rechazo = runner.invoke(
            cli, ["db", "restaurar", str(simulacro.archivo), "--base", destino], env=env
        )
        assert rechazo.exit_code == 1
        assert f"la base '{destino}' ya existe" in " ".join(rechazo.output.split())
        assert _estado(engine)["sumas"][0] == 2  # untouched

        reemplazo = runner.invoke(
            cli,
            ["db", "restaurar", str(simulacro.archivo), "--base", destino, "--reemplazar"],
            env=env,
        )
        assert reemplazo.exit_code == 0, reemplazo.output
        engine.dispose()
        assert _estado(engine)["filas"] == simulacro.primero["filas"]
        (apartada,) = _bases(settings, simulacro.nombre) - antes - {destino}
        assert f"quedó como '{apartada}'" in " ".join(reemplazo.output.split())
        anterior = make_engine(_en(simulacro.url, apartada))
        assert _estado(anterior)["sumas"][0] == 2  # set aside, not dropped
        anterior.dispose()
    finally:
        engine.dispose()


def _alterar(
    origen: Path, destino: Path, manifiesto: Callable[[dict], None], volcado: bytes | None = None
) -> Path:
    with tarfile.open(origen) as tar:
        datos = json.load(tar.extractfile("manifiesto.json"))  # type: ignore[arg-type]
        dump = volcado or tar.extractfile("base.dump").read()  # type: ignore[union-attr]
    manifiesto(datos)
    with tarfile.open(destino, "w") as tar:
        for nombre, contenido in (
            ("manifiesto.json", json.dumps(datos).encode()),
            ("base.dump", dump),
        ):
            info = tarfile.TarInfo(nombre)
            info.size = len(contenido)
            tar.addfile(info, io.BytesIO(contenido))
    return destino


@pytest.mark.parametrize(
    ("cambio", "volcado", "motivo"),
    [
        (lambda m: None, b"PGDMP" + b"\0" * 64, "sha256 distinto"),
        (
            lambda m: m.update(migracion="9999_futura"),
            None,
            "'9999_futura', que esta versión de SIGG no conoce",
        ),
        (
            lambda m: m["tablas"].update({"public.alianza": 99}),
            None,
            "public.alianza: 99 en el respaldo, 3 restauradas",
        ),
    ],
    ids=["volcado-alterado", "migracion-futura", "conteo-distinto"],
)
def test_damaged_newer_or_unequal_backup_is_refused_and_leaves_no_database(
    simulacro, settings, tmp_path, cambio, volcado, motivo
):
    archivo = _alterar(simulacro.archivo, tmp_path / "alterado.tar", cambio, volcado)
    antes = _bases(settings, simulacro.nombre)
    env = {"SIGG_DATABASE_URL": simulacro.url, "SIGG_STATE_DIR": str(tmp_path / "estado")}
    r = runner.invoke(
        cli, ["db", "restaurar", str(archivo), "--base", f"{simulacro.nombre}_x"], env=env
    )
    assert r.exit_code == 1
    assert motivo in " ".join(r.output.split())
    assert _bases(settings, simulacro.nombre) == antes
