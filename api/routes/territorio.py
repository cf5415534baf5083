from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.deps import ConnDep, SettingsDep
from api.respuestas import GEOJSON
from api.schemas.documento import problemas, solo
from api.schemas.territorio import FeatureTerritorial, ListaTerritorio, Ubicacion
from geo.territorio.consultas import Nivel, feature, listar
from geo.territorio.ubicacion import ubicar

router = APIRouter(
    prefix="/api/v1/territorio", tags=["territorio"], responses=problemas(400, 422, 503)
)

Cartografia = Annotated[
    str | None,
    Query(
        pattern=r"^[0-9A-Za-z_-]{1,16}$",
        description="Versión de la cartografía (por defecto la del programa, 2012)",
    ),
]


@router.get("/ubicar", response_model=Ubicacion)
def ubicar_punto(
    conn: ConnDep,
    settings: SettingsDep,
    lon: Annotated[float, Query(description="Longitud WGS 84 (grados, negativa en Bolivia)")],
    lat: Annotated[float, Query(description="Latitud WGS 84 (grados, negativa en Bolivia)")],
    cartografia: Cartografia = None,
) -> dict:
    """Municipio, provincia, departamento y unidad operativa de un punto. Un punto fuera de
    Bolivia o sobre un lago o salar recibe un 422 que dice por qué y nombra el municipio más
    cercano."""
    return ubicar(conn, lon, lat, cartografia or settings.cartografia, settings.tolerancia_borde_m)


@router.get("/{nivel}", response_model=ListaTerritorio, response_model_exclude_unset=True)
def listar_nivel(
    conn: ConnDep,
    settings: SettingsDep,
    nivel: Nivel,
    cartografia: Cartografia = None,
    departamento: Annotated[
        str | None, Query(pattern=r"^[0-9]{2}$", description="Código INE del departamento")
    ] = None,
    provincia: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}$", description="Código INE de la provincia")
    ] = None,
    unidad_operativa: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z]{2,16}$", description="Código de la unidad operativa, p. ej. CHACO"
        ),
    ] = None,
) -> dict:
    """Unidades de un nivel con sus padres, población y área; se filtran por padre (los
    municipios de un departamento o de una unidad operativa, p. ej. la del Chaco)."""
    version = cartografia or settings.cartografia
    filtros = {
        n: c
        for n, c in (
            (Nivel.departamentos, departamento),
            (Nivel.provincias, provincia),
            (Nivel.unidades_operativas, unidad_operativa and unidad_operativa.upper()),
        )
        if c
    }
    data = listar(conn, nivel, version, filtros=filtros)
    return {"cartografia": version, "count": len(data), "data": data}


@router.get(
    "/{nivel}/{codigo}",
    response_class=Response,
    responses={
        200: solo(FeatureTerritorial, GEOJSON, "GeoJSON Feature (RFC 7946)"),
        **problemas(404),
    },
)
def una_unidad(
    conn: ConnDep,
    settings: SettingsDep,
    nivel: Nivel,
    codigo: Annotated[str, Path(pattern=r"^[0-9A-Za-z]{1,16}$")],
    cartografia: Cartografia = None,
) -> Response:
    """Una unidad como GeoJSON Feature, con su geometría completa y sus atributos."""
    cuerpo = feature(conn, nivel, codigo.upper(), cartografia or settings.cartografia)
    return Response(
        cuerpo, media_type="application/geo+json", headers={"Cache-Control": "public, max-age=300"}
    )
