"""The aggregation engine: alliances and subprojects summed per municipality in PostGIS, rolled
up to province, department, operational unit or the nation through the municipality table, so
every level adds up and Chaco's municipalities count once, for Chaco.

Missing is not zero: a unit with no records has counts of 0 and its ratios come back null with
the reason; a value that is unknown (e.g. the 2012 population of a 2024 TIOC) is null with its
own reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple, dataclass, replace
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Float,
    Select,
    and_,
    case,
    cast,
    column,
    func,
    literal,
    select,
    table,
)

from geo.acceso.alcance import condicion_lectura
from geo.plataforma.db import Compiladas, Sentencia, con_plan_generico, en_una_ida
from geo.plataforma.errors import EntradaInvalida, NoEncontrado
from geo.plataforma.models import (
    Alianza,
    Departamento,
    Municipio,
    Organizacion,
    Programa,
    Provincia,
    SubproyectoMunicipal,
    UnidadOperativa,
    tabla,
)
from geo.registro.consultas import (
    Filtros,
    al_corte,
    alcanzo,
    comunes,
    con_su_municipio,
    en_territorio,
    filtrar,
    por_forma,
)
from geo.vocabulario.catalogos import ETAPAS, ETAPAS_CICLO, ORDEN_ETAPA

A, M, PR, O = tabla(Alianza), tabla(Municipio), tabla(Programa), tabla(Organizacion)  # noqa: E741
SP = tabla(SubproyectoMunicipal)


class NivelAgregacion(StrEnum):
    municipio = "municipio"
    provincia = "provincia"
    departamento = "departamento"
    unidad_operativa = "unidad_operativa"
    nacional = "nacional"


_TABLAS = {
    NivelAgregacion.municipio: (tabla(Municipio), M.c.codigo),
    NivelAgregacion.provincia: (tabla(Provincia), M.c.provincia_codigo),
    NivelAgregacion.departamento: (tabla(Departamento), M.c.departamento_codigo),
    NivelAgregacion.unidad_operativa: (tabla(UnidadOperativa), M.c.unidad_operativa_codigo),
}
MONTOS = (
    "monto_par_comprometido_bs",
    "monto_contraparte_comprometido_bs",
    "monto_solicitado_bs",
    "monto_transferido_bs",
    "monto_descargado_bs",
)
SUMAS = ("familias", "familias_mujeres", "hectareas_riego", *MONTOS)
SUMAS_SP = {
    "subproyectos_familias": SP.c.familias,
    "subproyectos_comprometido_bs": SP.c.monto_empoderar_comprometido_bs
    + SP.c.monto_contraparte_comprometido_bs,
    "subproyectos_ejecutado_bs": SP.c.monto_empoderar_ejecutado_bs
    + SP.c.monto_contraparte_ejecutado_bs,
}
# The summaries kept by the writing transactions (migration 0014): base plus pending
# differences, per program, cartography, municipality, (stage, stage reached,) and state.
_CLAVE = ("programa_id", "cartografia", "municipio_codigo", "estado")
RA = table(
    "resumen_alianza_vista",
    *(column(c) for c in (*_CLAVE, "etapa", "etapa_alcanzada", "n", *SUMAS)),
)
RS = table("resumen_subproyecto_vista", *(column(c) for c in (*_CLAVE, "n", *SUMAS_SP)))
# The filters the summaries cannot answer (the record's other columns, or another date).
SIN_RESUMEN = (
    "sector", "modelo", "financiamiento", "convocatoria", "desde", "hasta", "q", "corte",
)  # fmt: skip
RAZONES = ("pct_mujeres", "familias_por_mil_rurales", "transferido_por_familia_bs", "cobertura_pct")
MEDIDAS = (
    "alianzas", "alianzas_por_etapa", "alianzas_alcanzaron", *SUMAS,
    *(m.replace("_bs", "_usd") for m in MONTOS),
    "subproyectos", *SUMAS_SP, "municipios", "municipios_con_alianzas", "poblacion_rural_2012",
    *RAZONES,
)  # fmt: skip


_ETAPAS = tuple(f"etapa_{e}" for e in ETAPAS)
_ALCANZO = tuple(f"alcanzo_{e}" for e in ETAPAS_CICLO)
# The same summary per municipality and state, its stages as columns (migration 0017): what
# a filter by neither stage reads (one row per municipality and state, plain columns summed).
RM = table(
    "resumen_alianza_municipio_vista",
    *(column(c) for c in (*_CLAVE, "n", *_ETAPAS, *_ALCANZO, *SUMAS)),
)
# What each measure is computed from: the statement sums only these (a map shows one measure;
# computing all 35 of them for it was most of an aggregate's time on the summary).
NECESITA: dict[str, tuple[str, ...]] = {
    "alianzas": ("alianzas",),
    "alianzas_por_etapa": _ETAPAS,
    "alianzas_alcanzaron": _ALCANZO,
    **{s: (s,) for s in SUMAS},
    **{m.replace("_bs", "_usd"): (m,) for m in MONTOS},
    "subproyectos": ("subproyectos",),
    **{s: (s,) for s in SUMAS_SP},
    "municipios": (),
    "municipios_con_alianzas": ("alianzas",),
    "poblacion_rural_2012": (),
    "pct_mujeres": ("familias_mujeres", "familias"),
    "familias_por_mil_rurales": ("familias",),
    "transferido_por_familia_bs": ("monto_transferido_bs", "familias"),
    "cobertura_pct": ("alianzas",),
}
TODAS = frozenset(c for cs in NECESITA.values() for c in cs)


def necesarias(medidas: list[str]) -> frozenset[str]:
    """The statement's columns that ``medidas`` are computed from."""
    return frozenset(c for m in medidas for c in NECESITA[m])


