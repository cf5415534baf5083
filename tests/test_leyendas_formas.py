"""Legends and shapes (issue 16): zero is its own class, no class repeats a bound, the measure's
unit travels with the values; the screen layer and the dissolved levels have no specks (no part
or hole under AREA_MINIMA_KM2) and the Chaco unit is one shape across three departments."""

from __future__ import annotations

import gzip
import json

import geopandas as gpd
import pytest
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import text

from geo.analisis.mapa import UNIDADES_MAPA, _clase, _clasificar, _leyenda, capa_web
from geo.formatos.numeros import numero_es
from geo.territorio.formas import AREA_MINIMA_KM2, area_km2

NIVELES = {"provincia": "prov", "departamento": "dep", "unidad_operativa": "uo"}


def _leyenda_de(valores: list[float], metodo: str, k: int) -> list[dict]:
    limites = _clasificar(valores, metodo, k)
    colores = ["#000000"] * len(limites)
    return _leyenda(limites, valores, [_clase(v, limites) for v in valores], colores)


# ---------- legends ----------


@pytest.mark.parametrize("metodo", ["cuantiles", "jenks", "intervalos"])
def test_zero_is_a_class_of_its_own_labelled_as_one_value(metodo):
    valores = [0.0] * 108 + [float(v) for v in range(1, 232)]
    clases = _leyenda_de(valores, metodo, 5)
    assert clases[0] | {"color": None} == {
        "desde": 0.0,
        "hasta": 0.0,
        "color": None,
        "n": 108,
        "etiqueta": "0",
        "cero": True,
    }
    assert len(clases) == 5
    assert clases[1]["desde"] == 1.0  # the first other class starts at the smallest non-zero
    assert not any(c["cero"] for c in clases[1:])
    assert sum(c["n"] for c in clases) == len(valores)


def test_jenks_on_nine_departments_never_repeats_a_bound_in_a_label():
    # The case: money transferred by department, the smallest alone in its class.
    valores = [4955315.0, 18870654.0, 31737610.0, 42526411.0, 43375338.0, 46079535.0]
    valores += [24211555.0, 31247879.0, 55936402.0]
    for k in range(3, 8):
        clases = _leyenda_de(valores, "jenks", k)
        hastas = [c["hasta"] for c in clases]
        assert hastas == sorted(set(hastas)), k
        for c in clases:
            partes = c["etiqueta"].split(" – ")
            assert len(partes) == 1 or partes[0] != partes[1], c
        assert clases[0]["etiqueta"].startswith("4.955.315")
        assert sum(c["n"] for c in clases) == 9


def test_fewer_distinct_values_than_classes_give_one_class_per_value():
    clases = _leyenda_de([1.0, 1.0, 2.0, 2.0, 2.0, 3.5], "cuantiles", 5)
    assert [(c["etiqueta"], c["n"]) for c in clases] == [("1", 2), ("2", 3), ("3,5", 1)]


def test_quantiles_with_many_ties_give_no_empty_or_repeated_class():
    valores = [5.0] * 60 + [float(v) for v in range(6, 30)]
    clases = _leyenda_de(valores, "cuantiles", 5)
    assert all(c["n"] > 0 for c in clases)
    assert [c["hasta"] for c in clases] == sorted({c["hasta"] for c in clases})
    assert clases[0]["etiqueta"] == "5" and clases[0]["n"] == 60


def test_labels_use_bolivian_separators():
    assert numero_es(2243.04, 1) == "2.243,0"
    assert numero_es(2243.04) == "2.243"
    assert numero_es(3.5) == "3,5"  # never "3,500", read as three thousand five hundred
    assert numero_es(4955315) == "4.955.315"
    assert numero_es(7.3988) == "7,399"
    assert numero_es(None) == ""
    clases = _leyenda_de([1250.0, 2000.5, 3464.5, 9999.0], "intervalos", 3)
    assert clases[-1]["etiqueta"].endswith("9.999")


