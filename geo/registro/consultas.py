"""Reading alliances back: one record, or a filtered, sorted, paged list, each with its
municipality, department and operational unit (derived, never stored)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE, TableClause

from geo.acceso.alcance import Alcance, condicion_lectura
from geo.plataforma.errors import EntradaInvalida, NoEncontrado, ParametroInvalido
from geo.plataforma.models import (
    Alianza,
    Departamento,
    Municipio,
    Organizacion,
    Programa,
    SubproyectoMunicipal,
    UnidadOperativa,
    tabla,
)
from geo.vocabulario.catalogos import ETAPAS_CICLO, ORDEN_ETAPA

A = tabla(Alianza)
M = tabla(Municipio)
D = tabla(Departamento)
U = tabla(UnidadOperativa)
O = tabla(Organizacion)  # noqa: E741
PR = tabla(Programa)
SP = tabla(SubproyectoMunicipal)

ORDENABLES = {
    "id": A.c.id, "codigo": A.c.codigo, "nombre": A.c.nombre, "etapa": A.c.etapa,
    "fecha_etapa": A.c.fecha_etapa, "fecha_solicitud": A.c.fecha_solicitud,
    "familias": A.c.familias, "hectareas_riego": A.c.hectareas_riego,
    "monto_par_comprometido_bs": A.c.monto_par_comprometido_bs,
    "monto_transferido_bs": A.c.monto_transferido_bs, "municipio": A.c.municipio_codigo,
    "actualizado_en": A.c.actualizado_en,
}  # fmt: skip


@dataclass
class Filtros:
    programa: str | None = None
    departamento: str | None = None
    provincia: str | None = None
    unidad_operativa: str | None = None
    municipio: str | None = None
    sector: list[str] | None = None
    modelo: list[int] | None = None
    etapa: list[str] | None = None
    financiamiento: str | None = None
    convocatoria: str | None = None
    desde: date | None = None
    hasta: date | None = None
    q: str | None = None
    etapa_alcanzada: str | None = None  # reached this stage of the cycle, whatever it is now
    # The program as it stood at the end of this day (None: now); see ``al_corte``.
    corte: date | None = None
    # Who reads (None: a trusted caller, no limit) and whether only validated records count.
    alcance: Alcance | None = None
    solo_validados: bool = False


@lru_cache(maxsize=64)
def _ctes(corte: date) -> tuple[CTE, CTE]:
    """The records as they stood at the end of ``corte`` (migration 0012), as CTEs named after
    the tables they stand for. One object per date: a statement may be given them twice."""
    fila: Any = literal_column("*")
    return (
        select(fila).select_from(func.sigg_alianzas_al(corte)).cte("alianza"),
        select(fila).select_from(func.sigg_subproyectos_al(corte)).cte("subproyecto_municipal"),
    )


def al_corte(q: Select[Any], corte: date | None) -> Select[Any]:
    """``q`` over the records as they stood at the end of ``corte`` (unchanged for None).

    In a statement, a WITH query shadows the table of the same name: every reference of ``q``
    to ``alianza`` and ``subproyecto_municipal`` (in subqueries too) reads the records at that
    date, with the tables' own columns: alliances that did not exist yet are absent, each one's
    stage, stage date and furthest stage are those of its stage history on that day, and the
    money is the ledger's up to it (``sigg_alianzas_al``, ``sigg_subproyectos_al``). So every
    query of the registry, the aggregation engine and the map is answered at a cut-off date by
    the same code that answers it today."""
    if corte is None:
        return q
    alianzas, subproyectos = _ctes(corte)
    return q.add_cte(alianzas).add_cte(subproyectos)


def en_su_municipio(t: TableClause) -> ColumnElement[bool]:
    """The join condition of a located record (alliance, subproject) and its municipality."""
    return and_(M.c.cartografia == t.c.cartografia, M.c.codigo == t.c.municipio_codigo)


def con_su_municipio(t: TableClause, f: Filtros) -> Any:
    """``t`` (records or a summary of them), joined to its municipality when a territory filter
    of ``f`` reads the municipality's table (department, province, unit: ``en_territorio``)."""
    if f.departamento or f.provincia or f.unidad_operativa:
        return t.join(M, en_su_municipio(t))
    return t


