"""Periods: any measure of the aggregation engine, or the results framework, at the end of
each year, semester, quarter or month, from the program's first dated record to today (or to
the cut-off date). Each point is the engine's own answer at that cut-off date (migration
0012: stages from the history, money from the ledger), so a series adds up with the map and
the statistics of the same day.

Cumulative (``acumulado``) is the value at the period's end; per period it is the change
during the period (what was added: alliances that applied, money transferred), which only
additive measures have; a ratio per period is refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, text

from geo.analisis.agregacion import MEDIDAS, RAZONES, Consulta, estadisticas
from geo.analisis.indicadores import indicadores
from geo.plataforma.errors import EntradaInvalida

PERIODOS = {"anio": 12, "semestre": 6, "trimestre": 3, "mes": 1}
# Not sums of the records: no change per period.
NO_ADITIVAS = (*RAZONES, "municipios", "poblacion_rural_2012")


def etiqueta(fin: date, periodo: str) -> str:
    """2022, 2022-S2, 2022-T4, 2022-12 (the labels the results framework uses for periods)."""
    if periodo == "anio":
        return str(fin.year)
    if periodo == "semestre":
        return f"{fin.year}-S{(fin.month - 1) // 6 + 1}"
    if periodo == "trimestre":
        return f"{fin.year}-T{(fin.month - 1) // 3 + 1}"
    return f"{fin.year}-{fin.month:02d}"


def finales(inicio: date, hasta: date, periodo: str) -> list[date]:
    """The last day of each period from the one holding ``inicio`` to the one holding
    ``hasta``; the last point is ``hasta`` itself (a period not over yet is shown so far)."""
    if periodo not in PERIODOS:
        raise EntradaInvalida(
            f"periodo desconocido '{periodo}'; use: {', '.join(PERIODOS)}", campo="periodo"
        )
    meses = PERIODOS[periodo]
    mes = (inicio.month - 1) // meses * meses + meses  # last month of inicio's period
    anio, salida = inicio.year, list[date]()
    while True:
        siguiente = date(anio + 1, 1, 1) if mes == 12 else date(anio, mes + 1, 1)
        fin = siguiente - timedelta(days=1)
        if fin >= hasta:
            return [*salida, hasta]
        salida.append(fin)
        anio, mes = (anio + 1, meses) if mes == 12 else (anio, mes + meses)


def inicio_del_programa(conn: Connection, programa: str | None) -> date | None:
    """The program's first dated fact: an application, a stage or a movement of money."""
    return conn.execute(
        text(
            "SELECT least((SELECT min(a.fecha_solicitud) FROM alianza a "
            "WHERE a.programa_id = p.id), "
            "(SELECT min(e.fecha) FROM alianza_etapa e JOIN alianza a ON a.id = e.alianza_id "
            "WHERE a.programa_id = p.id), "
            "(SELECT min(m.fecha) FROM movimiento m JOIN alianza a ON a.id = m.alianza_id "
            "WHERE a.programa_id = p.id)) FROM programa p WHERE p.codigo = :p"
        ),
        {"p": programa},
    ).scalar()


def _menos(a: Any, b: Any) -> Any:
    if isinstance(a, dict):
        return {k: _menos(v, (b or {}).get(k, 0)) for k, v in a.items()}
    if a is None or b is None:
        return a
    return round(a - b, 2) if isinstance(a, float) or isinstance(b, float) else a - b


def serie(
    conn: Connection, c: Consulta, medida: str, periodo: str, acumulado: bool = True
) -> dict[str, Any]:
    """``medida`` at each unit of ``c.nivel``, at the end of each period."""
    if medida not in MEDIDAS:
        raise EntradaInvalida(
            f"medida desconocida '{medida}'; use: {', '.join(MEDIDAS)}", campo="medida"
        )
    if not acumulado and medida in NO_ADITIVAS:
        raise EntradaInvalida(
            f"'{medida}' no es una suma: no tiene un valor por periodo; use acumulado=true",
            campo="acumulado",
        )
    hasta = c.filtros.corte or date.today()
    inicio = inicio_del_programa(conn, c.filtros.programa) or hasta
    fines = finales(min(inicio, hasta), hasta, periodo)
    unidades: dict[str, dict[str, Any]] = {}
    for fin in fines:  # one engine statement per period: a few dozen at most
        por_fecha = replace(c, filtros=replace(c.filtros, corte=fin))
        for u in estadisticas(conn, por_fecha, [medida]):
            fila = unidades.setdefault(u["codigo"], {"codigo": u["codigo"], "nombre": u["nombre"],
                                                     "valores": []})  # fmt: skip
            fila["valores"].append(u["valores"][medida])
    if not acumulado:
        for fila in unidades.values():
            v = fila["valores"]
            fila["valores"] = [v[0], *(_menos(v[i], v[i - 1]) for i in range(1, len(v)))]
    return {
        "periodos": [{"periodo": etiqueta(f, periodo), "fin": f} for f in fines],
        "data": list(unidades.values()),
    }


def marco_por_periodo(
    conn: Connection, programa_id: int, programa: str, alcance: Any, periodo: str, hasta: date
) -> list[dict[str, Any]]:
    """The results framework at the end of each year or semester (its reporting periods)."""
    if periodo not in ("anio", "semestre"):
        raise EntradaInvalida(
            "el marco de resultados se informa por año o semestre: periodo=anio|semestre",
            campo="periodo",
        )
    inicio = inicio_del_programa(conn, programa) or hasta
    salida = []
    for fin in finales(min(inicio, hasta), hasta, periodo):
        filas = indicadores(conn, programa_id, alcance, fin)
        salida.append(
            {
                "periodo": etiqueta(fin, periodo),
                "fin": fin,
                "valores": {i["codigo"]: i["valor"] for i in filas},
                "motivos": {i["codigo"]: i["motivo"] for i in filas if i["valor"] is None},
            }
        )
    return salida
