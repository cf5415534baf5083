"""Trust (issue 13): a token opens only what its account may still do, signed with this
installation's own key; rate limits count the client's real address, in one count that every
worker process shares."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from api.main import create_app
from geo.acceso.cuentas import crear, desactivar
from geo.acceso.limites import ContadorPostgres
from geo.plataforma.config import PROJECT_ROOT, Settings
from geo.plataforma.db import make_engine
from tests.conftest import _puerto_libre, aplicacion_en
from tests.test_acceso import TARIJA, YACUIBA, _alianza
from tests.test_reclamos import URL as RECLAMOS
from tests.test_reclamos import reclamo

# The key that was written in the source (and so is known to everyone).
CLAVE_PUBLICADA = "desarrollo-no-usar-en-produccion"
CLAVE_ANA = "una clave larga de Ana"
DIEZ_ANOS = timedelta(days=3650)
MINUTOS = timedelta(minutes=5)


def _bearer(
    clave: str, sub: str, rol: str = "nacional", uo: str | None = None, vida: timedelta = MINUTOS
) -> dict[str, str]:
    """A token signed with ``clave``, saying what the caller likes."""
    ahora = datetime.now(UTC)
    claims = {"sub": sub, "rol": rol, "uo": uo, "iss": "sigg", "iat": ahora, "exp": ahora + vida}
    return {"Authorization": f"Bearer {jwt.encode(claims, clave, 'HS256')}"}


def _ingresar(cliente: TestClient, usuario: str, clave: str) -> dict[str, str]:
    r = cliente.post("/api/v1/sesion/token", data={"username": usuario, "password": clave})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _escritos_por(conn: Connection, usuario: str) -> int:
    return int(
        conn.execute(
            text("SELECT count(*) FROM auditoria WHERE usuario = :u"), {"u": usuario}
        ).scalar_one()
    )


# --- hole 1: the signing key and the account behind a token ---------------------------------


def test_a_token_signed_with_the_key_published_in_the_source_opens_nothing(client, publico, conn):
    borrador = client.post("/api/v1/alianzas", json=_alianza("YAC-1", YACUIBA)).json()["id"]
    falso = _bearer(CLAVE_PUBLICADA, "inventado", "nacional", vida=DIEZ_ANOS)
    lectura = publico.get(f"/api/v1/alianzas/{borrador}", headers=falso)
    assert lectura.status_code == 401 and "Pérez" not in lectura.text
    assert publico.get("/api/v1/alianzas", headers=falso).status_code == 401
    escritura = publico.post("/api/v1/alianzas", json=_alianza("X-1", TARIJA), headers=falso)
    assert escritura.status_code == 401
    assert conn.execute(text("SELECT count(*) FROM alianza")).scalar_one() == 1
    assert _escritos_por(conn, "inventado") == 0


@pytest.mark.parametrize("entorno", ["development", "production"])
def test_the_published_key_or_a_short_one_is_refused_in_every_mode(entorno, tmp_path):
    with pytest.raises(ValueError, match="publicada"):
        create_app(Settings(environment=entorno, clave_secreta=CLAVE_PUBLICADA, state_dir=tmp_path))
    with pytest.raises(ValueError, match="32 caracteres"):
        create_app(Settings(environment=entorno, clave_secreta="k" * 31, state_dir=tmp_path))
    app = create_app(Settings(environment=entorno, clave_secreta="k" * 32, state_dir=tmp_path))
    assert app.state.settings.clave_firma() == "k" * 32
    assert not (tmp_path / "clave_secreta").exists()  # a configured key writes no file


def test_without_a_configured_key_each_installation_makes_its_own_readable_by_its_owner_only(
    tmp_path: Path,
):
    una = Settings(state_dir=tmp_path / "una", clave_secreta=None)
    clave = una.clave_firma()
    assert len(clave) >= 32 and clave != CLAVE_PUBLICADA
    archivo = tmp_path / "una" / "clave_secreta"
    assert archivo.read_text().strip() == clave
    assert stat.S_IMODE(archivo.stat().st_mode) == 0o600
    # The same installation (another worker, a restart) signs with the same key...
    assert Settings(state_dir=tmp_path / "una", clave_secreta=None).clave_firma() == clave
    # ...another installation with another one; production starts with it too.
    otra = Settings(environment="production", state_dir=tmp_path / "otra", clave_secreta=None)
    assert create_app(otra).state.settings.clave_firma() not in (clave, CLAVE_PUBLICADA)


def test_a_token_for_an_account_that_does_not_exist_is_refused(settings, publico, conn):
    falso = _bearer(settings.clave_firma(), "inventado", "nacional")
    r = publico.post("/api/v1/alianzas", json=_alianza("X-1", TARIJA), headers=falso)
    assert (r.status_code, r.json()["detail"]) == (401, "la cuenta 'inventado' no existe")
    assert conn.execute(text("SELECT count(*) FROM alianza")).scalar_one() == 0


def test_a_deactivated_accounts_token_stops_working_at_once(publico, conn):
    crear(conn, "ana", "Ana Flores", "unidad", "CHACO", CLAVE_ANA)
    token = _ingresar(publico, "ana", CLAVE_ANA)
    assert publico.get("/api/v1/sesion/yo", headers=token).json()["nombre_usuario"] == "ana"
    desactivar(conn, "ana")
    yo = publico.get("/api/v1/sesion/yo", headers=token)
    assert (yo.status_code, yo.json()["detail"]) == (401, "la cuenta ya no está activa")
    r = publico.post("/api/v1/alianzas", json=_alianza("YAC-2", YACUIBA), headers=token)
    assert r.status_code == 401
    assert _escritos_por(conn, "ana") == 0


@pytest.mark.parametrize(
    "rol,unidad", [("nacional", None), ("unidad", "TJA"), ("tecnico", "CHACO")]
)
def test_a_token_naming_another_role_or_unit_than_the_account_is_refused(
    rol, unidad, settings, publico, conn
):
    crear(conn, "ana", "Ana Flores", "unidad", "CHACO", CLAVE_ANA)
    suyo = _bearer(settings.clave_firma(), "ana", "unidad", "CHACO")
    assert publico.get("/api/v1/sesion/yo", headers=suyo).status_code == 200
    otro = _bearer(settings.clave_firma(), "ana", rol, unidad)
    r = publico.get("/api/v1/alianzas", headers=otro)
    assert r.status_code == 401
    assert r.json()["detail"] == (
        "el rol o la unidad de la cuenta 'ana' cambiaron desde que inició sesión: "
        "vuelva a iniciar sesión"
    )


@pytest.mark.parametrize("de_mas", [timedelta(seconds=1), DIEZ_ANOS])
def test_a_token_that_lives_longer_than_a_session_is_refused(de_mas, settings, publico, conn):
    crear(conn, "ana", "Ana Flores", "nacional", None, CLAVE_ANA)
    sesion = timedelta(minutes=settings.token_minutos)
    justo = _bearer(settings.clave_firma(), "ana", vida=sesion)
    assert publico.get("/api/v1/sesion/yo", headers=justo).status_code == 200
    largo = _bearer(settings.clave_firma(), "ana", vida=sesion + de_mas)
    r = publico.post("/api/v1/alianzas", json=_alianza("YAC-3", YACUIBA), headers=largo)
    assert r.status_code == 401
    assert f"{settings.token_minutos} minutos" in r.json()["detail"]
    assert conn.execute(text("SELECT count(*) FROM alianza")).scalar_one() == 0


def test_a_cached_aggregate_is_not_served_to_a_deactivated_accounts_token(publico, conn):
    crear(conn, "ana", "Ana Flores", "nacional", None, CLAVE_ANA)
    token = _ingresar(publico, "ana", CLAVE_ANA)
    pedido = {"url": "/api/v1/estadisticas", "params": {"nivel": "nacional"}}
    caches = [publico.get(**pedido, headers=token).headers["x-cache"] for _ in range(2)]
    assert caches == ["miss", "hit"]
    desactivar(conn, "ana")
    r = publico.get(**pedido, headers=token)  # type: ignore[arg-type]
    assert (r.status_code, r.json()["detail"]) == (401, "la cuenta ya no está activa")
    # The public, with no Authorization header, is still answered from the cache.
    publico.get(**pedido)  # type: ignore[arg-type]
    assert publico.get(**pedido).headers["x-cache"] == "hit"  # type: ignore[arg-type]


# --- hole 2: which address is counted, and where ---------------------------------------------


@pytest.fixture
def sigg_serve(engine: Engine, conn: Connection) -> Iterator[Callable[..., str]]:
    """``sigg serve`` as the README starts it, over the test database, in a process of its own;
    ``conn`` is asked for so that the counts it leaves are cleared after the test."""
    procesos: list[subprocess.Popen[bytes]] = []

    def arrancar(**entorno: str) -> str:
        puerto = _puerto_libre()
        url = engine.url.render_as_string(hide_password=False)
        proceso = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "etl.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(puerto),
            ],
            env=os.environ | {"SIGG_DATABASE_URL": url} | entorno,
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
        )
        procesos.append(proceso)
        base = f"http://127.0.0.1:{puerto}"
        for _ in range(300):
            try:
                httpx.get(base + "/api/v1/health", timeout=1)
                return base
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("sigg serve did not start")

    yield arrancar
    for proceso in procesos:
        proceso.terminate()
        proceso.wait(timeout=10)


def _ingresos(base: str, reenviado_por: list[str]) -> list[int]:
    """Wrong logins, one per X-Forwarded-For value; their status codes."""
    with httpx.Client(base_url=base, timeout=30) as http:
        return [
            http.post(
                "/api/v1/sesion/token",
                data={"username": "nadie", "password": "no es"},
                headers={"X-Forwarded-For": xff},
            ).status_code
            for xff in reenviado_por
        ]


def test_sigg_serve_counts_the_socket_address_unless_the_proxy_is_trusted(sigg_serve):
    rotado = [f"203.0.113.{i}" for i in range(15)]
    # No trusted proxy: the header is the client's word, not its address.
    assert _ingresos(sigg_serve(), rotado) == [401] * 10 + [429] * 5
    # Behind a trusted proxy on loopback: each forwarded client is counted on its own.
    detras = sigg_serve(SIGG_PROXIES_CONFIABLES="127.0.0.1")
    assert _ingresos(detras, rotado) == [401] * 15
    assert _ingresos(detras, ["198.51.100.7"] * 11) == [401] * 10 + [429]


def test_two_workers_share_one_count_and_a_forwarded_header_does_not_reset_it(
    engine, conn, settings
):
    otro_motor = make_engine(engine.url.render_as_string(hide_password=False))
    try:
        uno = TestClient(aplicacion_en(engine, conn, settings))
        otro = TestClient(aplicacion_en(otro_motor, conn, settings))
        estados = [c.post(RECLAMOS, json=reclamo()).status_code for c in (uno, otro) * 3]
        assert estados == [201] * 5 + [429]
        r = uno.post(RECLAMOS, json=reclamo(), headers={"X-Forwarded-For": "1.2.3.4"})
        assert r.status_code == 429 and 0 < int(r.headers["retry-after"]) <= 600
        assert conn.execute(text("SELECT count(*) FROM reclamo")).scalar_one() == 5
    finally:
        otro_motor.dispose()


def test_a_trusted_proxy_gives_the_address_of_the_rightmost_untrusted_hop(engine, conn):
    s = Settings(proxies_confiables=["10.0.0.0/8"])
    app = aplicacion_en(engine, conn, s)
    proxy = TestClient(app, client=("10.0.0.5", 4000))
    extrano = TestClient(app, client=("203.0.113.9", 4000))
    # The client may write anything left of what the proxy appended: only its hop counts.
    xff = [f"192.0.2.{i}, 198.51.100.7" for i in range(10)] + ["192.0.2.99, 198.51.100.7, 10.0.0.9"]
    estados = [
        proxy.post(
            "/api/v1/sesion/token",
            data={"username": "nadie", "password": "no es"},
            headers={"X-Forwarded-For": v},
        ).status_code
        for v in xff
    ]
    assert estados == [401] * 10 + [429]
    # Another client behind the same proxy has a count of its own.
    otro = proxy.post(
        "/api/v1/sesion/token",
        data={"username": "nadie", "password": "no es"},
        headers={"X-Forwarded-For": "198.51.100.8"},
    )
    assert otro.status_code == 401
    # A peer that is not a trusted proxy is counted by its socket, whatever it forwards.
    directos = [
        extrano.post(
            RECLAMOS, json=reclamo(), headers={"X-Forwarded-For": f"198.51.100.{20 + i}"}
        ).status_code
        for i in range(6)
    ]
    assert directos == [201] * 5 + [429]


def test_the_shared_count_starts_again_when_its_window_expires(engine):
    contador = ContadorPostgres(engine)
    clave = "prueba/ventana/192.0.2.1"
    contador.clear(clave)
    try:
        assert contador.incr(clave, 1) == 1
        assert contador.incr(clave, 1, amount=2) == 3
        assert contador.get(clave) == 3
        assert time.time() < contador.get_expiry(clave) <= time.time() + 1.5
        time.sleep(1.1)
        assert contador.get(clave) == 0
        assert contador.incr(clave, 60) == 1  # a new window, with the new expiry
        assert contador.get_expiry(clave) > time.time() + 55
        contador.clear(clave)
        assert contador.get(clave) == 0
    finally:
        contador.clear(clave)
