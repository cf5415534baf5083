"""The one input boundary's rule (geo/plataforma/entrada.py), value by value: what it lets
through untouched and why it refuses what it refuses, nested values included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import IntEnum, StrEnum

import pytest

from geo.plataforma.entrada import ENTERO_MAX, ENTERO_MIN, PROFUNDIDAD_MAX, problema_de


class _Sector(StrEnum):
    riego = "riego"
    nulo = "ri\x00ego"


class _Grande(IntEnum):
    si = 2**40


def _anidado(n: int) -> object:
    valor: object = "hoja"
    for _ in range(n):
        valor = [valor]
    return valor


@pytest.mark.parametrize(
    "valor",
    [None, True, False, 1.5, Decimal("12345.67"), date(2024, 3, 1),
     datetime(2024, 3, 1, tzinfo=UTC), "Alianza apícola", "", ENTERO_MIN, ENTERO_MAX, 0,
     _Sector.riego, [1, "a", None], {"a": {"b": [2, 3.5]}}, (1, 2),
     _anidado(PROFUNDIDAD_MAX)],
)  # fmt: skip
def test_a_value_that_can_be_stored_passes(valor: object) -> None:
    assert problema_de(valor) is None


@pytest.mark.parametrize(
    ("valor", "motivo"),
    [
        ("a\x00b", "carácter nulo"),
        (_Sector.nulo, "carácter nulo"),  # a str subclass is still looked into
        (ENTERO_MAX + 1, "fuera de rango"),
        (ENTERO_MIN - 1, "fuera de rango"),
        (_Grande.si, "fuera de rango"),  # an int subclass too
        (["bien", "ma\x00l"], "carácter nulo"),
        ({"k": {"j": [1, 2**40]}}, "fuera de rango"),
        (("x", "\x00"), "carácter nulo"),
        (_anidado(PROFUNDIDAD_MAX + 1), f"más de {PROFUNDIDAD_MAX} niveles"),
    ],
)
def test_a_value_that_cannot_be_stored_is_refused_with_its_reason(
    valor: object, motivo: str
) -> None:
    problema = problema_de(valor)
    assert problema is not None and motivo in problema
