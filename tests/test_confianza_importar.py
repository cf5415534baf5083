"""Issue 13 ("Trust"), the import side: what an import answers must be true. A file without
data rows is refused, not reported as written; dates outside the program's life are refused
in files and forms alike; an office re-sending its unchanged master spreadsheet after national
coordination validated it gets "sin cambios", and only a real change to a validated alliance
is refused, naming its row and fields; an XLSX bomb is refused at once with flat memory; a
deeply nested Kobo ``_geolocation`` is a 422 naming row and column, and a NUL in the import's
program code one naming the field."""

from __future__ import annotations

import codecs
import io
import json
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import text

from geo.formatos.lectura import leer_tabla
from geo.plataforma.config import PROJECT_ROOT
from geo.plataforma.errors import EntradaInvalida
from geo.registro.alianzas import programa
from geo.registro.importacion import importar_alianzas
from tests.test_acceso import _paso
from tests.test_importacion import BUENAS, _csv, _importar
from tests.test_lectura import xlsx_crudo
from tests.test_registro_alianzas import alianza, errores

PROBLEMA = "application/problem+json"
HASTA = date.today() + timedelta(days=365)


def _cuantas(conn, tabla: str = "alianza") -> int:
    return conn.execute(text(f"SELECT count(*) FROM {tabla}")).scalar_one()  # noqa: S608


def _xlsx_solo_encabezado() -> bytes:
    libro = openpyxl.Workbook()
    hoja = libro.active
    assert hoja is not None
    hoja.append(["Código", "Nombre", "Sector", "Modelo", "Financiamiento"])
    salida = io.BytesIO()
    libro.save(salida)
    return salida.getvalue()


# --- hole 6: an import that would do nothing says so ----------------------------------------

ENCABEZADO = b"codigo;nombre;sector;modelo;financiamiento;municipio_codigo\r\n"


@pytest.mark.parametrize(
    ("nombre", "datos"),
    [
        ("solo_encabezado.csv", ENCABEZADO),
        ("encabezado_y_blancos.csv", ENCABEZADO + b"\r\n\r\n;;;;;\r\n   \r\n"),
        ("utf16be.csv", codecs.BOM_UTF16_BE + random.Random(13).randbytes(400)),
        ("solo_encabezado.xlsx", _xlsx_solo_encabezado()),
    ],
)
def test_a_file_without_data_rows_is_a_422_that_says_so_and_writes_nothing(
    client, conn, nombre, datos
):
    r = _importar(client, datos, nombre)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEMA
    problema = r.json()
    assert problema["type"] == "urn:sigg:problema:sin-filas"
    assert problema["detail"] == (
        "el archivo no tiene filas de datos debajo del encabezado (fila 1): no se importó nada"
    )
    assert _cuantas(conn) == 0


def test_the_shared_import_refuses_a_file_without_data_rows_for_the_command_line_too(conn):
    """``sigg etl importar`` calls this same function and prints the domain error."""
    with pytest.raises(EntradaInvalida) as error:
        importar_alianzas(
            conn,
            programa(conn, "PAR2"),
            leer_tabla(b"\n\ncodigo,nombre\n\n", "a.csv"),
            archivo="a.csv",
            tolerancia_m=50,
            usuario="cli:ana",
        )
    assert error.value.codigo == "sin-filas"
    assert "debajo del encabezado (fila 3)" in error.value.mensaje


FECHAS = (
    b"codigo;nombre;sector;modelo;financiamiento;municipio_codigo;fecha_solicitud;fecha_etapa\r\n"
    b"F-1;Miel;apicultura;1;adicional;060301;0001-01-01;\r\n"
    b"F-2;Miel;apicultura;1;adicional;060301;01/01/2000;10/05/2019\r\n"
    b"F-3;Miel;apicultura;1;adicional;060301;2019-05-10;15/03/2099\r\n"
    b"F-4;Miel;apicultura;1;adicional;060301;31/12/1999;\r\n"
)


def _fuera(fecha: str) -> str:
    return (
        f"fecha fuera del período del programa ({fecha}): debe estar entre 2000-01-01 y "
        f"{HASTA.isoformat()}"
    )


def test_imported_dates_outside_the_programs_life_are_refused_naming_row_and_column(client, conn):
    r = _importar(client, FECHAS)
    assert r.status_code == 422, r.text
    por_fila = {(e["fila"], e["columna"]): e["mensaje"] for e in r.json()["errores"]}
    assert por_fila == {
        (2, "fecha_solicitud"): _fuera("0001-01-01"),
        (4, "fecha_etapa"): _fuera("2099-03-15"),
        (5, "fecha_solicitud"): _fuera("1999-12-31"),
    }
    assert _cuantas(conn) == 0
    bien = FECHAS.splitlines(keepends=True)
    assert _importar(client, bien[0] + bien[2]).status_code == 200


