"""The map on screen as files for people (issue 16): the standalone HTML map that says what it
shows (title, territory and filters in words, cut-off date, source) and the values as CSV for
Spanish-language Excel, beside the machine CSV and GeoJSON of /api/v1/mapa/descarga.

The words and the CSV convention are the documents' (geo.publicacion.informes,
geo.formatos.documentos), so a map says its filters as the reports say them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, literal, select, union_all

from geo.analisis.agregacion import Consulta
from geo.formatos import documentos
from geo.formatos.mapa_html import mapa_html
from geo.plataforma.models import Departamento, Municipio, Provincia, UnidadOperativa, tabla
from geo.publicacion.informes import contexto, filtros_en_palabras
from geo.registro.consultas import Filtros

NIVELES = {
    "municipio": "municipio",
    "provincia": "provincia",
    "departamento": "departamento",
    "unidad_operativa": "unidad operativa",
    "nacional": "país",
}
_TERRITORIO = (
    ("unidad_operativa", "Unidad operativa", UnidadOperativa),
    ("departamento", "Departamento", Departamento),
    ("provincia", "Provincia", Provincia),
    ("municipio", "Municipio", Municipio),
)


def territorio_en_palabras(conn: Connection, f: Filtros, cartografia: str) -> list[str]:
    """The territorial filters by name ("Unidad operativa: Chaco"), in one query."""
    consultas = []
    for campo, etiqueta, modelo in _TERRITORIO:
        if codigo := getattr(f, campo):
            t = tabla(modelo)
            consultas.append(
                select(literal(etiqueta).label("etiqueta"), t.c.nombre).where(
                    t.c.cartografia == cartografia, t.c.codigo == codigo
                )
            )
    if not consultas:
        return []
    nombres = {e: n for e, n in conn.execute(union_all(*consultas))}
    return [f"{e}: {nombres[e]}" for _, e, _ in _TERRITORIO if e in nombres]


def html(conn: Connection, consulta: Consulta, fc: dict[str, Any], datos: dict[str, Any]) -> str:
    """The choropleth ``fc`` with ``datos``' legend as a standalone HTML page in Spanish."""
    f = consulta.filtros
    ctx = contexto(conn, f, bool(datos.get("datos_sinteticos")))
    nivel = NIVELES.get(str(datos.get("nivel") or consulta.nivel.value), "unidad")
    filtros = territorio_en_palabras(conn, f, consulta.cartografia) + filtros_en_palabras(f)
    lineas = [
        f"{ctx.programa} · por {nivel} · situación al {documentos.fecha_es(ctx.corte)}",
        "Filtros: " + (" · ".join(filtros) if filtros else "ninguno (todo el programa)"),
        f"Clasificación: {datos['clasificacion']}, {len(datos['clases'])} clases",
        f"{ctx.fuente}. Generado el {documentos.fecha_es(ctx.generado.date())}",
    ]
    nota = "Datos SINTÉTICOS de demostración" if ctx.sintetico else None
    return mapa_html(fc, datos, datos["etiqueta"], lineas, nota)


def csv_excel(datos: dict[str, Any]) -> bytes:
    """The values on screen for Spanish-language Excel: ``;``, decimal comma, UTF-8 with BOM,
    INE codes as written (010101), the class as the legend says it."""
    clases = datos["clases"]
    encabezados = ["Código", "Nombre", f"{datos['etiqueta']}", "Unidad", "Clase", "Sin dato"]
    filas = [
        [
            codigo,
            u["nombre"],
            u["valor"],
            datos["unidad"],
            "Sin dato" if u["clase"] is None else clases[u["clase"]]["etiqueta"],
            u["sin_dato"] or "",
        ]
        for codigo, u in datos["unidades"].items()
    ]
    return documentos.csv_excel(encabezados, filas)