@dataclass(frozen=True)
class Consulta:
    nivel: NivelAgregacion
    cartografia: str
    filtros: Filtros
    tipo_cambio: float


def del_programa(codigo: str | None) -> Sentencia:
    """The statement reading what :func:`preparar` needs of the program ``codigo``."""
    return (
        "SELECT cartografia, sintetico, tipo_cambio FROM programa WHERE codigo = %(c)s",
        {"c": codigo},
    )


def preparar(
    conn: Connection,
    f: Filtros,
    nivel: NivelAgregacion,
    tipo_cambio: float,
    filas: list[tuple[Any, ...]] | None = None,
) -> tuple[Consulta, bool]:
    """The query for ``f`` at ``nivel`` on its program's cartography and at its exchange rate
    (the program's own, or ``tipo_cambio``, the installation's), and whether the program's data
    are synthetic (the demo); 404 naming an unknown program. ``filas``: the rows of
    :func:`del_programa`, when the caller read them already (with the data generation, in one
    round trip: api/cache.py); else they are read here (sent as they are: SQLAlchemy's
    handling of the statement took as long as its round trip)."""
    if filas is None:
        filas = en_una_ida(conn, del_programa(f.programa))[0]
    if not filas:
        raise NoEncontrado(f"programa desconocido '{f.programa}'", campo="programa")
    cartografia, sintetico, cambio = filas[0]
    cambio = float(cambio) if cambio is not None else tipo_cambio
    return Consulta(nivel, cartografia, f, cambio), bool(sintetico)


def sin_resumen(f: Filtros) -> list[str]:
    """The filters of ``f`` that the summaries cannot answer: the alliances are then summed
    from the records themselves (the full query). Empty: the summaries answer, in time that
    does not grow with the number of records."""
    return [nombre for nombre in SIN_RESUMEN if getattr(f, nombre)]


def _del_resumen(f: Filtros) -> Any:
    """The summary's rows that answer ``f`` (base and pending differences alike: their sums
    add up, so they go straight into the per-municipality sums below)."""
    desde = con_su_municipio(RA, f)
    q = comunes(select(RA).select_from(desde), RA, f)
    if f.etapa:
        q = q.where(RA.c.etapa.in_(f.etapa))
    if f.etapa_alcanzada:
        q = q.where(alcanzo(RA, f.etapa_alcanzada))
    return q.subquery("fino")


