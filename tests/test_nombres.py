"""Municipality and province names (issue 16): the INE file's wrong capitals and accents are
corrected by data/municipios/nombres_corregidos.csv when the territory is loaded; codes never
change, the source's spelling is kept in ``nombre_fuente`` and found by the search too."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from etl.fuente_territorio import ReglasTerritorio, fuente_por_defecto
from etl.territorio import cargar_territorio
from geo.plataforma.config import PROJECT_ROOT, Settings
from geo.plataforma.errors import ErrorCargaTerritorio

TABLA = PROJECT_ROOT / "data" / "municipios" / "nombres_corregidos.csv"
# A function word written with a capital inside a name ("Santiago De Huata"); "La Paz" is a
# proper name and keeps its capital.
MAYUSCULA_INTERNA = re.compile(r"(?<=[\w)] )(De|Del|La(?! Paz)|Los|Las|Y)\b")


def _tabla() -> list[dict[str, str]]:
    with TABLA.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _nombres(conn: Connection, tabla: str, cartografia: str) -> dict[str, tuple[str, str]]:
    filas = conn.execute(
        text(f"SELECT codigo, nombre, nombre_fuente FROM {tabla} WHERE cartografia = :v"),  # noqa: S608
        {"v": cartografia},
    )
    return {c: (n, f) for c, n, f in filas}


def test_the_table_documents_each_correction_with_its_reason_and_a_real_change():
    filas = _tabla()
    assert len(filas) == 31  # 27 municipalities (26 in 2012, one more in 2024), 4 provinces
    for f in filas:
        assert f["razon"].strip(), f
        assert f["nombre_ine"] != f["nombre_corregido"], f
        # Only capitals and the two accents the 2012 INE names confirm change: never a code,
        # never a whole word.
        assert len(f["nombre_ine"].split()) == len(f["nombre_corregido"].split()), f


@pytest.mark.parametrize("cartografia,municipios", [("2012", 26), ("2024", 27)])
def test_the_load_applies_every_correction_and_keeps_the_source_name(conn, cartografia, municipios):
    nombres = _nombres(conn, "municipio", cartografia)
    corregidos = {c: (n, f) for c, (n, f) in nombres.items() if n != f}
    esperados = {
        f["codigo"]: (f["nombre_corregido"], f["nombre_ine"])
        for f in _tabla()
        if f["codigo"] in nombres
    }
    assert corregidos == esperados
    assert len(corregidos) == municipios
    assert nombres["071501"] == ("Ascensión de Guarayos", "Ascención De Guarayos")
    assert nombres["071104"] == ("San Antonio de Lomerío", "San Antonio De Lomerio")
    assert nombres["070101"][0] == "Santa Cruz de la Sierra"
    assert nombres["020101"][0] == "Nuestra Señora de La Paz"
    assert nombres["060301"] == ("Yacuiba", "Yacuiba")  # not in the table: as the file has it


def test_no_name_is_left_with_a_capital_function_word(conn):
    for tabla in ("municipio", "provincia"):
        for cartografia in ("2012", "2024"):
            malos = [
                n
                for n, _ in _nombres(conn, tabla, cartografia).values()
                if MAYUSCULA_INTERNA.search(n)
            ]
            assert malos == [], (tabla, cartografia)


def test_provinces_are_corrected_and_keep_their_source_name(conn):
    provincias = _nombres(conn, "provincia", "2012")
    assert provincias["0711"] == ("Ñuflo de Chávez", "Ñuflo De Chávez")
    assert provincias["0903"] == ("Madre de Dios", "Madre De Dios")
    assert sum(n != f for n, f in provincias.values()) == 4


def test_codes_never_change_and_the_load_reports_what_it_corrected(conn):
    reporte = conn.execute(
        text("SELECT reporte FROM cartografia WHERE codigo = '2012'")
    ).scalar_one()
    tabla = {f["codigo"] for f in _tabla()}
    assert set(reporte["nombres_corregidos"]) == tabla - {"050405"}  # 050405 is 2024 only
    assert not any("nombres_corregidos" in a for a in reporte["avisos"])
    codigos = set(_nombres(conn, "municipio", "2012"))
    assert len(codigos) == 339 and {c for c in tabla if len(c) == 6} - {"050405"} <= codigos


def test_a_correction_written_for_another_spelling_is_not_applied_and_is_reported(
    conn, settings: Settings, reglas: ReglasTerritorio
):
    otras = ReglasTerritorio(
        reglas.unidades,
        reglas.asignaciones,
        reglas.conteos,
        {"071501": ("Ascension De Guarayos", "Otro Nombre"), "060301": ("Yacuiba", "Yacuíba")},
    )
    reporte = cargar_territorio(
        conn, fuente_por_defecto(settings.directorio_limites(), "2012"), otras
    )
    nombres = _nombres(conn, "municipio", "2012")
    assert nombres["071501"] == ("Ascención De Guarayos", "Ascención De Guarayos")
    assert nombres["060301"] == ("Yacuíba", "Yacuiba")
    assert reporte.nombres_corregidos == ["060301"]
    assert any("071501" in a and "no aplicada" in a for a in reporte.avisos)


def _directorio_con(tmp_path: Path, filas: str) -> Path:
    for archivo in TABLA.parent.glob("*.csv"):
        shutil.copy(archivo, tmp_path / archivo.name)
    (tmp_path / TABLA.name).write_text(
        "codigo,nombre_ine,nombre_corregido,razon\n" + filas, encoding="utf-8"
    )
    return tmp_path


@pytest.mark.parametrize(
    "filas,mensaje",
    [
        ("71501,A De B,A de B,x\n", "fila 2: código '71501'"),
        ("071501,,A de B,x\n", "fila 2: falta nombre_ine"),
        ("071501,A De B,A de B,x\n071501,A De B,A de B,y\n", "071501 aparece más de una vez"),
    ],
)
def test_a_malformed_table_is_refused_naming_the_row(tmp_path, filas, mensaje):
    with pytest.raises(ErrorCargaTerritorio) as err:
        ReglasTerritorio.desde_directorio(_directorio_con(tmp_path, filas))
    assert any(mensaje in e for e in err.value.errores), err.value.errores


@pytest.mark.parametrize(
    "q,codigo",
    [
        ("Ascensión de Guarayos", "071501"),
        ("Ascención De Guarayos", "071501"),  # the INE file's spelling
        ("ascencion", "071501"),
        ("san antonio de lomerio", "071104"),
        ("Santa Cruz de la Sierra", "070101"),
    ],
)
def test_the_search_finds_a_corrected_place_by_either_spelling(publico, q, codigo):
    r = publico.get("/api/v1/buscar", params={"q": q})
    assert r.status_code == 200, r.text
    primero = r.json()["lugares"][0]
    assert (primero["nivel"], primero["codigo"]) == ("municipio", codigo)
    # What is shown is always the corrected name, whichever spelling was typed.
    assert not MAYUSCULA_INTERNA.search(primero["nombre"]) and "Ascención" not in primero["nombre"]


def test_a_corrected_place_reads_with_its_corrected_province(publico):
    r = publico.get("/api/v1/buscar", params={"q": "lomerío"})
    [lomerio] = [x for x in r.json()["lugares"] if x["codigo"] == "071104"]
    assert lomerio["nombre"] == "San Antonio de Lomerío"
    assert lomerio["contexto"].startswith("Ñuflo de Chávez · Santa Cruz")
