"""Cluster tiles from the cell summary (migration 0016) against the records themselves: after
random writes (inserts, points moved to other cells and onto tile edges, municipality and stage
changes, validations, deletes, an import through the API), folded or not, every cluster tile
asked at several zooms below 9, for the public, a unit and national coordination and several
filters, holds the cells, counts and families of a bare GROUP BY written here, at the same
mean positions; a filter the summary cannot answer gives the same from the records and says
so. And the summary's rows equal the records grouped by its key and cell."""

# ruff: noqa: S608  (the SQL is built from this module's constants only)
from __future__ import annotations

import math
import random
from typing import Any

import mapbox_vector_tile
import pytest
from sqlalchemy import text

from geo.acceso.alcance import PUBLICO, Alcance
from geo.analisis.resumen import compactar, rehacer
from geo.analisis.teselas import EXTENSION, Tesela, celdas
from geo.registro.consultas import Filtros
from geo.vocabulario.catalogos import ORDEN_ETAPA
from tests import test_resumen
from tests.test_resumen import _cliente, _escrituras

como = test_resumen.como  # the fixture: a client on the demo as a given user

SEMILLAS = (17, 2026)
ZOOMS = (3, 5, 6, 8)
PAR2 = "r.programa_id = (SELECT id FROM programa WHERE codigo = 'PAR2')"
# The zoom-z cell of a point, written here as the Web Mercator formula (not the database's).
CX = "floor((ST_X(r.geom) + 180) / 360 * 2 ^ :z * 16)::int"
CY = "floor((1 - ln(tan(pi() / 4 + radians(ST_Y(r.geom)) / 2)) / pi()) / 2 * 2 ^ :z * 16)::int"
UNIDAD = "(r.estado = 'validado' OR m.unidad_operativa_codigo = 'CHACO')"
# (type, who asks, filters, the bare WHERE over the records r and municipalities m)
CASOS: tuple[tuple[str, str | None, dict[str, Any], str], ...] = (
    ("alianzas", None, {}, "r.estado = 'validado'"),
    ("alianzas", "nacional", {}, "true"),
    ("alianzas", "unidad:CHACO", {}, UNIDAD),
    (
        "alianzas",
        None,
        {"departamento": "07"},
        "r.estado = 'validado' AND m.departamento_codigo = '07'",
    ),
    (
        "alianzas",
        "nacional",
        {"etapa_alcanzada": "convenio_firmado"},
        f"r.etapa_alcanzada >= {ORDEN_ETAPA['convenio_firmado']}",
    ),
    (
        "alianzas",
        "unidad:CHACO",
        {"etapa": ["solicitud", "abandonada"], "unidad_operativa": "CHACO"},
        f"{UNIDAD} AND r.etapa IN ('solicitud', 'abandonada') "
        "AND m.unidad_operativa_codigo = 'CHACO'",
    ),
    ("subproyectos", None, {}, "r.estado = 'validado'"),
    ("subproyectos", "nacional", {"etapa": ["ejecucion"]}, "r.etapa = 'ejecucion'"),
)  # fmt: skip
TABLA = {"alianzas": "alianza", "subproyectos": "subproyecto_municipal"}
ALCANCE = {
    None: PUBLICO,
    "nacional": Alcance("pruebas", "nacional"),
    "unidad:CHACO": Alcance("pruebas", "unidad", "CHACO"),
}


