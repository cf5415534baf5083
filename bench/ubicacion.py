"""Point-in-municipality lookup for many points at once: the registry's batch locator
(``ubicar_lote``: one spatial join on the subdivided municipalities, nearest municipality for
the misses, the rules in Python) against a bare ``ST_Intersects`` join of the same points on
``municipio`` as the ceiling, and the same bare join on the subdivided ``municipio_parte``.
The points are random, inside the municipalities, spread by rural population."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from sqlalchemy import Engine, TextClause, text

from bench.importacion import puntos
from geo.territorio.ubicacion_lote import Entrada, ubicar_lote

_PUNTOS = """
SELECT t.i, m.codigo
FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[])) WITH ORDINALITY AS t(lon, lat, i)
JOIN {tabla} m ON m.cartografia = :v
 AND ST_Intersects(m.geom, ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326))
"""
BARE = {
    "bare ST_Intersects join on `municipio` (ceiling)": text(_PUNTOS.format(tabla="municipio")),
    "bare ST_Intersects join on `municipio_parte` (subdivided)": text(
        _PUNTOS.format(tabla="municipio_parte")
    ),
}
LOTE = "`ubicar_lote` (registry's batch locator)"


def _mediana_s(fn: Callable[[], int], repeticiones: int) -> tuple[float, int]:
    """Median seconds over ``repeticiones`` calls (no warm-up: each call is one bulk job) and
    the number of points the last call placed."""
    tiempos, n = [], 0
    for _ in range(repeticiones):
        t0 = time.perf_counter()
        n = fn()
        tiempos.append(time.perf_counter() - t0)
    return statistics.median(tiempos), n


def ubicar(
    engine: Engine, n: int, tolerancia_m: float, repeticiones: int
) -> dict[str, tuple[float, int]]:
    """Method -> (median seconds, points placed) for ``n`` points, the same for every method."""
    with engine.connect() as conn:
        pts = puntos(conn, n)
    entradas: list[Entrada] = [(x, y, None) for _, x, y in pts]
    params = {"lon": [p[1] for p in pts], "lat": [p[2] for p in pts], "v": "2012"}

    def lote() -> int:
        with engine.connect() as conn:
            hechos = ubicar_lote(conn, "2012", entradas, tolerancia_m)
        return sum(u.municipio_codigo is not None for u in hechos)

    def desnudo(sql: TextClause) -> Callable[[], int]:
        def correr() -> int:
            with engine.connect() as conn:
                return len(conn.execute(sql, params).all())

        return correr

    res = {LOTE: _mediana_s(lote, repeticiones)}
    res |= {nombre: _mediana_s(desnudo(sql), repeticiones) for nombre, sql in BARE.items()}
    return res
