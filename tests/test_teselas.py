"""Points as vector tiles: each tile holds exactly the records of the map's selection whose
point falls in it (compared with PostGIS's own tile envelope, not with the tile code's bounds),
as the reader may see them; below zoom 9 the clusters' counts add up to the records of the
tile; a write moves the tile's version on; a tile outside the grid is refused naming z, x or
y. The demo database (about 4,800 alliances, validated and not) gives the tiles something to
hold; the write tests use the empty one."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo.analisis.teselas import MARGEN, ZOOM_PUNTOS
from geo.plataforma.config import Settings
from tests.conftest import aplicacion_en, cabeceras
from tests.test_acceso import YACUIBA, _alianza

MVT = "application/vnd.mapbox-vector-tile"
MARGEN_SQL = MARGEN / 4096
# The map shows one program, the configured one (the demo also holds a second one).
DEL_PROGRAMA = "r.programa_id = (SELECT id FROM programa WHERE codigo = 'PAR2')"


@pytest.fixture
def demo_como(demo_engine: Engine, demo_conn: Connection, settings: Settings) -> Iterator[Any]:
    """``demo_como(rol, unidad)``: a client on the demo acting as that user (None: the public)."""
    app = aplicacion_en(demo_engine, demo_conn, settings)

    def cliente(rol: str | None, unidad: str | None = None) -> TestClient:
        return TestClient(app, headers=cabeceras(settings, rol, unidad))

    yield cliente


@pytest.fixture
def borradores(demo_conn: Connection) -> None:
    """A third of the demo's alliances back to registered (the demo validates them all), as
    the command line would do it: the tiles then hold records the public must not get."""
    from geo.acceso.alcance import Alcance, fijar

    fijar(demo_conn, Alcance("cli:pruebas"))
    demo_conn.execute(text("UPDATE alianza SET estado = 'registrado' WHERE id % 3 = 0"))


def _capa(r: Any, tipo: str = "alianzas") -> list[dict[str, Any]]:
    if r.status_code == 204:
        return []
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == MVT
    return list(mapbox_vector_tile.decode(r.content)[tipo]["features"])


def _tesela_densa(conn: Connection, z: int, donde: str = "true", tabla: str = "alianza") -> tuple:
    """The tile at zoom ``z`` holding the most records of ``tabla`` that satisfy ``donde``."""
    fila = conn.execute(
        text(
            f"SELECT floor((ST_X(geom) + 180) / 360 * 2 ^ :z)::int AS x, "  # noqa: S608
            "floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) "
            f"/ 2 * 2 ^ :z)::int AS y, count(*) FROM {tabla} r WHERE {donde} AND {DEL_PROGRAMA} "
            "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1"
        ),
        {"z": z},
    ).one()
    return z, fila.x, fila.y


def _en_sql(
    conn: Connection, zxy: tuple, donde: str = "true", margen: float = MARGEN_SQL, **v: Any
) -> dict[int, str]:
    """id -> code of the alliances inside PostGIS's envelope of the tile (with ``margen``)."""
    z, x, y = zxy
    filas = conn.execute(
        text(
            "SELECT r.id, r.codigo FROM alianza r JOIN municipio m ON m.cartografia = "  # noqa: S608
            "r.cartografia AND m.codigo = r.municipio_codigo WHERE ST_Intersects(ST_Transform("
            "r.geom, 3857), ST_TileEnvelope(:z, :x, :y, margin => :m)) AND "
            f"{DEL_PROGRAMA} AND {donde}"
        ),
        {"z": z, "x": x, "y": y, "m": margen, **v},
    )
    return {f.id: f.codigo for f in filas}


def _url(zxy: tuple, tipo: str = "alianzas") -> str:
    return f"/api/v1/teselas/{tipo}/{zxy[0]}/{zxy[1]}/{zxy[2]}.pbf"


