"""Reading uploaded CSV/XLSX files into rows, and parsing numbers, dates and coordinates."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from itertools import chain
from pathlib import Path

import openpyxl
import pytest

from geo.formatos import lectura
from geo.formatos.lectura import (
    ErrorLectura,
    coordenadas,
    leer_tabla,
    normalizar_encabezado,
    parse_decimal,
    parse_fecha,
)


def _xlsx(filas: list[list[object]], destino: Path) -> bytes:
    libro = openpyxl.Workbook()
    hoja = libro.active
    assert hoja is not None
    for fila in filas:
        hoja.append(fila)
    libro.save(destino)
    return destino.read_bytes()


_HOJA = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
_COMPARTIDOS = (
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)


def xlsx_crudo(filas: Iterable[bytes], compartidos: Iterable[bytes] | None = None) -> bytes:
    """An XLSX made the way a bomb is: openpyxl's own empty workbook with the ``<sheetData>``
    (and, if given, the shared texts) streamed in from ``filas``, deflated at level 9."""
    base = io.BytesIO()
    openpyxl.Workbook().save(base)
    salida = io.BytesIO()
    with (
        zipfile.ZipFile(base) as origen,
        zipfile.ZipFile(salida, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as destino,
    ):
        for entrada in origen.infolist():
            contenido = origen.read(entrada)
            if entrada.filename == "xl/worksheets/sheet1.xml":
                hoja = chain([_HOJA, b"<sheetData>"], filas, [b"</sheetData></worksheet>"])
                _escribir(destino, entrada.filename, hoja)
            elif entrada.filename == "[Content_Types].xml" and compartidos is not None:
                destino.writestr(entrada, contenido.decode().replace("</Types>", _COMPARTIDOS))
            else:
                destino.writestr(entrada, contenido)
        if compartidos is not None:
            sst = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            _escribir(destino, "xl/sharedStrings.xml", chain([sst], compartidos, [b"</sst>"]))
    return salida.getvalue()


def _escribir(destino: zipfile.ZipFile, nombre: str, partes: Iterable[bytes]) -> None:
    with destino.open(nombre, "w") as parte:
        for trozo in partes:
            parte.write(trozo)


# --- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texto", "esperado"),
    [
        ("Código INE", "codigo_ine"),
        ("Familias (mujeres)", "familias_mujeres"),
        ("Monto PAR comprometido (Bs)", "monto_par_comprometido_bs"),
        ("  Ñuflo de Chávez  ", "nuflo_de_chavez"),
        ("_geolocation", "_geolocation"),
        ("_GPS_latitude", "_gps_latitude"),
        ("grupo/ubicacion", "ubicacion"),
        ("group_x/_gps_latitude", "_gps_latitude"),
    ],
)
def test_normalizar_encabezado_quita_acentos_y_conserva_guion_bajo_de_kobo(
    texto: str, esperado: str
) -> None:
    assert normalizar_encabezado(texto) == esperado


# --- CSV -----------------------------------------------------------------------------------


def test_csv_cp1252_con_punto_y_coma_conserva_acentos_y_normaliza_encabezado(
    tmp_path: Path,
) -> None:
    contenido = "Departamento;Municipio;Provincia;Código INE\r\n"
    contenido += "Potosí;Uyuni;Antonio Quijarro;050301\r\n"
    contenido += "Santa Cruz;Macharetí;Ñuflo de Chávez;070801\r\n"
    archivo = tmp_path / "alianzas.csv"
    archivo.write_bytes(contenido.encode("cp1252"))

    tabla = leer_tabla(archivo.read_bytes(), "alianzas.CSV")

    assert tabla.columnas == ["departamento", "municipio", "provincia", "codigo_ine"]
    assert [f.valores["departamento"] for f in tabla.filas] == ["Potosí", "Santa Cruz"]
    assert tabla.filas[1].valores["municipio"] == "Macharetí"
    assert tabla.filas[1].valores["provincia"] == "Ñuflo de Chávez"
    assert tabla.filas[0].valores["codigo_ine"] == "050301"


def test_csv_punto_y_coma_con_comas_decimales_no_se_confunde_de_separador() -> None:
    datos = b"municipio;monto\nUyuni;1,5\nTupiza;2,5\nTarija;3,25\n"

    tabla = leer_tabla(datos, "montos.csv")

    assert tabla.columnas == ["municipio", "monto"]
    assert [f.valores["monto"] for f in tabla.filas] == ["1,5", "2,5", "3,25"]


def test_csv_irregular_que_el_sniffer_no_resuelve_usa_el_separador_del_encabezado() -> None:
    datos = b"municipio;monto;obs\nUyuni;1,5\nTupiza;2,5;x,y,z\nPotosi;1\n"

    tabla = leer_tabla(datos, "irregular.csv")

    assert tabla.columnas == ["municipio", "monto", "obs"]
    assert tabla.filas[1].valores == {"municipio": "Tupiza", "monto": "2,5", "obs": "x,y,z"}
    assert tabla.filas[2].valores == {"municipio": "Potosi", "monto": "1", "obs": None}


def test_texto_unicode_de_excel_utf16_tabulado() -> None:
    datos = "Municipio\tFamilias\r\nMacharetí\t40\r\n".encode("utf-16")

    tabla = leer_tabla(datos, "export.txt")

    assert tabla.filas[0].valores == {"municipio": "Macharetí", "familias": "40"}


def test_csv_utf8_con_bom_y_comas_acepta_campo_entrecomillado_con_punto_y_coma_y_salto() -> None:
    contenido = 'nombre,descripción,monto\n"Alianza A","leche; queso\ny yogur",100\nB,simple,200\n'
    datos = b"\xef\xbb\xbf" + contenido.encode("utf-8")

    tabla = leer_tabla(datos, "datos.csv")

    assert tabla.columnas == ["nombre", "descripcion", "monto"]
    assert tabla.filas[0].valores == {
        "nombre": "Alianza A",
        "descripcion": "leche; queso\ny yogur",
        "monto": "100",
    }
    assert tabla.filas[1].numero == 3
    assert tabla.filas[1].valores["monto"] == "200"


def test_csv_tabulado_en_txt() -> None:
    tabla = leer_tabla(b"a\tb\n1\t2\n", "export.txt")

    assert tabla.columnas == ["a", "b"]
    assert tabla.filas[0].valores == {"a": "1", "b": "2"}


def test_numeros_de_fila_coinciden_con_la_hoja_aunque_haya_lineas_vacias() -> None:
    datos = b"nombre,monto\nA,1\n\n,,\nB,2\n,\nC,3\n"

    tabla = leer_tabla(datos, "datos.csv")

    assert [(f.numero, f.valores["nombre"]) for f in tabla.filas] == [
        (2, "A"),
        (5, "B"),
        (7, "C"),
    ]


def test_celdas_se_recortan_y_las_vacias_son_none_y_filas_cortas_se_completan() -> None:
    tabla = leer_tabla(b"a,b,c\n  x  ,   ,\ny\n", "datos.csv")

    assert tabla.filas[0].valores == {"a": "x", "b": None, "c": None}
    assert tabla.filas[1].valores == {"a": "y", "b": None, "c": None}


def test_celdas_sobrantes_vacias_se_ignoran_y_con_valor_nombran_la_fila() -> None:
    tabla = leer_tabla(b"a,b\n1,2,,\n", "datos.csv")
    assert tabla.filas[0].valores == {"a": "1", "b": "2"}

    with pytest.raises(ErrorLectura, match=r"la fila 3 .*columna C"):
        leer_tabla(b"a,b\n1,2\n3,4,extra\n", "datos.csv")


def test_comillas_sin_cerrar_dan_error_de_lectura() -> None:
    with pytest.raises(ErrorLectura, match="mal formado"):
        leer_tabla(b'a,b\n1,"sin cerrar\n2,3\n', "datos.csv")


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_convierte_numeros_fechas_y_conserva_codigos_de_texto(tmp_path: Path) -> None:
    datos = _xlsx(
        [
            ["Código INE", "Familias", "Monto (Bs)", "Fecha firma", "Hora", "Activa", "Vacía"],
            ["060301", 25.0, 1234567.89, datetime(2026, 3, 15), None, True, None],
            ["070801", 12, 0.5, date(2026, 1, 2), datetime(2026, 3, 15, 10, 30), False, None],
        ],
        tmp_path / "alianzas.xlsx",
    )

    tabla = leer_tabla(datos, "alianzas.XLSX")

    assert tabla.columnas == [
        "codigo_ine", "familias", "monto_bs", "fecha_firma", "hora", "activa", "vacia",
    ]  # fmt: skip
    primera, segunda = tabla.filas
    assert primera.numero == 2
    assert primera.valores == {
        "codigo_ine": "060301",
        "familias": "25",
        "monto_bs": "1234567.89",
        "fecha_firma": "2026-03-15",
        "hora": None,
        "activa": "true",
        "vacia": None,
    }
    assert segunda.valores["monto_bs"] == "0.5"
    assert segunda.valores["fecha_firma"] == "2026-01-02"
    assert segunda.valores["hora"] == "2026-03-15T10:30:00"
    assert segunda.valores["activa"] == "false"


@pytest.mark.parametrize(
    ("valor", "esperado"),
    [(25.0, "25"), (0.5, "0.5"), (1234567.89, "1234567.89"), (-3.0, "-3"), (1e20, "1" + "0" * 20)],
)
def test_floats_de_excel_salen_sin_punto_cero_ni_exponente(valor: float, esperado: str) -> None:
    assert lectura._texto_celda(valor) == esperado


def test_xlsx_cuenta_filas_vacias_y_salta_encabezado_desplazado(tmp_path: Path) -> None:
    datos = _xlsx(
        [[None], ["nombre", "monto"], ["A", 1], [None, None], ["B", 2]],
        tmp_path / "hueco.xlsx",
    )

    tabla = leer_tabla(datos, "hueco.xlsx")

    assert [(f.numero, f.valores["nombre"]) for f in tabla.filas] == [(3, "A"), (5, "B")]


def test_xlsx_danado_da_error_de_lectura() -> None:
    with pytest.raises(ErrorLectura, match="XLSX"):
        leer_tabla(b"esto no es un zip", "datos.xlsx")


# --- whole-file errors ---------------------------------------------------------------------


@pytest.mark.parametrize("nombre", ["datos.xls", "datos.ods", "datos"])
def test_extension_no_soportada(nombre: str) -> None:
    with pytest.raises(ErrorLectura, match=r"formato no soportado: .* \(use CSV o XLSX\)"):
        leer_tabla(b"a,b\n1,2\n", nombre)


def test_extension_no_soportada_nombra_la_extension() -> None:
    with pytest.raises(ErrorLectura) as error:
        leer_tabla(b"a,b\n1,2\n", "datos.xls")
    assert str(error.value) == "formato no soportado: .xls (use CSV o XLSX)"


@pytest.mark.parametrize(
    ("datos", "nombre"),
    [(b"", "vacio.csv"), (b"\n\n ,\n", "vacio.csv"), (b"\xef\xbb\xbf", "v.csv"), (b"", "v.xlsx")],
)
def test_archivo_vacio(datos: bytes, nombre: str) -> None:
    with pytest.raises(ErrorLectura, match="el archivo está vacío"):
        leer_tabla(datos, nombre)


def test_xlsx_sin_celdas_es_vacio(tmp_path: Path) -> None:
    with pytest.raises(ErrorLectura, match="el archivo está vacío"):
        leer_tabla(_xlsx([], tmp_path / "vacio.xlsx"), "vacio.xlsx")


def test_encabezados_repetidos_tras_normalizar_se_nombran() -> None:
    with pytest.raises(ErrorLectura) as error:
        leer_tabla("Código INE,codigo ine,Monto,monto\n1,2,3,4\n".encode(), "d.csv")

    mensaje = str(error.value)
    assert "codigo_ine ('Código INE', 'codigo ine')" in mensaje
    assert "monto ('Monto', 'monto')" in mensaje


def test_limite_de_filas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lectura, "MAX_FILAS", 2)
    assert len(leer_tabla(b"a\n1\n2\n", "d.csv").filas) == 2

    with pytest.raises(ErrorLectura, match="más de 2 filas"):
        leer_tabla(b"a\n1\n2\n3\n", "d.csv")


def test_el_encabezado_sin_filas_dice_en_que_fila_esta() -> None:
    tabla = leer_tabla(b"\n\na,b\n\n", "d.csv")

    assert (tabla.columnas, tabla.filas, tabla.encabezado) == (["a", "b"], [], 3)


# --- limits: a hostile upload is refused before the work, naming the limit ----------------


def _sin_openpyxl(monkeypatch: pytest.MonkeyPatch) -> None:
    def prohibido(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("openpyxl opened a file the pre-scan should have refused")

    monkeypatch.setattr(lectura, "load_workbook", prohibido)


def test_xlsx_con_mas_filas_que_el_limite_se_rechaza_sin_abrirlo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sin_openpyxl(monkeypatch)
    datos = xlsx_crudo([b"<row><c><v>1</v></c></row>" * 100_002])
    inicio = time.perf_counter()

    with pytest.raises(ErrorLectura) as error:
        leer_tabla(datos, "filas.xlsx")

    assert str(error.value) == "el archivo tiene más de 100.000 filas de datos: divídalo"
    assert time.perf_counter() - inicio < 1


def test_xlsx_con_prefijo_de_espacio_de_nombres_tambien_cuenta_sus_filas(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sin_openpyxl(monkeypatch)
    monkeypatch.setattr(lectura, "MAX_FILAS", 3)
    fila = b'<x:row xmlns:x="urn:x"><x:c><x:v>1</x:v></x:c></x:row>'

    with pytest.raises(ErrorLectura, match="más de 3 filas de datos"):
        leer_tabla(xlsx_crudo([fila * 5]), "sdk.xlsx")


def test_xlsx_con_mas_celdas_que_el_limite_se_rechaza_sin_abrirlo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sin_openpyxl(monkeypatch)
    monkeypatch.setattr(lectura, "MAX_CELDAS", 10)
    fila = b"<row>" + b"<c><v>1</v></c>" * 6 + b"</row>"

    with pytest.raises(ErrorLectura) as error:
        leer_tabla(xlsx_crudo([fila, fila]), "celdas.xlsx")

    assert str(error.value) == "el archivo tiene más de 10 celdas: divídalo"


def test_una_fila_lejana_de_xlsx_no_hace_leer_un_millon_de_filas_vacias() -> None:
    datos = xlsx_crudo(
        [
            b'<row r="1"><c r="A1" t="inlineStr"><is><t>codigo</t></is></c></row>',
            b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>',
        ]
    )
    inicio = time.perf_counter()

    with pytest.raises(ErrorLectura) as error:
        leer_tabla(datos, "lejana.xlsx")

    assert str(error.value) == "el archivo tiene más de 100.000 filas de datos: divídalo"
    assert time.perf_counter() - inicio < 2


def test_xlsx_con_un_texto_de_un_mega_se_rechaza_sin_abrirlo(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sin_openpyxl(monkeypatch)
    celda = b'<row><c t="inlineStr"><is><t>' + b"A" * 2**20 + b"</t></is></c></row>"

    with pytest.raises(ErrorLectura) as error:
        leer_tabla(xlsx_crudo([celda]), "celda.xlsx")

    assert str(error.value) == (
        "el XLSX tiene un texto de más de 256 KB en una celda: el límite es 32.767 caracteres "
        "por celda"
    )


def test_xlsx_que_se_expande_mas_del_limite_se_rechaza_por_su_tamano_declarado(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sin_openpyxl(monkeypatch)
    monkeypatch.setattr(lectura, "MAX_XLSX_EXPANDIDO", 2**20)
    datos = xlsx_crudo([b"<row><c><v>12345</v></c></row>" * 70_000])

    with pytest.raises(ErrorLectura) as error:
        leer_tabla(datos, "grande.xlsx")

    assert str(error.value) == (
        "el XLSX ocupa 2 MB al descomprimirlo: el límite es 1 MB; divida el archivo"
    )


def test_celda_de_xlsx_mas_larga_que_la_de_excel_nombra_fila_y_columna() -> None:
    largo = b"x" * 40_000
    datos = xlsx_crudo(
        [
            b'<row><c t="inlineStr"><is><t>a</t></is></c><c t="inlineStr"><is><t>b</t></is></c>'
            b"</row>",
            b'<row><c><v>1</v></c><c t="inlineStr"><is><t>' + largo + b"</t></is></c></row>",
        ]
    )

    with pytest.raises(ErrorLectura) as error:
        leer_tabla(datos, "larga.xlsx")

    assert str(error.value) == (
        "la fila 2, columna B, tiene 40.000 caracteres: el límite por celda es 32.767"
    )


def test_celda_de_csv_demasiado_larga_nombra_fila_y_columna() -> None:
    with pytest.raises(ErrorLectura) as error:
        leer_tabla(b"a,b\n1,2\n3," + b"x" * 40_000 + b"\n", "d.csv")
    assert str(error.value) == (
        "la fila 3, columna B, tiene 40.000 caracteres: el límite por celda es 32.767"
    )

    with pytest.raises(ErrorLectura) as error:
        leer_tabla(b"a,b\n1,2\n3," + b"x" * 200_000 + b"\n", "d.csv")
    assert str(error.value) == (
        "la fila 3 tiene una celda de más de 131.072 caracteres: el límite por celda es 32.767"
    )


def test_un_valor_mas_alla_de_la_columna_limite_se_rechaza() -> None:
    encabezado = ",".join(f"c{i}" for i in range(300)).encode()

    with pytest.raises(ErrorLectura) as error:
        leer_tabla(encabezado + b"\n", "ancho.csv")

    assert str(error.value) == (
        "la fila 1 tiene un valor en la columna IW: el límite es 256 columnas"
    )


def test_las_filas_vacias_cuentan_para_el_limite_de_filas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lectura, "MAX_FILAS", 2)

    with pytest.raises(ErrorLectura, match="más de 2 filas de datos"):
        leer_tabla(b"a\n1\n\n\n", "d.csv")


def test_el_limite_de_filas_baja_con_muchas_columnas(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lectura, "MAX_CELDAS", 6)
    assert len(leer_tabla(b"a,b,c\n1,2,3\n4,5,6\n", "d.csv").filas) == 2

    with pytest.raises(ErrorLectura) as error:
        leer_tabla(b"a,b,c\n1,2,3\n4,5,6\n7,8,9\n", "d.csv")

    assert str(error.value) == (
        "el archivo tiene más de 2 filas de datos con sus 3 columnas (el límite es 6 celdas): "
        "divídalo"
    )


# --- coordinates ---------------------------------------------------------------------------

PUNTO = (-68.1336, -16.4957, None)


@pytest.mark.parametrize(
    "valores",
    [
        {"lon": "-68.1336", "lat": "-16.4957"},
        {"longitud": "-68.1336", "latitud": "-16.4957"},
        {"longitude": "-68.1336", "latitude": "-16.4957"},
        {"x": "-68.1336", "y": "-16.4957"},
        {"_geolocation": "[-16.4957, -68.1336]"},
        {
            "_ubicacion_latitude": "-16.4957",
            "_ubicacion_longitude": "-68.1336",
            "_ubicacion_altitude": "3640",
            "_ubicacion_precision": "4.5",
        },
        {"ubicacion": "-16.4957 -68.1336 3640 4.5"},
        {"gps": "-16.4957 -68.1336"},
        {"nombre": "Alianza", "punto_de_acopio": "-16.4957 -68.1336 3640.0 5.0"},
    ],
)
def test_todas_las_formas_de_coordenadas_dan_el_mismo_punto(valores: dict[str, str | None]) -> None:
    assert coordenadas(valores) == PUNTO


def test_coordenadas_con_coma_decimal() -> None:
    assert coordenadas({"lon": "-68,1336", "lat": "-16,4957"}) == PUNTO
    assert coordenadas({"ubicacion": "-16,4957 -68,1336 3640"}) == PUNTO


@pytest.mark.parametrize(
    "valores",
    [
        {},
        {"lon": None, "lat": None},
        {"lon": "", "lat": "  "},
        {"_geolocation": "[null, null]"},
        {"ubicacion": "Comunidad Tola Pampa"},
        {"a": "-16.4957 -68.1336", "b": "-16.4957 -68.1336"},  # ambiguous: no column named
    ],
)
def test_sin_coordenadas_no_es_error(valores: dict[str, str | None]) -> None:
    assert coordenadas(valores) == (None, None, None)


def test_solo_una_coordenada_es_error() -> None:
    assert coordenadas({"lat": "-16.4957", "lon": None}) == (None, None, "falta la longitud")
    assert coordenadas({"lon": "-68.1336"}) == (None, None, "falta la latitud")
    assert coordenadas({"_gps_latitude": "-16.4957"}) == (None, None, "falta la longitud")


def test_coordenada_no_numerica_es_error() -> None:
    assert coordenadas({"lon": "abc", "lat": "-16.4957"}) == (
        None,
        None,
        "coordenada no numérica: 'abc'",
    )
    assert coordenadas({"gps": "-16.4957 norte"}) == (None, None, "coordenada no numérica: 'norte'")
    assert coordenadas({"_geolocation": "[-16.4957]"})[2] == (
        "coordenada no numérica: '[-16.4957]'"
    )


def test_geolocation_anidada_de_mas_se_rechaza_sin_recursion() -> None:
    anidado = "[" * 3000 + "]" * 3000
    assert coordenadas({"_geolocation": anidado}) == (
        None,
        None,
        "_geolocation anidado a más de 32 niveles",
    )
    justo = "[" * 32 + "]" * 32
    assert coordenadas({"_geolocation": justo})[2] == f"coordenada no numérica: '{justo}'"
    corchetes_en_texto = '["' + "[" * 40 + '", -63.677]'
    assert coordenadas({"_geolocation": corchetes_en_texto})[2] == (
        f"coordenada no numérica: '{'[' * 40}'"
    )


def test_primera_forma_con_valor_decide() -> None:
    valores: dict[str, str | None] = {
        "lon": None,
        "lat": None,
        "_geolocation": "[-16.4957, -68.1336]",
        "ubicacion": "-10.0 -60.0",
    }
    assert coordenadas(valores) == PUNTO


# --- numbers and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("texto", "esperado"),
    [
        ("1234567.89", Decimal("1234567.89")),
        ("1234567,89", Decimal("1234567.89")),
        ("1.234.567,89", Decimal("1234567.89")),
        ("Bs 1.234.567,89", Decimal("1234567.89")),
        ("1.234.567,89 Bs.", Decimal("1234567.89")),
        ("1,234,567.89", Decimal("1234567.89")),
        ("25,5", Decimal("25.5")),
        ("1,234", Decimal("1.234")),
        ("1.234.567", Decimal("1234567")),
        ("1,234,567", Decimal("1234567")),
        ("1234.5", Decimal("1234.5")),
        ("-12,5", Decimal("-12.5")),
        ("Bs. -12,5", Decimal("-12.5")),
        ("  42  ", Decimal("42")),
        (None, None),
        ("", None),
        ("   ", None),
    ],
)
def test_parse_decimal(texto: str | None, esperado: Decimal | None) -> None:
    assert parse_decimal(texto) == esperado


@pytest.mark.parametrize("texto", ["12a", "Bs", "1,2,3", "12.34,5", "1.234.56", "5.", "--3", "1e5"])
def test_parse_decimal_rechaza_lo_que_no_es_numero(texto: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_decimal(texto)
    assert str(error.value) == f"número no válido: '{texto}'"


@pytest.mark.parametrize(
    ("texto", "esperado"),
    [
        ("2026-03-15", date(2026, 3, 15)),
        ("2026-03-15T10:30:00", date(2026, 3, 15)),
        ("15/03/2026", date(2026, 3, 15)),
        ("15-03-2026", date(2026, 3, 15)),
        ("15/03/26", date(2026, 3, 15)),
        ("5/3/2026", date(2026, 3, 5)),
        ("01/12/2025", date(2025, 12, 1)),
        (None, None),
        ("", None),
    ],
)
def test_parse_fecha_dia_primero_e_iso(texto: str | None, esperado: date | None) -> None:
    assert parse_fecha(texto) == esperado


@pytest.mark.parametrize("texto", ["31/02/2026", "2026-02-30", "15/13/2026", "03/15/2026x", "ayer"])
def test_parse_fecha_rechaza_fechas_invalidas(texto: str) -> None:
    with pytest.raises(ValueError) as error:
        parse_fecha(texto)
    assert str(error.value) == f"fecha no válida: '{texto}' (use AAAA-MM-DD o DD/MM/AAAA)"
