"""Issue 17, exports at the speed of the C tool. The GeoJSON export now has PostgreSQL build
each feature's whole text and keeps one FETCH sent ahead of the rows it writes; GeoPackage,
Shapefile and KML are written to disk a part at a time and sent from there. These tests prove
the output is what it was: the same features the OGC service serialises with
json_build_object (the export's former path), in the same order, for several filters and
both readers, however the stream is cut into blocks; and the files written in many parts
open with every feature, the KML byte for byte the file a single write gives."""

from __future__ import annotations

import io
import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pyogrio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo.plataforma.config import Settings
from geo.publicacion import exportar as ex
from tests.conftest import cliente_en

EXPORTAR = "/api/v1/exportar/alianzas"
FILTROS = [
    {},
    {"unidad_operativa_codigo": "CHACO"},
    {"municipio": "060301", "datetime": "2015-01-01/.."},
    {"bbox": "-64.0,-22.5,-63.0,-21.5", "sector": "apicultura"},
    {"departamento": "07", "corte": date.today().isoformat()},
]


def _items(cliente, filtro: dict[str, str]) -> list[dict]:
    """The same selection from the OGC service, which serialises with json_build_object."""
    fc = cliente.get("/ogc/collections/alianzas/items", params={**filtro, "limit": 10_000}).json()
    assert fc["numberMatched"] == fc["numberReturned"]  # one page holds them all
    return fc["features"]


@pytest.mark.parametrize("filtro", FILTROS, ids=lambda f: ",".join(f) or "todo")
def test_the_geojson_export_holds_the_features_the_ogc_service_serialises(demo_client, filtro):
    r = demo_client.get(EXPORTAR, params={"formato": "geojson", **filtro})
    fc = json.loads(r.content)
    esperado = _items(demo_client, filtro)
    assert len(esperado) > 0
    assert fc["features"] == esperado  # every attribute, value, rounding and the order
    assert int(r.headers["X-Total-Count"]) == fc["numberMatched"] == fc["numberReturned"]
    assert fc["numberMatched"] == len(esperado)


@pytest.fixture
def publico(demo_engine: Engine, demo_conn: Connection, settings: Settings) -> Iterator[TestClient]:
    """The public (no token), on the demo, inside the test's transaction."""
    yield from cliente_en(demo_engine, demo_conn, settings, rol=None)


def _reabiertas(conn: Connection, n: int) -> list[int]:
    """n CHACO alliances reopened (registrado): the public no longer sees them."""
    ids = (
        conn.execute(
            text(
                "SELECT a.id FROM alianza a JOIN municipio m ON m.codigo = a.municipio_codigo "
                "AND m.cartografia = a.cartografia WHERE m.unidad_operativa_codigo = 'CHACO' "
                "ORDER BY a.id DESC LIMIT :n"
            ),
            {"n": n},
        )
        .scalars()
        .all()
    )
    conn.execute(text("UPDATE alianza SET estado = 'registrado' WHERE id = ANY(:i)"), {"i": ids})
    return list(ids)


def test_the_public_gets_its_own_features_and_lines_match_the_collection(publico, demo_conn):
    ocultas = _reabiertas(demo_conn, 3)
    validadas = demo_conn.execute(
        text(
            "SELECT count(*) FROM alianza a JOIN programa p ON p.id = a.programa_id "
            "WHERE p.codigo = 'PAR2' AND a.estado = 'validado'"
        )
    ).scalar_one()
    fc = json.loads(publico.get(EXPORTAR, params={"formato": "geojson"}).content)
    assert fc["features"] == _items(publico, {})
    assert len(fc["features"]) == validadas
    assert not {f["id"] for f in fc["features"]} & set(ocultas)  # the reader's scope
    assert "comprador" not in fc["features"][0]["properties"]  # personal data stays out
    lineas = publico.get(EXPORTAR, params={"formato": "geojsonl"}).text.splitlines()
    assert [json.loads(x) for x in lineas] == fc["features"]


@pytest.mark.parametrize("filas", [1, 7, 1000])
def test_the_blocks_a_stream_is_cut_into_do_not_change_a_byte(
    demo_client, demo_conn, monkeypatch, filas
):
    filtro = {"unidad_operativa_codigo": "CHACO"}
    referencia = demo_client.get(EXPORTAR, params={"formato": "geojson", **filtro}).content
    monkeypatch.setattr(ex, "FILAS_POR_FETCH", filas)
    for formato in ("geojson", "geojsonl"):
        r = demo_client.get(EXPORTAR, params={"formato": formato, **filtro})
        if formato == "geojson":
            assert r.content == referencia
        else:
            features = [json.loads(x) for x in r.text.splitlines()]
            assert features == json.loads(referencia)["features"]
    # The cursor is closed when the stream ends: the transaction can run another export.
    abiertos = demo_conn.execute(text("SELECT count(*) FROM pg_cursors")).scalar_one()
    assert abiertos == 0


