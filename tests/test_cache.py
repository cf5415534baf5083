"""Aggregates are computed once per version of the data: a repeat is served from the cache,
a client holding the current version gets 304, and any write makes every cached answer stale."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from api.cache import Unidades, a_json
from tests.test_acceso import TARIJA, YACUIBA, _alianza


def _nacional(client):
    return client.get("/api/v1/estadisticas", params={"nivel": "nacional"})


def test_a_repeat_is_a_cache_hit_with_the_same_etag_and_a_revalidation_is_304(client):
    primera, segunda = _nacional(client), _nacional(client)
    assert (primera.headers["x-cache"], segunda.headers["x-cache"]) == ("miss", "hit")
    assert primera.headers["etag"] == segunda.headers["etag"]
    assert primera.content == segunda.content
    r = client.get(
        "/api/v1/estadisticas",
        params={"nivel": "nacional"},
        headers={"If-None-Match": primera.headers["etag"]},
    )
    assert (r.status_code, r.content) == (304, b"")


def test_a_write_moves_the_version_on_and_the_next_answer_counts_it(client):
    antes = _nacional(client)
    assert antes.json()["data"][0]["valores"]["alianzas"] in (0, None)
    assert client.post("/api/v1/alianzas", json=_alianza("C-1", YACUIBA)).status_code == 201
    despues = _nacional(client)
    assert despues.headers["etag"] != antes.headers["etag"]
    assert despues.headers["x-cache"] == "miss"
    assert despues.json()["data"][0]["valores"]["alianzas"] == 1
    r = client.get(
        "/api/v1/estadisticas",
        params={"nivel": "nacional"},
        headers={"If-None-Match": antes.headers["etag"]},
    )
    assert r.status_code == 200  # the old version is not current any more


def test_who_asks_is_part_of_the_key_public_units_and_national_never_share_an_answer(client, como):
    for codigo, punto in (("C-1", YACUIBA), ("C-2", TARIJA)):
        client.post("/api/v1/alianzas", json=_alianza(codigo, punto))
    cuentas, etiquetas = {}, set()
    for nombre, rol, unidad in (
        ("nacional", "nacional", None),
        ("chaco", "unidad", "CHACO"),
        ("publico", None, None),
    ):
        r = como(rol, unidad).get("/api/v1/estadisticas", params={"nivel": "nacional"})
        cuentas[nombre] = r.json()["data"][0]["valores"]["alianzas"] or 0
        etiquetas.add(r.headers["etag"])
        assert r.headers["cache-control"].startswith("private" if rol else "public")
    assert cuentas == {"nacional": 2, "chaco": 1, "publico": 0}
    assert len(etiquetas) == 3


def test_choropleth_values_are_cached_per_measure_and_classification(client):
    base = {"nivel": "departamento", "medida": "familias"}
    a = client.get("/api/v1/mapa/valores", params=base)
    b = client.get("/api/v1/mapa/valores", params=base | {"clasificacion": "jenks"})
    c = client.get("/api/v1/mapa/valores", params=base)
    assert (a.headers["x-cache"], b.headers["x-cache"], c.headers["x-cache"]) == (
        "miss",
        "miss",
        "hit",
    )
    assert a.headers["etag"] != b.headers["etag"] and a.headers["etag"] == c.headers["etag"]


def test_a_write_outside_this_process_is_seen_once_the_short_generation_window_passes(client, conn):
    import time

    from sqlalchemy import text

    from api.cache import VIDA_GENERACION

    primera = _nacional(client)
    assert _nacional(client).headers["x-cache"] == "hit"
    conn.execute(text("UPDATE generacion SET n = n + 1"))  # another process's write
    time.sleep(VIDA_GENERACION * 1.5)
    despues = _nacional(client)
    assert despues.headers["x-cache"] == "miss"
    assert despues.headers["etag"] != primera.headers["etag"]


@pytest.mark.parametrize(
    "acepta,codificacion",
    [("gzip", "gzip"), ("gzip, deflate, br", "br"), ("br;q=0, gzip", "gzip"), ("br", "br")],
)
def test_a_cached_answer_is_sent_compressed_as_its_asker_accepts_and_equal_to_the_plain_one(
    client, acepta, codificacion
):
    import gzip

    import brotli

    params = {"nivel": "municipio"}
    plano = client.get(
        "/api/v1/estadisticas", params=params, headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plano.headers
    for _ in range(2):  # computed (miss), then from the cache (hit): the same bytes
        pedido = client.build_request(
            "GET", "/api/v1/estadisticas", params=params, headers={"Accept-Encoding": acepta}
        )
        respuesta = client.send(pedido, stream=True)
        comprimido = b"".join(respuesta.iter_raw())
        assert respuesta.headers["content-encoding"] == codificacion
        abrir = brotli.decompress if codificacion == "br" else gzip.decompress
        assert abrir(comprimido) == plano.content
        assert len(comprimido) < len(plano.content) / 3


def test_a_generation_is_never_served_past_its_bound_however_long_its_reread_takes():
    import asyncio
    import threading
    import time

    from api.frescura import Frescura

    frescura = Frescura(vida=0.2, espera=0.5, paciencia=0.1)
    lecturas: list[float] = []
    sin_fin = threading.Event()  # the database does not answer until the test ends

    def releer() -> None:
        lecturas.append(time.monotonic())
        sin_fin.wait(5)

    async def a_lo_largo() -> list[bool]:
        frescura.leida(time.monotonic())
        vistas = [await frescura.vigente(releer)]  # fresh
        await asyncio.sleep(0.25)
        # Old: one read starts in the background; everyone is still served meanwhile.
        vistas += [await frescura.vigente(releer) for _ in range(3)]
        await asyncio.sleep(0.5)
        # Past vida + espera: nobody is served while the one read is still out.
        vistas += await asyncio.gather(*(frescura.vigente(releer) for _ in range(3)))
        sin_fin.set()
        return vistas

    assert asyncio.run(a_lo_largo()) == [True, True, True, True, False, False, False]
    assert len(lecturas) == 1  # one read for everyone, never one per request


def test_a_read_sent_before_a_write_of_this_process_or_before_a_newer_read_is_not_believed():
    import time

    from api.frescura import Frescura

    frescura = Frescura(vida=10, espera=10)
    antes = time.monotonic()
    frescura.caducar()  # this process wrote after ``antes``
    assert not frescura.leida(antes)
    nueva = time.monotonic()
    assert frescura.leida(nueva)
    assert not frescura.leida(nueva - 0.001)  # sent before it, slower to come back


def test_requests_past_the_bound_wait_for_one_read_and_are_served_by_it():
    import asyncio
    import time

    from api.frescura import Frescura

    frescura = Frescura(vida=0.05, espera=0.5)
    lecturas: list[float] = []

    def releer() -> None:
        desde = time.monotonic()
        lecturas.append(desde)
        time.sleep(0.05)  # the database answers
        frescura.leida(desde)

    async def en_tropel() -> list[bool]:
        frescura.leida(time.monotonic())
        await asyncio.sleep(0.6)
        return list(await asyncio.gather(*(frescura.vigente(releer) for _ in range(20))))

    assert asyncio.run(en_tropel()) == [True] * 20
    assert len(lecturas) == 1


def test_past_the_bound_the_first_request_goes_to_the_route_and_the_rest_wait_for_its_read():
    import asyncio
    import time

    from api.frescura import Frescura

    frescura = Frescura(vida=0.05, espera=0.5)
    lecturas: list[float] = []

    def releer() -> None:
        lecturas.append(time.monotonic())

    servidas: list[float] = []

    async def otra() -> bool:
        vigente = await frescura.vigente(releer, [])
        servidas.append(time.monotonic())
        return vigente

    async def en_tropel() -> tuple[list[bool], int, float]:
        frescura.leida(time.monotonic())
        await asyncio.sleep(0.6)
        turno: list[asyncio.Event] = []
        primera = await frescura.vigente(releer, turno)
        resto = asyncio.gather(*(otra() for _ in range(19)))
        # The first request's route reads the value on its own connection, in a worker
        # thread, then takes a long time over its answer (a full query after a write).
        await asyncio.sleep(0.05)
        await asyncio.to_thread(frescura.leida, time.monotonic())
        leida = time.monotonic()
        await asyncio.sleep(0.5)
        for hecho in turno:  # the route has answered
            hecho.set()
        return [primera, *await resto], len(turno), leida

    vistas, turnos, leida = asyncio.run(en_tropel())
    # The first went straight to its route (no read before it); the 19 that came while it
    # was out waited for its read, not for its answer, and were served by what it read;
    # nobody else read.
    assert vistas == [False] + [True] * 19
    assert turnos == 1
    assert max(servidas) - leida < 0.1
    assert lecturas == []


def test_a_public_repeat_after_a_write_through_this_process_is_of_the_new_version(como):
    publico, nacional = como(None), como("nacional")
    _nacional(publico)
    antes = _nacional(publico)
    assert antes.headers["x-cache"] == "hit"
    assert nacional.post("/api/v1/alianzas", json=_alianza("C-9", YACUIBA)).status_code == 201
    despues = _nacional(publico)
    assert despues.headers["etag"] != antes.headers["etag"]


def test_an_answers_units_are_built_again_only_when_their_row_or_the_rate_changed():
    hechas: list[str] = []

    def armar(fila: tuple[Any, ...], cambio: float) -> dict[str, Any]:
        hechas.append(fila[0])
        return {"codigo": fila[0], "usd": round(fila[1] / cambio, 2)}

    unidades = Unidades(tope=10)
    antes = unidades(armar, [("01", 10.0), ("02", 20.0)], 2.0)
    despues = unidades(armar, [("01", 10.0), ("02", 22.0)], 2.0)  # a write changed "02"
    assert orjson.loads(a_json(antes)) == [
        {"codigo": "01", "usd": 5.0},
        {"codigo": "02", "usd": 10.0},
    ]
    assert orjson.loads(a_json(despues)) == [
        {"codigo": "01", "usd": 5.0},
        {"codigo": "02", "usd": 11.0},
    ]
    assert hechas == ["01", "02", "02"]
    otra_tasa = unidades(armar, [("01", 10.0)], 4.0)
    assert orjson.loads(a_json(otra_tasa)) == [{"codigo": "01", "usd": 2.5}]
    assert hechas[-1] == "01"
    pocas = Unidades(tope=3)
    assert len(pocas(armar, [(str(i), 1.0) for i in range(10)], 1.0)) == 10
    assert len(pocas._hechas) <= 3  # the store stays bounded


def test_a_large_answer_is_sent_quickly_compressed_first_and_finely_after(client):
    import threading

    import brotli

    from api import cache

    # Every measure of every municipality, as sent plain.
    r = client.get("/api/v1/estadisticas", params={"nivel": "municipio"},
                   headers={"Accept-Encoding": "identity"})  # fmt: skip
    cuerpo = r.content
    assert r.headers.get("content-encoding") is None and len(cuerpo) > cache.MEDIANO
    entrada = cache.Entrada(cuerpo)
    afinando = threading.Event()
    liberar = threading.Event()
    cache._MEJORAS.submit(lambda: (afinando.set(), liberar.wait(10)))  # the thread is busy
    afinando.wait(10)
    primero, codificacion = entrada.codificado("gzip, br")
    assert codificacion == "br" and primero == brotli.compress(cuerpo, quality=cache.RAPIDA)
    # While the finer one is being made, every request gets the quick one, made once.
    assert entrada.codificado("br")[0] is primero
    liberar.set()
    cache._MEJORAS.submit(lambda: None).result(10)  # the one thread has done what it had
    despues, _ = entrada.codificado("br")
    assert despues == brotli.compress(cuerpo, quality=cache.FINA)
    assert len(despues) < len(primero) and brotli.decompress(despues) == cuerpo
    # A small answer is compressed finely at once: it costs little.
    pequeno = cache.Entrada(cuerpo[: cache.MEDIANO])
    assert pequeno.codificado("br")[0] == brotli.compress(pequeno.cuerpo, quality=cache.FINA)
