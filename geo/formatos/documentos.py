"""Tables as documents for people: XLSX with typed cells and Bolivian number formats, CSV for
Spanish-language Excel, and PDF from HTML and CSS with WeasyPrint.

For people, not programs (those keep the machine CSV and JSON): in a Spanish-language
spreadsheet in Bolivia a ``.`` separates thousands and a ``,`` the decimals, so a CSV with
"7.3988" is read as 73.988 and INE's code 010101 as the number 10101. The CSV here has ``;``
between fields, ``,`` before decimals, dates as dd/mm/aaaa, UTF-8 with a byte-order mark (Excel
then reads the accents) and codes written as they are, as text. The XLSX keeps numbers numbers:
each numeric cell carries a number format, stored as Excel stores every format (``#,##0.0#``,
with the invariant separators) and shown by a Spanish-language Excel or LibreOffice as
``#.##0,0#``: 1.234,5. Every cell goes through geo.formatos.celdas, so none can run as a
formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from geo.formatos.celdas import fila_csv, fila_xlsx

# Number formats of the XLSX cells (Excel's invariant notation; see the module's docstring).
FORMATO_ENTERO = "#,##0"
FORMATO_DECIMAL = "#,##0.0#"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def fecha_es(d: date) -> str:
    """A date as people in Bolivia write it: 26/11/2026."""
    return d.strftime("%d/%m/%Y")


def para_personas(valor: Any) -> Any:
    """A value as a Bolivian spreadsheet reads it from text: 7,3988 and 26/11/2026."""
    if isinstance(valor, bool) or valor is None:
        return "" if valor is None else ("sí" if valor else "no")
    if isinstance(valor, float):
        return f"{valor:.6f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(valor, date):
        return fecha_es(valor)
    return valor


def escritor_csv_excel(salida: io.StringIO) -> Any:
    """A ``csv.writer`` for Spanish-language Excel (``;``, CRLF); the caller writes the BOM."""
    return csv.writer(salida, delimiter=";", lineterminator="\r\n")


def csv_excel(encabezados: Sequence[str], filas: Iterable[Sequence[Any]]) -> bytes:
    """A whole table as CSV for Spanish-language Excel, UTF-8 with its byte-order mark."""
    salida = io.StringIO()
    salida.write("\ufeff")
    escritor = escritor_csv_excel(salida)
    escritor.writerow(fila_csv(encabezados))
    escritor.writerows(fila_csv(para_personas(v) for v in fila) for fila in filas)
    return salida.getvalue().encode("utf-8")


def formato_numero(valor: Any) -> str | None:
    """The XLSX number format of a value: whole numbers with thousands, fractions with one or
    two decimals; None for what is not a number."""
    if isinstance(valor, bool) or not isinstance(valor, int | float):
        return None
    return FORMATO_ENTERO if isinstance(valor, int) else FORMATO_DECIMAL


def xlsx(
    hoja_nombre: str,
    titulo: str,
    encabezados: Sequence[str],
    filas: Iterable[Sequence[Any]],
    notas: Iterable[str] = (),
) -> bytes:
    """One sheet: the title, the bold and frozen header, the rows with typed cells and number
    formats, then the notes."""
    libro = Workbook()
    hoja = libro.active
    assert hoja is not None
    hoja.title = hoja_nombre[:31]
    hoja.append(fila_xlsx(hoja, [titulo]))
    hoja["A1"].font = Font(bold=True, size=12)
    hoja.append(fila_xlsx(hoja, encabezados))
    for i, celda in enumerate(hoja[2], 1):
        celda.font = Font(bold=True)
        celda.alignment = Alignment(wrap_text=True, vertical="top")
        ancho = max(10, min(45, len(str(celda.value)) + 2))
        hoja.column_dimensions[get_column_letter(i)].width = ancho
    hoja.freeze_panes = "A3"
    for fila in filas:
        hoja.append(fila_xlsx(hoja, fila))
        for celda in hoja[hoja.max_row]:
            if (formato := formato_numero(celda.value)) is not None:
                celda.number_format = formato
    for nota in notas:
        hoja.append(fila_xlsx(hoja, [nota]))
    salida = io.BytesIO()
    libro.save(salida)
    return salida.getvalue()


def pdf(html: str, hoja_de_estilo: str) -> bytes:
    """``html`` laid out with ``hoja_de_estilo`` as a PDF (WeasyPrint: HTML and CSS to PDF).
    The document fetches nothing: every image it shows is inline (SVG)."""
    from weasyprint import CSS, HTML

    def sin_red(url: str) -> dict[str, Any]:
        raise ValueError(f"el documento no carga recursos externos: {url}")

    documento = HTML(string=html, url_fetcher=sin_red)
    return bytes(documento.write_pdf(stylesheets=[CSS(string=hoja_de_estilo)]))
