"""The territory load: real INE boundaries, validation before writing, idempotence."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon
from sqlalchemy import Connection, text

from etl.fuente_territorio import (
    FuenteTerritorio,
    MapeoCampos,
    ReglasTerritorio,
    fuente_por_defecto,
)
from etl.territorio import cargar_territorio
from geo.plataforma.config import Settings
from geo.plataforma.errors import ErrorCargaTerritorio
from geo.territorio.consultas import conteos


def _escalar(conn: Connection, sql: str, **params: object) -> object:
    return conn.execute(text(sql), params).scalar_one()


def _chaco_csv(settings: Settings) -> set[str]:
    with (settings.directorio_limites() / "chaco_municipios_16.csv").open() as fh:
        return {fila["cod_ine"] for fila in csv.DictReader(fh)}


def test_2012_cartography_has_339_municipalities_112_provinces_9_departments_10_units(conn):
    assert conteos(conn)["2012"] == {
        "departamentos": 9,
        "provincias": 112,
        "municipios": 339,
        "unidades_operativas": 10,
    }


def test_every_municipality_is_in_exactly_one_operational_unit_and_inside_its_shape(conn):
    fuera = _escalar(
        conn,
        """
        SELECT count(*) FROM municipio m
        LEFT JOIN unidad_operativa u ON u.cartografia = m.cartografia
             AND u.codigo = m.unidad_operativa_codigo
        WHERE m.cartografia = '2012'
          AND (u.codigo IS NULL OR NOT ST_Covers(u.geom, m.punto_interior))""",
    )
    assert fuera == 0
    # A municipality's interior point lies in exactly one unit's shape.
    multiples = _escalar(
        conn,
        """
        SELECT count(*) FROM (
            SELECT m.codigo FROM municipio m JOIN unidad_operativa u
              ON u.cartografia = m.cartografia AND ST_Covers(u.geom, m.punto_interior)
            WHERE m.cartografia = '2012' GROUP BY m.codigo HAVING count(*) <> 1) x""",
    )
    assert multiples == 0


def test_chaco_holds_exactly_the_16_listed_municipalities(conn, settings):
    codigos = set(
        conn.execute(
            text(
                "SELECT codigo FROM municipio WHERE cartografia = '2012' "
                "AND unidad_operativa_codigo = 'CHACO'"
            )
        ).scalars()
    )
    assert codigos == _chaco_csv(settings)
    assert codigos >= {
        "060301",
        "060302",
        "060303",
        "060601",
        "010501",
        "010502",
        "011001",
        "011002",
        "011003",
        "070701",
        "070707",
    }
    tarija = _escalar(
        conn,
        "SELECT count(*) FROM municipio WHERE cartografia = '2012' "
        "AND unidad_operativa_codigo = 'TJA'",
    )
    assert tarija == 11 - 4  # Tarija's unit keeps the department's municipalities outside Chaco


@pytest.mark.parametrize(
    ("departamento", "rural"),
    [("Beni", 113_318), ("Chuquisaca", 298_224), ("Pando", 56_605), ("Potosí", 491_681)],
)
def test_2012_rural_population_of_departments_matches_the_census(conn, departamento, rural):
    assert (
        _escalar(
            conn,
            "SELECT rural_2012 FROM departamento WHERE cartografia = '2012' AND nombre = :n",
            n=departamento,
        )
        == rural
    )


def test_population_and_area_add_up_across_levels(conn):
    sumas = conn.execute(
        text("""
        SELECT (SELECT sum(pob_2012) FROM municipio WHERE cartografia = '2012'),
               (SELECT sum(pob_2012) FROM provincia WHERE cartografia = '2012'),
               (SELECT sum(pob_2012) FROM departamento WHERE cartografia = '2012'),
               (SELECT sum(pob_2012) FROM unidad_operativa WHERE cartografia = '2012'),
               (SELECT sum(area_km2) FROM municipio WHERE cartografia = '2012'),
               (SELECT sum(area_km2) FROM unidad_operativa WHERE cartografia = '2012')""")
    ).one()
    assert sumas[0] == sumas[1] == sumas[2] == sumas[3] == 10_059_856  # CNPV 2012 national total
    assert sumas[4] == pytest.approx(sumas[5])
    assert 1_060_000 < sumas[4] < 1_075_000  # km² of the municipal polygons (lakes excluded)


def test_geometries_are_valid_multipolygons_in_4326_with_gist_indexes(conn):
    for tabla in ("municipio", "provincia", "departamento", "unidad_operativa"):
        tipos = conn.execute(
            text(
                f"SELECT DISTINCT GeometryType(geom), ST_SRID(geom), bool_and(ST_IsValid(geom)) "  # noqa: S608
                f"FROM {tabla} GROUP BY 1, 2"
            )
        ).all()
        assert tipos == [("MULTIPOLYGON", 4326, True)], tabla
        indice = _escalar(
            conn,
            "SELECT indexdef FROM pg_indexes WHERE tablename = :t AND indexname = :i",
            t=tabla,
            i=f"ix_{tabla}_geom",
        )
        assert "USING gist" in indice


def test_2024_cartography_is_a_separate_version_with_343_units(conn):
    assert conteos(conn)["2024"]["municipios"] == 343
    tioc = conn.execute(
        text(
            "SELECT codigo, codigo_2012, pob_2012 FROM municipio WHERE cartografia = '2024' "
            "AND codigo_2012 IS DISTINCT FROM codigo ORDER BY codigo"
        )
    ).all()
    assert [(c, p) for c, p, _ in tioc] == [
        ("031304", "031301"),
        ("050405", "050401"),
        ("051204", "051202"),
        ("080901", "080501"),
    ]
    # Unknown 2012 population of a TIOC stays unknown (NULL), and so does its unit's total.
    assert all(pob is None for _, _, pob in tioc)
    assert (
        _escalar(
            conn,
            "SELECT pob_2012 FROM unidad_operativa WHERE cartografia = '2024' AND codigo = 'BEN'",
        )
        is None
    )
    en_2012 = _escalar(
        conn, "SELECT count(*) FROM municipio WHERE cartografia = '2012' AND codigo = '031304'"
    )
    assert en_2012 == 0


def test_second_load_replaces_without_duplicating(conn, settings, reglas):
    antes = conn.execute(
        text("SELECT codigo, cargada_en FROM cartografia WHERE codigo = '2012'")
    ).one()
    conn.execute(text("UPDATE municipio SET nombre = 'cambiado' WHERE codigo = '010101'"))
    reporte = cargar_territorio(
        conn, fuente_por_defecto(settings.directorio_limites(), "2012"), reglas
    )
    assert reporte.municipios == 339
    assert conteos(conn)["2012"] == {
        "departamentos": 9,
        "provincias": 112,
        "municipios": 339,
        "unidades_operativas": 10,
    }
    assert (
        _escalar(
            conn, "SELECT nombre FROM municipio WHERE cartografia = '2012' AND codigo = '010101'"
        )
        == "Sucre"
    )
    assert _escalar(conn, "SELECT count(*) FROM cuerpo_agua WHERE cartografia = '2012'") == 7
    assert _escalar(conn, "SELECT cargada_en FROM cartografia WHERE codigo = '2012'") >= antes[1]


def _municipios(settings: Settings) -> gpd.GeoDataFrame:
    return gpd.read_file(settings.directorio_limites() / "bol_municipios_2012_339.geojson")


def _cargar_archivo(conn, reglas, path: Path, version: str = "2012", **kwargs):
    fuente = FuenteTerritorio(cartografia=version, descripcion="prueba", municipios=path, **kwargs)
    return cargar_territorio(conn, fuente, reglas)


def test_failed_validation_names_every_problem_and_writes_nothing(conn, settings, reglas, tmp_path):
    gdf = _municipios(settings)
    gdf.loc[gdf["cod_ine"] == "010102", "cod_ine"] = "010101"  # duplicate Sucre's code
    gdf = gdf[gdf["cod_ine"] != "090101"]  # drop Cobija: Pando has 14 instead of 15
    path = tmp_path / "malo.geojson"
    gdf.to_file(path)
    conn.execute(text("UPDATE municipio SET nombre = 'sin tocar' WHERE codigo = '020101'"))
    with pytest.raises(ErrorCargaTerritorio) as err:
        _cargar_archivo(conn, reglas, path)
    mensajes = " | ".join(err.value.errores)
    assert "código 010101 repetido (Sucre, Yotala)" in mensajes
    assert (
        "departamento 09: se esperaban 15 municipios y 5 provincias, el archivo trae 14" in mensajes
    )
    assert (
        _escalar(
            conn, "SELECT nombre FROM municipio WHERE codigo = '020101' AND cartografia = '2012'"
        )
        == "sin tocar"
    )
    assert conteos(conn)["2012"]["municipios"] == 339


def test_office_shapefile_in_utm_with_its_own_field_names_loads_through_a_mapping(
    conn, settings, reglas, tmp_path
):
    gdf = _municipios(settings)
    oficina = gpd.GeoDataFrame(
        {
            "COD_MUN": gdf["cod_ine"].astype(int),  # a DBF drops the leading zero: 20101
            "NOM_MUN": gdf["municipio"],
            "NOM_PROV": gdf["provincia"],
            "NOM_DEP": gdf["departamento"],
            "POB2012": gdf["pob_2012"],
            "RURAL2012": gdf["rural_2012"],
        },
        geometry=gdf.geometry,
        crs=4326,
    ).to_crs(32720)
    path = tmp_path / "limites_oficina.shp"
    oficina.to_file(path, engine="pyogrio")
    mapeo = MapeoCampos().con(
        [
            "codigo=COD_MUN",
            "nombre=NOM_MUN",
            "provincia_codigo=",
            "provincia_nombre=NOM_PROV",
            "departamento_codigo=",
            "departamento_nombre=NOM_DEP",
            "pob_2012=POB2012",
            "urbana_2012=",
            "rural_2012=RURAL2012",
            "pob_2024=",
        ]
    )
    reporte = _cargar_archivo(conn, reglas, path, version="oficina", mapeo=mapeo)
    assert (reporte.municipios, reporte.provincias, reporte.unidades_operativas) == (339, 112, 10)
    assert "32720" in (reporte.reproyectado_desde or "")
    assert "020101" in reporte.codigos_completados
    fila = conn.execute(
        text(
            "SELECT nombre, unidad_operativa_codigo, pob_2012, pob_2024, "
            "ST_Covers(geom, ST_SetSRID(ST_MakePoint(-68.1336, -16.4957), 4326)) FROM municipio "
            "WHERE cartografia = 'oficina' AND codigo = '020101'"
        )
    ).one()
    assert fila == ("Nuestra Señora de La Paz", "LPZ", 2012 and fila[2], None, True)
    assert fila[2] == int(gdf.loc[gdf["cod_ine"] == "020101", "pob_2012"].iloc[0])
    # A field that is not mapped is unknown at every level, not zero.
    assert (
        _escalar(
            conn,
            "SELECT pob_2024 FROM departamento WHERE cartografia = 'oficina' AND codigo = '02'",
        )
        is None
    )
    assert conteos(conn)["2012"]["municipios"] == 339  # the program's version is untouched


def test_invalid_geometry_is_repaired_with_make_valid_and_reported(
    conn, settings, reglas, tmp_path
):
    gdf = _municipios(settings)
    fila = gdf["cod_ine"] == "010102"
    x0, y0, x1, y1 = gdf.loc[fila].geometry.iloc[0].bounds
    gdf.loc[fila, "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])  # a bow tie
    path = tmp_path / "corbata.gpkg"
    gdf.to_file(path, layer="municipios", engine="pyogrio")
    reporte = _cargar_archivo(conn, reglas, path, version="prueba", capa="municipios")
    assert [r["codigo"] for r in reporte.reparadas] == ["010102"]
    assert "Self-intersection" in reporte.reparadas[0]["motivo"]
    partes = _escalar(
        conn,
        "SELECT ST_NumGeometries(geom) FROM municipio "
        "WHERE cartografia = 'prueba' AND codigo = '010102'",
    )
    assert partes == 2  # the two triangles of the bow tie


def test_file_without_a_crs_is_refused(conn, settings, reglas, tmp_path):
    gdf = _municipios(settings).head(3)[["cod_ine", "municipio", "geometry"]]
    path = tmp_path / "sin_prj.shp"
    gdf.set_crs(None, allow_override=True).to_file(path, engine="pyogrio")
    with pytest.raises(ErrorCargaTerritorio, match="no declara su sistema de referencia"):
        _cargar_archivo(conn, reglas, path)


def test_missing_mapped_field_lists_the_fields_the_file_has(conn, settings, reglas, tmp_path):
    path = tmp_path / "campos.geojson"
    _municipios(settings).rename(columns={"cod_ine": "CODIGO"}).to_file(path)
    with pytest.raises(ErrorCargaTerritorio, match=r"codigo=cod_ine.*CODIGO"):
        _cargar_archivo(conn, reglas, path)


def test_swapped_axes_are_caught_by_the_extent_check(conn, settings, reglas, tmp_path):
    import shapely

    gdf = _municipios(settings)
    gdf["geometry"] = shapely.transform(gdf.geometry.values, lambda xy: xy[:, ::-1])
    path = tmp_path / "invertido.geojson"
    gdf.to_file(path)
    with pytest.raises(ErrorCargaTerritorio, match="coordenadas invertidas"):
        _cargar_archivo(conn, reglas, path)


def test_membership_rules_refuse_unknown_units_and_municipalities(conn, settings, reglas):
    malas = ReglasTerritorio(
        reglas.unidades,
        reglas.asignaciones | {"999999": "CHACO", "020101": "NORTE"},
        reglas.conteos,
    )
    with pytest.raises(ErrorCargaTerritorio) as err:
        cargar_territorio(conn, fuente_por_defecto(settings.directorio_limites(), "2012"), malas)
    assert any("unidad 'NORTE'" in e for e in err.value.errores)
    assert any("999999 no está en el archivo" in e for e in err.value.errores)


def test_membership_is_read_from_the_project_csv_and_changes_without_code(conn, settings, reglas):
    otra = ReglasTerritorio(
        reglas.unidades,
        {k: v for k, v in reglas.asignaciones.items() if k != "060601"},
        reglas.conteos,
    )
    cargar_territorio(conn, fuente_por_defecto(settings.directorio_limites(), "2012"), otra)
    assert (
        _escalar(
            conn,
            "SELECT unidad_operativa_codigo FROM municipio "
            "WHERE cartografia = '2012' AND codigo = '060601'",
        )
        == "TJA"
    )
    assert (
        _escalar(
            conn,
            "SELECT count(*) FROM municipio WHERE cartografia = '2012' "
            "AND unidad_operativa_codigo = 'CHACO'",
        )
        == 15
    )
