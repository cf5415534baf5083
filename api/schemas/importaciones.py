"""The report of a bulk import (geo/registro/importacion.py ``Informe``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorImportacion(BaseModel):
    fila: int | None = Field(description="Fila del archivo (la 1 es el encabezado)")
    columna: str = Field(description="Columna del archivo (o campo, si no viene de una)")
    mensaje: str = Field(description="El motivo, para una persona")
    codigo: str | None = Field(description="Código de la alianza de la fila, si lo tiene")


class InformeImportacion(BaseModel):
    """What an import did or, as a dry run (simulacro) or with errors, would do. With errors
    nothing is written."""

    archivo: str = Field(description="Nombre del archivo recibido")
    programa: str = Field(description="Código del programa")
    simulacro: bool = Field(description="Solo informa lo que pasaría, sin escribir")
    filas: int = Field(description="Filas de datos leídas")
    insertadas: int = Field(description="Alianzas nuevas (o que lo serían)")
    actualizadas: int = Field(description="Alianzas con algún valor distinto")
    sin_cambios: int = Field(description="Alianzas idénticas a las guardadas")
    escrito: bool = Field(description="Si se guardó algo")
    errores: list[ErrorImportacion] = Field(description="Cada fila, columna y motivo")
    avisos: list[str] = Field(description="p. ej. columnas que nada lee")
