"""Aggregates, the results framework and the report tables (geo/analisis)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.comun import Lista, Numero, Ref
from geo.analisis.agregacion import MEDIDAS, NivelAgregacion


class UnidadEstadistica(BaseModel):
    codigo: str = Field(description="Código de la unidad (BO para el país)")
    nombre: str
    valores: dict[str, Numero | dict[str, int] | None] = Field(
        description="Cada medida pedida: un número, null (sin dato, ver sin_dato) o, para "
        "alianzas_por_etapa y alianzas_alcanzaron, las alianzas por etapa. Montos *_bs en "
        f"bolivianos, *_usd en dólares. Medidas: {', '.join(MEDIDAS)}"
    )
    sin_dato: dict[str, str] = Field(description="Por qué falta cada medida que es null")


class Estadisticas(Lista[UnidadEstadistica]):
    nivel: NivelAgregacion
    cartografia: str = Field(description="Versión de la cartografía del programa")
    programa: str = Field(description="Código del programa")
    corte: date | None = Field(None, description="Fecha de corte pedida (null: hoy)")
    tipo_cambio: float = Field(description="Bolivianos por dólar usados en los montos en US$")
    datos_sinteticos: bool = Field(description="Datos de demostración, no reales")


class Indicador(BaseModel):
    """One indicator of the results framework: its target and its value, or "sin dato" with
    the reason."""

    codigo: str = Field(description="Código en el marco de resultados, p. ej. R1, 3.2.1")
    nombre: str
    unidad: str = Field(description="porcentaje, número...")
    linea_base: Numero | None
    meta: Numero | None
    frecuencia: str | None = Field(description="p. ej. anual")
    como_se_calcula: str | None
    origen: Literal["calculado", "registrado"] = Field(
        description="calculado de los registros, o registrado por periodo con su fuente"
    )
    periodo: str | None = Field(description="acumulado, o el periodo del valor registrado")
    fuente: str | None
    valor: Numero | None
    pct_meta: float | None = Field(description="Valor como % de la meta")
    estado: Literal["con dato", "sin dato"]
    motivo: str | None = Field(description="Por qué no hay dato")


class ListaIndicadores(Lista[Indicador]):
    programa: str = Field(description="Código del programa")
    corte: date | None = Field(None, description="Fecha de corte pedida (null: hoy)")


class IndicadorEnUnidad(BaseModel):
    unidad_operativa: Ref
    valor: Numero | None
    motivo: str | None = Field(description="Por qué no hay dato")


class IndicadorPorUnidad(BaseModel):
    programa: str = Field(description="Código del programa")
    codigo: str = Field(description="Código del indicador")
    data: list[IndicadorEnUnidad] = Field(description="Cada unidad operativa, con o sin dato")


class Reporte(BaseModel):
    reporte: str = Field(description="Nombre del reporte, p. ej. solicitudes-por-unidad")
    titulo: str
    programa: str = Field(description="Código del programa")
    corte: date | None = Field(None, description="Fecha de corte pedida (null: hoy)")
    datos_sinteticos: bool = Field(description="Datos de demostración, no reales")
    notas: list[str]
    columnas: list[str] = Field(description="Las columnas de filas, en orden")
    filas: list[dict[str, str | Numero | None]] = Field(
        description="Una fila por unidad (y los totales), con los valores por columna; montos "
        "*_bs en bolivianos"
    )
