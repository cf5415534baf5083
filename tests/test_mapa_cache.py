"""The map layer cache is bounded: every reload of the territory gives a new key, and the
process keeps only the most recently served layers instead of one per load for ever. The
topology build is swapped for a cheap stand-in (the cache, not the TopoJSON, is under test);
the keys come from the real ``cartografia`` table."""

from __future__ import annotations

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

    def construir(conn, cartografia: str, tolerancia: float) -> Capa:
        cargada = conn.execute(
            text("SELECT cargada_en::text FROM cartografia WHERE codigo = :v"), {"v": cartografia}
        ).scalar_one()
        registro.append(cargada)
        return Capa(b"", cargada, 0, gpd.GeoDataFrame())

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
