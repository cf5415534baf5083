"""One search for the staff workspace and the public map (geo.registro.busqueda)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import ConnDep
from api.parametros import ProgramaDep
from api.schemas.busqueda import ResultadoBusqueda
from api.schemas.documento import problemas
from api.seguridad import AlcanceDep
from geo.registro.busqueda import LARGO_MAX, LARGO_MIN, LIMITE_MAX, buscar

router = APIRouter(prefix="/api/v1", tags=["búsqueda"], responses=problemas(400, 401, 422))


@router.get("/buscar", response_model=ResultadoBusqueda)
def buscar_texto(
    conn: ConnDep,
    quien: AlcanceDep,
    programa: ProgramaDep,
    q: Annotated[
        str,
        Query(
            min_length=LARGO_MIN,
            description=f"Texto a buscar, de {LARGO_MIN} a {LARGO_MAX} caracteres; sin "
            "distinguir tildes ni mayúsculas: un nombre o parte de él, un código INE o el "
            "código de una alianza",
            examples=["yacu"],
        ),
    ],
    limit: Annotated[
        int, Query(ge=1, le=LIMITE_MAX, description="Máximo de lugares y de alianzas")
    ] = 10,
) -> dict[str, Any]:
    """Lugares (departamentos, provincias, municipios, unidades operativas) y alianzas que
    coinciden con ``q``. El público solo encuentra alianzas validadas."""
    return buscar(conn, q, quien, programa, limit)