def test_a_point_tile_holds_exactly_the_alliances_in_it_with_code_name_stage_and_families(
    demo_client, demo_conn
):
    zxy = _tesela_densa(demo_conn, 12)
    esperadas = _en_sql(demo_conn, zxy)
    assert len(esperadas) >= 5  # a tile worth comparing
    rasgos = _capa(demo_client.get(_url(zxy)))
    assert {f["id"]: f["properties"]["codigo"] for f in rasgos} == esperadas
    familias = dict(
        demo_conn.execute(
            text("SELECT id, familias FROM alianza WHERE id = ANY(:i)"), {"i": list(esperadas)}
        ).all()
    )
    assert {f["id"]: f["properties"]["familias"] for f in rasgos} == familias
    etapas = {f["properties"]["etapa"]: f["properties"]["etapa_nombre"] for f in rasgos}
    assert all(nombre != codigo for codigo, nombre in etapas.items())  # a label, not the code
    for f in rasgos:
        assert f["geometry"]["type"] == "Point"
        assert all(-MARGEN <= c <= 4096 + MARGEN for c in f["geometry"]["coordinates"])


def test_the_public_gets_only_validated_alliances(demo_client, demo_como, demo_conn, borradores):
    zxy = _tesela_densa(demo_conn, 12, "estado <> 'validado'")
    publico = {f["id"] for f in _capa(demo_como(None).get(_url(zxy)))}
    todas = {f["id"] for f in _capa(demo_client.get(_url(zxy)))}
    assert publico == set(_en_sql(demo_conn, zxy, "r.estado = 'validado'"))
    assert publico < todas  # the tile has unvalidated ones, and the public does not get them
    r = demo_como(None).get(_url(zxy))
    assert r.headers["cache-control"].startswith("public")


def test_a_unit_user_gets_validated_alliances_and_every_one_of_its_unit(
    demo_como, demo_conn, borradores
):
    donde = "estado <> 'validado' AND municipio_codigo IN (SELECT codigo FROM municipio " \
        "WHERE unidad_operativa_codigo = 'CHACO')"  # fmt: skip
    zxy = _tesela_densa(demo_conn, 10, donde)
    r = demo_como("unidad", "CHACO").get(_url(zxy))
    vistas = {f["id"] for f in _capa(r)}
    esperadas = _en_sql(
        demo_conn, zxy, "(r.estado = 'validado' OR m.unidad_operativa_codigo = 'CHACO')"
    )
    assert vistas == set(esperadas)
    assert vistas - set(_en_sql(demo_conn, zxy, "r.estado = 'validado'"))  # its own drafts
    assert r.headers["cache-control"].startswith("private")