def _desnudo(
    conn, tipo: str, z: int, donde: str, valores: dict | None = None
) -> dict[tuple[int, int], dict]:
    """Per zoom-z tile: its cells (zoom-z cell -> count, families, mean lon and lat)."""
    filas = conn.execute(
        text(
            f"SELECT {CX} AS cx, {CY} AS cy, count(*) AS n, sum(r.familias) AS familias, "
            "avg(ST_X(r.geom)) AS lon, avg(ST_Y(r.geom)) AS lat "
            f"FROM {TABLA[tipo]} r JOIN municipio m ON m.cartografia = r.cartografia "
            f"AND m.codigo = r.municipio_codigo WHERE {PAR2} AND {donde} GROUP BY 1, 2"
        ),
        {"z": z, **(valores or {})},
    )
    teselas: dict[tuple[int, int], dict] = {}
    for f in filas:
        teselas.setdefault((f.cx // 16, f.cy // 16), {})[f.cx, f.cy] = f
    return teselas


def _en_unidades(t: Tesela, lon: float, lat: float) -> tuple[float, float]:
    """A position in the tile's units, y from the south as mapbox_vector_tile decodes it."""
    lado = 2 * math.pi * 6378137.0 / 2**t.z
    x = math.radians(lon) * 6378137.0
    y = math.asinh(math.tan(math.radians(lat))) * 6378137.0
    o, s, _, _ = t.mercator
    return (x - o) / lado * EXTENSION, (y - s) / lado * EXTENSION


def _pedidas(teselas: dict, z: int, azar: random.Random, bordes: list[tuple]) -> set:
    """Every tile with records at zoom < 6; at 6 and 8 a sample, the tiles of the points put
    on edges and their neighbours, and one empty tile."""
    todas = set(teselas)
    if z < 6:
        return todas | {(0, 0)}
    cerca = {(x + dx, y) for x, y in (_tesela_de(z, *b) for b in bordes) for dx in (-1, 0, 1)}
    return set(azar.sample(sorted(todas), min(6, len(todas)))) | cerca | {(0, 0)}


def _tesela_de(z: int, lon: float, lat: float) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def _comparar(conn, como, azar: random.Random, bordes: list[tuple]) -> int:
    """Every case at every zoom, the API's tiles and ``celdas`` against the bare query; the
    number of cells compared (so a vacuous comparison cannot pass)."""
    comparadas = 0
    for tipo, quien, filtros, donde in CASOS:
        cliente = _cliente(como, quien)
        f = Filtros(programa="PAR2", alcance=ALCANCE[quien], **filtros)
        for z in ZOOMS:
            teselas = _desnudo(conn, tipo, z, donde)
            for x, y in sorted(_pedidas(teselas, z, azar, bordes)):
                t, esperadas = Tesela(z, x, y), teselas.get((x, y), {})
                r = cliente.get(
                    f"/api/v1/teselas/{tipo}/{z}/{x}/{y}.pbf",
                    params={"programa": "PAR2", **filtros},
                )
                assert r.headers["x-sigg-agregado"] == "resumen", r.text
                _tesela_igual(r, tipo, t, esperadas, (quien, filtros))
                _celdas_iguales(conn, f, tipo, t, esperadas)
                comparadas += len(esperadas)
    return comparadas


def _tesela_igual(r: Any, tipo: str, t: Tesela, esperadas: dict, caso: tuple) -> None:
    """The tile's clusters are the expected cells: count and families, and each at its cell's
    mean position (to the tile unit the encoding rounds to)."""
    if not esperadas:
        assert r.status_code == 204, (caso, t)
        return
    assert r.status_code == 200, r.text
    rasgos = mapbox_vector_tile.decode(r.content)[tipo]["features"]
    assert len(rasgos) == len(esperadas), (caso, t)
    for e in esperadas.values():
        ex, ey = _en_unidades(t, e.lon, e.lat)
        cerca = [
            g
            for g in rasgos
            if abs(g["geometry"]["coordinates"][0] - ex) <= 1
            and abs(g["geometry"]["coordinates"][1] - ey) <= 1
        ]
        assert len(cerca) == 1, (caso, t, e)
        assert cerca[0]["properties"] == {"cantidad": e.n, "familias": e.familias}, (caso, t)


def _celdas_iguales(conn, f: Filtros, tipo: str, t: Tesela, esperadas: dict) -> None:
    """The cells SIGG computes equal the bare ones, positions within 1e-9 degrees."""
    filas = {(c.cx, c.cy): c for c in conn.execute(celdas(f, tipo, t))}
    assert set(filas) == set(esperadas), t
    for clave, e in esperadas.items():
        c = filas[clave]
        assert (c.cantidad, c.familias) == (e.n, e.familias), (t, clave)
        assert abs(float(c.lon) - e.lon) < 1e-9 and abs(float(c.lat) - e.lat) < 1e-9, (t, clave)


def _celdas_igual_a_los_registros(conn) -> None:
    """The cell summary's rows (base plus differences, an empty group left out) are the
    records grouped by its key and zoom-8 cell, exactly (the coordinate sums are numeric)."""
    for tabla, clave, minimo in (
        (
            "alianza",
            "programa_id, cartografia, municipio_codigo, etapa, etapa_alcanzada, estado",
            1000,
        ),
        ("subproyecto_municipal", "programa_id, cartografia, municipio_codigo, etapa, estado", 50),
    ):
        resumen = "resumen_celda_" + ("alianza" if tabla == "alianza" else "subproyecto")
        del_resumen = conn.execute(
            text(
                f"SELECT {clave}, cx, cy, sum(n), sum(lon), sum(lat), sum(familias) FROM "
                f"{resumen}_vista GROUP BY {clave}, cx, cy HAVING sum(n) <> 0 "
                f"ORDER BY {clave}, cx, cy"
            )
        ).all()
        de_registros = conn.execute(
            text(
                f"SELECT {clave}, {CX} AS cx, {CY} AS cy, count(*), sum(ST_X(r.geom)::numeric), "
                f"sum(ST_Y(r.geom)::numeric), sum(familias) FROM {tabla} r "
                f"GROUP BY {clave}, cx, cy ORDER BY {clave}, cx, cy"
            ),
            {"z": 8},
        ).all()
        assert len(del_resumen) > minimo  # the demo: about 4,500 and 70
        assert del_resumen == de_registros


def _mover(conn, azar: random.Random, ronda: int) -> list[tuple[float, float]]:
    """Points of some records reopened and moved (a validated record is locked): some to other
    cells nearby, some exactly onto a tile edge or a hair either side of one (within a
    single-precision step). The positions put on edges."""
    bordes = [(-67.5, -17.1), (-67.5 - 1e-6, -17.2), (-67.5 + 1e-6, -17.3), (-64.6875, -18.4)]
    # The latitude of a zoom-8 row's northern edge, and a hair south of it.
    norte = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * 141 / 256))))
    bordes += [(-65.3, norte), (-65.4, norte - 1e-6)]
    for tabla in ("alianza", "subproyecto_municipal"):
        ids = conn.execute(text(f"SELECT id FROM {tabla} ORDER BY id")).scalars()
        elegidos = azar.sample(list(ids), 30)
        conn.execute(
            text(f"UPDATE {tabla} SET estado = 'registrado' WHERE id = ANY(:ids)"),
            {"ids": elegidos},
        )
        for i, (lon, lat) in zip(elegidos, bordes, strict=False):
            conn.execute(
                text(
                    f"UPDATE {tabla} SET geom = ST_SetSRID(ST_MakePoint(:x, :y), 4326) "
                    "WHERE id = :i"
                ),
                {"x": lon, "y": lat, "i": i},
            )
        conn.execute(
            text(
                f"UPDATE {tabla} SET geom = ST_SetSRID(ST_MakePoint(least(-57, greatest(-70, "
                "ST_X(geom) + :d)), least(-9, greatest(-23.5, ST_Y(geom) - :d))), 4326) "
                "WHERE id = ANY(:ids)"
            ),
            {"d": 0.05 + ronda * 0.3, "ids": elegidos[len(bordes) :]},
        )
    return bordes


