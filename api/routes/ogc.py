"""OGC API - Features (Part 1 Core, GeoJSON and HTML; Part 3 queryables and property filters)
at /ogc, for QGIS, ArcGIS and GDAL."""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.deps import ConnDep, SettingsDep
from api.seguridad import alcance_de
from geo.plataforma.errors import ParametroInvalido
from geo.publicacion.colecciones import COLECCIONES, Coleccion, coleccion, leer_bbox, leer_datetime
from geo.publicacion.ogc import Seleccion, extension, pagina, una

router = APIRouter(prefix="/ogc", tags=["OGC API - Features"])

GEOJSON = "application/geo+json"
LIMITE_DEFECTO, LIMITE_MAXIMO = 10, 10_000
RESERVADOS = {
    "limit",
    "offset",
    "bbox",
    "datetime",
    "f",
    "programa",
    "cartografia",
    "validados",
    "bbox-crs",
    "crs",
}
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


def _html(request: Request) -> bool:
    f = request.query_params.get("f")
    if f not in (None, "json", "html"):
        raise ParametroInvalido(f"formato no soportado: f={f} (use json o html)", campo="f")
    if f is not None:
        return f == "html"
    return "text/html" in request.headers.get("accept", "") and "json" not in request.headers.get(
        "accept", ""
    )


def _url(request: Request, ruta: str, **params: Any) -> str:
    base = str(request.base_url).rstrip("/")
    consulta = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
    return f"{base}/ogc{ruta}" + (f"?{consulta}" if consulta else "")


def _enlace(href: str, rel: str, tipo: str, titulo: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": tipo, "title": titulo}


def _pagina_html(titulo: str, cuerpo: str) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='es'><head><meta charset='utf-8'><title>"
        f"{escape(titulo)}</title></head><body><h1>{escape(titulo)}</h1>{cuerpo}"
        "</body></html>"
    )


def _lista(enlaces: list[dict[str, str]]) -> str:
    return (
        "<ul>"
        + "".join(
            f"<li><a href='{escape(e['href'])}'>{escape(e['title'])}</a></li>" for e in enlaces
        )
        + "</ul>"
    )


@router.get("", include_in_schema=False)
@router.get("/")
def inicio(request: Request) -> Any:
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
    if _html(request):
        return _pagina_html(
            str(cuerpo["title"]), f"<p>{escape(str(cuerpo['description']))}</p>" + _lista(enlaces)
        )
    return cuerpo


@router.get("/conformance")
def conformidad(request: Request) -> Any:
    if _html(request):
        return _pagina_html(
            "Conformidad", "<ul>" + "".join(f"<li>{escape(c)}</li>" for c in CONFORMIDAD) + "</ul>"
        )
    return {"conformsTo": CONFORMIDAD}


def _seleccion(request: Request, settings: Any, c: Coleccion, con_filtros: bool) -> Seleccion:
    q = request.query_params
    for nombre in ("crs", "bbox-crs"):
        if q.get(nombre) and q[nombre] not in CRS_ACEPTADOS:
            raise ParametroInvalido(f"{nombre} no soportado: {q[nombre]} (use CRS84)", campo=nombre)
    propiedades = tuple((k, v) for k, v in q.items() if k not in RESERVADOS) if con_filtros else ()
    bbox = leer_bbox(q.get("bbox")) if con_filtros else None
    fechas = leer_datetime(q.get("datetime")) if con_filtros else None
    for nombre, _ in propiedades:
        if c.atributo(nombre) is None:
            raise ParametroInvalido(
                f"parámetro desconocido '{nombre}': no es un atributo "
                f"filtrable de {c.id} (vea /ogc/collections/{c.id}/"
                "queryables)",
                campo=nombre,
            )
    return Seleccion(
        q.get("cartografia") or settings.cartografia,
        q.get("programa") or "PAR2",
        bbox,
        fechas,
        propiedades,
        alcance=alcance_de(request),
        solo_validados=q.get("validados", "").lower() in ("true", "1", "si", "sí"),
    )


def _coleccion(request: Request, cid: str) -> Coleccion:
    """The collection as the reader may see it (the public: no personal attributes)."""
    return coleccion(cid).para(alcance_de(request))


def _descripcion(request: Request, conn: Any, settings: Any, c: Coleccion) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.titulo,
        "description": c.descripcion,
        "itemType": "feature",
        "crs": [CRS84],
        "storageCrs": CRS84,
        "extent": extension(conn, c, _seleccion(request, settings, c, False)),
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


