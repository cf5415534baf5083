from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.deps import ConnDep
from api.parametros import ATRIBUTOS_COMO_FILTRO, PedidoDep
from api.schemas.documento import archivos, problemas
from geo.publicacion import exportar as ex
from geo.vocabulario.parametros import SINONIMOS_OGC

# gzip level for the streamed files: level 1 compresses GeoJSON some 14x at ~170 MB/s on one
# core, level 9 (the GZip middleware's) 21x at ~40 MB/s, which made a full export wait on
# the compressor rather than on the database (bench/RESULTS_exportar.md).
NIVEL_GZIP = 1


def _al_terminar(conn: ConnDep) -> Iterator[ExitStack]:
    """What a streamed answer must release before the request's connection goes back to the
    pool: it depends on ConnDep, so FastAPI ends it first, once the response is sent or cut."""
    with ExitStack() as pila:
        yield pila


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
        "parece terminada). GeoPackage, Shapefile y KML se escriben en disco por partes y se "
        "envían desde el archivo, que se borra al terminar. "
        "Un parámetro desconocido responde 400 y lo nombra."
    ),
)
def exportar(
    request: Request,
    conn: ConnDep,
    pedido: PedidoDep,
    al_terminar: Annotated[ExitStack, Depends(_al_terminar)],
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
    if formato not in ("geojson", "geojsonl", "csv"):
        archivo = ex.binario(conn, c, s, formato)  # written to disk, then sent from there
        al_terminar.callback(archivo.borrar)
        return StreamingResponse(archivo.trozos(), media_type=tipo, headers=cabeceras)
    # The query runs and the first block is read here, so an error so far is a problem.
    # The stream goes on reading the request's connection, which FastAPI closes only
    # after the response is sent (or cut), and after ``al_terminar``.
    flujo = (
        ex.csv_flujo(conn, c, s)
        if formato == "csv"
        else ex.geojson(conn, c, s, formato == "geojsonl")
    )
    al_terminar.callback(flujo.cerrar)
    cabeceras["X-Total-Count"] = str(flujo.total)
    bloques = flujo.bloques
    if "gzip" in request.headers.get("accept-encoding", ""):
        bloques = _gzip(bloques)
        cabeceras |= {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
    return StreamingResponse(bloques, media_type=tipo, headers=cabeceras)


def _gzip(bloques: Iterator[bytes]) -> Iterator[bytes]:
    """The stream compressed here, at a fast level, so that the GZip middleware (which leaves
    an answer with Content-Encoding alone) does not compress it at its slow one."""
    z = zlib.compressobj(NIVEL_GZIP, zlib.DEFLATED, 31)  # wbits 31: a gzip member
    for bloque in bloques:
        if comprimido := z.compress(bloque):
            yield comprimido
    yield z.flush()