def _del_resumen_municipal(f: Filtros, columnas: frozenset[str]) -> Any:
    """Per municipality, from the summary whose stages are columns: its rows summed (one per
    state, and the pending differences), with the same columns as ``_de_fino``'s."""
    desde = con_su_municipio(RM, f)
    q = select(
        RM.c.cartografia,
        RM.c.municipio_codigo,
        _cuenta(RM.c.n).label("alianzas"),
        *(_cuenta(RM.c[c]).label(c) for c in (*_ETAPAS, *_ALCANZO) if c in columnas),
        *(_suma(RM.c[c], c).label(c) for c in SUMAS if c in columnas),
    ).select_from(desde)
    return (
        comunes(q, RM, f)
        .group_by(RM.c.cartografia, RM.c.municipio_codigo)
        .having(func.sum(RM.c.n) > 0)  # a municipality whose records all went has none
        .subquery("am")
    )


def _por_municipio(f: Filtros, columnas: frozenset[str]) -> Any:
    """Sums per municipality. When the summary answers the filters and they take neither
    stage, from its per-municipality table, the stages as columns (``_del_resumen_municipal``).
    Otherwise in two steps: the records (or the summary's rows) are grouped once by
    (municipality, stage, stage reached), with a handful of sums per row, and the per-stage
    counts are then taken from that small table rather than from every record."""
    if not sin_resumen(f):
        if not (f.etapa or f.etapa_alcanzada):
            return _del_resumen_municipal(f, columnas)
        # A municipality whose summed records all went (a count of 0) has none.
        return _de_fino(_del_resumen(f), columnas, lambda fino: func.sum(fino.c.n) > 0)
    desde = con_su_municipio(A, f)
    if f.q:
        desde = desde.outerjoin(O, O.c.id == A.c.organizacion_id)
    fino = filtrar(
        select(
            A.c.cartografia,
            A.c.municipio_codigo,
            A.c.etapa,
            A.c.etapa_alcanzada,
            func.count().label("n"),
            *(func.sum(A.c[c]).label(c) for c in SUMAS if c in columnas),
        )
        .select_from(desde)
        .group_by(A.c.cartografia, A.c.municipio_codigo, A.c.etapa, A.c.etapa_alcanzada),
        f,
    ).subquery("fino")
    return _de_fino(fino, columnas)


# Counts and families are summed as double precision: exact for whole numbers below 2**53, and
# several times faster to add than the numeric PostgreSQL sums bigints into (the statement on
# the summary spent most of its time there). Amounts and hectares stay numeric: their sums
# must equal the records' to the cent.
_CUENTAS = frozenset(("familias", "familias_mujeres", "subproyectos_familias"))


def _cuenta(col: Any) -> Any:
    return func.sum(cast(col, Float))


def _suma(col: Any, nombre: str) -> Any:
    return _cuenta(col) if nombre in _CUENTAS else func.sum(col)


def _de_fino(fino: Any, columnas: frozenset[str], con: Callable[[Any], Any] | None = None) -> Any:
    """Per municipality: the count and, of ``columnas``, the per-stage and reached-stage counts
    and the sums of the rows of ``fino`` (records grouped, or summary rows), keeping the groups
    ``con`` accepts."""
    n = _cuenta(fino.c.n)
    etapas = [
        n.filter(fino.c.etapa == e).label(f"etapa_{e}") for e in ETAPAS if f"etapa_{e}" in columnas
    ]
    etapas += [
        n.filter(fino.c.etapa_alcanzada >= ORDEN_ETAPA[e]).label(f"alcanzo_{e}")
        for e in ETAPAS_CICLO
        if f"alcanzo_{e}" in columnas
    ]
    q = select(
        fino.c.cartografia,
        fino.c.municipio_codigo,
        n.label("alianzas"),
        *etapas,
        *(_suma(fino.c[c], c).label(c) for c in SUMAS if c in columnas),
    ).group_by(fino.c.cartografia, fino.c.municipio_codigo)
    return (q if con is None else q.having(con(fino))).subquery("am")