def test_gzip_is_the_same_body_compressed(publico):
    filtro = {"formato": "geojson", "unidad_operativa_codigo": "CHACO"}
    plano = publico.get(EXPORTAR, params=filtro, headers={"Accept-Encoding": "identity"})
    comprimido = publico.get(EXPORTAR, params=filtro, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plano.headers
    assert comprimido.headers["content-encoding"] == "gzip"
    assert comprimido.content == plano.content  # httpx undid the gzip
    assert comprimido.headers["X-Total-Count"] == plano.headers["X-Total-Count"]
    assert comprimido.num_bytes_downloaded < len(plano.content) / 4


def _codigos_geojson(cliente, filtro: dict[str, str]) -> list[str]:
    r = cliente.get(EXPORTAR, params={"formato": "geojson", **filtro})
    return sorted(f["properties"]["codigo"] for f in json.loads(r.content)["features"])


@pytest.mark.parametrize("formato", ["gpkg", "shp", "kml"])
def test_binary_files_written_in_parts_open_with_every_feature(demo_client, monkeypatch, formato):
    filtro = {"unidad_operativa_codigo": "CHACO"}
    codigos = _codigos_geojson(demo_client, filtro)
    assert len(codigos) > 120
    entero = demo_client.get(EXPORTAR, params={"formato": formato, **filtro}).content
    monkeypatch.setattr(ex, "FILAS_POR_PARTE", 50)  # several parts, the last one short
    partes = demo_client.get(EXPORTAR, params={"formato": formato, **filtro}).content
    gdf = pyogrio.read_dataframe(io.BytesIO(partes))
    assert sorted(gdf["codigo"]) == codigos
    assert gdf.crs.to_epsg() == 4326
    unico = pyogrio.read_dataframe(io.BytesIO(entero))
    assert gdf.drop(columns="geometry").equals(unico.drop(columns="geometry"))
    assert list(gdf.geometry.to_wkb()) == list(unico.geometry.to_wkb())
    if formato == "kml":  # placemarks numbered on across the parts, as one write numbers them
        ids = [int(i) for i in re.findall(rb'<Placemark id="alianzas\.(\d+)"', partes)]
        assert ids == list(range(1, len(codigos) + 1))
        assert partes == entero
    if formato == "shp":
        nombres = zipfile.ZipFile(io.BytesIO(partes)).namelist()
        assert sorted(nombres) == [f"alianzas.{e}" for e in ("cpg", "dbf", "prj", "shp", "shx")]


# The GeoPackage's fields and types as the export wrote them when it built the file in memory
# (read back by pyogrio): the same schema, whatever part of the file a value falls in.
CAMPOS_GPKG = {
    "id": "int64",
    **dict.fromkeys(["modelo", "familias", "familias_mujeres", "precision_ubicacion"], "int64"),
    **dict.fromkeys(
        ["hectareas_riego", "monto_par_comprometido_bs", "monto_contraparte_comprometido_bs"]
        + ["monto_solicitado_bs", "monto_transferido_bs", "monto_descargado_bs"],
        "float64",
    ),
}


def test_the_geopackage_keeps_its_fields_types_and_order(demo_client, monkeypatch):
    monkeypatch.setattr(ex, "FILAS_POR_PARTE", 50)
    datos = demo_client.get(
        EXPORTAR, params={"formato": "gpkg", "unidad_operativa_codigo": "CHACO"}
    ).content
    info = pyogrio.read_info(io.BytesIO(datos))
    tipos = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert list(tipos)[:4] == ["id", "programa", "codigo", "nombre"]
    assert list(tipos)[-2:] == ["unidad_operativa_codigo", "estado"]
    assert {k: tipos[k] for k in CAMPOS_GPKG} == CAMPOS_GPKG
    assert {v for k, v in tipos.items() if k not in CAMPOS_GPKG} == {"object"}


def test_an_empty_selection_is_a_file_with_its_fields(demo_client):
    for formato in ("gpkg", "shp", "kml"):
        datos = demo_client.get(
            EXPORTAR, params={"formato": formato, "municipio_codigo": "999999"}
        ).content
        info = pyogrio.read_info(io.BytesIO(datos))
        assert info["features"] == 0, formato
        if formato == "gpkg":
            assert "codigo" in info["fields"] and "monto_transferido_bs" in info["fields"]


def test_the_spooled_file_is_deleted_once_sent(demo_client, monkeypatch):
    carpetas: list[str] = []
    original = tempfile.TemporaryDirectory

    def registrada(*a, **kw):
        carpeta = original(*a, **kw)
        carpetas.append(carpeta.name)
        return carpeta

    monkeypatch.setattr(ex.tempfile, "TemporaryDirectory", registrada)
    r = demo_client.get(EXPORTAR, params={"formato": "gpkg", "unidad_operativa_codigo": "PTS"})
    assert r.status_code == 200 and len(r.content) > 10_000
    assert len(carpetas) == 1 and carpetas[0].startswith(tempfile.gettempdir())
    assert not Path(carpetas[0]).exists()
