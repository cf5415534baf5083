"""Numbers as people in Bolivia read them: a point between thousands and a comma before the
decimals ("2.243,0", "4.955.315", "7,399"), for everything made for people (legends, tooltips,
the HTML map, documents). Files for programs keep the machine form."""

from __future__ import annotations

import math


def decimales(valor: float) -> int:
    """Enough decimals for about four significant digits, at least one for a fraction: 2243.04
    -> 1 ("2.243,0"), 7.3988 -> 3, 0.01234 -> 5; none for a whole number."""
    if not math.isfinite(valor) or float(valor).is_integer():
        return 0
    return max(1, 3 - int(math.floor(math.log10(abs(valor)))))


def numero_es(valor: float | int | None, digitos: int | None = None) -> str:
    """``valor`` with Bolivian separators. ``digitos`` fixes the decimals ("2.243,0"); without
    it about four significant digits are shown and trailing zeros dropped ("3,5", not "3,500",
    which a reader could take for three thousand five hundred). None is "", never "None"."""
    if valor is None:
        return ""
    if isinstance(valor, float) and not math.isfinite(valor):
        return str(valor)
    d = decimales(float(valor)) if digitos is None else digitos
    texto = f"{valor:,.{d}f}"
    if digitos is None and "." in texto:
        texto = texto.rstrip("0").rstrip(".")
    return texto.replace(",", "\0").replace(".", ",").replace("\0", ".")
