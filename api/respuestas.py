"""The shared response toolkit: one record as JSON (or a GeoJSON Feature) carrying its version
as ETag, a page of records (or a FeatureCollection), and one rule, for every route, for when
the answer is GeoJSON. Problems (errors) are built by ``api.errors.problema``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from geo.analisis.agregacion import sin_resumen
from geo.registro.consultas import Filtros, como_feature

GEOJSON = "application/geo+json"

IfMatch = Annotated[
    str | None, Header(description="La versión leída (su ETag); obligatoria para cambiar")
]


def coincide(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names ``etag`` (RFC 9110: a list of entity tags, weak
    comparison, or ``*``)."""
    if not if_none_match:
        return False
    etiquetas = {e.strip().removeprefix("W/") for e in if_none_match.split(",")}
    return "*" in etiquetas or etag.removeprefix("W/") in etiquetas


def no_modificado(if_none_match: str | None, cabeceras: dict[str, str]) -> Response | None:
    """304 with the validators when the client already holds this version, else None."""
    if coincide(if_none_match, cabeceras["ETag"]):
        return Response(status_code=304, headers=cabeceras)
    return None


def _quiere_geojson(
    request: Request,
    formato: Annotated[
        str | None,
        Query(
            pattern="^(json|geojson)$",
            description="json o geojson; si se omite, geojson cuando la cabecera Accept pide "
            f"{GEOJSON}, si no json",
        ),
    ] = None,
) -> bool:
    """``?formato=`` wins when given (a link can always say what it wants); otherwise the
    Accept header decides."""
    if formato is not None:
        return formato == "geojson"
    return GEOJSON in request.headers.get("accept", "")


GeoJSONDep = Annotated[bool, Depends(_quiere_geojson)]


def con_version(d: dict[str, Any], *, geojson: bool = False, status: int = 200) -> JSONResponse:
    """One record, as JSON or a GeoJSON Feature, with its version as ETag: the client sends it
    back in If-Match to change the record."""
    return JSONResponse(
        jsonable_encoder(como_feature(d) if geojson else d),
        status_code=status,
        headers={"ETag": f'"{d["version"]}"'},
        media_type=GEOJSON if geojson else "application/json",
    )


def pagina(
    data: list[dict[str, Any]], total: int, *, limit: int, offset: int, geojson: bool = False
) -> JSONResponse:
    """A page of records: ``{data, count, limit, offset}``, or a FeatureCollection whose
    ``numberMatched`` is the count."""
    if geojson:
        coleccion = {
            "type": "FeatureCollection",
            "numberMatched": total,
            "numberReturned": len(data),
            "features": [como_feature(d) for d in data],
        }
        return JSONResponse(jsonable_encoder(coleccion), media_type=GEOJSON)
    return JSONResponse(
        jsonable_encoder({"data": data, "count": total, "limit": limit, "offset": offset})
    )


def como_se_agrega(f: Filtros) -> dict[str, str]:
    """Headers saying how an aggregate was computed: from the summary kept by the writes
    (``resumen``: its time does not grow with the records), or, when a filter is one the
    summary cannot answer, from the records themselves (``consulta-completa``, naming the
    filters)."""
    return por_motivos(sin_resumen(f))


def por_motivos(motivos: list[str]) -> dict[str, str]:
    """The headers of :func:`como_se_agrega` for ``motivos``, the filters a summary cannot
    answer (the vector tiles name their own: geo.analisis.teselas.sin_celdas)."""
    if not motivos:
        return {"X-SIGG-Agregado": "resumen"}
    return {"X-SIGG-Agregado": "consulta-completa", "X-SIGG-Agregado-Motivo": ",".join(motivos)}
