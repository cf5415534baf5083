"""XLSForms: the spreadsheet form definitions that KoboToolbox, ODK Collect and Enketo read
(sheets ``survey``, ``choices`` and ``settings``; https://xlsform.org). A form is described here
as plain data and written with openpyxl; what it asks is decided by the registry
(geo/registro/formularios_campo.py), from the same vocabulary and rules the server uses.

The form's ``version`` is a digest of everything else in it: the same form always gets the same
version (so a regenerated file compares equal to the shipped one), and any change, a new sector
in the vocabulary for one, gives a new version, which Kobo and ODK Collect need to tell a
device that its copy is out of date.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

IDIOMA = "Español (es)"
HOJAS = ("survey", "choices", "settings")
# Columns of the survey sheet, in order; texts a person reads carry the language.
COLUMNAS_SURVEY = (
    "type",
    "name",
    f"label::{IDIOMA}",
    f"hint::{IDIOMA}",
    "required",
    f"required_message::{IDIOMA}",
    "constraint",
    f"constraint_message::{IDIOMA}",
    "default",
    "appearance",
    "parameters",
)
COLUMNAS_CHOICES = ("list_name", "name", f"label::{IDIOMA}")
COLUMNAS_SETTINGS = (
    "form_title",
    "form_id",
    "version",
    "default_language",
    "instance_name",
    "style",
)
OBLIGATORIO = "Obligatorio"

Valores = dict[str, list[list[str | None]]]


@dataclass(frozen=True)
class Pregunta:
    """One row of the survey sheet: a question, a metadata field, or a group's start or end."""

    tipo: str
    nombre: str | None = None
    etiqueta: str | None = None
    pista: str | None = None
    obligatoria: bool = False
    restriccion: str | None = None
    mensaje: str | None = None
    defecto: str | None = None
    apariencia: str | None = None
    parametros: str | None = None

    def fila(self) -> list[str | None]:
        return [
            self.tipo,
            self.nombre,
            self.etiqueta,
            self.pista,
            "yes" if self.obligatoria else None,
            OBLIGATORIO if self.obligatoria else None,
            self.restriccion,
            self.mensaje,
            self.defecto,
            self.apariencia,
            self.parametros,
        ]


@dataclass(frozen=True)
class Formulario:
    id: str
    titulo: str
    preguntas: list[Pregunta]
    # list_name -> {choice name (the code stored): label}
    opciones: dict[str, dict[str, str]] = field(default_factory=dict)
    nombre_instancia: str | None = None
    estilo: str | None = "pages"

    def valores(self) -> Valores:
        """Every sheet as rows of text (header first), the version included."""
        return self._hojas(version=self.version())

    def version(self) -> str:
        return digerir(self._hojas(version=None))

    def _hojas(self, version: str | None) -> Valores:
        choices: list[list[str | None]] = [
            [lista, nombre, etiqueta]
            for lista, opciones in self.opciones.items()
            for nombre, etiqueta in opciones.items()
        ]
        ajustes = [self.titulo, self.id, version, IDIOMA, self.nombre_instancia, self.estilo]
        return {
            "survey": [list(COLUMNAS_SURVEY), *(p.fila() for p in self.preguntas)],
            "choices": [list(COLUMNAS_CHOICES), *choices],
            "settings": [list(COLUMNAS_SETTINGS), ajustes],
        }


def digerir(hojas: Valores) -> str:
    """Twelve hex digits of a SHA-256 over the sheets' contents (stable across runs)."""
    texto = json.dumps(hojas, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(texto.encode()).hexdigest()[:12]


def libro(formulario: Formulario) -> bytes:
    """The XLSForm as an XLSX file: every cell text, the header bold and frozen."""
    wb = Workbook()
    wb.remove(wb.active)
    for nombre, filas in formulario.valores().items():
        hoja = wb.create_sheet(nombre)
        for fila in filas:
            hoja.append(fila)
        for celda in hoja[1]:
            celda.font = Font(bold=True)
        hoja.freeze_panes = "A2"
        for columna, ancho in zip(hoja.iter_cols(max_row=1), _anchos(filas), strict=False):
            hoja.column_dimensions[columna[0].column_letter].width = ancho
    salida = io.BytesIO()
    wb.save(salida)
    return salida.getvalue()


def _anchos(filas: list[list[str | None]]) -> Iterable[float]:
    columnas = zip(*filas, strict=True)
    return (min(60, 2 + max(len(v or "") for v in columna)) for columna in columnas)


def leer_valores(datos: bytes) -> Valores:
    """The sheets of an XLSForm file as rows of text, as :meth:`Formulario.valores` gives them
    (to tell whether a shipped file still matches the form it was generated from)."""
    wb = load_workbook(io.BytesIO(datos), read_only=True)
    try:
        return {
            hoja.title: [
                [None if v is None else str(v) for v in fila]
                for fila in hoja.iter_rows(values_only=True)
            ]
            for hoja in wb.worksheets
        }
    finally:
        wb.close()
