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
# missing, they say whether there are none or all are still in their term.
_RECLAMOS = """
SELECT m.unidad_operativa_codigo AS uo,
       100.0 * count(*) FILTER (WHERE r.estado = 'respondido'
                                AND r.respondido - r.recibido <= :plazo)
       / nullif(count(*) FILTER (WHERE r.estado = 'respondido'
                                 OR current_date - r.recibido > :plazo), 0) AS "3.2.1",
       count(*) AS recibidos
FROM reclamo r
JOIN municipio m ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo
WHERE r.programa_id = :p
GROUP BY GROUPING SETS ((m.unidad_operativa_codigo), ())
"""
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


def _motivo_reclamos(recibidos: int) -> str:
    if recibidos == 0:  # the national row of an empty table
        return MOTIVO_SIN_RECLAMOS
    cuales = "el reclamo recibido está" if recibidos == 1 else f"los {recibidos} reclamos están"
    return f"{cuales} aún dentro del plazo de {PLAZO_RECLAMO} días"


def _por_unidad(
    conn: Connection, programa_id: int, alcance: Alcance | None = None
) -> dict[str | None, dict[str, Any]]:
    """Every computable indicator per unit (key) and nationally (key None), in three queries,
    over the records ``alcance`` may read (all of them for a trusted caller; complaints are
    counted whoever asks)."""
    salida: dict[str | None, dict[str, Any]] = {}
    cond_a, params = condicion_lectura_sql("a", alcance)
    cond_sp, _ = condicion_lectura_sql("sp", alcance)
    params |= {"p": programa_id}
    base = _BASE.replace("{alcance_a}", cond_a or "true")
    cols = ", ".join(f'{expr} AS "{k}"' for k, expr in _ALIANZAS.items())
    for fila in conn.execute(
        text(f"{base} SELECT uo, {cols} FROM b GROUP BY GROUPING SETS ((uo), ())"),  # noqa: S608
        params,
    ).mappings():
        salida.setdefault(fila["uo"], {}).update({k: fila[k] for k in _ALIANZAS})
    cols = ", ".join(f'{expr} AS "{k}"' for k, expr in _SUBPROYECTOS.items())
    for fila in conn.execute(
        text(
            f"SELECT m.unidad_operativa_codigo AS uo, {cols} FROM subproyecto_municipal sp "  # noqa: S608
            "JOIN municipio m ON m.cartografia = sp.cartografia AND m.codigo = sp.municipio_codigo "
            f"WHERE sp.programa_id = :p AND {cond_sp or 'true'} "
            "GROUP BY GROUPING SETS ((m.unidad_operativa_codigo), ())"
        ),
        params,
    ).mappings():
        salida.setdefault(fila["uo"], {}).update({k: fila[k] for k in _SUBPROYECTOS})
    for fila in conn.execute(
        text(_RECLAMOS), {"p": programa_id, "plazo": PLAZO_RECLAMO}
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


def indicadores(
    conn: Connection, programa_id: int, alcance: Alcance | None = None
) -> list[dict[str, Any]]:
    filas = conn.execute(
        text(
            "SELECT i.id, i.codigo, i.nombre, i.unidad, i.linea_base, i.meta, i.frecuencia, "
            "i.como_se_calcula, i.calculo, v.periodo, v.valor, v.fuente, v.nota "
            "FROM indicador i LEFT JOIN LATERAL (SELECT * FROM indicador_valor x "
            "WHERE x.indicador_id = i.id ORDER BY x.periodo DESC LIMIT 1) v ON true "
            "WHERE i.programa_id = :p ORDER BY i.orden, i.codigo"
        ),
        {"p": programa_id},
    ).mappings()
    calculados = _por_unidad(conn, programa_id, alcance).get(None, {})
    salida = []
    for f in filas:
        ind = {
            k: f[k]
            for k in (
                "codigo",
                "nombre",
                "unidad",
                "linea_base",
                "meta",
                "frecuencia",
                "como_se_calcula",
            )
        }
        if f["calculo"]:
            salida.append(
                _con_meta(
                    ind
                    | {
                        "origen": "calculado",
                        "periodo": "acumulado",
                        "fuente": "registros de SIGG",
                    },
                    calculados.get(f["calculo"]),
                    _motivo(calculados, f["calculo"]),
                )
            )
        else:
            motivo = f["nota"] or (
                "sin valor registrado" if f["periodo"] is None else "la fuente no tiene el dato"
            )
            salida.append(
                _con_meta(
                    ind | {"origen": "registrado", "periodo": f["periodo"], "fuente": f["fuente"]},
                    f["valor"],
                    motivo,
                )
            )
    return salida


def por_unidad(
    conn: Connection, programa_id: int, codigo: str, alcance: Alcance | None = None
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
    valores = _por_unidad(conn, programa_id, alcance)
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
