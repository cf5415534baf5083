"""Locating many records at once: one query over all the points (a spatial join on the
subdivided municipalities, the nearest municipality only for the points that miss), then the
rules applied to each answer. A form's single record goes through the same path as an import
of 100,000."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from sqlalchemy import Connection, text

_SQL = text("""
WITH e AS (
    SELECT t.i, t.lon, t.lat, t.mun,
           CASE WHEN t.lon IS NOT NULL AND t.lat IS NOT NULL
                THEN ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) END AS g
    FROM unnest(CAST(:i AS int[]), CAST(:lon AS float8[]), CAST(:lat AS float8[]),
                CAST(:mun AS text[])) AS t(i, lon, lat, mun)
)
SELECT e.i,
       dado.codigo AS dado_codigo, dado.nombre AS dado_nombre,
       ST_X(dado.punto_interior) AS dado_lon, ST_Y(dado.punto_interior) AS dado_lat,
       coalesce(en.codigo, cerca.codigo) AS en_codigo,
       coalesce(en_m.nombre, cerca.nombre) AS en_nombre,
       coalesce(cerca.distancia_m, 0) AS distancia_m,
       CASE WHEN e.g IS NOT NULL AND dado.codigo IS NOT NULL
                 AND dado.codigo IS DISTINCT FROM coalesce(en.codigo, cerca.codigo)
            THEN ST_Distance(dado.geom::geography, e.g::geography) END AS distancia_dado_m,
       agua.nombre AS cuerpo_agua,
       inv.codigo AS inv_codigo, inv.nombre AS inv_nombre
FROM e
LEFT JOIN municipio dado ON dado.cartografia = :v AND dado.codigo = e.mun
LEFT JOIN LATERAL (
    SELECT p.codigo FROM municipio_parte p
    WHERE e.g IS NOT NULL AND p.cartografia = :v AND ST_Covers(p.geom, e.g)
    ORDER BY p.codigo LIMIT 1) en ON true
LEFT JOIN municipio en_m ON en_m.cartografia = :v AND en_m.codigo = en.codigo
LEFT JOIN LATERAL (
    SELECT m.codigo, m.nombre, ST_Distance(m.geom::geography, e.g::geography) AS distancia_m
    FROM municipio m
    WHERE e.g IS NOT NULL AND en.codigo IS NULL AND m.cartografia = :v
    ORDER BY m.geom <-> e.g, m.codigo LIMIT 1) cerca ON true
LEFT JOIN LATERAL (
    SELECT a.nombre FROM cuerpo_agua a
    WHERE en.codigo IS NULL AND e.g IS NOT NULL AND a.cartografia = :v AND ST_Covers(a.geom, e.g)
    LIMIT 1) agua ON true
LEFT JOIN LATERAL (
    SELECT m.codigo, m.nombre FROM municipio_parte p JOIN municipio m
      ON m.cartografia = p.cartografia AND m.codigo = p.codigo
    WHERE cerca.distancia_m > :tol AND abs(e.lat) <= 180 AND abs(e.lon) <= 90
      AND p.cartografia = :v AND ST_Covers(p.geom, ST_SetSRID(ST_MakePoint(e.lat, e.lon), 4326))
    LIMIT 1) inv ON true
ORDER BY e.i
""")


class _Respuesta(NamedTuple):
    """A row of _SQL, in its columns' order (read by position: a large import decides 100,000
    of them, and a NamedTuple's fields cost a fraction of a result row's named access)."""

    i: int
    dado_codigo: str | None
    dado_nombre: str | None
    dado_lon: float | None
    dado_lat: float | None
    en_codigo: str | None
    en_nombre: str | None
    distancia_m: float
    distancia_dado_m: float | None
    cuerpo_agua: str | None
    inv_codigo: str | None
    inv_nombre: str | None


@dataclass
class Ubicacion:
    """Where a record is, or why it cannot be placed (``errores``: field -> message)."""

    municipio_codigo: str | None = None
    lon: float | None = None
    lat: float | None = None
    precision: int | None = None
    alertas: list[str] = field(default_factory=list)
    errores: dict[str, str] = field(default_factory=dict)


Entrada = tuple[float | None, float | None, str | None]  # lon, lat, municipio given


def ubicar_lote(
    conn: Connection, cartografia: str, entradas: list[Entrada], tolerancia_m: float
) -> list[Ubicacion]:
    if not entradas:
        return []
    params = {
        "i": list(range(len(entradas))),
        "lon": [e[0] for e in entradas],
        "lat": [e[1] for e in entradas],
        "mun": [e[2] for e in entradas],
        "v": cartografia,
        "tol": tolerancia_m,
    }
    resultado = conn.execute(_SQL, params)
    assert tuple(resultado.keys()) == _Respuesta._fields  # read by position: the same columns
    filas = map(_Respuesta._make, resultado)
    return [_decidir(r, entradas[r.i], tolerancia_m, cartografia) for r in filas]


def _decidir(r: _Respuesta, entrada: Entrada, tol: float, cartografia: str) -> Ubicacion:
    lon, lat, mun = entrada
    if mun and r.dado_codigo is None:
        return Ubicacion(
            errores={
                "municipio_codigo": f"municipio desconocido '{mun}' (cartografía {cartografia})"
            }
        )
    if lon is None or lat is None:
        if r.dado_codigo is None:
            return Ubicacion(
                errores={"lon": "falta la ubicación: indique lon y lat, o el código del municipio"}
            )
        return Ubicacion(r.dado_codigo, r.dado_lon, r.dado_lat, 3)
    return _con_punto(r, lon, lat, tol)


def _con_punto(r: _Respuesta, lon: float, lat: float, tol: float) -> Ubicacion:
    if r.cuerpo_agua:
        return Ubicacion(
            errores={
                "lon": f"el punto ({lon}, {lat}) cae en {r.cuerpo_agua}; el "
                f"municipio más cercano es {r.en_nombre} ({r.en_codigo})"
            }
        )
    if r.distancia_m > tol:
        mensaje = (
            f"el punto ({lon}, {lat}) está fuera de Bolivia, a "
            f"{r.distancia_m / 1000:.1f} km de {r.en_nombre} ({r.en_codigo})"
        )
        if r.inv_codigo:
            mensaje += (
                f"; ¿latitud y longitud invertidas? (lon={lat}, lat={lon}) cae en "
                f"{r.inv_nombre} ({r.inv_codigo})"
            )
        return Ubicacion(errores={"lon": mensaje})
    alertas = ["punto_cerca_del_limite"] if r.distancia_m > 0 else []
    if r.dado_codigo is None or r.dado_codigo == r.en_codigo:
        return Ubicacion(r.en_codigo, lon, lat, 1, alertas)
    # The SQL measures the given municipality's distance whenever it differs from the found one.
    assert r.distancia_dado_m is not None
    if r.distancia_dado_m <= tol:
        return Ubicacion(r.dado_codigo, lon, lat, 1, [*alertas, "punto_cerca_del_limite"][:1])
    return Ubicacion(
        errores={
            "municipio_codigo": (
                f"el punto ({lon}, {lat}) cae en {r.en_nombre} ({r.en_codigo}), no en el municipio "
                f"indicado {r.dado_nombre} ({r.dado_codigo}), a {r.distancia_dado_m / 1000:.1f} km"
            )
        }
    )
