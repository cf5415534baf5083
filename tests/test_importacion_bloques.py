"""An import goes through its file in blocks (geo/registro/importacion.py: converted, validated,
located, staged, compared and written a block at a time, until a row is wrong). With
blocks of two rows, a file of several blocks must answer exactly as one block would: a code
repeated far apart is still named with its first row, a refused change names its own row, the
rows are written in the file's order, a re-import changes nothing, and a wrong row anywhere
writes nothing. A value repeated down the file is parsed once but refused on every row."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, text

from geo.acceso.alcance import Alcance
from geo.formatos.lectura import leer_tabla
from geo.registro import importacion
from geo.registro.alianzas import programa
from geo.registro.importacion import Informe, importar_alianzas

ENCABEZADO = "codigo,nombre,sector,modelo,financiamiento,etapa,familias,familias_mujeres,lat,lon"
PUNTO = "-22.015,-63.677"  # Yacuiba (Chaco), well inside its municipality
TOL = 50.0


def _fila(codigo: str, familias: str = "12", etapa: str = "solicitud") -> str:
    return f"{codigo},Alianza {codigo},apicultura,1,adicional,{etapa},{familias},5,{PUNTO}"


def _importar(conn: Connection, filas: list[str], **opciones: Any) -> Informe:
    datos = ("\n".join([ENCABEZADO, *filas]) + "\n").encode()
    return importar_alianzas(
        conn,
        programa(conn, "PAR2"),
        leer_tabla(datos, "alianzas.csv"),
        archivo="alianzas.csv",
        tolerancia_m=TOL,
        **opciones,
    )


def _codigos_por_id(conn: Connection) -> list[str]:
    return list(conn.execute(text("SELECT codigo FROM alianza ORDER BY id")).scalars())


@pytest.fixture(autouse=True)
def bloques_de_dos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importacion, "BLOQUE", 2)


def test_a_file_of_many_blocks_is_written_in_its_order_and_a_reimport_changes_nothing(conn):
    filas = [_fila(f"BQ-{i:02d}") for i in (5, 3, 9, 1, 7, 2, 8)]

    informe = _importar(conn, filas)

    assert informe.errores == []
    assert (informe.insertadas, informe.actualizadas, informe.escrito) == (7, 0, True)
    assert _codigos_por_id(conn) == [f.split(",")[0] for f in filas]
    otra = _importar(conn, filas)
    assert (otra.insertadas, otra.actualizadas, otra.sin_cambios) == (0, 0, 7)


def test_codes_that_differ_only_in_case_blocks_apart_are_two_alliances_in_file_order(conn):
    filas = [_fila("BQ-01"), *(_fila(f"BQ-1{i}") for i in range(4)), _fila("bq-01")]

    informe = _importar(conn, filas)

    assert (informe.errores, informe.insertadas) == ([], 6)
    assert _codigos_por_id(conn) == [f.split(",")[0] for f in filas]


def test_a_code_repeated_exactly_blocks_apart_is_refused_naming_both_rows(conn):
    filas = [_fila("BQ-01"), *(_fila(f"BQ-1{i}") for i in range(4)), _fila("BQ-01")]

    informe = _importar(conn, filas)

    assert [(e["fila"], e["columna"], e["mensaje"]) for e in informe.errores] == [
        (7, "codigo", "código BQ-01 repetido (también en la fila 2)")
    ]
    assert (informe.escrito, informe.insertadas) == (False, 0)
    assert _codigos_por_id(conn) == []


def test_one_bad_row_in_the_last_block_writes_nothing_of_the_earlier_blocks(conn):
    filas = [*(_fila(f"BQ-{i:02d}") for i in range(6)), _fila("BQ-99", familias="doce")]

    informe = _importar(conn, filas)

    assert [(e["fila"], e["columna"]) for e in informe.errores] == [(8, "familias")]
    assert informe.escrito is False
    assert _codigos_por_id(conn) == []
    assert conn.execute(text("SELECT count(*) FROM auditoria")).scalar_one() == 0


def test_a_value_repeated_down_the_file_is_refused_on_every_row_that_holds_it(conn):
    filas = [_fila(f"BQ-{i:02d}", familias='"12,5"') for i in range(5)]

    informe = _importar(conn, filas)

    assert [(e["fila"], e["columna"], e["mensaje"]) for e in informe.errores] == [
        (n, "familias", "debe ser un número entero: '12,5'") for n in range(2, 7)
    ]


def test_a_refused_change_in_a_later_block_names_its_own_row(conn):
    filas = [_fila(f"BQ-{i:02d}") for i in range(6)]
    assert _importar(conn, filas).insertadas == 6
    conn.execute(text("UPDATE alianza SET estado = 'verificado' WHERE codigo = 'BQ-04'"))
    filas[4] = _fila("BQ-04", familias="30")

    informe = _importar(conn, filas, alcance=Alcance("tecnico.chaco", "tecnico", "CHACO"))

    assert [(e["fila"], e["columna"], e["codigo"]) for e in informe.errores] == [
        (6, "familias", "BQ-04")
    ]
    assert "un técnico cambia solo borradores (cambiaría 12 → 30)" in informe.errores[0]["mensaje"]
    assert (
        conn.execute(text("SELECT familias FROM alianza WHERE codigo = 'BQ-04'")).scalar_one() == 12
    )


def test_after_a_bad_row_the_later_blocks_are_still_compared_and_nothing_is_written(conn):
    filas = [_fila(f"BQ-{i:02d}") for i in range(6)]
    assert _importar(conn, filas).insertadas == 6
    conn.execute(text("UPDATE alianza SET estado = 'verificado' WHERE codigo = 'BQ-05'"))
    antes = conn.execute(text("SELECT count(*) FROM auditoria")).scalar_one()
    # Block 1 is new and good (written), block 2 holds a bad row, block 3 a refused change,
    # block 4 a change a técnico may make.
    filas = [
        _fila("BQ-10"),
        _fila("BQ-11"),
        _fila("BQ-12", familias="doce"),
        _fila("BQ-13"),
        _fila("BQ-05", familias="30"),
        _fila("BQ-14"),
        _fila("BQ-00", familias="31"),
    ]

    informe = _importar(conn, filas, alcance=Alcance("tecnico.chaco", "tecnico", "CHACO"))

    assert [(e["fila"], e["columna"], e["codigo"]) for e in informe.errores] == [
        (4, "familias", "BQ-12"),
        (6, "familias", "BQ-05"),
    ]
    assert (informe.escrito, informe.insertadas, informe.actualizadas) == (False, 0, 0)
    assert _codigos_por_id(conn) == [f"BQ-{i:02d}" for i in range(6)]  # block 1 rolled back
    familias = "SELECT familias FROM alianza WHERE codigo IN ('BQ-00', 'BQ-05') ORDER BY codigo"
    assert list(conn.execute(text(familias)).scalars()) == [12, 12]
    assert conn.execute(text("SELECT count(*) FROM auditoria")).scalar_one() == antes