@pytest.mark.parametrize("semilla", SEMILLAS)
def test_cluster_tiles_equal_the_bare_query_after_random_writes(demo_conn, como, semilla):
    azar = random.Random(semilla)
    demo = como("nacional")
    assert _comparar(demo_conn, como, azar, []) > 1000  # before any write
    _celdas_igual_a_los_registros(demo_conn)
    for ronda in range(2):
        _escrituras(demo_conn, demo, azar, ronda)
        bordes = _mover(demo_conn, azar, ronda)
        pendientes = demo_conn.execute(text("SELECT count(*) FROM resumen_celda_alianza_delta"))
        assert pendientes.scalar_one() > 0  # the writes left differences to add
        _celdas_igual_a_los_registros(demo_conn)
        assert _comparar(demo_conn, como, azar, bordes) > 1000
        if ronda == 0 or azar.random() < 0.5:  # folded or not, the answer is the same
            assert compactar(demo_conn)
            for resumen in ("resumen_celda_alianza", "resumen_celda_subproyecto"):
                vacias = demo_conn.execute(text(f"SELECT count(*) FROM {resumen}_delta"))
                assert vacias.scalar_one() == 0
            _celdas_igual_a_los_registros(demo_conn)
            assert _comparar(demo_conn, como, azar, bordes) > 1000
    rehacer(demo_conn)
    _celdas_igual_a_los_registros(demo_conn)


