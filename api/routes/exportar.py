from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from api.deps import ConnDep, SettingsDep
from api.routes.ogc import RESERVADOS
from api.seguridad import alcance_de
from geo.plataforma.errors import ParametroInvalido
from geo.publicacion import exportar as ex
from geo.publicacion.colecciones import coleccion, leer_bbox, leer_datetime
from geo.publicacion.ogc import Seleccion

router = APIRouter(prefix="/api/v1/exportar", tags=["exportar"])


@router.get("/{cid}")
def exportar(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    cid: str,
    formato: Annotated[
        str, Query(description="geojson, geojsonl, csv, gpkg, shp o kml")
    ] = "geojson",
    srid: Annotated[
        int, Query(description="4326, o 32719/32720/32721 (UTM) para gpkg y shp")
    ] = 4326,
    programa: str = "PAR2",
    bbox: str | None = None,
    datetime: Annotated[str | None, Query(alias="datetime")] = None,
    validados: Annotated[bool, Query(description="Solo registros validados")] = False,
) -> Response:
    """Una colección (alianzas, subproyectos, municipios, provincias, departamentos,
    unidades-operativas) en el formato pedido, con los mismos filtros que /ogc (bbox, datetime y
    cualquier atributo, p. ej. ?municipio_codigo=060301). GeoJSON, GeoJSON Lines y CSV se
    transmiten por partes con memoria constante."""
    quien = alcance_de(request)
    c = coleccion(cid).para(quien)
    ex.validar(formato, srid)
    propiedades = tuple(
        (k, v) for k, v in request.query_params.items() if k not in RESERVADOS | {"formato", "srid"}
    )
    for nombre, _ in propiedades:
        if c.atributo(nombre) is None:
            raise ParametroInvalido(f"'{nombre}' no es un atributo de {cid}", campo=nombre)
    s = Seleccion(
        settings.cartografia,
        programa,
        leer_bbox(bbox),
        leer_datetime(datetime),
        propiedades,
        srid,
        alcance=quien,
        solo_validados=validados,
    )
    tipo, extension = ex.FORMATOS[formato]
    nombre = f"sigg_{cid}.{extension}"
    cabeceras = {"Content-Disposition": f'attachment; filename="{nombre}"'}
    engine = request.app.state.engine_lectura
    if formato in ("geojson", "geojsonl"):
        return StreamingResponse(
            ex.geojson(engine, c, s, formato == "geojsonl"), media_type=tipo, headers=cabeceras
        )
    if formato == "csv":
        return StreamingResponse(ex.csv_flujo(engine, c, s), media_type=tipo, headers=cabeceras)
    return Response(ex.binario(conn, c, s, formato), media_type=tipo, headers=cabeceras)
