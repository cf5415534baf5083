"""Cells that cannot run in a spreadsheet. A name such as ``=HYPERLINK("http://x","clic")``
typed into a record travels into every CSV and XLSX the program hands out, and Excel or
LibreOffice would run it as a formula when an office opens the file (CSV injection).

One rule for every writer: text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is dangerous. In CSV it gets a leading single quote, as OWASP advises: the spreadsheet
shows the text, quote hidden, and the value stays readable by any other tool. In XLSX a cell has
a type, so the text is written as a string cell (never a formula), marked with Excel's quote
prefix so that editing it keeps it text; the value itself is unchanged. Numbers are not text:
-5 stays the number -5, and so does text that is just a number ("-5", "+3.5"), which no
spreadsheet can run. GeoPackage, Shapefile, KML and GeoJSON are not opened by spreadsheets and
keep their values exactly."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

DISPARADORES = ("=", "+", "-", "@", "\t", "\r")
# A number, with a decimal point or (as Spanish-language files write it) a decimal comma.
_NUMERO = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)")


def peligrosa(valor: Any) -> bool:
    """Whether a spreadsheet could read ``valor`` as a formula (or the start of one)."""
    return (
        isinstance(valor, str)
        and valor.startswith(DISPARADORES)
        and _NUMERO.fullmatch(valor) is None
    )


def para_csv(valor: Any) -> Any:
    return "'" + valor if peligrosa(valor) else valor


def fila_csv(valores: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer``: dangerous text quoted, everything else as it is."""
    return [para_csv(v) for v in valores]


def fila_xlsx(hoja: Worksheet, valores: Iterable[Any]) -> list[Any]:
    """A row for ``hoja.append``: every text value as a string cell (openpyxl would otherwise
    make "=..." a formula and "#N/A" an error), numbers, dates and empty cells as they are."""
    return [_texto(hoja, v) if isinstance(v, str) else v for v in valores]


def _texto(hoja: Worksheet, valor: str) -> Cell:
    celda = Cell(hoja, value=valor)
    celda.data_type = "s"
    if peligrosa(valor):
        celda.quotePrefix = True
    return celda