def test_a_record_on_a_tile_edge_counts_in_one_tile_at_every_zoom(demo_conn, como):
    """Points on an edge and a hair either side of it: at each zoom the tiles around them add
    up to the records, once each (a bound box test alone took the hair's points twice)."""
    azar = random.Random(5)
    bordes = _mover(demo_conn, azar, 0)
    nacional = como("nacional")
    for z in range(0, 9):
        total = 0
        vistas = {_tesela_de(z, *b) for b in bordes}
        teselas = {(x + dx, y + dy) for x, y in vistas for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
        for x, y in teselas:
            if 0 <= x < 2**z and 0 <= y < 2**z:
                r = nacional.get(f"/api/v1/teselas/alianzas/{z}/{x}/{y}.pbf")
                if r.status_code == 200:
                    rasgos = mapbox_vector_tile.decode(r.content)["alianzas"]["features"]
                    total += sum(g["properties"]["cantidad"] for g in rasgos)
        desnudo = _desnudo(demo_conn, "alianzas", z, "true")
        esperado = sum(c.n for t in teselas for c in desnudo.get(t, {}).values())
        assert total == esperado and total > 0, z


def test_a_filter_the_summary_cannot_answer_is_computed_from_the_records_and_said(demo_conn, como):
    sector = demo_conn.execute(
        text("SELECT sector FROM alianza GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    ).scalar_one()
    donde = "r.estado = 'validado' AND r.sector = :s"
    cliente = como(None)
    f = Filtros(programa="PAR2", alcance=PUBLICO, sector=[sector])
    comparadas = 0
    for z in (4, 7):
        teselas = demo_conn.execute(
            text(
                f"SELECT {CX} / 16 AS x, {CY} / 16 AS y, count(*) FROM alianza r JOIN municipio m "
                f"ON m.codigo = r.municipio_codigo AND m.cartografia = r.cartografia WHERE {PAR2} "
                f"AND {donde} GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 3"
            ),
            {"z": z, "s": sector},
        ).all()
        for x, y, _ in teselas:
            esperadas = _desnudo(demo_conn, "alianzas", z, donde, {"s": sector}).get((x, y), {})
            r = cliente.get(f"/api/v1/teselas/alianzas/{z}/{x}/{y}.pbf", params={"sector": sector})
            assert r.headers["x-sigg-agregado"] == "consulta-completa"
            assert r.headers["x-sigg-agregado-motivo"] == "sector"
            _tesela_igual(r, "alianzas", Tesela(z, x, y), esperadas, ("sector",))
            _celdas_iguales(demo_conn, f, "alianzas", Tesela(z, x, y), esperadas)
            comparadas += len(esperadas)
    assert comparadas > 10
    # A point tile is no aggregate: no such header; a subproject tile still refuses 'sector'.
    assert "x-sigg-agregado" not in cliente.get("/api/v1/teselas/alianzas/12/1300/2200.pbf").headers
    r = cliente.get("/api/v1/teselas/subproyectos/5/10/17.pbf", params={"sector": sector})
    assert (r.status_code, r.json()["campo"]) == (400, "sector")
