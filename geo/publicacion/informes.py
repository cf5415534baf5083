"""Documents people take to a meeting: the program's official tables as XLSX, CSV (for programs,
and for Spanish-language Excel) and PDF, and what every document shares: the cut-off date,
the filters in words, the source line, the templates (the one-page report is geo.publicacion.
ficha).

The figures come from the same functions as the JSON answers (reports, aggregation engine, map
classification, results framework), with the same filters and the reader's scope, so a document
never says something the API does not. Everything written for people follows Bolivian
conventions: 1.234,5 and 26/11/2026."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Connection, text

from geo.analisis.reportes import Reporte, como_csv
from geo.formatos import documentos
from geo.formatos.numeros import numero_es
from geo.registro.consultas import Filtros
from geo.vocabulario.catalogos import ETAPAS, FINANCIAMIENTOS, MODELOS, SECTORES

PLANTILLAS = Path(__file__).parent / "plantillas"
# The program's dates are Bolivia's: a report made at 22:00 in La Paz is dated that day.
BOLIVIA = ZoneInfo("America/La_Paz")


class FormatoTabla(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    csv_excel = "csv-excel"
    pdf = "pdf"


@dataclass(frozen=True)
class Documento:
    contenido: bytes
    tipo: str
    archivo: str


@dataclass(frozen=True)
class Contexto:
    """What every document says besides its figures: the program, the cut-off date, the
    filters in words, where the data come from and whether they are synthetic."""

    programa: str
    corte: date
    filtros: list[str]
    fuente: str
    sintetico: bool
    generado: datetime = field(default_factory=lambda: datetime.now(BOLIVIA))


# Column headings of the official tables, as the published tables name them.
ETIQUETAS = {
    "unidad_operativa": "Unidad operativa",
    "solicitudes_recibidas": "Solicitudes recibidas",
    "aprobadas_evaluacion_oportunidad": "Aprobadas en evaluación de oportunidad",
    "rechazadas_evaluacion_oportunidad": "Rechazadas en evaluación de oportunidad",
    "en_evaluacion_oportunidad": "En evaluación de oportunidad",
    "planes_viables": "Planes viables",
    "aprobado_evaluacion_financiera": "Aprobados en evaluación financiera",
    "aprobado_evaluacion_par": "Aprobados en evaluación PAR",
    "alianzas_con_convenio": "Alianzas con convenio",
    "familias": "Familias",
    "monto_par_comprometido_bs": "Monto PAR comprometido (Bs)",
    "monto_par_solicitado_bs": "Monto PAR solicitado (Bs)",
    "monto_par_transferido_bs": "Monto PAR transferido (Bs)",
    "monto_par_descargado_bs": "Monto PAR descargado (Bs)",
    "estado": "Estado",
    "proyectos": "Proyectos",
    "comprometido_empoderar_bs": "Comprometido EMPODERAR (Bs)",
    "comprometido_contraparte_bs": "Comprometido contraparte (Bs)",
    "comprometido_total_bs": "Comprometido total (Bs)",
    "ejecutado_empoderar_bs": "Ejecutado EMPODERAR (Bs)",
    "ejecutado_contraparte_bs": "Ejecutado contraparte (Bs)",
    "ejecutado_total_bs": "Ejecutado total (Bs)",
    "avance_pct": "Avance (%)",
    "sector": "Sector",
    "solicitudes": "Solicitudes",
    "codigo": "Código",
    "nombre": "Indicador",
    "unidad": "Unidad",
    "linea_base": "Línea de base",
    "meta": "Meta",
    "valor": "Valor",
    "pct_meta": "% de la meta",
    "origen": "Origen",
    "fuente": "Fuente",
    "motivo": "Motivo (sin dato)",
}
# The results framework on paper: what fits a landscape page (the XLSX keeps every column).
_MARCO_PDF = ["codigo", "nombre", "unidad", "meta", "valor", "pct_meta"]
_DECIMAL_EN_TEXTO = re.compile(r"(?<![\d.])(\d+)\.(\d+)(?![\d.])")


def etiqueta(columna: str) -> str:
    return ETIQUETAS.get(columna, columna.replace("_", " ").capitalize())


def _nota(texto: str) -> str:
    """A note of a report with its decimals Spanish: "tipo de cambio 6.86" -> "6,86"."""
    return _DECIMAL_EN_TEXTO.sub(r"\1,\2", texto)


def contexto(conn: Connection, f: Filtros, sintetico: bool) -> Contexto:
    """The documents' context for the filters ``f`` as the reader ``f.alcance`` sees them."""
    nombre = conn.execute(
        text("SELECT nombre FROM programa WHERE codigo = :c"), {"c": f.programa}
    ).scalar_one()
    corte = f.corte or datetime.now(BOLIVIA).date()
    validados = f.solo_validados or (f.alcance is not None and f.alcance.publico)
    cuales = "registros validados" if validados else "registros validados y sin validar"
    return Contexto(
        programa=nombre,
        corte=corte,
        filtros=filtros_en_palabras(f),
        fuente=f"Fuente: SIGG, {cuales} al {documentos.fecha_es(corte)}",
        sintetico=sintetico,
    )


