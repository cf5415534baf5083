"""The one input boundary: what any value entering SIGG must be, whichever door it comes in by
(a form, a JSON body, a query parameter, an OGC filter, an imported cell). PostgreSQL refuses a
NUL character in text and an integer past its column; caught here, the refusal names the field
instead of surfacing as a database error."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, field_validator

from geo.plataforma.errors import ParametroInvalido

# The range of an ``integer`` column: every integer SIGG stores fits in one.
ENTERO_MIN, ENTERO_MAX = -(2**31), 2**31 - 1
# How deep a JSON value may nest (a Kobo record is two or three levels deep).
PROFUNDIDAD_MAX = 32


# Values that can hold no NUL character, no integer and nothing nested: checked by their exact
# type first (every field of every imported row passes here; the checks below, and an
# isinstance against a union above all, took 8% of a large import's time).
_SIN_LIMITE = frozenset((type(None), bool, float, Decimal, date, datetime))
_CONTENEDORES = (dict, list, tuple)


def problema_de(valor: Any, profundidad: int = 0) -> str | None:
    """Why ``valor`` cannot be stored (None if it can): a NUL character, an integer out of
    range, or nesting past PROFUNDIDAD_MAX."""
    tipo = type(valor)
    if tipo in _SIN_LIMITE:  # most of a record's values: nothing in them to look at
        return None
    if isinstance(valor, str):
        return "contiene un carácter nulo (\\0)" if "\x00" in valor else None
    if isinstance(valor, int):  # a bool is not: it was let through above
        if not ENTERO_MIN <= valor <= ENTERO_MAX:
            return f"fuera de rango: un entero va de {ENTERO_MIN} a {ENTERO_MAX}"
        return None
    if isinstance(valor, _CONTENEDORES):
        if profundidad >= PROFUNDIDAD_MAX:
            return f"anidado a más de {PROFUNDIDAD_MAX} niveles"
        hijos = valor.values() if isinstance(valor, dict) else valor
        return next((p for h in hijos if (p := problema_de(h, profundidad + 1))), None)
    return None


def exigir_parametro(nombre: str, valor: str | int) -> str | int:
    """A parameter's value: 400 naming it when it cannot be stored or compared."""
    if (motivo := problema_de(valor)) is not None:
        raise ParametroInvalido(f"{nombre}: {motivo}", campo=nombre)
    return valor


class Entrada(BaseModel):
    """Base of every input model: each field, once parsed, passes the boundary (the failure is
    a validation error on that field, so the 422 names it)."""

    @field_validator("*", mode="after")
    @classmethod
    def _dentro_del_limite(cls, valor: Any) -> Any:  # no ValidationInfo to build for each field
        if (motivo := problema_de(valor)) is not None:
            raise ValueError(motivo)
        return valor
