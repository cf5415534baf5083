"""Query parameters shared by the routes, declared as FastAPI dependencies so that
``/openapi.json`` documents every one, and the guard that refuses a parameter a route does not
declare (400 naming it and listing the accepted ones), as the OGC service always did. The
registry's filters are the exception in how they are read (``leer_consulta``: one pydantic
model, only the names present looked at), not in what is documented and accepted.

The filter names and their meanings come from one place, ``geo.vocabulario.parametros``."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Annotated, Any, NamedTuple, TypeVar, get_args, get_origin

from fastapi import Depends, FastAPI, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.deps import SettingsDep
from api.seguridad import AlcanceDep
from geo.acceso.alcance import Alcance
from geo.plataforma.config import Settings
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
# The form of each code a filter takes, for the declared parameters and the filters' models.
PATRONES = {
    "programa": r"^[A-Za-z0-9_-]{1,16}$",
    "departamento": r"^[0-9]{2}$",
    "provincia": r"^[0-9]{4}$",
    "unidad_operativa": r"^[A-Za-z]{2,16}$",
    "municipio": r"^[0-9]{6}$",
}


async def _programa(
    settings: SettingsDep,
    programa: Annotated[
        str | None,
        Query(pattern=PATRONES["programa"], description=FILTROS["programa"]),
    ] = None,
) -> str:
    return programa or settings.programa


ProgramaDep = Annotated[str, Depends(_programa)]


# Paging, the same on every list.
Limite = Annotated[int, Query(alias="limit", ge=1, le=1000, description="Registros por página")]
Desplazamiento = Annotated[int, Query(alias="offset", ge=0, description="Registros a saltar")]
UnidadOperativa = Annotated[
    str | None,
    Query(pattern=PATRONES["unidad_operativa"], description=FILTROS["unidad_operativa"]),
]


async def _corte(
    request: Request,
    corte: Annotated[date | None, Query(description=FILTROS["corte"])] = None,
) -> date | None:
    return _corte_valido(request, corte)


CorteDep = Annotated[date | None, Depends(_corte)]


# The codes of the filters' models: their forms (PATRONES) and the vocabulary's words.
_Programa = Annotated[
    str | None, Field(pattern=PATRONES["programa"], description=FILTROS["programa"])
]
_Departamento = Annotated[
    str | None, Field(pattern=PATRONES["departamento"], description=FILTROS["departamento"])
]
_Provincia = Annotated[
    str | None, Field(pattern=PATRONES["provincia"], description=FILTROS["provincia"])
]
_Unidad = Annotated[
    str | None, Field(pattern=PATRONES["unidad_operativa"], description=FILTROS["unidad_operativa"])
]
_Municipio = Annotated[
    str | None, Field(pattern=PATRONES["municipio"], description=FILTROS["municipio"])
]


class _ConsultaSubproyectos(BaseModel):
    """The vocabulary's names a municipal subproject takes (no sector, model, call or dates:
    a subproject has none), as a query string carries them, with the vocabulary's
    descriptions and the codes' forms (``PATRONES``)."""

    model_config = ConfigDict(frozen=True)

    programa: _Programa = None
    departamento: _Departamento = None
    provincia: _Provincia = None
    unidad_operativa: _Unidad = None
    municipio: _Municipio = None
    etapa: Annotated[list[str] | None, Field(description=FILTROS["etapa"])] = None
    validados: Annotated[bool, Field(description=FILTROS["validados"])] = False
    corte: Annotated[date | None, Field(description=FILTROS["corte"])] = None


class _ConsultaFiltros(_ConsultaSubproyectos):
    """Every filter of the registry's vocabulary."""

    sector: Annotated[list[str] | None, Field(description=FILTROS["sector"])] = None
    modelo: Annotated[list[int] | None, Field(description=FILTROS["modelo"])] = None
    etapa_alcanzada: Annotated[
        str | None, Field(max_length=40, description=FILTROS["etapa_alcanzada"])
    ] = None
    financiamiento: Annotated[
        str | None, Field(max_length=60, description=FILTROS["financiamiento"])
    ] = None
    convocatoria: Annotated[
        str | None, Field(max_length=60, description=FILTROS["convocatoria"])
    ] = None
    desde: Annotated[date | None, Field(description=FILTROS["desde"])] = None
    hasta: Annotated[date | None, Field(description=FILTROS["hasta"])] = None