def _subproyectos(f: Filtros, columnas: frozenset[str]) -> Any:
    if f.corte is None:  # the summary answers every other filter subprojects take
        q = (
            select(
                RS.c.cartografia,
                RS.c.municipio_codigo,
                _cuenta(RS.c.n).label("subproyectos"),
                *(_suma(RS.c[n], n).label(n) for n in SUMAS_SP if n in columnas),
            )
            .select_from(RS.join(PR, PR.c.id == RS.c.programa_id))
            .group_by(RS.c.cartografia, RS.c.municipio_codigo)
            .having(func.sum(RS.c.n) > 0)
        )
        if f.programa:
            q = q.where(PR.c.codigo == f.programa)
        limite = condicion_lectura(RS, f.alcance, f.solo_validados)
        return (q if limite is None else q.where(limite)).subquery("sm")
    q = (
        select(
            SP.c.cartografia,
            SP.c.municipio_codigo,
            func.count().label("subproyectos"),
            *(func.sum(expr).label(n) for n, expr in SUMAS_SP.items() if n in columnas),
        )
        .select_from(SP.join(PR, PR.c.id == SP.c.programa_id))
        .group_by(SP.c.cartografia, SP.c.municipio_codigo)
    )
    if f.programa:
        q = q.where(PR.c.codigo == f.programa)
    limite = condicion_lectura(SP, f.alcance, f.solo_validados)
    if limite is not None:
        q = q.where(limite)
    return al_corte(q, f.corte).subquery("sm")


def _territorio(q: Select[Any], f: Filtros) -> Select[Any]:
    return q.where(*en_territorio(f, M.c.codigo))


# The sums that are whole numbers (counts, families): sent as integers, not as numeric.
_DECIMALES = {
    "hectareas_riego",
    *MONTOS,
    "subproyectos_comprometido_bs",
    "subproyectos_ejecutado_bs",
}


def _total(expr: Any, nombre: str, agrupada: bool = True) -> Any:
    """The sum of ``expr`` over the level's municipalities (or, not ``agrupada``, the one
    municipality's ``expr``), 0 when none has any: whole numbers as bigint, amounts and hectares
    as double precision (read far faster than numeric, and the same float the answer
    carries)."""
    total = func.coalesce(func.sum(expr) if agrupada else expr, 0)
    return cast(total, Float if nombre in _DECIMALES else BigInteger).label(nombre)


