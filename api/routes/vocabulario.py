"""The program's vocabulary for the forms of the page: codes with their labels, the moves of
the alliance cycle and the label of every field. One source: a new sector in
geo/vocabulario/catalogos.py appears in every form without editing the page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.schemas.documento import problemas
from api.schemas.vocabulario import Vocabulario
from geo.vocabulario import catalogos as c

router = APIRouter(prefix="/api/v1", tags=["vocabulario"], responses=problemas(400))


def _opciones(d: dict[Any, str]) -> list[dict[str, str]]:
    return [{"codigo": str(k), "nombre": v} for k, v in d.items()]


@router.get("/vocabulario", response_model=Vocabulario)
def vocabulario() -> dict[str, Any]:
    """Sectores, modelos, financiamientos, etapas (con las que siguen a cada una), estados de la
    verificación, precisiones de ubicación y la etiqueta de cada campo de una alianza."""
    return {
        "sectores": _opciones(c.SECTORES),
        "modelos": _opciones(c.MODELOS),
        "financiamientos": _opciones(c.FINANCIAMIENTOS),
        "etapas": [
            {
                "codigo": k,
                "nombre": v,
                "siguientes": c.siguientes(k),
                "final": k in c.ETAPAS_FINALES,
            }
            for k, v in c.ETAPAS.items()
        ],
        "etapas_subproyecto": [
            {
                "codigo": k,
                "nombre": v,
                "siguientes": [
                    h for h in c.ETAPAS_SUBPROYECTO if (k, h) in c.TRANSICIONES_SUBPROYECTO
                ],
                "final": k == list(c.ETAPAS_SUBPROYECTO)[-1],
            }
            for k, v in c.ETAPAS_SUBPROYECTO.items()
        ],
        "estados": _opciones(c.ESTADOS),
        "precisiones": _opciones(c.PRECISIONES),
        "campos_alianza": c.CAMPOS_ALIANZA,
        "campos_subproyecto": c.CAMPOS_SUBPROYECTO,
    }
