"""Which municipality, province, department and operational unit a point falls in."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Connection, text

from geo.plataforma.errors import EntradaInvalida, PuntoEnCuerpoDeAgua, PuntoFueraDeBolivia
from geo.territorio.consultas import exigir_cartografia

# The nearest municipality by the GiST index (<-> is the true distance for polygons), whether it
# covers the point, how far it is, and the lake or salt flat the point lies on, if any.
_SQL = text("""
WITH pt AS (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS g),
cerca AS (
    SELECT m.*, ST_Covers(m.geom, pt.g) AS dentro
    FROM municipio m, pt
    WHERE m.cartografia = :v
    ORDER BY m.geom <-> pt.g, m.codigo
    LIMIT 1)
SELECT c.codigo, c.nombre, c.dentro,
       c.provincia_codigo, p.nombre AS provincia_nombre,
       c.departamento_codigo, d.nombre AS departamento_nombre,
       c.unidad_operativa_codigo, u.nombre AS unidad_nombre,
       CASE WHEN c.dentro THEN 0 ELSE ST_Distance(c.geom::geography, pt.g::geography) END
           AS distancia_m,
       (SELECT a.nombre FROM cuerpo_agua a
         WHERE a.cartografia = :v AND ST_Covers(a.geom, pt.g) LIMIT 1) AS cuerpo_agua
FROM cerca c CROSS JOIN pt
JOIN provincia p ON p.cartografia = c.cartografia AND p.codigo = c.provincia_codigo
JOIN departamento d ON d.cartografia = c.cartografia AND d.codigo = c.departamento_codigo
JOIN unidad_operativa u ON u.cartografia = c.cartografia AND u.codigo = c.unidad_operativa_codigo
""")


def validar_coordenadas(lon: float, lat: float) -> None:
    for campo, valor, limite in (("lon", lon, 180), ("lat", lat, 90)):
        if not math.isfinite(valor):
            raise EntradaInvalida(f"{campo} debe ser un número finito", campo=campo)
        if abs(valor) > limite:
            raise EntradaInvalida(
                f"{campo}={valor} fuera de rango (-{limite} a {limite} grados)", campo=campo
            )


def _buscar(conn: Connection, lon: float, lat: float, cartografia: str) -> Any:
    return conn.execute(_SQL, {"lon": lon, "lat": lat, "v": cartografia}).first()


def ubicar(
    conn: Connection, lon: float, lat: float, cartografia: str, tolerancia_m: float = 100.0
) -> dict[str, Any]:
    """The territorial units of a point (EPSG:4326). A point just outside every polygon but
    within ``tolerancia_m`` of one (cartography is not survey-grade) is placed in it and flagged
    ``aproximado``; on a lake or salt flat, or farther away, it is refused with the reason."""
    validar_coordenadas(lon, lat)
    r = _buscar(conn, lon, lat, cartografia)
    if r is None:
        exigir_cartografia(conn, cartografia)
        raise PuntoFueraDeBolivia(f"la cartografía {cartografia} no tiene municipios")
    cercano = {
        "codigo": r.codigo,
        "nombre": r.nombre,
        "distancia_km": round(r.distancia_m / 1000, 2),
    }
    if r.cuerpo_agua and not r.dentro:
        raise PuntoEnCuerpoDeAgua(
            f"el punto ({lon}, {lat}) cae en {r.cuerpo_agua}, fuera de todo municipio; "
            f"el más cercano es {r.nombre} ({r.codigo}) a {cercano['distancia_km']} km",
            cuerpo_agua=r.cuerpo_agua,
            municipio_cercano=cercano,
        )
    if not r.dentro and r.distancia_m > tolerancia_m:
        texto, sugerencia = _sugerir_inversion(conn, lon, lat, cartografia)
        extra: dict[str, Any] = {"municipio_cercano": cercano}
        if sugerencia:
            extra["sugerencia"] = sugerencia
        raise PuntoFueraDeBolivia(
            f"el punto ({lon}, {lat}) está fuera de Bolivia, a {cercano['distancia_km']} km del "
            f"municipio más cercano, {r.nombre} ({r.codigo})" + texto,
            **extra,
        )
    return {
        "lon": lon,
        "lat": lat,
        "cartografia": cartografia,
        "municipio": {"codigo": r.codigo, "nombre": r.nombre},
        "provincia": {"codigo": r.provincia_codigo, "nombre": r.provincia_nombre},
        "departamento": {"codigo": r.departamento_codigo, "nombre": r.departamento_nombre},
        "unidad_operativa": {"codigo": r.unidad_operativa_codigo, "nombre": r.unidad_nombre},
        "aproximado": not r.dentro,
        "distancia_m": round(r.distancia_m, 1),
    }


def _sugerir_inversion(
    conn: Connection, lon: float, lat: float, cartografia: str
) -> tuple[str, dict[str, Any] | None]:
    """Latitude and longitude swapped is the commonest field error: say so when the swapped
    point is in a municipality, in words and as a ``sugerencia`` a form can offer to apply."""
    if abs(lat) > 90 or abs(lon) > 90 or lon == lat:
        return "", None
    r = _buscar(conn, lat, lon, cartografia)
    if r is None or not r.dentro:
        return "", None
    texto = (
        f". ¿Latitud y longitud invertidas? El punto (lon={lat}, lat={lon}) cae en "
        f"{r.nombre} ({r.codigo})"
    )
    return texto, {"lon": lat, "lat": lon, "municipio": {"codigo": r.codigo, "nombre": r.nombre}}