_Consulta = TypeVar("_Consulta", bound=BaseModel)


@cache
def _listas(modelo: type[BaseModel]) -> frozenset[str]:
    """The fields of ``modelo`` a query may repeat (``sector=a&sector=b``)."""
    return frozenset(n for n, c in modelo.model_fields.items() if _es_lista(c.annotation))


def _es_lista(tipo: Any) -> bool:
    return get_origin(tipo) is list or any(_es_lista(a) for a in get_args(tipo))


def leer_consulta(request: Request, modelo: type[_Consulta]) -> _Consulta:
    """The fields of ``modelo`` the query string carries, validated in one pass of
    pydantic's core; a value it refuses is the 422 (400 on the OGC service) that FastAPI gives
    a declared parameter, naming it (``loc`` ``("query", name)``).

    The filters are read this way rather than declared one by one as FastAPI parameters:
    FastAPI looks up and validates every declared parameter of every request, present or not,
    in Python, and for the fifteen names of the filters (ten of their own, with the
    territory's four and the program, each through a sub-dependency) that was the largest
    part of a cheap request's time in the server process (py-spy on vector tiles: 46% of the
    server's busy samples in ``solve_dependencies``, 10% in the route itself). Here only the
    names present are looked at. They stay in /openapi.json (``documentar``) and in the names
    a route accepts (``solo_conocidos``)."""
    q = request.query_params
    campos, listas = modelo.model_fields, _listas(modelo)
    datos = {n: q.getlist(n) if n in listas else q[n] for n in q if n in campos}
    try:
        return modelo.model_validate(datos)
    except ValidationError as e:
        errores = e.errors(include_url=False)
        raise RequestValidationError(
            [{**x, "loc": ("query", *x["loc"])} for x in errores]
        ) from None


def _corte_valido(request: Request, corte: date | None) -> date | None:
    """The cut-off date: a day that has ended or is today; the future is not known yet. A
    refusal is a 422 as any malformed value, and a 400 on the OGC service, which requires it."""
    if corte is not None and corte > date.today():
        error = ParametroInvalido if request.url.path.startswith("/ogc") else EntradaInvalida
        raise error(
            f"corte {corte.isoformat()} es una fecha futura: use hoy o un día pasado",
            campo="corte",
        )
    return corte


def _comunes(
    request: Request, settings: Settings, quien: Alcance, c: _ConsultaSubproyectos
) -> dict[str, Any]:
    """What every filter set holds: who reads, the program, the territory, the stages, the
    cut-off date."""
    return {
        "alcance": quien,
        "solo_validados": c.validados,
        "programa": c.programa or settings.programa,
        "corte": _corte_valido(request, c.corte),
        "departamento": c.departamento,
        "provincia": c.provincia,
        "unidad_operativa": c.unidad_operativa and c.unidad_operativa.upper(),
        "municipio": c.municipio,
        "etapa": c.etapa,
    }


async def _filtros(request: Request, settings: SettingsDep, quien: AlcanceDep) -> Filtros:
    """Every filter of the vocabulary (``_ConsultaFiltros``)."""
    c = leer_consulta(request, _ConsultaFiltros)
    return Filtros(
        **_comunes(request, settings, quien, c),
        sector=c.sector,
        modelo=c.modelo,
        financiamiento=c.financiamiento,
        convocatoria=c.convocatoria,
        desde=c.desde,
        hasta=c.hasta,
        etapa_alcanzada=c.etapa_alcanzada,
    )


FiltrosDep = Annotated[Filtros, Depends(_filtros)]


_DECLARADOS: dict[int, frozenset[str]] = {}
_ENTEROS: dict[int, frozenset[str]] = {}
_ENTERO = re.compile(r"\s*[+-]?[0-9]+\s*")


def _es_entero(tipo: Any) -> bool:
    """int, int | None, list[int]...: a parameter whose values are integers."""
    return tipo is int or any(_es_entero(a) for a in get_args(tipo))


