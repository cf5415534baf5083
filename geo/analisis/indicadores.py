"""The results framework: each indicator with its target and its value, computed from the
records where SIGG can (families, women, agreements by model, hectares, subprojects, R1, R2,
2.1, 2.2, 2.6 from monitoring, and 3.2.1 from the complaints), entered per period with a source
otherwise, "sin dato" where nothing is known. Computed indicators also come per operational
unit.

3.2.1, complaints answered within the deadline (geo/reclamos.py), in percent:
numerator, the complaints answered within PLAZO_RECLAMO (30) days of their reception
(``respondido - recibido <= 30``); denominator, the complaints answered (in time or late) plus
the unanswered ones whose deadline has passed (``current_date - recibido > 30``). A complaint
still inside its 30 days is not counted yet either way. Null ("sin dato") when the denominator
is 0. Complaints are public-facing and not subject to record verification: the value is the
same whoever asks (only counts leave the table)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, text

from geo.acceso.alcance import Alcance, condicion_lectura_sql, exigir_personal, fijar
from geo.plataforma.errors import EntradaInvalida, NoEncontrado, Prohibido
from geo.vocabulario.catalogos import PLAZO_RECLAMO

# Per alliance: its unit and a summary of its monitoring (cycle 0 is the baseline).
_BASE = """
WITH s AS (
    SELECT alianza_id,
           max(ventas_bs) FILTER (WHERE ciclo = 0) AS v0,
           (array_agg(ventas_bs ORDER BY ciclo DESC) FILTER (WHERE ciclo > 0))[1] AS vn,
           max(ingreso_bs) FILTER (WHERE ciclo = 0) AS i0,
           (array_agg(ingreso_bs ORDER BY ciclo DESC) FILTER (WHERE ciclo > 0))[1] AS i_n,
           count(*) FILTER (WHERE ciclo > 0) AS ciclos,
           count(*) FILTER (WHERE ciclo > 0 AND relacion_comercial_mantenida) AS ciclos_relacion,
           (array_agg(medidas_ambientales ORDER BY ciclo DESC)
                FILTER (WHERE ciclo > 0 AND medidas_ambientales IS NOT NULL))[1] AS ambiental
    FROM seguimiento GROUP BY alianza_id),
b AS (
    SELECT a.*, m.unidad_operativa_codigo AS uo, s.v0, s.vn, s.i0, s.i_n, s.ciclos,
           s.ciclos_relacion, s.ambiental, a.etapa_alcanzada >= 6 AS con_convenio
    FROM alianza a
    JOIN municipio m ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo
    LEFT JOIN s ON s.alianza_id = a.id
    WHERE a.programa_id = :p AND {alcance_a})
"""
_ALIANZAS = {
    "r5": "sum(familias) FILTER (WHERE con_convenio)",
    "r5m": "100.0 * sum(familias_mujeres) FILTER (WHERE con_convenio) "
           "/ nullif(sum(familias) FILTER (WHERE con_convenio), 0)",
    "1.2a": "count(*) FILTER (WHERE con_convenio AND modelo = 1)",
    "1.2b": "count(*) FILTER (WHERE con_convenio AND modelo IN (2, 3))",
    "2.7": "sum(hectareas_riego) FILTER (WHERE con_convenio AND modelo = 1 "
           "AND sector = 'riego_tecnificado')",
    "r1": "100.0 * (sum(vn) FILTER (WHERE v0 > 0 AND vn IS NOT NULL) "
          "- sum(v0) FILTER (WHERE v0 > 0 AND vn IS NOT NULL)) "
          "/ nullif(sum(v0) FILTER (WHERE v0 > 0 AND vn IS NOT NULL), 0)",
    "r2": "100.0 * count(*) FILTER (WHERE modelo = 1 AND ciclos >= 2 AND ciclos_relacion >= 2) "
          "/ nullif(count(*) FILTER (WHERE modelo = 1 AND ciclos >= 2), 0)",
    "2.1": "100.0 * count(*) FILTER (WHERE modelo = 1 AND etapa = 'concluida') "
           "/ nullif(count(*) FILTER (WHERE modelo = 1 AND con_convenio), 0)",
    "2.2": "CASE WHEN count(i_n) > 0 THEN count(*) FILTER (WHERE i_n - i0 > 0) END",
    "2.6": "100.0 * count(*) FILTER (WHERE ambiental) / nullif(count(ambiental), 0)",
}  # fmt: skip
_SUBPROYECTOS = {
    "r6": "sum(sp.familias)",
    "2.3": "count(*) FILTER (WHERE sp.etapa = 'recepcion_definitiva')",
}
# 3.2.1 per unit and nationally (see above), with the complaints received: when the value is
# missing, they say whether there are none or all are still in their term. ``:hoy`` is today,
# or the cut-off date: complaints received after it do not count yet, nor answers given after it.
_RECLAMOS = """
SELECT m.unidad_operativa_codigo AS uo,
       100.0 * count(*) FILTER (WHERE r.respondido <= :hoy
                                AND r.respondido - r.recibido <= :plazo)
       / nullif(count(*) FILTER (WHERE r.respondido <= :hoy
                                 OR :hoy - r.recibido > :plazo), 0) AS "3.2.1",
       count(*) AS recibidos