def etiqueta(columna: Any, etiquetas: dict[str, str]) -> Any:
    """The label of a catalogue code, in SQL (the code itself if the catalogue lacks it)."""
    return case(etiquetas, value=columna, else_=columna)


def _base() -> Select[Any]:
    cols = [
        A.c.id, PR.c.codigo.label("programa"), A.c.codigo, A.c.nombre, A.c.organizacion_id,
        O.c.nombre.label("organizacion_nombre"), A.c.comprador, A.c.sector, A.c.modelo,
        A.c.financiamiento, A.c.convocatoria, A.c.etapa, A.c.fecha_etapa, A.c.fecha_solicitud,
        A.c.familias, A.c.familias_mujeres, A.c.hectareas_riego, A.c.monto_par_comprometido_bs,
        A.c.monto_contraparte_comprometido_bs, A.c.monto_solicitado_bs,
        A.c.monto_transferido_bs, A.c.monto_descargado_bs,
        func.ST_X(A.c.geom).label("lon"), func.ST_Y(A.c.geom).label("lat"),
        A.c.precision_ubicacion, A.c.municipio_codigo, M.c.nombre.label("municipio_nombre"),
        M.c.departamento_codigo, D.c.nombre.label("departamento_nombre"),
        M.c.unidad_operativa_codigo, U.c.nombre.label("unidad_operativa_nombre"),
        A.c.alertas, A.c.estado, A.c.observacion, A.c.version, A.c.creado_en,
        A.c.actualizado_en,
    ]  # fmt: skip
    return (
        select(*cols)
        .join_from(A, PR, PR.c.id == A.c.programa_id)
        .join(M, en_su_municipio(A))
        .join(D, and_(D.c.cartografia == M.c.cartografia, D.c.codigo == M.c.departamento_codigo))
        .join(
            U, and_(U.c.cartografia == M.c.cartografia, U.c.codigo == M.c.unidad_operativa_codigo)
        )
        .outerjoin(O, O.c.id == A.c.organizacion_id)
    )


# The territory's filters, each a named parameter of the statement (its code, in capitals, as the
# territory's tables hold them): a statement built for one department is the statement for
# every department, the value put in by name (geo.analisis.agregacion builds one per shape).
TERRITORIO = ("departamento", "provincia", "unidad_operativa", "municipio")


def del_territorio(f: Filtros) -> dict[str, str]:
    """The territory's filters of ``f`` that are set, as the statement's named values."""
    return {
        f"territorio_{nombre}": valor.upper()
        for nombre in TERRITORIO
        if (valor := getattr(f, nombre)) is not None
    }


