"""What a record must be before it is written: types, vocabularies, ranges and the rules that
involve only the record itself. Rules that need the database (location, the current stage,
duplicates) are in the modules that write."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from geo.plataforma.entrada import Entrada
from geo.vocabulario.catalogos import (
    DIAS_FUTUROS,
    ETAPAS,
    ETAPAS_SUBPROYECTO,
    FECHA_MINIMA,
    FINANCIAMIENTOS,
    SECTORES,
    Vocabulario,
)

_MENSAJES = {
    "float_parsing": "debe ser un número",
    "decimal_parsing": "debe ser un número",
    "int_parsing": "debe ser un número entero",
    "int_from_float": "debe ser un número entero",
    "missing": "es obligatorio",
    "extra_forbidden": "campo desconocido",
    "string_too_short": "no puede estar vacío",
    "string_too_long": "es demasiado largo",
    "string_pattern_mismatch": "formato no válido",
    "date_from_datetime_parsing": "fecha no válida (use AAAA-MM-DD)",
    "date_parsing": "fecha no válida (use AAAA-MM-DD)",
    "bool_parsing": "debe ser sí o no",
    "finite_number": "debe ser un número finito",
}


def traducir(error: Any) -> tuple[str, str]:
    """A pydantic error as (field, Spanish message)."""
    campo = ".".join(str(p) for p in error.get("loc", ()) if not isinstance(p, int)) or "registro"
    tipo = error["type"]
    ctx = error.get("ctx") or {}
    if tipo == "value_error":
        return campo, str(ctx.get("error", error["msg"]))
    if tipo in ("greater_than_equal", "greater_than"):
        return campo, f"no puede ser menor que {ctx.get('ge', ctx.get('gt'))}"
    if tipo in ("less_than_equal", "less_than"):
        return campo, f"no puede ser mayor que {ctx.get('le', ctx.get('lt'))}"
    return campo, _MENSAJES.get(tipo, error["msg"])


def errores_de(exc: ValidationError) -> dict[str, str]:
    salida: dict[str, str] = {}
    for e in exc.errors():
        campo, mensaje = traducir(e)
        salida.setdefault(campo, mensaje)
    return salida


def _codigo_de(valor: Any, vocabulario: Vocabulario, que: str) -> str:
    codigo = vocabulario.codigo(str(valor))
    if codigo is None:
        opciones = ", ".join(vocabulario.opciones)
        raise ValueError(f"{que} desconocido '{valor}'; use uno de: {opciones}")
    return codigo


_SECTORES, _FINANCIAMIENTOS = Vocabulario(SECTORES), Vocabulario(FINANCIAMIENTOS)
_ETAPAS, _ETAPAS_SUBPROYECTO = Vocabulario(ETAPAS), Vocabulario(ETAPAS_SUBPROYECTO)


def fecha_plausible(valor: date | None) -> date | None:
    """A date within the program's life: from FECHA_MINIMA to a year ahead of today."""
    hasta = date.today() + timedelta(days=DIAS_FUTUROS)
    if valor is not None and not FECHA_MINIMA <= valor <= hasta:
        raise ValueError(
            f"fecha fuera del período del programa ({valor.isoformat()}): debe estar entre "
            f"{FECHA_MINIMA.isoformat()} y {hasta.isoformat()}"
        )
    return valor


Dinero = Field(default=Decimal(0), ge=0, max_digits=16, decimal_places=2)


class _Ubicable(Entrada):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    lon: float | None = Field(None, ge=-180, le=180, allow_inf_nan=False)
    lat: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    municipio_codigo: str | None = Field(None, pattern=r"^[0-9]{6}$")
    precision_ubicacion: int | None = Field(
        None,
        ge=1,
        le=2,
        description="1 punto exacto, 2 cerca del punto (dentro de 25 km), p. ej. según la "
        "exactitud del GPS; si se omite, la decide el servidor",
    )


def precision(dada: int | None, calculada: int) -> int:
    """The precision a record keeps: the one given (the GPS's accuracy) never claims more than
    the point allows, and a point derived from the municipality stays 3."""
    return calculada if dada is None or calculada >= 3 else max(dada, calculada)