@router.get("/collections")
def colecciones(request: Request, conn: ConnDep, settings: SettingsDep) -> Any:
    datos = [_descripcion(request, conn, settings, c) for c in COLECCIONES.values()]
    if _html(request):
        return _pagina_html(
            "Colecciones",
            _lista(
                [
                    {
                        "href": _url(request, f"/collections/{d['id']}/items", f="html"),
                        "title": f"{d['title']} ({d['id']})",
                    }
                    for d in datos
                ]
            ),
        )
    return {
        "links": [
            _enlace(_url(request, "/collections"), "self", "application/json", "Colecciones")
        ],
        "collections": datos,
    }


@router.get("/collections/{cid}")
def una_coleccion(request: Request, conn: ConnDep, settings: SettingsDep, cid: str) -> Any:
    d = _descripcion(request, conn, settings, _coleccion(request, cid))
    if _html(request):
        return _pagina_html(
            str(d["title"]), f"<p>{escape(str(d['description']))}</p>" + _lista(d["links"])
        )
    return d


@router.get("/collections/{cid}/queryables")
def filtrables(request: Request, cid: str) -> JSONResponse:
    c = _coleccion(request, cid)
    _html(request)
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


def _entero(request: Request, nombre: str, defecto: int, minimo: int, maximo: int) -> int:
    texto = request.query_params.get(nombre)
    if texto is None:
        return defecto
    if not texto.isdigit():
        raise ParametroInvalido(f"{nombre} debe ser un entero no negativo: '{texto}'", campo=nombre)
    valor = int(texto)
    if not minimo <= valor <= maximo:
        raise ParametroInvalido(
            f"{nombre}={valor} fuera de rango ({minimo} a {maximo})", campo=nombre
        )
    return valor


@router.get("/collections/{cid}/items")
def elementos(request: Request, conn: ConnDep, settings: SettingsDep, cid: str) -> Any:
    """Elementos con limit, offset, bbox, datetime y filtros por atributo (queryables)."""
    c = _coleccion(request, cid)
    html = _html(request)
    limite = _entero(request, "limit", LIMITE_DEFECTO, 1, LIMITE_MAXIMO)
    desde = _entero(request, "offset", 0, 0, 10**9)
    features, total = pagina(conn, c, _seleccion(request, settings, c, True), limite, desde)
    otros = {k: v for k, v in request.query_params.items() if k not in ("offset", "f")}
    enlaces = [
        _enlace(
            _url(request, f"/collections/{cid}/items", **otros, offset=desde),
            "self",
            GEOJSON,
            "Esta página",
        ),
        _enlace(_url(request, f"/collections/{cid}"), "collection", "application/json", c.titulo),
    ]
    if desde + len(features) < total:
        enlaces.append(
            _enlace(
                _url(request, f"/collections/{cid}/items", **otros, offset=desde + limite),
                "next",
                GEOJSON,
                "Siguiente",
            )
        )
    if desde > 0:
        enlaces.append(
            _enlace(
                _url(request, f"/collections/{cid}/items", **otros, offset=max(0, desde - limite)),
                "prev",
                GEOJSON,
                "Anterior",
            )
        )
    if html:
        return _tabla_html(c, features, total, enlaces)
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


def _tabla_html(
    c: Coleccion, features: list[dict[str, Any]], total: int, enlaces: list[dict[str, str]]
) -> HTMLResponse:
    columnas = ["id"] + [a.nombre for a in c.atributos][:8]
    filas = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(str(f['id'] if k == 'id' else f['properties'].get(k)))}</td>"
            for k in columnas
        )
        + "</tr>"
        for f in features
    )
    cabecera = "".join(f"<th>{escape(k)}</th>" for k in columnas)
    return _pagina_html(
        c.titulo,
        f"<p>{len(features)} de {total}</p>"
        f"<table><tr>{cabecera}</tr>{filas}</table>" + _lista(enlaces),
    )


@router.get("/collections/{cid}/items/{fid}")
def elemento(request: Request, conn: ConnDep, settings: SettingsDep, cid: str, fid: str) -> Any:
    c = _coleccion(request, cid)
    html = _html(request)
    f = una(conn, c, _seleccion(request, settings, c, False), fid)
    f["links"] = [
        _enlace(_url(request, f"/collections/{cid}/items/{fid}"), "self", GEOJSON, "Este elemento"),
        _enlace(_url(request, f"/collections/{cid}"), "collection", "application/json", c.titulo),
    ]
    if html:
        return _pagina_html(
            str(f["properties"].get("nombre", fid)),
            "<dl>"
            + "".join(
                f"<dt>{escape(k)}</dt><dd>{escape(str(v))}</dd>" for k, v in f["properties"].items()
            )
            + "</dl>",
        )
    return JSONResponse(f, media_type=GEOJSON)
