from __future__ import annotations

import csv
import gzip
import io
import json
import time
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.exc import SQLAlchemyError

from api.cache import cacheada
from api.compresion import acepta
from api.deps import ConnDep, SettingsDep
from api.frescura import CuerpoFijo, responder_fijo
from api.pagina import Dato
from api.parametros import FiltrosDep
from api.respuestas import GEOJSON, como_se_agrega, no_modificado
from api.schemas.documento import archivos, con_cache, problemas, solo
from api.schemas.mapa import CapaTopoJSON, Lagos, Medidas, PuntosMapa, ValoresMapa
from geo.acceso.alcance import PUBLICO
from geo.analisis.agregacion import NivelAgregacion, del_programa, preparar
from geo.analisis.mapa import (
    CLASIFICACIONES,
    LIGERA,
    MEDIDAS_MAPA,
    Capa,
    capa_web,
    como_geojson,
    lagos,
    puntos_geojson,
    valores,
)
from geo.formatos.celdas import fila_csv
from geo.plataforma.errors import EntradaInvalida
from geo.publicacion import mapa_archivos
from geo.territorio.consultas import cargada_en

router = APIRouter(prefix="/api/v1/mapa", tags=["mapa"], responses=problemas(400, 401, 404, 422))

Medida = Annotated[str, Query(description="Una de /api/v1/mapa/medidas")]
Clasificacion = Annotated[str, Query(pattern="^(cuantiles|jenks|intervalos)$")]
Clases = Annotated[int, Query(ge=3, le=7)]


@router.get("/medidas", response_model=Medidas)
def medidas(settings: SettingsDep) -> dict[str, Any]:
    """Lo que se puede mapear, las clasificaciones y el mapa base (si hay uno configurado)."""
    return {
        "medidas": MEDIDAS_MAPA,
        "clasificaciones": list(CLASIFICACIONES),
        "teselas": settings.mapa_teselas,
    }


@router.get("/capa", responses=con_cache(CapaTopoJSON, "Los municipios en TopoJSON"))
def capa(
    request: Request, conn: ConnDep, settings: SettingsDep, cartografia: str | None = None
) -> Response:
    """Los 339 municipios simplificados para la pantalla, en TopoJSON (bordes compartidos
    simplificados una vez: sin huecos entre vecinos). Se guarda en el navegador (ETag)."""
    version = cartografia or settings.cartografia
    # Read before the load is checked: the body is trusted from then (api/frescura.py).
    desde = time.monotonic()
    marca = cargada_en(conn, version)
    c = capa_web(conn, version)
    capas = request.app.state.capas
    cuerpo = capas.guardar(version, desde, marca or "", c.etag, lambda: _cuerpo_fijo(c))
    return responder_fijo(
        cuerpo, request.headers.get("if-none-match"), request.headers.get("accept-encoding", "")
    )


