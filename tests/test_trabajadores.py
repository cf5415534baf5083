"""`sigg serve --workers 2` behaves as one server: what one worker process writes, counts or
signs, the other sees, counts and accepts. The server runs as the README starts it, over the
demo database; each connection is held open and the worker that accepted it is found from the
kernel's socket table (/proc), so a test knows which process answered without the server
saying anything about itself."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

import pytest
from limits import parse
from sqlalchemy import Engine

from api.cache import DESFASE_MAXIMO
from geo.acceso.limites import ContadorPostgres
from geo.plataforma.config import Settings
from tests.conftest import arrancado
from tests.test_acceso import YACUIBA, _alianza

PUERTOS = range(8890, 8900)
CUENTA = {"username": "nacional.bo", "password": "clave de las pruebas"}
PUBLICA = "/api/v1/estadisticas?nivel=nacional"
Respuesta = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Servidor:
    puerto: int
    proceso: subprocess.Popen[bytes]
    estado: Path  # its state folder, where the signing key is made

    def conectar(self) -> http.client.HTTPConnection:
        conexion = http.client.HTTPConnection("127.0.0.1", self.puerto, timeout=60)
        conexion.connect()
        return conexion

    def trabajadores(self) -> list[int]:
        """The server's child processes (the workers, and multiprocessing's tracker)."""
        hijos = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                campos = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(campos[1]) == self.proceso.pid:
                hijos.append(int(stat.parent.name))
        return hijos

    def duenio(self, conexion: http.client.HTTPConnection) -> int:
        """The worker process holding the server's end of ``conexion``."""
        assert conexion.sock is not None
        cliente = conexion.sock.getsockname()[1]
        extremo = f"0100007F:{self.puerto:04X} 0100007F:{cliente:04X}"
        linea = next(
            x for x in Path("/proc/net/tcp").read_text().splitlines() if extremo in x.upper()
        )
        enlace = f"socket:[{linea.split()[9]}]"
        for pid in self.trabajadores():
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) == enlace:
                        return pid
                except OSError:
                    continue
        raise AssertionError(f"no worker holds the connection from port {cliente}")


def pedir(
    conexion: http.client.HTTPConnection,
    metodo: str,
    ruta: str,
    cabeceras: dict[str, str] | None = None,
    cuerpo: str | None = None,
) -> Respuesta:
    conexion.request(metodo, ruta, body=cuerpo, headers=cabeceras or {})
    r = conexion.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


def por_trabajador(servidor: Servidor, cada_uno: int = 2) -> dict[int, list]:  # type: ignore[type-arg]
    """Open connections (one request each, so that a worker has accepted it) until each of
    the two workers holds ``cada_uno``; the extra ones are closed."""
    grupos: dict[int, list[http.client.HTTPConnection]] = {}
    for _ in range(400):
        conexion = servidor.conectar()
        assert pedir(conexion, "GET", "/api/v1/mapa/medidas")[0] == 200
        grupo = grupos.setdefault(servidor.duenio(conexion), [])
        if len(grupo) < cada_uno:
            grupo.append(conexion)
        else:
            conexion.close()
        if len(grupos) == 2 and all(len(g) == cada_uno for g in grupos.values()):
            return grupos
    raise AssertionError(f"connections went to {len(grupos)} worker(s) only")


def _puerto_libre() -> int:
    for puerto in PUERTOS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", puerto))
            except OSError:
                continue
            return puerto
    raise AssertionError("no free port in 8890-8899")


def _acepta(puerto: int) -> None:
    """Raises OSError until the server accepts connections."""
    conexion = http.client.HTTPConnection("127.0.0.1", puerto, timeout=5)
    conexion.connect()
    conexion.close()


@pytest.fixture(scope="module")
def servidor(demo_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servidor]:
    """``sigg serve --workers 2`` over the demo database, with a state folder of its own and no
    configured key: the installation's own signing key is made at start."""
    puerto, estado = _puerto_libre(), tmp_path_factory.mktemp("estado")
    entorno = os.environ | {
        "SIGG_DATABASE_URL": demo_engine.url.render_as_string(hide_password=False),
        "SIGG_STATE_DIR": str(estado),
        "SIGG_CLAVE_SECRETA": "",
    }
    # The tests hold one connection per worker while the other works (the map layer's first
    # build takes seconds on a busy machine): past uvicorn's 5 s the idle one would be closed.
    orden = [sys.executable, "-m", "etl.cli", "serve", "--port", str(puerto), "--workers", "2"]
    orden += ["--keep-alive", "120"]
    # 1200 tries: both workers import the app, slow on a busy 2-core machine
    with arrancado(
        orden, entorno, partial(_acepta, puerto), 1200, 30, stderr=subprocess.DEVNULL
    ) as proceso:
        yield Servidor(puerto, proceso, estado)


@pytest.fixture
def sin_limites(demo_engine: Engine) -> Iterator[None]:
    """The rate-limit counts are committed and shared: each test starts and ends without any."""
    ContadorPostgres(demo_engine).reset()
    yield
    ContadorPostgres(demo_engine).reset()


def _ingresar(conexion: http.client.HTTPConnection, clave: str) -> Respuesta:
    formulario = urlencode(CUENTA | {"password": clave})
    tipo = {"Content-Type": "application/x-www-form-urlencoded"}
    return pedir(conexion, "POST", "/api/v1/sesion/token", tipo, formulario)