def _nombres(d: Dependant) -> frozenset[str]:
    """The query parameter names ``d`` reads, its sub-dependencies' included (those a
    dependency reads with ``leer_consulta`` too)."""
    propios = {p.alias for p in d.query_params} | set(_leidos(d))
    return frozenset(propios).union(*map(_nombres, d.dependencies))


def _leidos(d: Dependant) -> dict[str, Any]:
    """The names (and their types) dependency ``d`` reads with ``leer_consulta``."""
    modelo = _CONSULTAS.get(d.call)
    return {n: c.annotation for n, c in modelo.model_fields.items()} if modelo else {}


def _tipos(d: Dependant) -> list[tuple[str, Any]]:
    """The query and path parameters ``d`` reads and their types, its sub-dependencies'
    included."""
    return [
        *((p.alias, p.field_info.annotation) for p in (*d.query_params, *d.path_params)),
        *_leidos(d).items(),
        *(par for s in d.dependencies for par in _tipos(s)),
    ]


def _declarados(route: APIRoute) -> frozenset[str]:
    if id(route) not in _DECLARADOS:
        _DECLARADOS[id(route)] = _nombres(route.dependant)
        _ENTEROS[id(route)] = frozenset(n for n, t in _tipos(route.dependant) if _es_entero(t))
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
    request: Request, settings: SettingsDep, quien: AlcanceDep
) -> Filtros:
    """The vocabulary's names that apply to municipal subprojects (``_ConsultaSubproyectos``)."""
    return Filtros(
        **_comunes(request, settings, quien, leer_consulta(request, _ConsultaSubproyectos))
    )


# The dependencies that read their names with ``leer_consulta``, and the names.
_CONSULTAS: dict[Any, type[BaseModel]] = {
    _filtros: _ConsultaFiltros,
    _filtros_subproyectos: _ConsultaSubproyectos,
}


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


def _consultas(d: Dependant) -> list[type[BaseModel]]:
    """The models of the dependencies of ``d`` that read their names with ``leer_consulta``."""
    propio = [_CONSULTAS[d.call]] if d.call in _CONSULTAS else []
    return propio + [m for s in d.dependencies for m in _consultas(s)]


@cache
def _parametros(modelo: type[BaseModel]) -> tuple[dict[str, Any], ...]:
    """The fields of ``modelo`` as OpenAPI query parameters, in the form FastAPI gives a
    declared one (the description in the parameter and in its schema); the schema is built
    once per model."""
    salida = []
    for nombre, esquema in modelo.model_json_schema()["properties"].items():
        esquema = dict(esquema)
        if esquema.get("default", False) is None:
            del esquema["default"]  # as FastAPI: a parameter that may be absent has no null default
        salida.append(
            {
                "name": nombre,
                "in": "query",
                "required": False,
                "schema": esquema,
                "description": esquema.get("description", ""),
            }
        )
    return tuple(salida)


def documentar(app: FastAPI) -> None:
    """Make ``app.openapi()`` list, on every route, the names its filter dependencies read
    with ``leer_consulta``, as if they were declared parameters: added once, to the document
    FastAPI builds once and keeps, not on every request for /openapi.json."""
    generar: Callable[[], dict[str, Any]] = app.openapi
    hecho: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        documento = generar()
        if hecho and hecho[0] is documento:
            return documento
        for ruta in iter_route_contexts(app.routes):
            if not isinstance(ruta.original_route, APIRoute) or not ruta.include_in_schema:
                continue
            modelos = _consultas(ruta.dependant)
            for metodo in (ruta.methods or set()) if modelos else ():
                operacion = documento["paths"].get(ruta.path_format, {}).get(metodo.lower())
                if operacion is None:
                    continue
                parametros = operacion.setdefault("parameters", [])
                hay = {p["name"] for p in parametros}
                for p in (p for m in modelos for p in _parametros(m)):
                    if p["name"] not in hay:
                        parametros.append({**p})
                        hay.add(p["name"])
        hecho[:] = [documento]
        return documento

    app.openapi = openapi  # type: ignore[method-assign]