def _cuerpo_fijo(c: Capa) -> CuerpoFijo:
    """The layer's body, plain and gzipped, built once per load of the territory; the ETag is
    the hash of its content, so every worker process gives the same one."""
    cabeceras = {
        "ETag": f'"{c.etag}"',
        "Cache-Control": "public, max-age=3600, must-revalidate",
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    return CuerpoFijo(gzip.decompress(c.gzip), c.gzip, cabeceras)


@router.get(
    "/capa-ligera",
    responses=con_cache(CapaTopoJSON, "Los municipios en TopoJSON, más simplificados"),
)
def capa_ligera(
    request: Request, conn: ConnDep, settings: SettingsDep, cartografia: str | None = None
) -> Response:
    """Los mismos municipios con bordes más simples (0,05°) y sin nombres: la cuarta parte de
    los bytes. La página la dibuja primero (en una línea lenta llega segundos antes que /capa)
    y la cambia por /capa en cuanto esta llega. Se guarda en el navegador (ETag)."""
    c = capa_web(conn, cartografia or settings.cartografia, LIGERA)
    cabeceras = {
        "ETag": f'"{c.etag}"',
        "Cache-Control": "public, max-age=3600, must-revalidate",
        "Vary": "Accept-Encoding",
    }
    if (igual := no_modificado(request.headers.get("if-none-match"), cabeceras)) is not None:
        return igual
    codificaciones = request.headers.get("accept-encoding")
    if acepta(codificaciones, "br"):
        cuerpo, cabeceras["Content-Encoding"] = c.br, "br"
    elif acepta(codificaciones, "gzip"):
        cuerpo, cabeceras["Content-Encoding"] = c.gzip, "gzip"
    else:
        cuerpo = gzip.decompress(c.gzip)
    return Response(cuerpo, media_type="application/json", headers=cabeceras)


def capa_ligera_en_la_pagina(request: Request) -> dict[str, Dato]:
    """The light layer for the map page's data block (api/pagina.py), as /capa-ligera answers
    it with the default cartography; nothing when the database does not answer: the page is
    served without it and asks for it. One small read (the territory's load) per page: the
    layer of that load is held in memory."""
    cartografia = request.app.state.settings.cartografia
    try:
        with request.app.state.engine_lectura.connect() as conn:
            c = capa_web(conn, cartografia, LIGERA)
    except (SQLAlchemyError, EntradaInvalida):
        return {}
    desde = datetime.fromisoformat(c.cargada).timestamp()
    return {"/api/v1/mapa/capa-ligera": Dato(c.etag, desde, c.crudo)}


@router.get(
    "/lagos",
    response_class=Response,
    responses={200: solo(Lagos, GEOJSON, "Lagos y salares, GeoJSON FeatureCollection")},
)
def cuerpos_de_agua(conn: ConnDep, settings: SettingsDep) -> Response:
    return Response(
        lagos(conn, settings.cartografia),
        media_type=GEOJSON,
        headers={"Cache-Control": "public, max-age=3600"},
    )


@router.get(
    "/valores",
    response_model=None,
    responses=con_cache(ValoresMapa, "Valor y clase de cada unidad, y la leyenda", True),
)
def valores_de_medida(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    f: FiltrosDep,
    nivel: NivelAgregacion = NivelAgregacion.municipio,
    medida: Medida = "familias_por_mil_rurales",
    clasificacion: Clasificacion = "cuantiles",
    clases: Clases = 5,
) -> Response:
    """Solo los valores de una medida por unidad, con su clase (mapclassify) y la leyenda; la
    geometría viaja una sola vez (/capa). Se calcula una vez por versión de los datos."""

    def calcular(programa: list[tuple[Any, ...]] | None) -> dict[str, Any]:
        consulta, sintetico = preparar(conn, f, nivel, settings.tipo_cambio, programa)
        return {
            "nivel": nivel,
            "datos_sinteticos": sintetico,
            **valores(conn, consulta, medida, clasificacion, clases),
        }

    quien = f.alcance or PUBLICO
    return cacheada(request, conn, quien, calcular, como_se_agrega(f), del_programa(f.programa))


@router.get(
    "/puntos",
    response_class=Response,
    responses={200: solo(PuntosMapa, GEOJSON, "Los puntos, GeoJSON FeatureCollection")},
)
def puntos(
    conn: ConnDep,
    f: FiltrosDep,
    tipo: Annotated[str, Query(pattern="^(alianzas|subproyectos)$")] = "alianzas",
) -> Response:
    """Alianzas (con todos los filtros del registro) o subproyectos (programa y territorio)
    como puntos; el GeoJSON se arma en PostGIS."""
    return Response(puntos_geojson(conn, f, tipo), media_type=GEOJSON)


@router.get(
    "/descarga",
    response_class=Response,
    responses={
        200: archivos(
            "El mapa en pantalla: GeoJSON, CSV, CSV para Excel en español o HTML",
            GEOJSON,
            "text/csv",
            "text/html",
        )
    },
)
def descarga(
    conn: ConnDep,
    settings: SettingsDep,
    f: FiltrosDep,
    nivel: NivelAgregacion = NivelAgregacion.municipio,
    medida: Medida = "familias_por_mil_rurales",
    clasificacion: Clasificacion = "cuantiles",
    clases: Clases = 5,
    formato: Annotated[str, Query(pattern="^(geojson|csv|csv-excel|html)$")] = "geojson",
) -> Response:
    """Exactamente lo que está en pantalla: GeoJSON, CSV (para programas), CSV para Excel en
    español (`csv-excel`: `;`, coma decimal, códigos INE como texto) o el mapa en un HTML que
    abre sin internet, con título, filtros y fecha."""
    consulta, sintetico = preparar(conn, f, nivel, settings.tipo_cambio)
    datos = valores(conn, consulta, medida, clasificacion, clases)
    nombre = f"sigg_{nivel.value}_{medida}"
    nota = "Datos SINTÉTICOS de demostración" if sintetico else None
    if formato == "csv":
        salida = io.StringIO()
        w = csv.writer(salida)
        w.writerow(["codigo", "nombre", medida, "clase", "sin_dato"])
        for codigo, u in datos["unidades"].items():
            w.writerow(fila_csv([codigo, u["nombre"], u["valor"], u["clase"], u["sin_dato"] or ""]))
        return _adjunto(
            ("\ufeff" + salida.getvalue()).encode(), "text/csv; charset=utf-8", f"{nombre}.csv"
        )
    if formato == "csv-excel":
        return _adjunto(
            mapa_archivos.csv_excel(datos), "text/csv; charset=utf-8", f"{nombre}_excel.csv"
        )
    fc = como_geojson(capa_web(conn, consulta.cartografia), nivel.value, datos)
    if formato == "html":
        return _adjunto(
            mapa_archivos.html(
                conn, consulta, fc, datos | {"nivel": nivel.value, "datos_sinteticos": sintetico}
            ).encode(),
            "text/html; charset=utf-8",
            f"{nombre}.html",
        )
    if nota:
        fc["nota"] = nota
    return _adjunto(json.dumps(fc, ensure_ascii=False).encode(), GEOJSON, f"{nombre}.geojson")


def _adjunto(cuerpo: bytes, tipo: str, archivo: str) -> Response:
    return Response(
        cuerpo,
        media_type=tipo,
        headers={"Content-Disposition": f'attachment; filename="{archivo}"'},
    )