def test_the_map_values_carry_the_unit_and_every_unit_lies_in_its_class(demo_client):
    for medida, unidad in [("familias", "familias"), ("monto_transferido_bs", "Bs")]:
        r = demo_client.get("/api/v1/mapa/valores", params={"medida": medida})
        assert r.status_code == 200, r.text
        d = r.json()
        assert d["unidad"] == unidad == UNIDADES_MAPA[medida]
        assert d["etiqueta"] and d["sin_dato"]["etiqueta"] == "Sin dato"
        clases = d["clases"]
        ceros = [u for u in d["unidades"].values() if u["valor"] == 0]
        assert ceros, "the demo has municipalities without alliances"
        assert clases[0]["cero"] and clases[0]["n"] == len(ceros)
        assert all(u["clase"] == 0 for u in ceros)
        for u in d["unidades"].values():
            if u["clase"] is None:
                continue
            c = clases[u["clase"]]
            assert c["desde"] <= u["valor"] <= c["hasta"] + 1e-6 or u["clase"] == len(clases) - 1
        assert sum(c["n"] for c in clases) + d["sin_dato"]["n"] == len(d["unidades"]) == 339


def test_hectares_are_in_ha_and_the_old_fields_are_all_still_there(demo_client):
    d = demo_client.get(
        "/api/v1/mapa/valores",
        params={"medida": "hectareas_riego", "nivel": "departamento", "clasificacion": "jenks"},
    ).json()
    assert d["unidad"] == "ha"
    assert {"nivel", "datos_sinteticos", "medida", "etiqueta", "clasificacion"} <= set(d)
    assert all({"desde", "hasta", "color", "n", "etiqueta", "cero"} <= set(c) for c in d["clases"])
    assert {"color", "n"} <= set(d["sin_dato"])


# ---------- shapes ----------


def _partes(geom: BaseGeometry) -> list[BaseGeometry]:
    return list(getattr(geom, "geoms", [geom]))


def _motas(geom: BaseGeometry) -> list[float]:
    """Areas (km²) of the parts and holes under the threshold."""
    partes = [area_km2(p) for p in _partes(geom)]
    huecos = [area_km2(shapely.Polygon(h)) for p in _partes(geom) for h in p.interiors]
    return [a for a in partes + huecos if a < AREA_MINIMA_KM2]


@pytest.fixture
def pantalla(conn, tmp_path) -> gpd.GeoDataFrame:
    """The screen layer exactly as the browser receives it, decoded from the TopoJSON."""
    capa = capa_web(conn, "2012")
    archivo = tmp_path / "capa.topojson"
    archivo.write_bytes(gzip.decompress(capa.gzip))
    return gpd.read_file(archivo, engine="pyogrio")


def test_the_screen_layer_is_a_valid_coverage_of_every_municipality(pantalla, conn):
    assert len(pantalla) == 339 and pantalla["codigo"].is_unique
    assert pantalla.geometry.is_valid.all()
    assert shapely.coverage_is_valid(pantalla.geometry.values)
    original = conn.execute(
        text("SELECT sum(area_km2) FROM municipio WHERE cartografia = '2012'")
    ).scalar_one()
    total = sum(area_km2(g) for g in pantalla.geometry)
    assert abs(total - original) / original < 0.002  # simplified, not reshaped


@pytest.mark.parametrize("nivel", ["municipio", *NIVELES])
def test_no_shape_of_any_level_has_a_speck(pantalla, nivel):
    clave = NIVELES.get(nivel, "codigo")
    formas = pantalla.dissolve(by=clave).geometry
    motas = {c: m for c, g in formas.items() if (m := _motas(g))}
    assert motas == {}


def test_the_chaco_unit_is_one_shape_on_screen_and_in_the_download(pantalla, demo_client):
    chaco = pantalla[pantalla["uo"] == "CHACO"]
    assert set(chaco["dep"]) == {"01", "06", "07"} and len(chaco) == 16
    assert shapely.union_all(chaco.geometry.values).geom_type == "Polygon"
    r = demo_client.get(
        "/api/v1/mapa/descarga", params={"nivel": "unidad_operativa", "formato": "geojson"}
    )
    [forma] = [f for f in r.json()["features"] if f["id"] == "CHACO"]
    assert forma["geometry"]["type"] == "Polygon"


@pytest.mark.parametrize("tabla", ["provincia", "departamento", "unidad_operativa"])
def test_the_dissolved_tables_have_no_speck(conn, tabla):
    motas = conn.execute(
        text(
            f"SELECT t.codigo, ST_Area(x.geom::geography) / 1e6 FROM {tabla} t, "  # noqa: S608
            "LATERAL (SELECT d.geom FROM ST_Dump(t.geom) d UNION ALL "
            "  SELECT ST_MakePolygon(ST_InteriorRingN(d.geom, n)) FROM ST_Dump(t.geom) d, "
            "  generate_series(1, ST_NumInteriorRings(d.geom)) n) x "
            "WHERE ST_Area(x.geom::geography) / 1e6 < :minima"
        ),
        {"minima": AREA_MINIMA_KM2},
    ).all()
    assert motas == []


