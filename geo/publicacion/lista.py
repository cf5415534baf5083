"""The record list as a file for people (issue 14, Find): the alliances of the page's list, with
its filters, order and the reader's scope, as CSV or XLSX with a column per field under its
label and labels instead of codes.

For people, not programs (those have /exportar and /ogc): the CSV follows what a
Spanish-language spreadsheet expects in Bolivia: ``;`` between fields, ``,`` before decimals, dates
as dd/mm/aaaa, UTF-8 with a byte-order mark so that Excel reads the accents; codes such as INE's
010101 stay text. The XLSX has typed cells (numbers, dates) that the spreadsheet formats in its
own locale. Both go through geo.formatos.celdas, so no cell can run as a formula, and both are
written from a server-side cursor: memory stays flat."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Connection

from geo.formatos.celdas import fila_csv, fila_xlsx
from geo.formatos.documentos import escritor_csv_excel, para_personas
from geo.registro.consultas import Filtros, recorrer
from geo.vocabulario.catalogos import (
    CAMPOS_ALIANZA,
    ESTADOS,
    ETAPAS,
    FINANCIAMIENTOS,
    MODELOS,
    PRECISIONES,
    SECTORES,
)

Columna = tuple[str, Callable[[dict[str, Any]], Any]]


def _nombre(campo: str) -> Callable[[dict[str, Any]], Any]:
    return lambda d: (d.get(campo) or {}).get("nombre")


def _etiqueta(campo: str, opciones: dict[Any, str]) -> Callable[[dict[str, Any]], Any]:
    return lambda d: opciones.get(d.get(campo), d.get(campo))


def _campo(campo: str) -> Columna:
    return CAMPOS_ALIANZA[campo], lambda d: d.get(campo)


COLUMNAS: list[Columna] = [
    _campo("codigo"),
    _campo("nombre"),
    (CAMPOS_ALIANZA["organizacion"], _nombre("organizacion")),
    _campo("comprador"),
    ("Código INE del municipio", lambda d: (d.get("municipio") or {}).get("codigo")),
    ("Municipio", _nombre("municipio")),
    ("Departamento", _nombre("departamento")),
    ("Unidad operativa", _nombre("unidad_operativa")),
    (CAMPOS_ALIANZA["sector"], _etiqueta("sector", SECTORES)),
    (CAMPOS_ALIANZA["modelo"], _etiqueta("modelo", MODELOS)),
    (CAMPOS_ALIANZA["financiamiento"], _etiqueta("financiamiento", FINANCIAMIENTOS)),
    _campo("convocatoria"),
    (CAMPOS_ALIANZA["etapa"], _etiqueta("etapa", ETAPAS)),
    _campo("fecha_etapa"),
    _campo("fecha_solicitud"),
    _campo("familias"),
    _campo("familias_mujeres"),
    _campo("hectareas_riego"),
    _campo("monto_par_comprometido_bs"),
    _campo("monto_contraparte_comprometido_bs"),
    _campo("monto_solicitado_bs"),
    _campo("monto_transferido_bs"),
    _campo("monto_descargado_bs"),
    _campo("lat"),
    _campo("lon"),
    (CAMPOS_ALIANZA["precision_ubicacion"], _etiqueta("precision_ubicacion", PRECISIONES)),
    (CAMPOS_ALIANZA["estado"], _etiqueta("estado", ESTADOS)),
]


def _columnas(publico: bool) -> list[Columna]:
    # what the public may not read is not even a column of its file
    ocultas = {CAMPOS_ALIANZA["comprador"]} if publico else set()
    return [c for c in COLUMNAS if c[0] not in ocultas]


def csv_personas(conn: Connection, f: Filtros, ordenar: str | None) -> Iterator[str]:
    """The list as CSV for people, block by block (the first block carries the BOM)."""
    columnas = _columnas(f.alcance is not None and f.alcance.publico)
    buf = io.StringIO()
    w = escritor_csv_excel(buf)
    buf.write("\ufeff")
    w.writerow(fila_csv(nombre for nombre, _ in columnas))
    for i, d in enumerate(recorrer(conn, f, ordenar=ordenar), 1):
        w.writerow(fila_csv(para_personas(valor(d)) for _, valor in columnas))
        if i % 2000 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def xlsx_personas(conn: Connection, f: Filtros, ordenar: str | None) -> bytes:
    """The list as one XLSX sheet, its header bold and frozen. (Built in memory like the other
    binary formats; spooling them to disk is issue 17's.)"""
    columnas = _columnas(f.alcance is not None and f.alcance.publico)
    libro = Workbook()
    hoja = libro.active
    hoja.title = "Alianzas"
    hoja.append(fila_xlsx(hoja, (nombre for nombre, _ in columnas)))
    for i, celda in enumerate(hoja[1], 1):
        celda.font = Font(bold=True)
        hoja.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(celda.value) + 2))
    hoja.freeze_panes = "A2"
    for d in recorrer(conn, f, ordenar=ordenar):
        hoja.append(fila_xlsx(hoja, (_fecha(valor(d)) for _, valor in columnas)))
    salida = io.BytesIO()
    libro.save(salida)
    return salida.getvalue()


def _fecha(valor: Any) -> Any:
    if isinstance(valor, str) and len(valor) == 10 and valor[4] == "-" and valor[7] == "-":
        try:
            return date.fromisoformat(valor)
        except ValueError:
            return valor
    return valor