def test_a_sector_filter_changes_the_tile_to_that_sectors_alliances(demo_client, demo_conn):
    sector = demo_conn.execute(
        text("SELECT sector FROM alianza GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    ).scalar_one()
    zxy = _tesela_densa(demo_conn, 11)
    todas = {f["id"] for f in _capa(demo_client.get(_url(zxy)))}
    del_sector = {f["id"] for f in _capa(demo_client.get(_url(zxy), params={"sector": sector}))}
    assert del_sector == set(_en_sql(demo_conn, zxy, "r.sector = :s", s=sector))
    assert del_sector and del_sector < todas


def test_clusters_at_low_zoom_count_every_alliance_of_the_tile_once(demo_client, demo_conn):
    zxy = _tesela_densa(demo_conn, 5)
    grupos = _capa(demo_client.get(_url(zxy)))
    en_tesela = _en_sql(demo_conn, zxy, margen=0.0)
    assert sum(g["properties"]["cantidad"] for g in grupos) == len(en_tesela)
    assert 1 < len(grupos) < len(en_tesela)  # grouped, and not into one lump
    familias = demo_conn.execute(
        text("SELECT sum(familias) FROM alianza WHERE id = ANY(:i)"), {"i": list(en_tesela)}
    ).scalar_one()
    assert sum(g["properties"]["familias"] for g in grupos) == pytest.approx(float(familias))
    assert all(set(g["properties"]) == {"cantidad", "familias"} for g in grupos)


def test_clusters_of_the_whole_country_add_up_to_the_selection(demo_client, demo_conn):
    z = ZOOM_PUNTOS - 3
    filas = demo_conn.execute(
        text(
            "SELECT DISTINCT floor((ST_X(geom) + 180) / 360 * 2 ^ :z)::int AS x, "
            "floor((1 - ln(tan(radians(ST_Y(geom))) + 1 / cos(radians(ST_Y(geom)))) / pi()) "
            "/ 2 * 2 ^ :z)::int AS y FROM alianza r"
        ),
        {"z": z},
    ).all()
    total = sum(
        g["properties"]["cantidad"]
        for x, y in filas
        for g in _capa(demo_client.get(_url((z, x, y)), params={"validados": True}))
    )
    validadas = "SELECT count(*) FROM alianza r WHERE estado = 'validado' AND "
    assert total == demo_conn.execute(text(validadas + DEL_PROGRAMA)).scalar_one()


def test_a_subproject_tile_holds_exactly_the_subprojects_in_it(demo_client, demo_conn):
    zxy = _tesela_densa(demo_conn, 11, tabla="subproyecto_municipal")
    z, x, y = zxy
    esperados = dict(
        demo_conn.execute(
            text(
                "SELECT id, codigo FROM subproyecto_municipal r WHERE "  # noqa: S608
                "ST_Intersects(ST_Transform(geom, 3857), ST_TileEnvelope(:z, :x, :y, "
                "margin => :m)) AND " + DEL_PROGRAMA
            ),
            {"z": z, "x": x, "y": y, "m": MARGEN_SQL},
        ).all()
    )
    rasgos = _capa(demo_client.get(_url(zxy, "subproyectos")), "subproyectos")
    assert esperados and {f["id"]: f["properties"]["codigo"] for f in rasgos} == esperados
    r = demo_client.get(_url(zxy, "subproyectos"), params={"sector": "Apicultura"})
    assert (r.status_code, r.json()["campo"]) == (400, "sector")


def test_a_write_moves_the_version_on_and_the_tile_then_holds_the_new_alliance(client):
    zxy = (14, *_xy(14, *YACUIBA))
    antes = client.get(_url(zxy))
    assert (antes.status_code, antes.headers["x-cache"]) == (204, "miss")
    repetida = client.get(_url(zxy), headers={"If-None-Match": antes.headers["etag"]})
    assert (repetida.status_code, repetida.headers["x-cache"]) == (304, "hit")
    assert client.post("/api/v1/alianzas", json=_alianza("T-1", YACUIBA)).status_code == 201
    despues = client.get(_url(zxy), headers={"If-None-Match": antes.headers["etag"]})
    assert despues.status_code == 200 and despues.headers["etag"] != antes.headers["etag"]
    assert [f["properties"]["codigo"] for f in _capa(despues)] == ["T-1"]
    otra = client.get(_url(zxy), headers={"Accept-Encoding": "gzip"})
    assert (otra.headers["x-cache"], otra.headers["etag"]) == ("hit", despues.headers["etag"])
    assert otra.content == despues.content


def _xy(z: int, lon: float, lat: float) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


@pytest.mark.parametrize(
    "z,x,y,campo",
    [(23, 0, 0, "z"), (3, 8, 0, "x"), (3, 0, 8, "y"), (12, -1, 0, "x"), (0, 0, 1, "y")],
)
def test_a_tile_outside_the_grid_is_refused_naming_the_coordinate(client, z, x, y, campo):
    r = client.get(f"/api/v1/teselas/alianzas/{z}/{x}/{y}.pbf")
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    cuerpo = r.json()
    assert cuerpo.get("campo", (cuerpo.get("errores") or [{}])[0].get("campo")) == campo


def test_an_unknown_filter_or_kind_is_refused_naming_it(client):
    r = client.get("/api/v1/teselas/alianzas/5/10/17.pbf", params={"sectr": "Apicultura"})
    assert (r.status_code, r.json()["campo"]) == (400, "sectr")
    r = client.get("/api/v1/teselas/organizaciones/5/10/17.pbf")
    assert r.status_code == 422 and r.json()["errores"][0]["campo"] == "tipo"


def test_at_a_cutoff_before_an_alliance_existed_its_tile_is_empty(client):
    from datetime import date, timedelta

    zxy = (14, *_xy(14, *YACUIBA))
    assert client.post("/api/v1/alianzas", json=_alianza("T-2", YACUIBA)).status_code == 201
    hoy = _capa(client.get(_url(zxy), params={"corte": date.today().isoformat()}))
    assert [f["properties"]["codigo"] for f in hoy] == ["T-2"]
    ayer = client.get(_url(zxy), params={"corte": (date.today() - timedelta(days=1)).isoformat()})
    assert ayer.status_code == 204
