"""An import job's file read as a stream (issue 17, "Imports that scale and never block"): a
CSV on disk is read a row at a time, as the whole-file reader would read it, and the import
makes its blocks as the rows arrive, so that memory does not grow with the file; the report of
a file of several blocks lists exactly its bad rows, with what each holds, and at most as many
as it is told (saying how many there are)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from geo.formatos.lectura import CsvEnDisco, ErrorLectura, Fila, Tabla, leer_tabla
from geo.registro import importacion
from geo.registro.alianzas import programa
from geo.registro.importacion import BLOQUE, Informe, importar_alianzas, por_codigo

ENCABEZADO = "codigo,nombre,sector,modelo,financiamiento,familias,familias_mujeres,lat,lon"
PUNTO = "-22.015,-63.677"  # Yacuiba (Chaco), well inside its municipality


def _fila(i: int, familias: str = "12", mujeres: str = "5", codigo: str | None = None) -> str:
    codigo = codigo or f"FL-{i:06d}"
    return f"{codigo},Alianza {i},apicultura,1,adicional,{familias},{mujeres},{PUNTO}"


def _escribir(ruta: Path, filas: list[str]) -> Path:
    ruta.write_text("\n".join([ENCABEZADO, *filas]) + "\n", encoding="utf-8")
    return ruta


def _importar(conn: Connection, ruta: Path, **opciones: object) -> Informe:
    return importar_alianzas(
        conn,
        programa(conn, "PAR2"),
        CsvEnDisco(ruta),
        archivo=ruta.name,
        tolerancia_m=50.0,
        **opciones,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("codificacion", ["cp1252", "utf-8-sig", "utf-16"])
def test_a_csv_streamed_from_disk_reads_exactly_as_the_whole_file_reader(tmp_path, codificacion):
    texto = (
        "\r\n"
        "Código;Nombre de la alianza;Familias\r\n"
        "A-1;Asociación Ñandú;12\r\n"
        "\r\n"
        'A-2;"Dos\r\nlíneas";  7 \r\n'
        "A-3;;\r\n"
    )
    datos = texto.encode(codificacion)
    ruta = tmp_path / "a.csv"
    ruta.write_bytes(datos)

    flujo = CsvEnDisco(ruta)
    tabla = leer_tabla(datos, "a.csv")

    assert (
        (flujo.columnas, flujo.encabezado)
        == (tabla.columnas, tabla.encabezado)
        == (
            ["codigo", "nombre_de_la_alianza", "familias"],
            2,
        )
    )
    assert list(flujo.recorrer()) == tabla.filas
    assert [f.numero for f in tabla.filas] == [3, 5, 6]  # records, as the sheet numbers them
    assert list(flujo.recorrer()) == tabla.filas  # read again from the start


def test_the_stream_reader_gives_rows_before_reading_the_rest_of_the_file(tmp_path):
    # A whole-file reader refuses this file at once: its last row has an open quote.
    ruta = _escribir(tmp_path / "a.csv", [*(_fila(i) for i in range(30_000)), 'X,"abierta'])

    filas = CsvEnDisco(ruta).recorrer()

    assert next(filas) == Fila(
        2, dict(zip(ENCABEZADO.split(","), _fila(0).split(","), strict=True))
    )
    with pytest.raises(ErrorLectura, match="mal formado cerca de la fila 30002"):
        list(filas)
    with pytest.raises(ErrorLectura, match="mal formado"):
        leer_tabla(ruta.read_bytes(), "a.csv")


def test_blocks_are_made_as_the_rows_arrive_never_from_the_whole_file():
    def filas() -> Iterator[Fila]:
        for i in range(BLOQUE):
            yield Fila(i + 2, {"codigo": f"C-{i}"})
        raise AssertionError("the reader was asked for a row past the first block")

    bloques = por_codigo(filas(), "codigo", frozenset())

    primero = next(bloques)
    assert [f.numero for f in primero] == list(range(2, BLOQUE + 2))


def test_rows_of_a_repeated_code_are_held_back_into_one_last_block():
    filas = [Fila(n, {"codigo": c}) for n, c in enumerate(["A", "B", " A", "C", "D"], start=2)]
    repetidos = frozenset({hash("A")})

    bloques = list(por_codigo(iter(filas), "codigo", repetidos))

    assert [[f.numero for f in b] for b in bloques] == [[3, 5, 6], [2, 4]]


def test_the_first_pass_counts_the_rows_and_finds_the_repeated_codes():
    filas = [Fila(n, {"codigo": c}) for n, c in enumerate(["A", "B", "A ", None, "B", "C"], 2)]

    cuantas, repetidos = importacion._contar(Tabla(["codigo"], filas), "codigo", None)

    assert cuantas == 6
    assert repetidos == {hash("A"), hash("B")}


def test_a_big_file_with_a_few_bad_rows_reports_exactly_those_rows(conn, tmp_path):
    filas = [_fila(i) for i in range(25_000)]
    filas[1] = _fila(1, familias="doce")  # file row 3
    filas[12_343] = _fila(12_343, familias="10", mujeres="12")  # row 12,345
    filas[19_998] = _fila(19_998, codigo="FL-000003")  # row 20,000 repeats row 5's code
    ruta = _escribir(tmp_path / "grande.csv", filas)

    informe = _importar(conn, ruta)

    assert informe.filas == 25_000
    assert [(e["fila"], e["columna"], e["valor"], e["codigo"]) for e in informe.errores] == [
        (3, "familias", "doce", "FL-000001"),
        (12_345, "familias_mujeres", "12", "FL-012343"),
        (20_000, "codigo", "FL-000003", "FL-000003"),
    ]
    assert informe.errores[2]["mensaje"] == "código FL-000003 repetido (también en la fila 5)"
    assert informe.escrito is False
    assert conn.execute(text("SELECT count(*) FROM alianza")).scalar_one() == 0


def test_a_report_past_its_limit_lists_the_first_errors_and_says_how_many(conn, tmp_path):
    filas = [_fila(i, familias="doce" if i % 2 else "12") for i in range(10)]
    ruta = _escribir(tmp_path / "malas.csv", filas)

    informe = _importar(conn, ruta, max_errores=3)

    assert [e["fila"] for e in informe.errores] == [3, 5, 7]
    assert "el archivo tiene 5 errores: el informe muestra 3" in " ".join(informe.avisos)


def test_blocks_are_read_one_ahead_on_a_worker_thread_in_order_and_its_errors_reach_the_import():
    hilos: list[str] = []
    pedidos: list[int] = []

    def bloques() -> Iterator[int]:
        for i in range(5):
            pedidos.append(i)
            hilos.append(threading.current_thread().name)
            if i == 3:
                raise ErrorLectura("fila 4: comillas sin cerrar")
            yield i

    vistos: list[tuple[int, list[int]]] = []
    with pytest.raises(ErrorLectura, match="comillas sin cerrar"):
        for i in importacion._por_delante(bloques()):
            hasta = time.monotonic() + 5
            while len(pedidos) < i + 2 and time.monotonic() < hasta:
                time.sleep(0.01)  # the next block is read while this one is worked on
            time.sleep(0.05)  # ... and no further one
            vistos.append((i, list(pedidos)))
    # Each block was worked on while the next one was read, never more than one ahead, all on
    # the worker thread; the reading error is raised in the import's own thread, in its turn.
    assert vistos == [(0, [0, 1]), (1, [0, 1, 2]), (2, [0, 1, 2, 3])]
    assert set(hilos) != {threading.current_thread().name}
    assert all(h.startswith("sigg-importacion") for h in hilos)


def test_an_import_runs_without_jit_and_leaves_the_setting_after_its_transaction(conn, tmp_path):
    antes = conn.execute(text("SELECT current_setting('jit')")).scalar_one()
    vista: list[str] = []
    original = importacion.validar_esquemas

    def espiar(c, *args, **kwargs):  # type: ignore[no-untyped-def]
        vista.append(c.execute(text("SELECT current_setting('jit')")).scalar_one())
        return original(c, *args, **kwargs)

    importacion.validar_esquemas = espiar  # type: ignore[assignment]
    try:
        informe = _importar(conn, _escribir(tmp_path / "a.csv", [_fila(1), _fila(2)]))
    finally:
        importacion.validar_esquemas = original  # type: ignore[assignment]
    assert (informe.insertadas, vista) == (2, ["off"])
    assert antes == "on"
