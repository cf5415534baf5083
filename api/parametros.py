"""Query parameters shared by the routes, declared as FastAPI dependencies so that
``/openapi.json`` documents every one, and the guard that refuses a parameter a route does not
declare (400 naming it and listing the accepted ones), as the OGC service always did.

The filter names and their meanings come from one place, ``geo.vocabulario.parametros``."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, NamedTuple, get_args

from fastapi import Depends, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import SettingsDep
from api.seguridad import AlcanceDep
from geo.plataforma.entrada import exigir_parametro
from geo.plataforma.errors import EntradaInvalida, ParametroInvalido
from geo.publicacion.colecciones import Coleccion, coleccion, leer_bbox, leer_datetime
from geo.publicacion.ogc import Seleccion
from geo.registro.consultas import Filtros
from geo.vocabulario.parametros import FILTROS

# The dependencies here only read the request: they are ``async def`` so that FastAPI runs them
# on the event loop instead of handing each to a worker thread (a thread hop apiece, about a
# millisecond of a request's time in all).
# A route whose extra query parameters are attribute filters (OGC items, exports) says so in
# its OpenAPI extension; it checks those names against the collection itself.
ATRIBUTOS_COMO_FILTRO = "x-sigg-filtros-por-atributo"


async def _programa(
    settings: SettingsDep,
    programa: Annotated[
        str | None,
        Query(pattern=r"^[A-Za-z0-9_-]{1,16}$", description=FILTROS["programa"]),
    ] = None,
) -> str:
    return programa or settings.programa


ProgramaDep = Annotated[str, Depends(_programa)]


# Paging, the same on every list.
Limite = Annotated[int, Query(alias="limit", ge=1, le=1000, description="Registros por página")]
Desplazamiento = Annotated[int, Query(alias="offset", ge=0, description="Registros a saltar")]
UnidadOperativa = Annotated[
    str | None, Query(pattern=r"^[A-Za-z]{2,16}$", description=FILTROS["unidad_operativa"])
]


class Territorio(NamedTuple):
    departamento: str | None
    provincia: str | None
    unidad_operativa: str | None
    municipio: str | None


async def _territorio(
    departamento: Annotated[
        str | None, Query(pattern=r"^[0-9]{2}$", description=FILTROS["departamento"])
    ] = None,
    provincia: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}$", description=FILTROS["provincia"])
    ] = None,
    unidad_operativa: UnidadOperativa = None,
    municipio: Annotated[
        str | None, Query(pattern=r"^[0-9]{6}$", description=FILTROS["municipio"])
    ] = None,
) -> Territorio:
    """The territorial names of the vocabulary (unit codes in capitals)."""
    unidad = unidad_operativa and unidad_operativa.upper()
    return Territorio(departamento, provincia, unidad, municipio)


TerritorioDep = Annotated[Territorio, Depends(_territorio)]


async def _corte(
    request: Request,
    corte: Annotated[date | None, Query(description=FILTROS["corte"])] = None,
) -> date | None:
    """The cut-off date: a day that has ended or is today; the future is not known yet. A
    refusal is a 422 as any malformed value, and a 400 on the OGC service, which requires it."""
    if corte is not None and corte > date.today():
        error = ParametroInvalido if request.url.path.startswith("/ogc") else EntradaInvalida
        raise error(
            f"corte {corte.isoformat()} es una fecha futura: use hoy o un día pasado",
            campo="corte",
        )
    return corte


CorteDep = Annotated[date | None, Depends(_corte)]


async def _filtros(
    programa: ProgramaDep,
    quien: AlcanceDep,
    territorio: TerritorioDep,
    sector: Annotated[list[str] | None, Query(description=FILTROS["sector"])] = None,
    modelo: Annotated[list[int] | None, Query(description=FILTROS["modelo"])] = None,
    etapa: Annotated[list[str] | None, Query(description=FILTROS["etapa"])] = None,
    etapa_alcanzada: Annotated[
        str | None, Query(max_length=40, description=FILTROS["etapa_alcanzada"])
    ] = None,
    financiamiento: Annotated[
        str | None, Query(max_length=60, description=FILTROS["financiamiento"])
    ] = None,
    convocatoria: Annotated[
        str | None, Query(max_length=60, description=FILTROS["convocatoria"])
    ] = None,
    desde: Annotated[date | None, Query(description=FILTROS["desde"])] = None,
    hasta: Annotated[date | None, Query(description=FILTROS["hasta"])] = None,
    validados: Annotated[bool, Query(description=FILTROS["validados"])] = False,
    corte: CorteDep = None,
) -> Filtros:
    return Filtros(
        alcance=quien,
        solo_validados=validados,
        programa=programa,
        corte=corte,
        **territorio._asdict(),
        sector=sector,
        modelo=modelo,
        etapa=etapa,
        financiamiento=financiamiento,
        convocatoria=convocatoria,
        desde=desde,
        hasta=hasta,
        etapa_alcanzada=etapa_alcanzada,
    )


FiltrosDep = Annotated[Filtros, Depends(_filtros)]


_DECLARADOS: dict[int, frozenset[str]] = {}
_ENTEROS: dict[int, frozenset[str]] = {}
_ENTERO = re.compile(r"\s*[+-]?[0-9]+\s*")


def _es_entero(tipo: Any) -> bool:
    """int, int | None, list[int]...: a parameter whose values are integers."""
    return tipo is int or any(_es_entero(a) for a in get_args(tipo))


def _nombres(d: Dependant) -> frozenset[str]:
    """The query parameter names ``d`` reads, its sub-dependencies' included."""
    return frozenset(p.alias for p in d.query_params).union(*map(_nombres, d.dependencies))