def en_territorio(f: Filtros, municipio: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    """The territory's filters of ``f`` that are set, as conditions on the municipality's
    table (joined) and on ``municipio``, the municipality's code compared, each value a named
    parameter (``del_territorio``). One statement takes one set of filters: two with other
    codes in the same statement would share the names, and SQLAlchemy would send one code for
    both without a word (a piece compiled apart keeps its own with ``como_sql``'s prefix)."""
    columnas = {
        "territorio_departamento": M.c.departamento_codigo,
        "territorio_provincia": M.c.provincia_codigo,
        "territorio_unidad_operativa": M.c.unidad_operativa_codigo,
        "territorio_municipio": municipio,
    }
    return [columnas[clave] == bindparam(clave, v) for clave, v in del_territorio(f).items()]


# What the territory's filters are set to in the statement built for a shape: no code is this.
_MARCA = "\x00TERRITORIO"
Compilada = tuple[str, dict[str, Any]]  # a statement's SQL and its bound values


def por_forma(f: Filtros, compilada: Callable[[Filtros], Compilada]) -> Compilada:
    """The compiled statement for ``f`` (``compilada(filtros)``, which keeps what it compiles,
    by the filters it is given), made once per shape: for ``f`` with the territory's codes
    replaced by a marker, the codes then put in by name (``del_territorio``). A department
    asked for the first time thus builds nothing. A statement in which the marker shows
    anywhere but its named values (another value, the SQL) takes a code some other way: it is
    compiled for ``f`` itself instead, and never answers one department with another's code."""
    valores = del_territorio(f)
    marcados: dict[str, Any] = {k.removeprefix("territorio_"): _MARCA for k in valores}
    sql, ligados = compilada(replace(f, **marcados))
    if not _solo_por_nombre(sql, ligados, valores):
        return compilada(f)
    return sql, ligados | valores


def _solo_por_nombre(sql: str, ligados: dict[str, Any], valores: dict[str, str]) -> bool:
    """Whether the statement of a shape (``sql``, its values ``ligados``) takes the
    territory's filters by name only: each in its named value (``valores``' names), and
    nowhere else, neither in another value nor written into the SQL."""
    marcados = {k for k, v in ligados.items() if isinstance(v, str) and _MARCA in v}
    return (
        marcados == valores.keys()
        and all(ligados[k] == _MARCA for k in marcados)
        and (_MARCA not in sql)
    )


def comunes(q: Select[Any], t: TableClause, f: Filtros) -> Select[Any]:
    """What alliances and subprojects (and their summaries) are filtered by alike: who reads,
    the program and the territory (``q`` joined to municipio)."""
    limite = condicion_lectura(t, f.alcance, f.solo_validados)
    if limite is not None:
        q = q.where(limite)
    if f.programa is not None:
        # By id rather than by the joined code: the planner then knows how many rows match.
        programa_id = select(PR.c.id).where(PR.c.codigo == f.programa).scalar_subquery()
        q = q.where(t.c.programa_id == programa_id)
    return q.where(*en_territorio(f, t.c.municipio_codigo))


def alcanzo(t: TableClause, etapa: str) -> ColumnElement[bool]:
    """Rows of ``t`` (alliances or their summary) that reached ``etapa`` of the cycle, whatever
    their stage now; 400 naming an unknown stage."""
    if etapa not in ETAPAS_CICLO:
        raise EntradaInvalida(
            f"etapa_alcanzada desconocida '{etapa}'; use: {', '.join(ETAPAS_CICLO)}",
            campo="etapa_alcanzada",
        )
    return t.c.etapa_alcanzada >= ORDEN_ETAPA[etapa]


def filtrar(q: Select[Any], f: Filtros) -> Select[Any]:
    """Where clauses for the filters; ``q`` selects from alianza, joined to municipio when a
    territory filter is set and to organizacion (outer) when ``q`` is."""
    q = al_corte(comunes(q, A, f), f.corte)
    for col, valor in ((A.c.financiamiento, f.financiamiento), (A.c.convocatoria, f.convocatoria)):
        if valor is not None:
            q = q.where(col == valor)
    for col, valores in ((A.c.sector, f.sector), (A.c.modelo, f.modelo), (A.c.etapa, f.etapa)):
        if valores:
            q = q.where(col.in_(valores))
    if f.etapa_alcanzada:
        q = q.where(alcanzo(A, f.etapa_alcanzada))
    if f.desde:
        q = q.where(A.c.fecha_solicitud >= f.desde)
    if f.hasta:
        q = q.where(A.c.fecha_solicitud <= f.hasta)
    if f.q:
        patron = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        campos = [A.c.codigo, A.c.nombre, O.c.nombre]
        if f.alcance is None or not f.alcance.publico:
            campos.append(A.c.comprador)  # personal data: not searchable by the public
        q = q.where(or_(*(c.ilike(patron) for c in campos)))
    return q


def orden(texto: str | None) -> list[Any]:
    """``-familias,codigo`` -> ORDER BY familias DESC, codigo; only whitelisted fields."""
    salida = []
    for parte in (texto or "codigo").split(","):
        nombre = parte.strip().lstrip("-+")
        if nombre not in ORDENABLES:
            raise EntradaInvalida(
                f"no se puede ordenar por '{nombre}'; use: {', '.join(ORDENABLES)}", campo="orden"
            )
        col = ORDENABLES[nombre]
        salida.append(col.desc() if parte.strip().startswith("-") else col.asc())
    return [*salida, A.c.id.asc()]


def listar(
    conn: Connection,
    f: Filtros,
    *,
    ordenar: str | None = None,
    limite: int = 100,
    desplazamiento: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    q = filtrar(_base(), f).add_columns(func.count().over().label("_total"))
    filas = conn.execute(q.order_by(*orden(ordenar)).limit(limite).offset(desplazamiento)).all()
    if filas:
        total = filas[0]._total
    else:
        total = conn.execute(
            select(func.count()).select_from(filtrar(_base(), f).subquery())
        ).scalar_one()
    return [para(f.alcance, registro(r)) for r in filas], int(total)


def recorrer(
    conn: Connection, f: Filtros, *, ordenar: str | None = None, bloque: int = 2000
) -> Iterator[dict[str, Any]]:
    """Every alliance of the selection, in order, read in blocks through a server-side cursor
    (memory flat however many there are), each as ``f.alcance`` may see it."""
    q = filtrar(_base(), f).order_by(*orden(ordenar))
    for r in conn.execution_options(yield_per=bloque).execute(q):
        yield para(f.alcance, registro(r))


def una(
    conn: Connection, alianza_id: int, programa: str | None = None, alcance: Alcance | None = None
) -> dict[str, Any]:
    """One alliance as ``alcance`` may see it; 404 as well when it may not read it (never
    "forbidden": that would tell that it exists)."""
    q = _base().where(A.c.id == alianza_id)
    if programa:
        q = q.where(PR.c.codigo == programa)
    limite = condicion_lectura(A, alcance)
    if limite is not None:
        q = q.where(limite)
    r = conn.execute(q).first()
    if r is None:
        raise NoEncontrado(f"alianza {alianza_id} no existe", campo="id")
    return para(alcance, registro(r))


def registro(r: Any) -> dict[str, Any]:
    m = r._mapping
    d = {
        k: (float(v) if isinstance(v, Decimal) else v)
        for k, v in m.items()
        if not k.endswith(("_nombre", "_total"))
        and k not in ("departamento_codigo", "unidad_operativa_codigo")
    }
    d["organizacion"] = (
        {"id": r.organizacion_id, "nombre": r.organizacion_nombre} if r.organizacion_id else None
    )
    del d["organizacion_id"]
    d["municipio"] = {"codigo": r.municipio_codigo, "nombre": r.municipio_nombre}
    d["departamento"] = {"codigo": r.departamento_codigo, "nombre": r.departamento_nombre}
    d["unidad_operativa"] = {
        "codigo": r.unidad_operativa_codigo,
        "nombre": r.unidad_operativa_nombre,
    }
    del d["municipio_codigo"]
    return d


# What the public does not get: the buyer may be a person; alerts and observations are
# internal working notes.
PRIVADOS = ("comprador", "alertas", "observacion")


def para(alcance: Alcance | None, d: dict[str, Any]) -> dict[str, Any]:
    """The record as ``alcance`` may see it: without personal data for the public (None: a
    trusted caller, the whole record)."""
    if alcance is None or not alcance.publico:
        return d
    return {k: v for k, v in d.items() if k not in PRIVADOS}


def como_feature(d: dict[str, Any]) -> dict[str, Any]:
    props = {k: v for k, v in d.items() if k not in ("lon", "lat")}
    return {
        "type": "Feature",
        "id": d["id"],
        "geometry": {"type": "Point", "coordinates": [round(d["lon"], 7), round(d["lat"], 7)]},
        "properties": props,
    }


SOLO_ALIANZAS = (
    "sector", "modelo", "etapa_alcanzada", "financiamiento", "convocatoria", "desde", "hasta", "q",
)  # fmt: skip


def filtrar_subproyectos(q: Select[Any], f: Filtros) -> Select[Any]:
    """Where clauses for the filters that apply to municipal subprojects (program, territory,
    stage, who reads); ``q`` selects from subproyecto_municipal joined to municipio. A filter
    that only alliances have is refused, never ignored."""
    for nombre in SOLO_ALIANZAS:
        if getattr(f, nombre):
            raise ParametroInvalido(
                f"'{nombre}' filtra alianzas; los subproyectos no lo tienen", campo=nombre
            )
    q = al_corte(comunes(q, SP, f), f.corte)
    if f.etapa:
        q = q.where(SP.c.etapa.in_(f.etapa))
    return q