def consulta_sql(c: Consulta, columnas: frozenset[str] = TODAS) -> Select[Any]:
    """One statement: per-municipality sums of ``columnas``, joined to every municipality of
    the version (so a unit with no records still appears), grouped by the level's key."""
    am = _por_municipio(c.filtros, columnas)
    de_subproyectos = bool(columnas & {"subproyectos", *SUMAS_SP})
    clave = literal("BO") if c.nivel is NivelAgregacion.nacional else _TABLAS[c.nivel][1]
    desde: Any = M.outerjoin(
        am, and_(am.c.cartografia == M.c.cartografia, am.c.municipio_codigo == M.c.codigo)
    )
    sm_c: list[Any] = []
    if de_subproyectos:
        sm = _subproyectos(c.filtros, columnas)
        desde = desde.outerjoin(
            sm, and_(sm.c.cartografia == M.c.cartografia, sm.c.municipio_codigo == M.c.codigo)
        )
        sm_c = [*sm.c]
    mun = _territorio(
        select(M.c.codigo, M.c.nombre, clave.label("clave"), M.c.rural_2012, *am.c, *sm_c)
        .select_from(desde)
        .where(M.c.cartografia == c.cartografia),
        c.filtros,
    ).subquery("mun")
    sumas = [s for s in ("alianzas", *_ETAPAS, *_ALCANZO, *SUMAS, "subproyectos", *SUMAS_SP)
             if s in columnas]  # fmt: skip
    if c.nivel is NivelAgregacion.municipio:
        # Each unit is one municipality: its row as it stands, not grouped again (grouping the
        # 339 rows one by one was a third of the statement's time on the summary).
        return select(
            mun.c.codigo,
            mun.c.nombre,
            literal(1, BigInteger).label("municipios"),
            case((mun.c.alianzas.is_(None), 0), else_=1).label("municipios_con_alianzas"),
            mun.c.rural_2012.is_not(None).label("poblacion_completa"),
            cast(mun.c.rural_2012, BigInteger).label("poblacion_rural_2012"),
            *(_total(mun.c[s], s, agrupada=False) for s in sumas),
        ).order_by(mun.c.codigo)
    base: Select[Any]
    if c.nivel is NivelAgregacion.nacional:
        pais = select(literal("BO").label("codigo"), literal("Bolivia").label("nombre"))
        sq = pais.subquery("t")
        base = select(sq.c.codigo, sq.c.nombre).select_from(
            sq.join(mun, mun.c.clave == sq.c.codigo)
        )
    else:
        t = _TABLAS[c.nivel][0]
        base = select(t.c.codigo, t.c.nombre).select_from(
            t.join(mun, and_(mun.c.clave == t.c.codigo, t.c.cartografia == c.cartografia))
        )
    agregados: list[Any] = [
        func.count(mun.c.codigo).label("municipios"),
        func.count(mun.c.alianzas).label("municipios_con_alianzas"),
        # NULL when any member's population is unknown: never a partial sum.
        func.nullif(func.count(mun.c.codigo) - func.count(mun.c.rural_2012), 0)
        .is_(None)
        .label("poblacion_completa"),
        cast(func.sum(mun.c.rural_2012), BigInteger).label("poblacion_rural_2012"),
        *(_total(mun.c[s], s) for s in sumas),
    ]
    return (
        base.add_columns(*agregados)
        .group_by(base.selected_columns[0], base.selected_columns[1])
        .order_by(base.selected_columns[0])
    )


def estadisticas(
    conn: Connection, c: Consulta, medidas: list[str] | None = None
) -> list[dict[str, Any]]:
    armar, filas = unidades(conn, c, medidas)
    return [armar(r, c.tipo_cambio) for r in filas]


def unidades(
    conn: Connection, c: Consulta, medidas: list[str] | None = None
) -> tuple[Armado, list[tuple[Any, ...]]]:
    """The level's units as rows of the statement, and how each is built into its measures
    (``armar(fila, c.tipo_cambio)``, a pure function of the row): what :func:`estadisticas`
    does, in two steps, so that a caller may keep the built units of rows it has seen."""
    pedidas = medidas or list(MEDIDAS)
    desconocidas = [m for m in pedidas if m not in MEDIDAS]
    if desconocidas:
        raise EntradaInvalida(
            f"medida desconocida: {', '.join(desconocidas)}; use: {', '.join(MEDIDAS)}",
            campo="medidas",
        )
    columnas, filas = con_plan_generico(conn, *_compilada(conn, c, necesarias(pedidas)))
    return _armado(columnas, tuple(pedidas)), filas


_COMPILADAS = Compiladas(512)


def _compilada(
    conn: Connection, c: Consulta, columnas: frozenset[str] = TODAS
) -> tuple[str, dict[str, Any]]:
    """The statement of ``c`` for ``columnas``, compiled once per shape (``por_forma``: the
    level, the cartography, every filter but the territory's codes as text, the filters
    holding lists, and the columns). Building and compiling this many aggregates took longer
    than running them on the summary, and a department asked for the first time paid it (4.5 ms
    to build and 1 ms for SQLAlchemy's cache key, of a first answer's 16)."""

    def compilada(f: Filtros) -> tuple[str, dict[str, Any]]:
        clave = repr((c.nivel, c.cartografia, astuple(f), sorted(columnas)))
        return _COMPILADAS(conn, clave, lambda: consulta_sql(replace(c, filtros=f), columnas))

    return por_forma(c.filtros, compilada)


def _numero(v: float) -> float | int:
    return int(v) if v.is_integer() else v


_USD = {m.replace("_bs", "_usd"): m for m in MONTOS}
_DIRECTAS = frozenset(("alianzas", *SUMAS, "subproyectos", *SUMAS_SP, "municipios",
                       "municipios_con_alianzas"))  # fmt: skip