FROM reclamo r
JOIN municipio m ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo
WHERE r.programa_id = :p AND r.recibido <= :hoy
GROUP BY GROUPING SETS ((m.unidad_operativa_codigo), ())
"""
# At a cut-off date (migration 0012): the records as they stood at the end of that day, and the
# monitoring visits made by then (a visit without a date is not counted: when it was is unknown).
_AL_CORTE = (
    "alianza AS (SELECT * FROM sigg_alianzas_al(:corte)), "
    "subproyecto_municipal AS (SELECT * FROM sigg_subproyectos_al(:corte)), "
    "seguimiento AS (SELECT * FROM seguimiento WHERE fecha <= :corte), "
)


def _con_corte(sql: str, corte: date | None) -> str:
    """``sql`` (one statement, with or without WITH) over the records at ``corte``."""
    if corte is None:
        return sql
    cuerpo = sql.strip()
    if cuerpo.upper().startswith("WITH "):
        return "WITH " + _AL_CORTE + cuerpo[5:]
    return "WITH " + _AL_CORTE.rstrip(", ") + " " + cuerpo


# The end of an entered value's period: "2022", "2022-S1", "2022-T3", "2022-05". Other labels
# ("final", "línea de base") have no date and are not shown at a cut-off.
_PERIODO = re.compile(r"^(\d{4})(?:-(S[12]|T[1-4]|\d{2}))?$")


def fin_de_periodo(periodo: str) -> date | None:
    m = _PERIODO.match(periodo.strip().upper())
    if m is None:
        return None
    anio, parte = int(m.group(1)), m.group(2)
    if parte is None:
        meses = 12
    elif parte[0] in "ST":
        meses = (6 if parte[0] == "S" else 3) * int(parte[1])
    else:
        meses = int(parte)
    if not 1 <= meses <= 12:
        return None
    siguiente = date(anio + 1, 1, 1) if meses == 12 else date(anio, meses + 1, 1)
    return date.fromordinal(siguiente.toordinal() - 1)


# Every computation an indicator of a results framework may name (indicador.calculo), with
# what it computes in words.
CALCULOS = {
    "r5": "Familias beneficiarias (alianzas con convenio)",
    "r5m": "% de familias representadas por mujeres",
    "1.2a": "Alianzas con convenio, modelo 1",
    "1.2b": "Alianzas con convenio, modelos 2 y 3",
    "2.7": "Hectáreas con riego tecnificado (modelo 1)",
    "r1": "% de aumento de las ventas (seguimiento)",
    "r2": "% de alianzas del modelo 1 que mantienen la relación comercial",
    "2.1": "% de alianzas del modelo 1 concluidas",
    "2.2": "Alianzas con aumento de ingreso (seguimiento)",
    "2.6": "% de alianzas con medidas ambientales",
    "r6": "Familias de los subproyectos municipales",
    "2.3": "Subproyectos con recepción definitiva",
    "3.2.1": "% de reclamos respondidos en plazo",
}
assert set(CALCULOS) == {*_ALIANZAS, *_SUBPROYECTOS, "3.2.1"}

MOTIVO_SIN_REGISTROS = "sin registros que permitan calcularlo"
MOTIVO_SIN_RECLAMOS = "sin reclamos recibidos"
MOTIVO_SUBPROYECTOS_CORTE = (
    "los subproyectos no guardan historial de etapas ni fecha de inicio: no se pueden "
    "reconstruir a una fecha de corte"
)


def _motivo_reclamos(recibidos: int) -> str:
    if recibidos == 0:  # the national row of an empty table
        return MOTIVO_SIN_RECLAMOS
    cuales = "el reclamo recibido está" if recibidos == 1 else f"los {recibidos} reclamos están"
    return f"{cuales} aún dentro del plazo de {PLAZO_RECLAMO} días"


def _por_unidad(
    conn: Connection,
    programa_id: int,
    alcance: Alcance | None = None,
    corte: date | None = None,
) -> dict[str | None, dict[str, Any]]:
    """Every computable indicator per unit (key) and nationally (key None), in three queries,
    over the records ``alcance`` may read (all of them for a trusted caller; complaints are
    counted whoever asks), as they stood at the end of ``corte`` (None: now)."""
    salida: dict[str | None, dict[str, Any]] = {}
    cond_a, params = condicion_lectura_sql("a", alcance)
    cond_sp, _ = condicion_lectura_sql("sp", alcance)
    params |= {"p": programa_id} | ({"corte": corte} if corte else {})
    base = _BASE.replace("{alcance_a}", cond_a or "true")
    cols = ", ".join(f'{expr} AS "{k}"' for k, expr in _ALIANZAS.items())
    sql = f"{base} SELECT uo, {cols} FROM b GROUP BY GROUPING SETS ((uo), ())"  # noqa: S608
    for fila in conn.execute(text(_con_corte(sql, corte)), params).mappings():
        salida.setdefault(fila["uo"], {}).update({k: fila[k] for k in _ALIANZAS})
    cols = ", ".join(f'{expr} AS "{k}"' for k, expr in _SUBPROYECTOS.items())
    sql = (
        f"SELECT m.unidad_operativa_codigo AS uo, {cols} FROM subproyecto_municipal sp "  # noqa: S608
        "JOIN municipio m ON m.cartografia = sp.cartografia AND m.codigo = sp.municipio_codigo "
        f"WHERE sp.programa_id = :p AND {cond_sp or 'true'} "
        "GROUP BY GROUPING SETS ((m.unidad_operativa_codigo), ())"
    )
    for fila in conn.execute(text(_con_corte(sql, corte)), params).mappings():
        salida.setdefault(fila["uo"], {}).update({k: fila[k] for k in _SUBPROYECTOS})
    if corte is not None and corte < date.today():
        for valores in salida.values():
            valores |= dict.fromkeys(_SUBPROYECTOS)
            valores["subproyectos:motivo"] = MOTIVO_SUBPROYECTOS_CORTE
    hoy = {"hoy": corte} if corte else {}
    for fila in conn.execute(
        text(_RECLAMOS if corte else _RECLAMOS.replace(":hoy", "current_date")),
        {"p": programa_id, "plazo": PLAZO_RECLAMO} | hoy,
    ).mappings():
        salida.setdefault(fila["uo"], {}).update(
            {"3.2.1": fila["3.2.1"], "3.2.1:motivo": _motivo_reclamos(fila["recibidos"])}
        )
    return salida


def _motivo(valores: dict[str, Any], calculo: str) -> str | None:
    """Why ``calculo`` has no value in ``valores`` (one unit's or the nation's); None if it has."""
    if valores.get(calculo) is not None:
        return None
    if calculo == "3.2.1":
        return valores.get("3.2.1:motivo", MOTIVO_SIN_RECLAMOS)
    if calculo in _SUBPROYECTOS and "subproyectos:motivo" in valores:
        return str(valores["subproyectos:motivo"])
    return MOTIVO_SIN_REGISTROS


def _numero(v: Any) -> float | int | None:
    if v is None:
        return None
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else round(float(v), 2)
    return round(v, 2) if isinstance(v, float) else v


def _con_meta(ind: dict[str, Any], valor: Any, motivo: str | None) -> dict[str, Any]:
    valor = _numero(valor)
    meta = _numero(ind["meta"])
    ind |= {
        "meta": meta,
        "linea_base": _numero(ind["linea_base"]),
        "valor": valor,
        "pct_meta": round(100 * valor / meta, 1) if valor is not None and meta else None,
        "estado": "con dato" if valor is not None else "sin dato",
        "motivo": None if valor is not None else motivo,
    }
    return ind


def _registrados(
    conn: Connection, programa_id: int, corte: date | None
) -> dict[int, dict[str, Any]]:
    """Each entered indicator's value shown: the latest period's; at a cut-off date, the
    latest of the periods ended by then (labels without a date are left out)."""
    elegidos: dict[int, dict[str, Any]] = {}
    for v in conn.execute(
        text(
            "SELECT x.indicador_id, x.periodo, x.valor, x.fuente, x.nota FROM indicador_valor x "
            "JOIN indicador i ON i.id = x.indicador_id WHERE i.programa_id = :p "
            "ORDER BY x.periodo"
        ),
        {"p": programa_id},
    ).mappings():
        if corte is not None and (fin_de_periodo(v["periodo"]) or date.max) > corte:
            continue
        elegidos[v["indicador_id"]] = dict(v)
    return elegidos


def indicadores(
    conn: Connection,
    programa_id: int,
    alcance: Alcance | None = None,
    corte: date | None = None,
) -> list[dict[str, Any]]:
    """The results framework, now or as it stood at the end of ``corte``."""
    filas = conn.execute(
        text(
            "SELECT i.id, i.codigo, i.nombre, i.unidad, i.linea_base, i.meta, i.frecuencia, "
            "i.como_se_calcula, i.calculo FROM indicador i "
            "WHERE i.programa_id = :p ORDER BY i.orden, i.codigo"
        ),
        {"p": programa_id},
    ).mappings()
    calculados = _por_unidad(conn, programa_id, alcance, corte).get(None, {})
    registrados = _registrados(conn, programa_id, corte)
    salida = []
    for f in filas:
        ind = {
            k: f[k] for k in ("codigo", "nombre", "unidad", "linea_base", "meta", "frecuencia")
        } | {"como_se_calcula": f["como_se_calcula"]}
        if f["calculo"]:
            fuente = {"origen": "calculado", "periodo": "acumulado", "fuente": "registros de SIGG"}
            salida.append(
                _con_meta(
                    ind | fuente, calculados.get(f["calculo"]), _motivo(calculados, f["calculo"])
                )
            )
            continue
        v = registrados.get(f["id"], {})
        motivo = v.get("nota") or (
            "sin valor registrado" + (" a la fecha de corte" if corte else "")
            if not v
            else "la fuente no tiene el dato"
        )
        salida.append(
            _con_meta(
                ind
                | {"origen": "registrado", "periodo": v.get("periodo"), "fuente": v.get("fuente")},
                v.get("valor"),
                motivo,
            )
        )
    return salida


def por_unidad(
    conn: Connection,
    programa_id: int,
    codigo: str,
    alcance: Alcance | None = None,
    corte: date | None = None,
) -> list[dict[str, Any]]:
    """A computable indicator for each operational unit (every unit, with or without data)."""
    fila = conn.execute(
        text("SELECT calculo, meta FROM indicador WHERE programa_id = :p AND codigo = :c"),
        {"p": programa_id, "c": codigo},
    ).first()
    if fila is None:
        raise NoEncontrado(f"indicador '{codigo}' no existe en el programa", campo="codigo")
    if not fila.calculo:
        raise EntradaInvalida(
            f"el indicador {codigo} no se calcula de los registros: se "
            "registra por periodo para todo el programa",
            campo="codigo",
        )
    valores = _por_unidad(conn, programa_id, alcance, corte)
    unidades = conn.execute(
        text(
            "SELECT u.codigo, u.nombre FROM unidad_operativa u JOIN programa p "
            "ON p.cartografia = u.cartografia WHERE p.id = :p ORDER BY u.tipo, u.nombre"
        ),
        {"p": programa_id},
    ).all()
    return [
        {
            "unidad_operativa": {"codigo": c, "nombre": n},
            "valor": _numero(valores.get(c, {}).get(fila.calculo)),
            "motivo": _motivo(valores.get(c, {}), fila.calculo),
        }
        for c, n in unidades
    ]


def registrar_valor(
    conn: Connection,
    alcance: Alcance,
    programa: str,
    codigo: str,
    periodo: str,
    valor: Decimal | None,
    fuente: str,
    nota: str | None,
) -> None:
    """Enter (or correct) an indicator's value for a period, with its source; ``None`` records
    "sin dato". Only national coordination enters values, and only for the indicators that are
    not computed from the records."""
    exigir_personal(alcance)
    if not alcance.nacional:
        raise Prohibido("solo la coordinación nacional registra valores de indicadores")
    fijar(conn, alcance)
    fila = conn.execute(
        text(
            "SELECT i.id, i.calculo FROM indicador i JOIN programa p ON p.id = i.programa_id "
            "WHERE p.codigo = :p AND i.codigo = :c"
        ),
        {"p": programa, "c": codigo},
    ).first()
    if fila is None:
        raise NoEncontrado(
            f"indicador '{codigo}' no existe en el programa {programa}", campo="codigo"
        )
    if fila.calculo:
        raise EntradaInvalida(
            f"el indicador {codigo} se calcula de los registros; no se ingresa a mano",
            campo="codigo",
        )
    conn.execute(
        text(
            "INSERT INTO indicador_valor (indicador_id, periodo, valor, fuente, nota) "
            "VALUES (:i, :per, :v, :f, :n) ON CONFLICT (indicador_id, periodo) DO UPDATE SET "
            "valor = EXCLUDED.valor, fuente = EXCLUDED.fuente, nota = EXCLUDED.nota, "
            "registrado_en = now()"
        ),
        {"i": fila.id, "per": periodo, "v": valor, "f": fuente, "n": nota},
    )