def _campos(d: Dependant) -> list[Any]:
    """The query and path parameters ``d`` reads, its sub-dependencies' included."""
    return [*d.query_params, *d.path_params, *(p for s in d.dependencies for p in _campos(s))]


def _declarados(route: APIRoute) -> frozenset[str]:
    if id(route) not in _DECLARADOS:
        _DECLARADOS[id(route)] = _nombres(route.dependant)
        _ENTEROS[id(route)] = frozenset(
            p.alias for p in _campos(route.dependant) if _es_entero(p.field_info.annotation)
        )
    return _DECLARADOS[id(route)]


def declarados(request: Request) -> frozenset[str]:
    """The query parameter names the matched route declares."""
    route = request.scope.get("route")
    return _declarados(route) if isinstance(route, APIRoute) else frozenset()


async def solo_conocidos(request: Request) -> None:
    """The input boundary for what a URL carries: 400 for a query parameter the route does not
    read (a mistyped or foreign name must not silently give an unfiltered answer), and for a
    query or path value that cannot be stored or compared (a NUL character, an integer past an
    integer column), each naming the parameter."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    aceptados = _declarados(route)
    for nombre, valor in [*request.query_params.multi_items(), *request.path_params.items()]:
        exigir_parametro(nombre, valor)
        if nombre in _ENTEROS[id(route)] and _ENTERO.fullmatch(valor):
            exigir_parametro(nombre, int(valor))
    if (route.openapi_extra or {}).get(ATRIBUTOS_COMO_FILTRO):
        return  # the route checks its attribute filters itself
    for nombre in request.query_params:
        if nombre not in aceptados:
            lista = ", ".join(sorted(aceptados)) or "ninguno"
            raise ParametroInvalido(
                f"parámetro desconocido '{nombre}'; esta ruta acepta: {lista}",
                campo=nombre,
                aceptados=sorted(aceptados),
            )


async def _filtros_subproyectos(
    programa: ProgramaDep,
    quien: AlcanceDep,
    territorio: TerritorioDep,
    etapa: Annotated[list[str] | None, Query(description=FILTROS["etapa"])] = None,
    validados: Annotated[bool, Query(description=FILTROS["validados"])] = False,
    corte: CorteDep = None,
) -> Filtros:
    """The vocabulary's names that apply to municipal subprojects (no sector, model, call or
    dates: a subproject has none)."""
    return Filtros(
        alcance=quien,
        solo_validados=validados,
        programa=programa,
        corte=corte,
        **territorio._asdict(),
        etapa=etapa,
    )


FiltrosSubproyectosDep = Annotated[Filtros, Depends(_filtros_subproyectos)]


class Pedido(NamedTuple):
    """A published collection as the reader may see it, and the features chosen from it."""

    coleccion: Coleccion
    seleccion: Seleccion


def _pedido(
    request: Request,
    settings: SettingsDep,
    filtros: FiltrosDep,
    cid: str,
    bbox: Annotated[
        str | None,
        Query(description="minLon,minLat,maxLon,maxLat en CRS84", examples=["-64,-22.5,-63,-21"]),
    ] = None,
    fechas: Annotated[
        str | None,
        Query(
            alias="datetime",
            description="Fecha o intervalo RFC 3339 (a/b, '..' abierto) sobre la fecha de "
            "solicitud",
            examples=["2020-01-01/.."],
        ),
    ] = None,
    cartografia: Annotated[
        str | None, Query(pattern=r"^[0-9]{4}$", description="Versión de la cartografía")
    ] = None,
) -> Pedido:
    """The selection of the OGC items and the exports: the vocabulary, bbox, datetime, and any
    attribute of the collection as a filter (OGC API - Features Part 3)."""
    c = coleccion(cid).para(filtros.alcance)
    s = Seleccion(
        cartografia or settings.cartografia,
        filtros.programa or settings.programa,
        leer_bbox(bbox),
        leer_datetime(fechas),
        _atributos(request, c),
        alcance=filtros.alcance,
        solo_validados=filtros.solo_validados,
        filtros=filtros,
    )
    return Pedido(c, s)


PedidoDep = Annotated[Pedido, Depends(_pedido)]


def _atributos(request: Request, c: Coleccion) -> tuple[tuple[str, str], ...]:
    """The query parameters the route does not declare: filters by the collection's attributes,
    each checked against it (400 naming it otherwise)."""
    propios = declarados(request)
    propiedades = tuple((k, v) for k, v in request.query_params.multi_items() if k not in propios)
    for nombre, _ in propiedades:
        if c.atributo(nombre) is None:
            aceptados = sorted(propios | {a.nombre for a in c.atributos})
            raise ParametroInvalido(
                f"parámetro desconocido '{nombre}': no es un atributo filtrable de {c.id} (vea "
                f"/ogc/collections/{c.id}/queryables) ni un parámetro de esta ruta; acepta: "
                f"{', '.join(aceptados)}",
                campo=nombre,
                aceptados=aceptados,
            )
    return propiedades
