from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.deps import ConnDep
from api.parametros import ATRIBUTOS_COMO_FILTRO, PedidoDep
from api.schemas.documento import archivos, problemas
from geo.publicacion import exportar as ex
from geo.vocabulario.parametros import SINONIMOS_OGC

router = APIRouter(
    prefix="/api/v1/exportar", tags=["exportar"], responses=problemas(400, 401, 404, 422)
)


@router.get(
    "/{cid}",
    response_class=Response,
    responses={
        200: archivos(
            "La colección filtrada, como archivo",
            *(tipo.split(";")[0] for tipo, _ in ex.FORMATOS.values()),
        )
    },
    openapi_extra={ATRIBUTOS_COMO_FILTRO: True},
    description=(
        "Una colección (alianzas, subproyectos, municipios, provincias, departamentos, "
        "unidades-operativas) en el formato pedido, con los filtros del vocabulario común "
        "(municipio, departamento, etapa_alcanzada...), bbox, datetime y cualquier atributo de "
        "la colección (como en /ogc; "
        + ", ".join(f"{k} equivale a {v}" for k, v in SINONIMOS_OGC.items())
        + "). GeoJSON, GeoJSON Lines y CSV se transmiten por partes con memoria constante. "
        "Un parámetro desconocido responde 400 y lo nombra."
    ),
)
def exportar(
    request: Request,
    conn: ConnDep,
    pedido: PedidoDep,
    cid: str,
    formato: Annotated[
        str, Query(description="geojson, geojsonl, csv, gpkg, shp o kml")
    ] = "geojson",
    srid: Annotated[
        int, Query(description="4326, o 32719/32720/32721 (UTM) para gpkg y shp")
    ] = 4326,
) -> Response:
    """Exporta una colección filtrada."""
    ex.validar(formato, srid)
    c, s = pedido.coleccion, replace(pedido.seleccion, srid=srid)
    tipo, extension = ex.FORMATOS[formato]
    cabeceras = {"Content-Disposition": f'attachment; filename="sigg_{cid}.{extension}"'}
    engine = request.app.state.engine_lectura
    if formato in ("geojson", "geojsonl"):
        flujo = ex.geojson(engine, c, s, formato == "geojsonl")
        return StreamingResponse(flujo, media_type=tipo, headers=cabeceras)
    if formato == "csv":
        return StreamingResponse(ex.csv_flujo(engine, c, s), media_type=tipo, headers=cabeceras)
    return Response(ex.binario(conn, c, s, formato), media_type=tipo, headers=cabeceras)