def test_alliance_forms_refuse_dates_outside_the_programs_life(client):
    r = client.post("/api/v1/alianzas", json=alianza(fecha_solicitud="0001-01-01"))
    assert r.status_code == 422, r.text
    assert errores(r) == {"fecha_solicitud": _fuera("0001-01-01")}
    creada = client.post("/api/v1/alianzas", json=alianza(fecha_solicitud="2019-05-10"))
    assert creada.status_code == 201, creada.text
    futura = (HASTA + timedelta(days=1)).isoformat()
    r = client.patch(
        f"/api/v1/alianzas/{creada.json()['id']}",
        json={"etapa": "evaluacion_aprobada", "fecha_etapa": futura},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 422, r.text
    assert errores(r) == {"fecha_etapa": _fuera(futura)}


# --- hole 7: re-sending an unchanged master spreadsheet after validation -------------------


def _validar(client, conn) -> None:
    """National coordination verifies and validates every alliance, through the API."""
    for aid in conn.execute(text("SELECT id FROM alianza ORDER BY id")).scalars():
        for accion in ("verificar", "validar"):
            assert _paso(client, aid, accion).status_code == 200


def _versiones(conn) -> dict[str, tuple[int, str, int]]:
    filas = conn.execute(text("SELECT codigo, version, estado, familias FROM alianza")).all()
    return {c: (v, e, f) for c, v, e, f in filas}


def test_reimporting_an_unchanged_file_after_validation_is_sin_cambios_and_writes_nothing(
    client, conn
):
    assert _importar(client, _csv(BUENAS)).status_code == 200
    _validar(client, conn)
    antes, auditoria = _versiones(conn), _cuantas(conn, "auditoria")
    assert {e for _, e, _ in antes.values()} == {"validado"}

    r = _importar(client, _csv(BUENAS))

    assert r.status_code == 200, r.text
    informe = r.json()
    assert (informe["filas"], informe["insertadas"], informe["actualizadas"]) == (4, 0, 0)
    assert (informe["sin_cambios"], informe["escrito"], informe["errores"]) == (4, True, [])
    assert _versiones(conn) == antes
    assert _cuantas(conn, "auditoria") == auditoria


def test_a_real_change_to_a_validated_alliance_is_refused_naming_row_and_fields(client, conn):
    assert _importar(client, _csv(BUENAS)).status_code == 200
    _validar(client, conn)
    antes, auditoria = _versiones(conn), _cuantas(conn, "auditoria")
    cambiada = BUENAS[0].replace(";25;10;150.000,00;75.000,50;", ";26;10;150.000,00;80.000,00;")

    r = _importar(client, _csv([cambiada, *BUENAS[1:]]))

    assert r.status_code == 422, r.text
    motivo = "la alianza está validada: la coordinación nacional debe reabrirla antes de cambiarla"
    assert r.json()["errores"] == [
        {
            "fila": 2,
            "columna": "familias",
            "valor": "26",
            "mensaje": f"{motivo} (cambiaría 25 → 26)",
            "codigo": "CH-001",
        },
        {
            "fila": 2,
            "columna": "monto_transferido_bs",
            "valor": "80.000,00",
            "mensaje": f"{motivo} (cambiaría 75000.50 → 80000.00)",
            "codigo": "CH-001",
        },
    ]
    assert r.json()["escrito"] is False
    assert _versiones(conn) == antes
    assert _cuantas(conn, "auditoria") == auditoria


def test_a_trusted_import_changing_a_validated_row_is_refused_in_the_report(client, conn):
    """The command line passes no scope: the database's guard would refuse the UPDATE with an
    exception; the importer names the row and field first."""
    assert _importar(client, _csv(BUENAS)).status_code == 200
    _validar(client, conn)
    cambiada = BUENAS[1].replace(";Riego Camiri;", ";Riego de Camiri;")
    informe = importar_alianzas(
        conn,
        programa(conn, "PAR2"),
        leer_tabla(_csv([cambiada]), "a.csv"),
        archivo="a.csv",
        tolerancia_m=50,
        usuario="cli:ana",
    )
    assert [(e["fila"], e["columna"], e["codigo"]) for e in informe.errores] == [
        (2, "nombre_de_la_alianza", "CH-002")
    ]
    assert informe.errores[0]["mensaje"].endswith("(cambiaría Riego Camiri → Riego de Camiri)")
    assert informe.escrito is False


def test_a_technician_resending_verified_rows_unchanged_is_sin_cambios_but_a_change_is_refused(
    client, como, conn
):
    chaco = BUENAS[:2]  # CH-001 (Yacuiba) and CH-002 (Camiri), both of the Chaco unit
    assert _importar(client, _csv(chaco)).status_code == 200
    for aid in conn.execute(text("SELECT id FROM alianza")).scalars():
        assert _paso(client, aid, "verificar").status_code == 200
    tecnico = como("tecnico", "CHACO")

    igual = _importar(tecnico, _csv(chaco))
    assert igual.status_code == 200, igual.text
    assert (igual.json()["sin_cambios"], igual.json()["actualizadas"]) == (2, 0)

    cambiada = chaco[1].replace(";40;12;", ";41;12;")
    r = _importar(tecnico, _csv([chaco[0], cambiada]))
    assert r.status_code == 422, r.text
    assert [(e["fila"], e["columna"], e["mensaje"]) for e in r.json()["errores"]] == [
        (
            3,
            "familias",
            "la alianza ya fue verificada: un técnico cambia solo borradores (cambiaría 40 → 41)",
        )
    ]
    assert {e for _, e, _ in _versiones(conn).values()} == {"verificado"}


# --- hole 8: an XLSX bomb is refused before the work ---------------------------------------

# Run in a process of its own, whose memory is the reading's alone: the peak resident size
# after reading (VmHWM, in KB, counted from exec) less the resident size just before it, an
# upper bound on what reading needed.
MEDIR = """
import json, re, sys, time
from pathlib import Path
from geo.formatos.lectura import ErrorLectura, leer_tabla

def kb(campo):
    return int(re.search(campo + r":\\s+(\\d+) kB", Path("/proc/self/status").read_text())[1])

datos = open(sys.argv[1], "rb").read()
antes = kb("VmRSS")
inicio = time.perf_counter()
try:
    leer_tabla(datos, "bomba.xlsx")
    resultado = "leído"
except ErrorLectura as exc:
    resultado = str(exc)
segundos = time.perf_counter() - inicio
print(json.dumps({"s": segundos, "mb": (kb("VmHWM") - antes) / 1024, "resultado": resultado}))
"""


def _bomba_de_filas(filas: int) -> bytes:
    """A header and ``filas`` one-cell rows: 78 MB of sheet XML in under 200 KB of XLSX."""
    bloque = b"<row><c><v>1</v></c></row>" * 10_000
    encabezado = b'<row><c t="inlineStr"><is><t>codigo</t></is></c></row>'
    return xlsx_crudo([encabezado, *(bloque for _ in range(filas // 10_000))])


def _medir(datos: bytes, tmp_path: Path) -> dict[str, object]:
    archivo = tmp_path / "bomba.xlsx"
    archivo.write_bytes(datos)
    salida = subprocess.run(
        [sys.executable, "-c", MEDIR, str(archivo)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return dict(json.loads(salida.stdout))


def test_an_xlsx_expanding_to_three_million_rows_is_refused_at_once_with_flat_memory(
    client, conn, tmp_path
):
    bomba = _bomba_de_filas(3_000_000)
    assert len(bomba) < 300_000

    inicio = time.perf_counter()
    r = _importar(client, bomba, "bomba.xlsx")
    segundos = time.perf_counter() - inicio

    assert r.status_code == 422, r.text
    assert r.json()["detail"] == "el archivo tiene más de 100.000 filas de datos: divídalo"
    assert segundos < 2, f"refused after {segundos:.1f} s"
    medida = _medir(bomba, tmp_path)
    print(f"3,000,000-row bomb: refused in {medida['s']:.2f} s, peak +{medida['mb']:.1f} MB")
    assert medida["resultado"] == "el archivo tiene más de 100.000 filas de datos: divídalo"
    assert isinstance(medida["mb"], float) and medida["mb"] < 40
    assert _cuantas(conn) == 0


def test_an_xlsx_whose_single_cell_expands_to_160_mb_is_refused_before_it_is_read(tmp_path):
    celda = b"A" * (1 << 20)
    bomba = xlsx_crudo(
        [b'<row><c t="s"><v>0</v></c></row>'],
        compartidos=[b"<si><t>", *(celda for _ in range(160)), b"</t></si>"],
    )
    assert len(bomba) < 400_000

    medida = _medir(bomba, tmp_path)

    print(f"160 MB cell: refused in {medida['s']:.2f} s, peak +{medida['mb']:.1f} MB")
    assert medida["resultado"] == (
        "el XLSX ocupa 160 MB al descomprimirlo: el límite es 128 MB; divida el archivo"
    )
    assert isinstance(medida["s"], float) and medida["s"] < 2
    assert isinstance(medida["mb"], float) and medida["mb"] < 40


# --- hole 4, import side: nested JSON, NUL bytes ------------------------------------------


def test_a_deeply_nested_kobo_geolocation_is_a_422_naming_row_and_column(client, conn):
    anidado = "[" * 3000 + "]" * 3000
    datos = (
        "codigo,nombre,sector,modelo,financiamiento,_geolocation\n"
        'K-1,A,apicultura,1,adicional,"[-22.015, -63.677]"\n'
        f'K-2,B,apicultura,1,adicional,"{anidado}"\n'
    ).encode()

    r = _importar(client, datos, "kobo.csv")

    assert r.status_code == 422, r.text
    assert [(e["fila"], e["columna"], e["mensaje"]) for e in r.json()["errores"]] == [
        (3, "lon", "_geolocation anidado a más de 32 niveles")
    ]
    assert _cuantas(conn) == 0


def test_a_nul_byte_in_the_program_code_of_an_import_is_a_422(client):
    r = _importar(client, _csv(BUENAS), programa="PAR2\x00")
    assert r.status_code == 422, r.text
    assert r.json()["errores"][0]["campo"] == "programa"
