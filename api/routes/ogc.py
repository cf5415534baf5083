"""OGC API - Features (Part 1 Core, GeoJSON and HTML; Part 3 queryables and property filters)
at /ogc, for QGIS, ArcGIS and GDAL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import ConnDep, SettingsDep
from api.parametros import ATRIBUTOS_COMO_FILTRO, CorteDep, PedidoDep, ProgramaDep
from api.respuestas import GEOJSON
from api.schemas.documento import pagina_html, problemas, solo
from api.schemas.ogc import (
    Colecciones,
    ColeccionOGC,
    Conformidad,
    ElementoConEnlaces,
    Elementos,
    Filtrables,
    Inicio,
)
from api.seguridad import AlcanceDep
from geo.acceso.alcance import Alcance
from geo.plataforma.errors import ParametroInvalido
from geo.publicacion import ogc_html
from geo.publicacion.colecciones import COLECCIONES, Coleccion, coleccion
from geo.publicacion.ogc import Seleccion, extension, pagina, una
from geo.registro.consultas import Filtros
from geo.vocabulario.parametros import SINONIMOS_OGC

router = APIRouter(
    prefix="/ogc", tags=["OGC API - Features"], responses=problemas(400, 401, 404, 422)
)
# Every JSON document also comes as an HTML page (?f=html or Accept: text/html).
CON_HTML: dict[int | str, dict[str, Any]] = {200: {"content": pagina_html()}}

LIMITE_DEFECTO, LIMITE_MAXIMO = 10, 10_000
# Coordinates are served in WGS 84 lon/lat only (Part 2 clients such as GDAL ask for it).
CRS_ACEPTADOS = {
    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
    "http://www.opengis.net/def/crs/EPSG/0/4326",
}
CONFORMIDAD = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

Formato = Annotated[
    str | None,
    Query(alias="f", description="json (GeoJSON, por defecto) o html; también por Accept"),
]
CRS = Annotated[
    str | None,
    Query(description="Solo CRS84 (http://www.opengis.net/def/crs/OGC/1.3/CRS84) o EPSG:4326"),
]


def _html(request: Request, f: str | None) -> bool:
    if f not in (None, "json", "html"):
        raise ParametroInvalido(f"formato no soportado: f={f} (use json o html)", campo="f")
    if f is not None:
        return f == "html"
    return "text/html" in request.headers.get("accept", "") and "json" not in request.headers.get(
        "accept", ""
    )


def _pide_html(request: Request) -> bool:
    """For the routes whose ``f`` is declared by a shared dependency."""
    return _html(request, request.query_params.get("f"))


def _url(request: Request, ruta: str, *pares: tuple[str, Any], **params: Any) -> str:
    """An absolute link into the service, its query percent-encoded (a filter such as
    ``nombre=Miel & Cera`` must come back as the same filter)."""
    base = str(request.base_url).rstrip("/")
    todos = [*pares, *((k, v) for k, v in params.items() if v is not None)]
    consulta = urlencode(todos)
    return f"{base}/ogc{ruta}" + (f"?{consulta}" if consulta else "")


def _enlace(href: str, rel: str, tipo: str, titulo: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": tipo, "title": titulo}


def _migas(request: Request, *pasos: tuple[str, str | None]) -> list[dict[str, str | None]]:
    """The breadcrumbs of an HTML page: the service's landing, then ``pasos`` (title, path;
    None for the page itself)."""
    inicio = ("SIGG OGC API", _url(request, "/", f="html"))
    return [
        {"titulo": t, "href": h}
        for t, h in (inicio, *((t, r and _url(request, r, f="html")) for t, r in pasos))
    ]


def _fondo(request: Request, s: Seleccion) -> str:
    """The municipal borders drawn under a page's map (the map page's cached TopoJSON)."""
    return f"{str(request.base_url).rstrip('/')}/api/v1/mapa/capa?cartografia={s.cartografia}"


def _lista(enlaces: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{"href": e["href"], "titulo": e["title"]} for e in enlaces]


@router.get("", include_in_schema=False, response_model=Inicio, responses=CON_HTML)
@router.get("/", response_model=Inicio, responses=CON_HTML)
def inicio(request: Request, formato: Formato = None) -> Any:
    """Página de inicio del servicio OGC API - Features."""
    enlaces = [
        _enlace(_url(request, "/"), "self", "application/json", "Este documento"),
        _enlace(_url(request, "/", f="html"), "alternate", "text/html", "En HTML"),
        _enlace(
            str(request.base_url) + "openapi.json",
            "service-desc",
            "application/vnd.oai.openapi+json;version=3.0",
            "Definición OpenAPI",
        ),
        _enlace(str(request.base_url) + "docs", "service-doc", "text/html", "Documentación"),
        _enlace(_url(request, "/conformance"), "conformance", "application/json", "Conformidad"),
        _enlace(_url(request, "/collections"), "data", "application/json", "Colecciones"),
    ]
    cuerpo = {
        "title": "SIGG: alianzas rurales y territorio de Bolivia",
        "description": "OGC API - Features del Sistema de Información Gerencial "
        "Georreferenciado (PAR II, EMPODERAR).",
        "links": enlaces,
    }
    if _html(request, formato):
        return HTMLResponse(
            ogc_html.pagina(
                str(cuerpo["title"]),
                [{"titulo": "SIGG OGC API", "href": None}],
                str(cuerpo["description"]),
                _lista(enlaces),
            )
        )
    return cuerpo


@router.get("/conformance", response_model=Conformidad, responses=CON_HTML)
def conformidad(request: Request, formato: Formato = None) -> Any:
    if _html(request, formato):
        return HTMLResponse(
            ogc_html.pagina(
                "Conformidad",
                _migas(request, ("Conformidad", None)),
                lista=[{"titulo": c} for c in CONFORMIDAD],
            )
        )
    return {"conformsTo": CONFORMIDAD}


def _base(
    request: Request,
    settings: SettingsDep,
    quien: AlcanceDep,
    programa: ProgramaDep,
    f: Formato = None,
    crs: CRS = None,
    cartografia: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}$", description="Versión de la cartografía")
    ] = None,
) -> Seleccion:
    """What every OGC request reads: the format, the CRS, the program and the cartography."""
    _html(request, f)
    _crs("crs", crs)
    return Seleccion(cartografia or settings.cartografia, programa, alcance=quien)


BaseDep = Annotated[Seleccion, Depends(_base)]


def _crs(nombre: str, valor: str | None) -> None:
    if valor and valor not in CRS_ACEPTADOS:
        raise ParametroInvalido(f"{nombre} no soportado: {valor} (use CRS84)", campo=nombre)


def _coleccion(cid: str, quien: Alcance | None) -> Coleccion:
    """The collection as the reader may see it (the public: no personal attributes)."""
    return coleccion(cid).para(quien)


def _descripcion(request: Request, conn: Any, s: Seleccion, c: Coleccion) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.titulo,
        "description": c.descripcion,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": extension(conn, c, s),
        "links": [
            _enlace(_url(request, f"/collections/{c.id}"), "self", "application/json", c.titulo),
            _enlace(_url(request, f"/collections/{c.id}/items"), "items", GEOJSON, "Elementos"),
            _enlace(
                _url(request, f"/collections/{c.id}/items", f="html"),
                "items",
                "text/html",
                "Elementos en HTML",
            ),
            _enlace(
                _url(request, f"/collections/{c.id}/queryables"),
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                "application/schema+json",
                "Atributos filtrables",
            ),
        ],
    }


@router.get(
    "/collections",
    response_model=Colecciones,
    response_model_exclude_unset=True,
    responses=CON_HTML,
)
def colecciones(request: Request, conn: ConnDep, s: BaseDep) -> Any:
    datos = [_descripcion(request, conn, s, c.para(s.alcance)) for c in COLECCIONES.values()]
    if _pide_html(request):
        lista = [
            {
                "href": _url(request, f"/collections/{d['id']}", f="html"),
                "titulo": f"{d['title']} ({d['id']})",
            }
            for d in datos
        ]
        return HTMLResponse(
            ogc_html.pagina("Colecciones", _migas(request, ("Colecciones", None)), lista=lista)
        )
    return {
        "links": [
            _enlace(_url(request, "/collections"), "self", "application/json", "Colecciones")
        ],
        "collections": datos,
    }


@router.get(
    "/collections/{cid}",
    response_model=ColeccionOGC,
    response_model_exclude_unset=True,
    responses=CON_HTML,
)
def una_coleccion(request: Request, conn: ConnDep, s: BaseDep, cid: str) -> Any:
    d = _descripcion(request, conn, s, _coleccion(cid, s.alcance))
    if _pide_html(request):
        migas = _migas(request, ("Colecciones", "/collections"), (str(d["title"]), None))
        filtrables_html = _url(request, f"/collections/{cid}/queryables", f="html")
        lista = [*_lista(d["links"]), {"href": filtrables_html, "titulo": "Atributos filtrables"}]
        return HTMLResponse(ogc_html.pagina(str(d["title"]), migas, str(d["description"]), lista))
    return d


@router.get(
    "/collections/{cid}/queryables",
    response_class=Response,
    responses={
        200: solo(
            Filtrables,
            "application/schema+json",
            "Los atributos filtrables (JSON Schema), o en HTML con f=html",
            **pagina_html(),
        )
    },
)
def filtrables(request: Request, quien: AlcanceDep, cid: str, formato: Formato = None) -> Response:
    c = _coleccion(cid, quien)
    if _html(request, formato):
        migas = _migas(
            request,
            ("Colecciones", "/collections"),
            (c.titulo, f"/collections/{cid}"),
            ("Atributos filtrables", None),
        )
        return HTMLResponse(ogc_html.filtrables(c, migas))
    propiedades = {
        a.nombre: {
            "type": a.tipo,
            "title": a.nombre,
            "description": a.descripcion,
            **({"format": a.formato} if a.formato else {}),
        }
        for a in c.atributos
    }
    return JSONResponse(
        {
            "$schema": "https://json-schema.org/draft/2019-09/schema",
            "$id": _url(request, f"/collections/{cid}/queryables"),
            "type": "object",
            "title": c.titulo,
            "properties": propiedades,
            "additionalProperties": False,
        },
        media_type="application/schema+json",
    )


@router.get(
    "/collections/{cid}/items",
    response_class=Response,
    responses={200: solo(Elementos, GEOJSON, "Una página de elementos", **pagina_html())},
    openapi_extra={ATRIBUTOS_COMO_FILTRO: True},
    description=(
        "Elementos con limit, offset, bbox, datetime, los filtros del vocabulario común "
        "(municipio, departamento, etapa_alcanzada...) y, además, cualquier atributo de la "
        "colección como filtro (OGC API - Features Part 3, vea /queryables): "
        + ", ".join(f"{k} equivale a {v}" for k, v in SINONIMOS_OGC.items())
        + ". Un parámetro que no es ninguna de estas cosas responde 400 y lo nombra."
    ),
)
def elementos(
    request: Request,
    conn: ConnDep,
    pedido: PedidoDep,
    cid: str,
    limit: Annotated[
        int, Query(ge=1, le=LIMITE_MAXIMO, description="Elementos por página")
    ] = LIMITE_DEFECTO,
    offset: Annotated[int, Query(ge=0, le=10**9, description="Elementos a saltar")] = 0,
    formato: Formato = None,
    crs: CRS = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="Solo CRS84")] = None,
) -> Any:
    """Elementos de una colección, en páginas, como GeoJSON o HTML."""
    c, s = pedido
    html = _html(request, formato)
    _crs("crs", crs)
    _crs("bbox-crs", bbox_crs)
    features, total = pagina(conn, c, s, limit, offset)
    # The links keep every filter, and the HTML page's links stay HTML.
    otros = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
    ruta = f"/collections/{cid}/items"
    enlaces = [
        _enlace(_url(request, ruta, *otros, offset=offset), "self", GEOJSON, "Esta página"),
        _enlace(_url(request, f"/collections/{cid}"), "collection", "application/json", c.titulo),
    ]
    if offset + len(features) < total:
        siguiente = _url(request, ruta, *otros, offset=offset + limit)
        enlaces.append(_enlace(siguiente, "next", GEOJSON, "Siguiente"))
    if offset > 0:
        anterior = _url(request, ruta, *otros, offset=max(0, offset - limit))
        enlaces.append(_enlace(anterior, "prev", GEOJSON, "Anterior"))
    if html:
        migas = _migas(
            request,
            ("Colecciones", "/collections"),
            (c.titulo, f"/collections/{cid}"),
            ("Elementos", None),
        )
        paginas = [
            {"href": e["href"], "titulo": e["title"]}
            for e in enlaces
            if e["rel"] in ("prev", "next")
        ]
        return HTMLResponse(
            ogc_html.elementos(
                c, features, total, offset, migas, paginas, enlaces, _fondo(request, s), s.corte
            )
        )
    return JSONResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": total,
            "numberReturned": len(features),
            "timeStamp": datetime.now(UTC).isoformat(timespec="seconds"),
            "links": enlaces,
        },
        media_type=GEOJSON,
    )


@router.get(
    "/collections/{cid}/items/{fid}",
    response_class=Response,
    responses={200: solo(ElementoConEnlaces, GEOJSON, "Un elemento", **pagina_html())},
)
def elemento(
    request: Request, conn: ConnDep, s: BaseDep, cid: str, fid: str, corte: CorteDep = None
) -> Any:
    """Un elemento; con ``corte``, como estaba al final de ese día (404 si aún no existía)."""
    c = _coleccion(cid, s.alcance)
    html = _pide_html(request)
    s = replace(s, filtros=Filtros(corte=corte))
    f = una(conn, c, s, fid)
    propio = _url(request, f"/collections/{cid}/items/{fid}", corte=corte)
    f["links"] = [
        _enlace(propio, "self", GEOJSON, "Este elemento"),
        _enlace(_url(request, f"/collections/{cid}"), "collection", "application/json", c.titulo),
    ]
    if html:
        migas = _migas(
            request,
            ("Colecciones", "/collections"),
            (c.titulo, f"/collections/{cid}"),
            ("Elementos", f"/collections/{cid}/items"),
            (str(f["properties"].get("nombre") or fid), None),
        )
        # Back to the items at the same date (the collection's page has no date).
        migas[-2]["href"] = _url(request, f"/collections/{cid}/items", f="html", corte=corte)
        return HTMLResponse(ogc_html.elemento(c, f, migas, f["links"], _fondo(request, s), corte))
    return JSONResponse(f, media_type=GEOJSON)