def _token(conexion: http.client.HTTPConnection) -> dict[str, str]:
    estado, _, cuerpo = _ingresar(conexion, CUENTA["password"])
    assert estado == 200, cuerpo
    return {"Authorization": f"Bearer {json.loads(cuerpo)['access_token']}"}


def test_two_worker_processes_answer_on_one_port(servidor):
    grupos = por_trabajador(servidor)
    assert len(grupos) == 2
    assert servidor.proceso.pid not in grupos  # the supervisor answers nothing itself
    assert set(grupos) <= set(servidor.trabajadores())


def test_an_idle_connection_stays_open_for_the_keep_alive_it_was_given(servidor):
    conexion = http.client.HTTPConnection("127.0.0.1", servidor.puerto, timeout=30)
    assert pedir(conexion, "GET", "/api/v1/programas")[0] == 200
    time.sleep(6)  # past uvicorn's default of 5 s, well within the 120 s the fixture gives
    assert pedir(conexion, "GET", "/api/v1/programas")[0] == 200
    conexion.close()


def test_a_write_on_one_worker_is_seen_by_the_others_public_repeats_within_the_bound(
    servidor, sin_limites
):
    grupos = por_trabajador(servidor)
    escritor, lector = list(grupos)
    # The reader's worker holds the public answer in memory, served before routing.
    pedir(grupos[lector][0], "GET", PUBLICA)
    estado, cabeceras, _ = pedir(grupos[lector][0], "GET", PUBLICA)
    assert (estado, cabeceras["x-cache"]) == (200, "hit")
    vieja = cabeceras["etag"]

    token = _token(grupos[escritor][0])
    cuerpo = json.dumps(_alianza(f"TRAB-{os.getpid()}", YACUIBA))
    json_ = {"Content-Type": "application/json"}
    estado, creada, datos = pedir(
        grupos[escritor][1], "POST", "/api/v1/alianzas", token | json_, cuerpo
    )
    escrita = time.monotonic()
    assert estado == 201, datos
    try:
        lecturas = []
        while time.monotonic() < escrita + DESFASE_MAXIMO + 0.5:
            for conexion in grupos[lector]:
                enviada = time.monotonic()
                estado, cabeceras, _ = pedir(conexion, "GET", PUBLICA)
                assert estado == 200
                lecturas.append((enviada - escrita, cabeceras["etag"]))
    finally:
        borrar = token | {"If-Match": creada["etag"]}
        ruta = f"/api/v1/alianzas/{json.loads(datos)['id']}"
        assert pedir(grupos[escritor][0], "DELETE", ruta, borrar)[0] == 204
    despues = [etag for t, etag in lecturas if t >= DESFASE_MAXIMO]
    assert len(despues) >= 10
    assert vieja not in despues
    assert len(set(despues)) == 1  # one newer generation, the same on every read


def test_the_login_limit_counts_attempts_on_both_workers_as_one(servidor, sin_limites):
    limite = parse(Settings().limite_ingresos).amount
    grupos = por_trabajador(servidor)
    a, b = (grupos[pid][0] for pid in grupos)
    alternadas = [a if i % 2 == 0 else b for i in range(limite + 2)]
    estados = [_ingresar(conexion, "no es la clave")[0] for conexion in alternadas]
    assert estados == [401] * limite + [429, 429]  # the last two: one on each worker


def test_a_login_token_from_one_worker_is_accepted_by_the_other(servidor, sin_limites):
    grupos = por_trabajador(servidor)
    a, b = (grupos[pid][0] for pid in grupos)
    for emisor, receptor in ((a, b), (b, a)):
        token = _token(emisor)
        estado, _, cuerpo = pedir(receptor, "GET", "/api/v1/sesion/yo", token)
        assert (estado, json.loads(cuerpo)["nombre_usuario"]) == (200, "nacional.bo")
        alterado = {"Authorization": token["Authorization"][:-2] + "xx"}
        assert pedir(receptor, "GET", "/api/v1/sesion/yo", alterado)[0] == 401
    # One key, private, and no half-made copy left behind.
    assert [c.name for c in servidor.estado.iterdir()] == ["clave_secreta"]
    assert (servidor.estado / "clave_secreta").stat().st_mode & 0o777 == 0o600


def test_the_map_layer_is_the_same_version_on_both_workers_and_revalidates_across_them(servidor):
    grupos = por_trabajador(servidor)
    a, b = (grupos[pid][0] for pid in grupos)
    gz = {"Accept-Encoding": "gzip"}
    estado_a, cab_a, cuerpo_a = pedir(a, "GET", "/api/v1/mapa/capa", gz)
    estado_b, cab_b, cuerpo_b = pedir(b, "GET", "/api/v1/mapa/capa", {"Accept-Encoding": "br"})
    assert (estado_a, estado_b, cab_a["content-encoding"]) == (200, 200, "gzip")
    assert "content-encoding" not in cab_b
    assert cab_a["etag"] == cab_b["etag"]
    assert gzip.decompress(cuerpo_a) == cuerpo_b
    assert json.loads(cuerpo_b)["type"] == "Topology"
    for conexion in (a, b):
        estado, _, cuerpo = pedir(
            conexion, "GET", "/api/v1/mapa/capa", gz | {"If-None-Match": cab_a["etag"]}
        )
        assert (estado, cuerpo) == (304, b"")