def test_the_chaco_unit_is_one_polygon_in_the_table_and_lakes_stay_holes(conn):
    partes, huecos = conn.execute(
        text(
            "SELECT ST_NumGeometries(geom), ST_NumInteriorRings(ST_GeometryN(geom, 1)) "
            "FROM unidad_operativa WHERE cartografia = '2012' AND codigo = 'CHACO'"
        )
    ).one()
    assert (partes, huecos) == (1, 0)
    # Real holes, far above the threshold, are kept: Lake Poopó in Oruro.
    poopo = conn.execute(
        text(
            "SELECT max(ST_Area(ST_MakePolygon(ST_InteriorRingN(d.geom, n))::geography)) / 1e6 "
            "FROM departamento t, ST_Dump(t.geom) d, "
            "generate_series(1, ST_NumInteriorRings(d.geom)) n "
            "WHERE t.cartografia = '2012' AND t.codigo = '04'"
        )
    ).scalar_one()
    assert poopo > 1000


def test_the_screen_layer_stays_small(conn):
    capa = capa_web(conn, "2012")
    assert len(capa.gzip) < 90_000
    assert json.loads(gzip.decompress(capa.gzip))["type"] == "Topology"


# ---------- documents: the HTML map and the CSV for Spanish-language Excel ----------


def test_the_csv_for_excel_reads_back_as_the_json_values(demo_client):
    import io

    import pandas as pd

    params = {"nivel": "municipio", "medida": "familias_por_mil_rurales"}
    d = demo_client.get("/api/v1/mapa/valores", params=params).json()
    r = demo_client.get("/api/v1/mapa/descarga", params=params | {"formato": "csv-excel"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "_excel.csv" in r.headers["content-disposition"]
    assert r.content.startswith("\ufeff".encode())
    cabecera = r.content.decode("utf-8-sig").splitlines()[0]
    assert cabecera.split(";")[:2] == ["Código", "Nombre"]
    tabla = pd.read_csv(
        io.BytesIO(r.content),
        sep=";",
        decimal=",",
        dtype={"Código": str},
        encoding="utf-8-sig",
    ).set_index("Código")
    assert len(tabla) == len(d["unidades"]) == 339
    assert "010101" in tabla.index  # the INE code keeps its leading zero
    columna = d["etiqueta"]
    for codigo, u in d["unidades"].items():
        fila = tabla.loc[codigo]
        assert fila["Nombre"] == u["nombre"]
        if u["valor"] is None:
            assert pd.isna(fila[columna]) and fila["Clase"] == "Sin dato"
        else:
            assert float(fila[columna]) == pytest.approx(u["valor"], rel=1e-6)
            assert fila["Clase"] == d["clases"][u["clase"]]["etiqueta"]
    assert any("," in str(v) for v in r.content.decode("utf-8-sig").split(";"))  # decimal comma


def test_the_html_map_fits_the_data_speaks_spanish_and_says_its_filters(demo_client):
    import re

    params = {"nivel": "municipio", "medida": "familias", "unidad_operativa": "CHACO"}
    r = demo_client.get("/api/v1/mapa/descarga", params=params | {"formato": "html"})
    assert r.status_code == 200
    html = r.text
    assert '<html lang="es">' in html and "<title>Familias beneficiarias</title>" in html
    assert "Filtros: Unidad operativa: Chaco" in html
    assert re.search(r"situación al \d{2}/\d{2}/\d{4}", html)
    assert "Generado el " in html and "Datos SINTÉTICOS" in html
    # Fitted to the 16 Chaco municipalities (about 63° W, 18-22.3° S), not to all Bolivia.
    [limites] = re.findall(r"fitBounds\(\s*(\[\[[^\]]+\],\s*\[[^\]]+\]\]),\s*\{", html)
    (sur, oeste), (norte, este) = json.loads(limites)
    assert -22.95 < sur < -22.0 and -18.6 < norte < -17.5
    assert -65.0 < oeste < -64.0 and -60.0 < este < -58.5
    # Bolivian numbers: the legend as the JSON labels it, tooltips with their unit.
    d = demo_client.get("/api/v1/mapa/valores", params=params).json()
    for c in d["clases"]:
        assert c["etiqueta"] in html
    con_valor = [u for u in d["unidades"].values() if u["valor"]]
    assert f'"valor_texto": "{numero_es(con_valor[0]["valor"])} familias"' in html
    assert not re.search(r'<script[^>]+src="https?://', html)