_SIN_FAMILIAS = "sin familias registradas"
_SIN_RURAL = "población rural 2012 desconocida en algún municipio"
# The ratios: (numerator, denominator or None for the rural population, scale, reason).
_RAZONES: dict[str, tuple[str, str | None, int, str]] = {
    "pct_mujeres": ("familias_mujeres", "familias", 100, _SIN_FAMILIAS),
    "familias_por_mil_rurales": ("familias", None, 1000, ""),
    "transferido_por_familia_bs": ("monto_transferido_bs", "familias", 1, _SIN_FAMILIAS),
    "cobertura_pct": ("municipios_con_alianzas", "municipios", 100, "sin municipios"),
}
Armado = Callable[[tuple[Any, ...], float], dict[str, Any]]


@lru_cache(maxsize=256)
def _armado(columnas: tuple[str, ...], pedidas: tuple[str, ...]) -> Armado:
    """How a unit's ``pedidas`` measures, with the reason of each that has none, are read from
    a row of ``columnas``: worked out once per statement shape, so that building a level's
    units is a plain loop over positions (a dict per row and a name test per measure took as
    long as the statement itself on the summary)."""
    i = {n: k for k, n in enumerate(columnas)}
    enteras = [(k, i[k]) for k in pedidas if k in _DIRECTAS and k not in _DECIMALES]
    decimales = [(k, i[k]) for k in pedidas if k in _DIRECTAS and k in _DECIMALES]
    usd = [(k, i[_USD[k]]) for k in pedidas if k in _USD]
    etapas = [(e, i[f"etapa_{e}"]) for e in ETAPAS] if "alianzas_por_etapa" in pedidas else None
    alcanzo = (
        [(e, i[f"alcanzo_{e}"]) for e in ETAPAS_CICLO] if "alianzas_alcanzaron" in pedidas else None
    )
    razones = [
        (k, i[num], None if den is None else i[den], escala, motivo)
        for k, (num, den, escala, motivo) in _RAZONES.items()
        if k in pedidas
    ]
    rural_pedida = "poblacion_rural_2012" in pedidas
    orden = tuple(dict.fromkeys(pedidas))  # the answer keeps the order asked
    i_cod, i_nom, i_comp, i_rural = (
        i["codigo"], i["nombre"], i["poblacion_completa"], i["poblacion_rural_2012"]
    )  # fmt: skip

    def armar(r: tuple[Any, ...], tipo_cambio: float) -> dict[str, Any]:
        rural = r[i_rural] if r[i_comp] else None
        valores: dict[str, Any] = dict.fromkeys(orden)  # in the order asked, filled below
        sin_dato: dict[str, str] = {}
        for k, j in enteras:
            valores[k] = r[j]
        for k, j in decimales:
            v = r[j]
            valores[k] = int(v) if v.is_integer() else v
        for k, j in usd:
            valores[k] = round(r[j] / tipo_cambio, 2)
        if etapas is not None:
            valores["alianzas_por_etapa"] = {e: r[j] for e, j in etapas}
        if alcanzo is not None:
            valores["alianzas_alcanzaron"] = {e: r[j] for e, j in alcanzo}
        if rural_pedida:
            valores["poblacion_rural_2012"] = rural
            if rural is None:
                sin_dato["poblacion_rural_2012"] = _SIN_RURAL
        for k, j_num, j_den, escala, motivo in razones:
            den = rural if j_den is None else r[j_den]
            if den:
                valores[k] = round(r[j_num] * escala / den, 4)
            else:
                valores[k] = None
                if j_den is None:
                    motivo = (
                        "población rural 2012 desconocida"
                        if rural is None
                        else "sin población rural"
                    )
                sin_dato[k] = motivo
        return {
            "codigo": r[i_cod],
            "nombre": r[i_nom],
            "valores": valores,
            "sin_dato": {k: sin_dato[k] for k in orden if k in sin_dato} if sin_dato else sin_dato,
        }

    return armar
