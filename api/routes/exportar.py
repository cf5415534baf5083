from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Query, Response
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
        | {
            "headers": {
                "X-Total-Count": {
                    "description": "GeoJSON, GeoJSON Lines y CSV: cuántos elementos (filas) "
                    "trae el archivo completo",
                    "schema": {"type": "integer"},
                }
            }
        }
    },
    openapi_extra={ATRIBUTOS_COMO_FILTRO: True},
    description=(
        "Una colección (alianzas, subproyectos, municipios, provincias, departamentos, "
        "unidades-operativas) en el formato pedido, con los filtros del vocabulario común "
        "(municipio, departamento, etapa_alcanzada...), bbox, datetime y cualquier atributo de "
        "la colección (como en /ogc; "
        + ", ".join(f"{k} equivale a {v}" for k, v in SINONIMOS_OGC.items())
        + "). GeoJSON, GeoJSON Lines y CSV se transmiten por partes con memoria constante; la "
        "cabecera X-Total-Count dice cuántos elementos (filas) trae el archivo completo, y si la "
        "base falla a mitad de camino la conexión se corta (la descarga queda incompleta, nunca "
        "parece terminada). "
        "Un parámetro desconocido responde 400 y lo nombra."
    ),
)
def exportar(
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
    if formato in ("geojson", "geojsonl", "csv"):
        # The query runs and the first block is read here, so an error so far is a problem.
        # The stream goes on reading the request's connection, which FastAPI closes only
        # after the response is sent (or cut).
        flujo = (
            ex.csv_flujo(conn, c, s)
            if formato == "csv"
            else ex.geojson(conn, c, s, formato == "geojsonl")
        )
        cabeceras["X-Total-Count"] = str(flujo.total)
        return StreamingResponse(flujo.bloques, media_type=tipo, headers=cabeceras)
    return Response(ex.binario(conn, c, s, formato), media_type=tipo, headers=cabeceras)
