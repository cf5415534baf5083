"""The map's points as Mapbox vector tiles: the same filters and scope as /api/v1/mapa/puntos,
one tile at a time, so that a million alliances never travel as one GeoJSON.

A tile is computed once per data generation and reader scope (the cache of api/cache.py, the
one every write moves on, with the same ETag form): a repeat is served from memory, a client
that holds the current version gets 304. Tiles have a cache of their own on the application,
so that a map panned over many tiles does not push the cached aggregates out.

A cluster tile says how it was computed, as the aggregate routes do: ``X-SIGG-Agregado:
resumen`` (from the cell summary kept by the writes) or ``consulta-completa`` with the filters
that summary cannot answer in ``X-SIGG-Agregado-Motivo``. The headers follow from the request
alone (its type and filters), so a tile served from the cache carries the same ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from api.cache import CacheRespuestas, Entrada, ambito, clave_de, codificada, generacion_para
from api.deps import ConnDep
from api.parametros import FiltrosDep
from api.respuestas import no_modificado, por_motivos
from api.schemas.documento import archivos, problemas
from geo.acceso.alcance import PUBLICO
from geo.analisis.teselas import ZOOM_MAX, ZOOM_PUNTOS, mvt, sin_celdas, tesela

MVT = "application/vnd.mapbox-vector-tile"
# The tiles kept: at most this many, each at most this large (a zoom-9 tile over a dense
# million is a megabyte or more: it is computed each time rather than filling the memory).
TESELAS_EN_MEMORIA = 1024
TESELA_MAXIMA = 256 * 1024
DESCRIPCION = (
    "Alianzas (todos los filtros del registro) o subproyectos (programa, territorio, etapa) "
    f"como tesela vectorial: por debajo del zoom {ZOOM_PUNTOS}, grupos con `cantidad` y "
    "`familias`; desde ese zoom, un punto por registro con `codigo`, `nombre`, `etapa`, "
    "`etapa_nombre` y `estado`. Los grupos salen del resumen por celdas que mantienen las "
    "escrituras (cabecera `X-SIGG-Agregado: resumen`) o, con un filtro que ese resumen no "
    "responde, de los registros (`consulta-completa`, y el filtro en "
    "`X-SIGG-Agregado-Motivo`). Vacía: 204. Se calcula una vez por versión de los datos y "
    "quien pregunta (ETag; 304 si no cambió)."
)

router = APIRouter(prefix="/api/v1/teselas", tags=["mapa"], responses=problemas(400, 401, 422))


def _cache(request: Request) -> CacheRespuestas:
    estado = request.app.state
    if getattr(estado, "cache_teselas", None) is None:
        estado.cache_teselas = CacheRespuestas(maximo=TESELAS_EN_MEMORIA)
    cache: CacheRespuestas = estado.cache_teselas
    return cache


def _guardar(cache: CacheRespuestas, n: int, clave: str, cuerpo: bytes) -> Entrada:
    if len(cuerpo) <= TESELA_MAXIMA:
        return cache.guardar(n, clave, cuerpo)
    return Entrada(cuerpo)


@router.get(
    "/{tipo}/{z}/{x}/{y}.pbf",
    response_class=Response,
    description=DESCRIPCION,
    responses={
        # An empty tile is a 204 (said in the description): OpenAPI here names one success.
        200: archivos(
            "La tesela vectorial (MVT), una capa con el nombre del tipo; 204 sin cuerpo si "
            "ningún registro de la selección cae en ella",
            MVT,
        ),
        304: {"description": "Sin cambios desde la versión que el cliente tiene (If-None-Match)"},
    },
)
def tesela_mvt(
    request: Request,
    conn: ConnDep,
    f: FiltrosDep,
    tipo: Annotated[str, Path(pattern="^(alianzas|subproyectos)$")],
    z: Annotated[int, Path(ge=0, le=ZOOM_MAX, description="Zoom")],
    x: Annotated[int, Path(ge=0, description="Columna, de 0 a 2^z - 1")],
    y: Annotated[int, Path(ge=0, description="Fila, de 0 a 2^z - 1 (desde el norte)")],
) -> Response:
    t = tesela(z, x, y)
    quien = f.alcance or PUBLICO
    cache = _cache(request)
    n, leida, _ = generacion_para(request.app.state.cache, conn, quien.publico)
    if leida:  # a generation held, not read now, may be older than this cache's: left as is
        cache.leida(n)
    clave = clave_de(request.url.path, list(request.query_params.multi_items()), ambito(quien))
    entrada = cache.obtener(n, clave)
    cabeceras = {
        "ETag": f'"g{n}-{clave}"',
        "Cache-Control": ("public" if quien.publico else "private") + ", no-cache",
        "Vary": "Authorization, Accept-Encoding",
        "X-Cache": "miss" if entrada is None else "hit",
    }
    if z < ZOOM_PUNTOS:
        cabeceras |= por_motivos(sin_celdas(f, tipo))
    if (igual := no_modificado(request.headers.get("if-none-match"), cabeceras)) is not None:
        return igual
    if entrada is None:
        entrada = _guardar(cache, n, clave, mvt(conn, f, tipo, t))
    if not entrada.cuerpo:
        return Response(status_code=204, headers=cabeceras)
    return codificada(entrada, request.headers.get("accept-encoding"), cabeceras, MVT)
