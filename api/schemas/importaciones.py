"""The report of a bulk import (geo/registro/importacion.py ``Informe``) and the import jobs that
produce it in the background (geo/registro/trabajos.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.comun import vocabulario


class ErrorImportacion(BaseModel):
    fila: int | None = Field(description="Fila del archivo (la 1 es el encabezado)")
    columna: str = Field(description="Columna del archivo (o campo, si no viene de una)")
    valor: str | None = Field(
        description="Lo que la fila tiene en esa columna (para un punto, sus columnas de "
        "coordenadas); vacío si no tiene nada"
    )
    mensaje: str = Field(description="El motivo, para una persona")
    codigo: str | None = Field(description="Código de la alianza de la fila, si lo tiene")


class AdjuntosFila(BaseModel):
    fila: int = Field(description="Fila del archivo")
    codigo: str | None = Field(description="Código del registro de la fila, si lo tiene")
    archivos: list[str] = Field(
        description="Nombres de los archivos que la fila nombra (las fotos de una exportación "
        "de KoboToolbox/ODK); no se importan: quedan en ese servidor"
    )


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
    adjuntos: list[AdjuntosFila] = Field(
        description="Las filas que nombran archivos adjuntos, con sus nombres"
    )


EstadoTrabajo = Literal["en_cola", "en_curso", "terminado", "con_errores", "fallido"]
ESTADOS_TRABAJO = {
    "en_cola": "en cola, esperando su turno",
    "en_curso": "importándose",
    "terminado": "terminado: escrito, o un simulacro sin errores",
    "con_errores": "con errores: el informe nombra cada fila; no se escribió nada",
    "fallido": "fallido (archivo ilegible o servidor detenido): mensaje dice por qué; no se "
    "escribió nada",
}


class _Trabajo(BaseModel):
    id: int
    usuario: str = Field(description="Quien envió el archivo (nombre de usuario)")
    programa: str = Field(description="Código del programa")
    archivo: str = Field(description="Nombre del archivo recibido")
    formato: Literal["csv", "xlsx"] = Field(description="Leído como CSV o como XLSX")
    bytes: int = Field(description="Tamaño del archivo")
    simulacro: bool = Field(description="Solo informa lo que pasaría, sin escribir")
    estado: EstadoTrabajo = Field(description=vocabulario(ESTADOS_TRABAJO))
    fase: str | None = Field(description="Qué está haciendo, en palabras (solo en curso)")
    paso: int = Field(
        ge=0,
        le=3,
        description="0 leyendo el archivo, 1 revisando las filas, 2 validando y ubicando, "
        "3 escribiendo (en un simulacro, probando la escritura)",
    )
    total: int | None = Field(description="Filas de datos del archivo (una vez leído)")
    hechas: int = Field(description="Filas hechas del paso actual (de total)")
    porcentaje: int = Field(ge=0, le=100, description="Avance estimado del trabajo entero")
    mensaje: str | None = Field(description="Por qué falló, para una persona")
    creado_en: datetime
    empezado_en: datetime | None
    terminado_en: datetime | None


class TrabajoImportacion(_Trabajo):
    """An import run by the server: its progress while it runs, its report when it ends."""

    informe: InformeImportacion | None = Field(
        description="Al terminar (terminado o con_errores): lo importado, o cada fila, "
        "columna, valor y motivo"
    )


class ResumenTrabajo(_Trabajo):
    """A job in a list: its report's counts, not its rows."""

    errores: int | None = Field(
        description="Errores del informe al terminar (una fila puede tener varios)"
    )


class ListaTrabajos(BaseModel):
    data: list[ResumenTrabajo]
    count: int = Field(description="Cuántos trabajos trae data")
