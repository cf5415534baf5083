"""Alliances over HTTP: each route reads its parameters, calls one use case of geo.registro and
shapes the answer with the shared response toolkit."""

from __future__ import annotations

from dataclasses import replace
from itertools import chain
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse

from api.deps import ConnDep, SessionDep, SettingsDep
from api.idempotencia import IdempotenciaDep
from api.parametros import Desplazamiento, FiltrosDep, Limite, ProgramaDep
from api.respuestas import GeoJSONDep, IfMatch, con_version, pagina
from api.schemas.alianzas import (
    Alianza,
    ColeccionAlianzas,
    FeatureAlianza,
    Historial,
    ListaAlianzas,
)
from api.schemas.documento import archivos, exito, problemas
from api.seguridad import AlcanceDep, PersonalDep
from geo.publicacion import lista
from geo.registro import casos, consultas
from geo.registro.esquemas import AlianzaEntrada

TIPOS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

router = APIRouter(
    prefix="/api/v1/alianzas",
    tags=["alianzas"],
    responses=problemas(400, 401, 403, 404, 409, 412, 422, 428),
)


@router.get(
    "",
    responses={200: exito(ListaAlianzas, "Una página de alianzas", geojson=ColeccionAlianzas)},
)
def listar(
    conn: ConnDep,
    filtros: FiltrosDep,
    geojson: GeoJSONDep,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Texto en código, nombre, comprador u organización"),
    ] = None,
    orden: Annotated[
        str | None,
        Query(description="Campos separados por coma; '-' descendente, p. ej. -familias,codigo"),
    ] = None,
    limit: Limite = 100,
    offset: Desplazamiento = 0,
) -> JSONResponse:
    """Alianzas filtradas, ordenadas y paginadas, en JSON o como GeoJSON FeatureCollection.
    El público ve solo las validadas y sin datos personales; una unidad, además, las suyas."""
    data, total = consultas.listar(
        conn, replace(filtros, q=q), ordenar=orden, limite=limit, desplazamiento=offset
    )
    return pagina(data, total, limit=limit, offset=offset, geojson=geojson)


@router.get(
    "/descarga",
    response_class=Response,
    responses={200: archivos("La lista como archivo para personas", TIPOS["csv"], TIPOS["xlsx"])},
)
def descargar(
    conn: ConnDep,
    filtros: FiltrosDep,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Texto en código, nombre, comprador u organización"),
    ] = None,
    orden: Annotated[str | None, Query(description="Como en la lista, p. ej. -familias")] = None,
    formato: Annotated[Literal["csv", "xlsx"], Query(description="csv o xlsx")] = "csv",
) -> Response:
    """La lista de alianzas (los mismos filtros, texto y orden que la lista, y el alcance de
    quien pide) como archivo para personas: cada campo con su etiqueta y etiquetas en vez de
    códigos. CSV con ';', coma decimal y fechas dd/mm/aaaa (lo que espera una hoja de cálculo
    en español); XLSX con celdas numéricas y de fecha. Para programas: /exportar y /ogc."""
    f = replace(filtros, q=q)
    nombre = {"Content-Disposition": f'attachment; filename="sigg_alianzas.{formato}"'}
    if formato == "xlsx":
        return Response(
            lista.xlsx_personas(conn, f, orden), media_type=TIPOS["xlsx"], headers=nombre
        )
    flujo = lista.csv_personas(conn, f, orden)
    primero = next(flujo)  # the query runs here: an error so far is still a problem+json
    return StreamingResponse(chain([primero], flujo), media_type=TIPOS["csv"], headers=nombre)


@router.get(
    "/{alianza_id}",
    responses={200: exito(Alianza, "La alianza", geojson=FeatureAlianza, version=True)},
)
def una(conn: ConnDep, quien: AlcanceDep, alianza_id: int, geojson: GeoJSONDep) -> JSONResponse:
    """Una alianza; la cabecera ETag lleva su versión (para If-Match al modificarla). 404 si
    quien pregunta no puede verla."""
    return con_version(consultas.una(conn, alianza_id, alcance=quien), geojson=geojson)


@router.post(
    "", status_code=201, responses={201: exito(Alianza, "La alianza registrada", version=True)}
)
def crear(
    db: SessionDep,
    quien: PersonalDep,
    settings: SettingsDep,
    alianza: Annotated[AlianzaEntrada, Body()],
    programa: ProgramaDep,
    idem: IdempotenciaDep,
) -> JSONResponse:
    """Registra una alianza (queda "registrada", a verificar por su unidad). El municipio sale
    del punto si no se indica; la unidad operativa sale siempre del municipio, y debe ser la
    del usuario salvo para la coordinación nacional."""
    d = casos.crear_alianza(
        db.connection(),
        quien,
        programa,
        alianza.model_dump(exclude_unset=True),
        tolerancia_m=settings.tolerancia_borde_m,
    )
    return idem.confirmar(con_version(d, status=201))


@router.patch("/{alianza_id}", responses={200: exito(Alianza, "La alianza cambiada", version=True)})
def modificar(
    db: SessionDep,
    quien: PersonalDep,
    settings: SettingsDep,
    alianza_id: int,
    cambios: Annotated[
        dict[str, Any], Body(examples=[{"etapa": "en_inversion", "monto_transferido_bs": 50000}])
    ],
    idem: IdempotenciaDep,
    if_match: IfMatch = None,
) -> JSONResponse:
    """Cambia campos de una alianza. Exige If-Match con la versión leída: si otro la cambió
    entretanto, responde 412 y no sobrescribe nada. Una alianza validada está bloqueada (409);
    una verificada vuelve a "registrado" al cambiar. El código no cambia."""
    d = casos.modificar_alianza(
        db.connection(),
        quien,
        alianza_id,
        cambios,
        if_match=if_match,
        tolerancia_m=settings.tolerancia_borde_m,
    )
    return idem.confirmar(con_version(d))


@router.delete("/{alianza_id}", status_code=204)
def borrar(
    db: SessionDep, quien: PersonalDep, alianza_id: int, if_match: IfMatch = None
) -> Response:
    """Borra una alianza no validada (queda en la auditoría). Exige If-Match."""
    casos.borrar_alianza(db.connection(), quien, alianza_id, if_match=if_match)
    db.commit()
    return Response(status_code=204)


@router.get("/{alianza_id}/historial", response_model=Historial)
def historial(conn: ConnDep, quien: PersonalDep, alianza_id: int) -> dict[str, Any]:
    """Cada cambio de la alianza (quién, cuándo, antes, después), las fechas de sus etapas y su
    verificación (solo personal: nombra a los usuarios)."""
    return casos.historial_alianza(conn, quien, alianza_id)
