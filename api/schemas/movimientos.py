"""The money ledger of a record (geo/registro/movimientos.py): a movement as entered, as read,
and a record's list with its totals."""

from __future__ import annotations

from datetime import date as Fecha
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from geo.plataforma.entrada import Entrada


class MovimientoEntrada(Entrada):
    fecha: Fecha = Field(description="Fecha del movimiento (AAAA-MM-DD), no futura")
    tipo: str = Field(
        description="transferencia o descargo (alianza); ejecucion_empoderar o "
        "ejecucion_contraparte (subproyecto)",
        examples=["transferencia"],
    )
    monto_bs: Decimal = Field(
        max_digits=16,
        decimal_places=2,
        description="Monto en bolivianos; negativo para revertir un movimiento anterior",
    )
    documento: str | None = Field(
        None, max_length=200, description="Referencia del documento (comprobante, nota)"
    )


class Movimiento(BaseModel):
    id: int
    fecha: Fecha
    tipo: str
    tipo_nombre: str
    monto_bs: float
    documento: str | None
    origen: str = Field(description="apertura, libro o ajuste (un total escrito en el registro)")
    usuario: str
    registrado_en: datetime


class ListaMovimientos(BaseModel):
    count: int
    data: list[Movimiento]
    totales: dict[str, Any] = Field(description="Los totales del registro y su versión")


class MovimientoAgregado(Movimiento):
    totales: dict[str, Any]
