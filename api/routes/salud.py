from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from api.deps import SettingsDep
from api.schemas.documento import problemas
from api.schemas.salud import Salud
from geo.plataforma.db import postgis_version
from geo.plataforma.migrate import current_revision, head_revision
from geo.territorio.consultas import conteos

router = APIRouter(prefix="/api/v1", tags=["salud"], responses=problemas(400))


@router.get(
    "/health",
    response_model=Salud,
    responses={503: {"model": Salud, "description": "Sin base de datos"}},
)
def health(request: Request, settings: SettingsDep) -> JSONResponse:
    """Database reachable, PostGIS version, schema revision and territory loaded (counts)."""
    esperada = head_revision()
    cuerpo: dict = {
        "estado": "ok",
        "tipo_cambio": settings.tipo_cambio,
        "territorio": {},
        "base_de_datos": {"alcanzable": False, "migracion_esperada": esperada},
    }
    try:
        with request.app.state.engine.connect() as conn:
            rev = current_revision(conn)
            cuerpo["base_de_datos"] |= {
                "alcanzable": True,
                "postgis": postgis_version(conn),
                "migracion": rev,
            }
            if rev is not None:
                cuerpo["territorio"] = conteos(conn)
    except SQLAlchemyError:
        cuerpo["estado"] = "sin_base"
        return JSONResponse(cuerpo, status_code=503)
    version = settings.cartografia
    if rev != esperada or not cuerpo["territorio"].get(version, {}).get("municipios"):
        cuerpo["estado"] = "incompleto"
    return JSONResponse(cuerpo)