def filtros_en_palabras(f: Filtros) -> list[str]:
    """The filters as a reader would say them ("Sector: Apicultura"); the territory is the
    document's title and is not repeated unless it narrows further."""
    palabras = []

    def lista(nombre: str, codigos: list[Any] | None, etiquetas: dict[Any, str]) -> None:
        if codigos:
            palabras.append(f"{nombre}: {', '.join(etiquetas.get(c, str(c)) for c in codigos)}")

    lista("Sector", f.sector, SECTORES)
    lista("Modelo", f.modelo, MODELOS)
    lista("Etapa actual", f.etapa, ETAPAS)
    if f.etapa_alcanzada:
        palabras.append(f"Llegó a la etapa: {ETAPAS.get(f.etapa_alcanzada, f.etapa_alcanzada)}")
    if f.financiamiento:
        palabras.append(FINANCIAMIENTOS.get(f.financiamiento, f.financiamiento))
    if f.convocatoria:
        palabras.append(f"Convocatoria {f.convocatoria}")
    if f.desde or f.hasta:
        desde = documentos.fecha_es(f.desde) if f.desde else "el inicio"
        hasta = documentos.fecha_es(f.hasta) if f.hasta else "hoy"
        palabras.append(f"Solicitudes desde {desde} hasta {hasta}")
    if f.solo_validados or (f.alcance is not None and f.alcance.publico):
        palabras.append("Solo registros validados")
    return palabras


# -- The official tables ---------------------------------------------------------------------


def tabla(r: Reporte, formato: FormatoTabla, ctx: Contexto) -> Documento:
    """An official table (geo.analisis.reportes) as a file."""
    notas = [_nota(n) for n in r.notas] + _pie(ctx)
    if formato is FormatoTabla.csv:
        return Documento(como_csv(r), "text/csv; charset=utf-8", f"{r.nombre}.csv")
    filas = [[fila.get(c) for c in r.columnas] for fila in r.filas]
    encabezados = [etiqueta(c) for c in r.columnas]
    if formato is FormatoTabla.csv_excel:
        contenido = documentos.csv_excel(encabezados, filas)
        return Documento(contenido, "text/csv; charset=utf-8", f"{r.nombre}_excel.csv")
    if formato is FormatoTabla.xlsx:
        titulo = f"{r.titulo} · {ctx.programa}"
        contenido = documentos.xlsx(r.nombre, titulo, encabezados, filas, notas)
        return Documento(contenido, documentos.XLSX, f"{r.nombre}.xlsx")
    columnas = _MARCO_PDF if r.nombre == "marco-de-resultados" else r.columnas
    html = plantilla("tabla.html").render(
        r=r,
        ctx=ctx,
        notas=[_nota(n) for n in r.notas],
        columnas=[(c, etiqueta(c)) for c in columnas],
        filas=[{c: _celda(fila.get(c)) for c in columnas} for fila in r.filas],
        barras=[fila.get("pct_meta") for fila in r.filas],
        apaisada=len(columnas) > 5,
        fecha=documentos.fecha_es,
    )
    return Documento(documentos.pdf(html, hoja_de_estilo()), documentos.PDF, f"{r.nombre}.pdf")


def _pie(ctx: Contexto) -> list[str]:
    pie = [ctx.fuente]
    if ctx.filtros:
        pie.append("Filtros: " + " · ".join(ctx.filtros))
    if ctx.sintetico:
        pie.append("Datos sintéticos de demostración")
    return pie


def _celda(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, int | float) and not isinstance(v, bool):
        return numero_es(v)
    return str(v)


@cache
def _entorno() -> Environment:
    return Environment(
        loader=FileSystemLoader(PLANTILLAS),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def plantilla(nombre: str) -> Any:
    return _entorno().get_template(nombre)


def hoja_de_estilo() -> str:
    return (PLANTILLAS / "informe.css").read_text(encoding="utf-8")
