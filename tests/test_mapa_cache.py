"""The map layer cache is bounded: every reload of the territory gives a new key, and the
process keeps only the most recently served layers instead of one per load for ever. The
topology build is swapped for a cheap stand-in (the cache, not the TopoJSON, is under test);
the keys come from the real ``cartografia`` table."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import geopandas as gpd
import pytest
from sqlalchemy import text

from geo.analisis import mapa
from geo.analisis.mapa import CAPAS_MAX, Capa, capa_web

INICIO = datetime(2030, 1, 1, tzinfo=UTC)


@pytest.fixture
def construidas(conn, monkeypatch) -> list[str]:
    """An empty cache (the layers other tests built are left alone) and a build that records
    each load it is asked for, by its ``cargada_en``."""
    registro: list[str] = []

    def construir(conn, cartografia: str, detalle: mapa.Detalle, cargada: str) -> Capa:
        registro.append(cargada)
        return Capa(b"", cargada, 0, gpd.GeoDataFrame(), cargada)

    monkeypatch.setattr(mapa, "_construir", construir)
    monkeypatch.setattr(mapa, "_CACHE", type(mapa._CACHE)())
    return registro


def _servir_carga(conn, hora: int) -> Capa:
    """The layer of cartography 2012 as if the territory had been reloaded at ``hora``."""
    conn.execute(
        text("UPDATE cartografia SET cargada_en = :t WHERE codigo = '2012'"),
        {"t": INICIO + timedelta(hours=hora)},
    )
    return capa_web(conn, "2012")


def test_reloads_beyond_the_bound_keep_only_the_newest_layers(conn, construidas):
    cargas = [_servir_carga(conn, hora).etag for hora in range(CAPAS_MAX + 3)]
    assert len(construidas) == CAPAS_MAX + 3
    assert len(mapa._CACHE) == CAPAS_MAX
    assert [c.etag for c in mapa._CACHE.values()] == cargas[-CAPAS_MAX:]


def test_a_layer_served_again_is_kept_and_the_least_recently_served_goes(conn, construidas):
    primeras = [_servir_carga(conn, hora).etag for hora in range(CAPAS_MAX)]
    assert _servir_carga(conn, 0).etag == primeras[0]
    assert len(construidas) == CAPAS_MAX  # served from memory, not rebuilt
    nueva = _servir_carga(conn, CAPAS_MAX).etag
    assert [c.etag for c in mapa._CACHE.values()] == [*primeras[2:], primeras[0], nueva]


def _capa_http(client) -> tuple[int, str]:
    r = client.get("/api/v1/mapa/capa")
    return r.status_code, r.headers.get("etag", "")


def test_the_layer_is_answered_without_the_database_until_another_process_reloads_it(
    client, conn, engine, construidas
):
    from sqlalchemy import event

    from api.frescura import CuerposFijos

    client.app.state.capas = CuerposFijos(vida=0.2, espera=0.3)
    primera = _capa_http(client)
    consultas: list[str] = []
    event.listen(conn, "before_cursor_execute", lambda *a: consultas.append(a[2]))
    assert _capa_http(client) == primera and consultas == []
    carga = "UPDATE cartografia SET cargada_en = :t WHERE codigo = '2012'"
    leida = text("SELECT cargada_en FROM cartografia WHERE codigo = '2012'")
    antes = conn.execute(leida).scalar_one()
    with engine.begin() as otro_proceso:  # committed, as `sigg etl territorio` would
        otro_proceso.execute(text(carga), {"t": INICIO})
    try:
        time.sleep(0.55)  # past vida + espera: the load is read again before answering
        consultas.clear()
        estado, etag = _capa_http(client)
    finally:
        with engine.begin() as otro_proceso:
            otro_proceso.execute(text(carga), {"t": antes})
    assert (estado, primera[0]) == (200, 200)
    assert etag != primera[1] and etag == f'"{construidas[-1]}"'
    assert consultas  # the route read the new load and built its layer


def test_a_parameter_the_layer_does_not_read_is_refused_while_the_layer_is_fresh(
    client, construidas
):
    assert _capa_http(client)[0] == 200
    r = client.get("/api/v1/mapa/capa", params={"nivel": "municipio"})
    assert r.status_code == 400 and "nivel" in r.text
    r = client.get("/api/v1/mapa/capa", params={"cartografia": "1999"})
    assert r.status_code in (400, 422) and "1999" in r.text
