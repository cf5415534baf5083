"""Response times of the aggregation endpoint (/api/v1/estadisticas) and of the choropleth's
values (/api/v1/mapa/valores: values, classes and legend) per level, over HTTP on loopback,
beside the bare GROUP BYs over the same validated records (the ceiling):

- ``tibio`` (warm): median of repeated requests after one warm-up (a cache hit if the API
  caches);
- ``cambio`` (after a change): the first request after a real change to the public data, on
  the running server: the answer is computed afresh (the cache, if any, is stale);
- ``reinicio`` (after a restart): the same, the server also restarted just before (nothing in
  the process is warm: the worst case).

Requests carry no token (the public, validated records only, as the map is served); the
aggregation after a change is also timed with a national-staff token (every record: the staff
path)."""

from __future__ import annotations

import secrets
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import psycopg
from sqlalchemy import text

from bench.agregacion import NIVELES, medir, sql_desnudo, sql_desnudo_subproyectos
from bench.comun import dsn, servidor_sigg
from geo.plataforma.config import Settings

MEDIDA = "familias_por_mil_rurales"
RUTAS = {"estadisticas": "/api/v1/estadisticas", "mapa": "/api/v1/mapa/valores"}


@dataclass(frozen=True)
class PorNivel:
    """One level at one size: the bare ceiling and ``ms["endpoint:state"]`` in milliseconds,
    endpoint estadisticas, personal (staff token) or mapa, state tibio, cambio or reinicio."""

    alianzas: int
    nivel: str
    desnudo_ms: float
    ms: dict[str, float]


def cabeceras_personal(settings: Settings, url: str) -> dict[str, str]:
    """The Authorization header of national coordination, for an account made in the benchmark
    database (a token speaks only for an account that exists and is active)."""
    from api.seguridad import emitir
    from geo.acceso.cuentas import crear
    from geo.plataforma.db import make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM usuario WHERE nombre_usuario = 'bench.bo'"))
            u = crear(conn, "bench.bo", "bench", "nacional", None, secrets.token_urlsafe(24))
    finally:
        engine.dispose()
    token, _ = emitir(settings, u)
    return {"Authorization": f"Bearer {token}"}


def pedir(cliente: httpx.Client, que: str, nivel: str, cabeceras: dict | None = None) -> None:
    params = {"nivel": nivel} | ({"medida": MEDIDA} if que == "mapa" else {})
    cliente.get(RUTAS[que], params=params, headers=cabeceras).raise_for_status()


def desnudo(crudo: psycopg.Connection, nivel: str) -> None:
    """The ceiling: the alliances' and the subprojects' bare GROUP BYs, rows fetched."""
    crudo.execute(sql_desnudo(nivel)).fetchall()
    crudo.execute(sql_desnudo_subproyectos(nivel)).fetchall()


FRESCURA_S = 0.6


def tras_cambio(url: str, fn: Callable[[], None], repeticiones: int) -> float:
    """Median ms of ``fn`` run right after a change to the data, ``repeticiones`` times."""
    tiempos = []
    for _ in range(repeticiones):
        tocar(url)
        # The first reader after the bound: a worker serves the copy it holds for up to 0.55 s
        # after reading the generation (api/frescura.py), so a request sent at once may be
        # that copy, not an answer computed afresh.
        time.sleep(FRESCURA_S)
        t0 = time.perf_counter()
        fn()
        tiempos.append((time.perf_counter() - t0) * 1000)
    return statistics.median(tiempos)


def en_caliente(
    url: str, cliente: httpx.Client, crudo: psycopg.Connection, nivel: str, rep: int, personal: dict
) -> tuple[float, dict[str, float]]:
    """Bare ms, and warm and after-a-change ms per endpoint, for one level, on a running
    server."""

    def pide(que: str, cabeceras: dict | None = None) -> Callable[[], None]:
        return lambda: pedir(cliente, que, nivel, cabeceras)

    ms = {
        "estadisticas:tibio": medir(pide("estadisticas"), rep),
        "estadisticas:cambio": tras_cambio(url, pide("estadisticas"), rep),
        "personal:cambio": tras_cambio(url, pide("estadisticas", personal), rep),
        "mapa:tibio": medir(pide("mapa"), rep),
        "mapa:cambio": tras_cambio(url, pide("mapa"), rep),
    }
    return medir(lambda: desnudo(crudo, nivel), rep), ms


def tocar(url: str) -> None:
    """A real change to the public data, through every trigger: national coordination reopens
    one validated alliance and subproject and validates them again."""
    with psycopg.connect(dsn(url)) as c:
        c.execute("SELECT set_config('sigg.usuario', 'bench', true)")
        c.execute("SELECT set_config('sigg.rol', 'nacional', true)")
        for tabla in ("alianza", "subproyecto_municipal"):
            for estado in ("observado", "validado"):
                c.execute(
                    f"UPDATE {tabla} SET estado = %s WHERE id = (SELECT min(id) FROM {tabla})",
                    (estado,),
                )


def frio(url: str, puerto: int, que: str, nivel: str) -> float:
    """Milliseconds of the first request for (endpoint, level) after a change to the data and
    a restart of the server: nothing the API may cache or warm up can help it."""
    tocar(url)
    with (
        servidor_sigg(url, puerto),
        httpx.Client(base_url=f"http://127.0.0.1:{puerto}", timeout=600) as cliente,
    ):
        t0 = time.perf_counter()
        pedir(cliente, que, nivel)
        return (time.perf_counter() - t0) * 1000


def frios(url: str, puerto: int, repeticiones: int) -> dict[tuple[str, str], float]:
    """(endpoint, level) -> median ms after a restart, one change and restart per request."""
    tiempos: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _ in range(repeticiones):
        for que in RUTAS:
            for nivel in NIVELES:
                tiempos[que, nivel].append(frio(url, puerto, que, nivel))
    return {k: statistics.median(v) for k, v in tiempos.items()}