class AlianzaEntrada(_Ubicable):
    codigo: str = Field(min_length=1, max_length=64)
    nombre: str = Field(min_length=1, max_length=500)
    organizacion: str | None = Field(None, max_length=500, description="Nombre de la OPP")
    organizacion_id: int | None = None
    comprador: str | None = Field(None, max_length=500)
    sector: str
    modelo: int = Field(ge=1, le=3)
    financiamiento: str
    convocatoria: str | None = Field(None, max_length=32)
    etapa: str = "solicitud"
    fecha_etapa: date | None = None
    fecha_solicitud: date | None = None
    familias: int = Field(0, ge=0)
    familias_mujeres: int = Field(0, ge=0)
    hectareas_riego: Decimal = Field(Decimal(0), ge=0, max_digits=12, decimal_places=2)
    monto_par_comprometido_bs: Decimal = Dinero
    monto_contraparte_comprometido_bs: Decimal = Dinero
    monto_solicitado_bs: Decimal = Dinero
    monto_transferido_bs: Decimal = Dinero
    monto_descargado_bs: Decimal = Dinero

    @field_validator("sector", mode="before")
    @classmethod
    def _sector(cls, v: Any) -> str:
        return _codigo_de(v, _SECTORES, "sector")

    @field_validator("financiamiento", mode="before")
    @classmethod
    def _financiamiento(cls, v: Any) -> str:
        return _codigo_de(v, _FINANCIAMIENTOS, "financiamiento")

    @field_validator("etapa", mode="before")
    @classmethod
    def _etapa(cls, v: Any) -> str:
        return _codigo_de(v, _ETAPAS, "etapa")

    @field_validator("fecha_etapa", "fecha_solicitud")
    @classmethod
    def _fecha(cls, v: date | None) -> date | None:
        return fecha_plausible(v)

    @field_validator("familias_mujeres")
    @classmethod
    def _mujeres(cls, v: int, info: ValidationInfo) -> int:
        familias = info.data.get("familias")
        if familias is not None and v > familias:
            raise ValueError(
                f"familias representadas por mujeres ({v}) no puede superar las familias "
                f"({familias})"
            )
        return v


class SubproyectoEntrada(_Ubicable):
    codigo: str = Field(min_length=1, max_length=64)
    nombre: str = Field(min_length=1, max_length=500)
    tipo_obra: str | None = Field(None, max_length=200)
    etapa: str = "evaluacion_fps"
    familias: int = Field(0, ge=0)
    monto_empoderar_comprometido_bs: Decimal = Dinero
    monto_contraparte_comprometido_bs: Decimal = Dinero
    monto_empoderar_ejecutado_bs: Decimal = Dinero
    monto_contraparte_ejecutado_bs: Decimal = Dinero
    alianzas: list[str] = Field(default_factory=list, description="Códigos de alianzas")

    @field_validator("etapa", mode="before")
    @classmethod
    def _etapa(cls, v: Any) -> str:
        return _codigo_de(v, _ETAPAS_SUBPROYECTO, "etapa")


def reglas_de_montos(e: AlianzaEntrada, permite_excesos: bool) -> tuple[dict[str, str], list[str]]:
    """Transferred <= committed and accounted <= transferred: refused, or flagged when the
    program allows it."""
    errores: dict[str, str] = {}
    alertas: list[str] = []
    reglas = (
        (
            "monto_transferido_bs",
            e.monto_transferido_bs,
            "monto_par_comprometido_bs",
            e.monto_par_comprometido_bs,
            "transferido_excede_comprometido",
        ),
        (
            "monto_descargado_bs",
            e.monto_descargado_bs,
            "monto_transferido_bs",
            e.monto_transferido_bs,
            "descargado_excede_transferido",
        ),
    )
    for campo, valor, tope_campo, tope, alerta in reglas:
        if valor > tope:
            if permite_excesos:
                alertas.append(alerta)
            else:
                errores[campo] = f"{campo} ({valor}) supera {tope_campo} ({tope})"
    return errores, alertas
