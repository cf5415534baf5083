"""The program's report tables, computed from the records through the aggregation engine:
one row per operational unit (departmental units by name, then the regional unit Chaco), a
Total row, and US dollars at the configured rate where the published table has them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, text

from geo.analisis.agregacion import Consulta, NivelAgregacion, estadisticas
from geo.analisis.indicadores import indicadores
from geo.formatos.celdas import fila_csv, fila_xlsx
from geo.plataforma.errors import NoEncontrado
from geo.vocabulario.catalogos import ETAPAS_SUBPROYECTO, SECTORES


@dataclass
class Reporte:
    nombre: str
    titulo: str
    columnas: list[str]
    filas: list[dict[str, Any]]
    notas: list[str] = field(default_factory=list)


def _por_unidad(conn: Connection, c: Consulta) -> list[tuple[str, dict[str, Any]]]:
    orden: dict[str, str] = dict(
        conn.execute(
            text(
                "SELECT codigo, (tipo <> 'departamental')::int || nombre FROM unidad_operativa "
                "WHERE cartografia = :v"
            ),
            {"v": c.cartografia},
        ).all()
    )
    filas = estadisticas(conn, replace(c, nivel=NivelAgregacion.unidad_operativa))
    return [(f["nombre"], f["valores"]) for f in sorted(filas, key=lambda f: orden[f["codigo"]])]


def _notas(c: Consulta) -> list[str]:
    """The cut-off date, said in the table itself (a file leaves the page that asked for it)."""
    if c.filtros.corte is None:
        return []
    return [f"Situación al {c.filtros.corte.strftime('%d/%m/%Y')} (fecha de corte)"]


def _total(filas: list[dict[str, Any]], etiqueta: str = "Total") -> dict[str, Any]:
    primera = next(iter(filas[0])) if filas else "unidad_operativa"
    total: dict[str, Any] = {primera: etiqueta}
    for fila in filas:
        for k, v in fila.items():
            if k != primera and isinstance(v, int | float):
                total[k] = total.get(k, 0) + v
    return total


def solicitudes(conn: Connection, c: Consulta) -> Reporte:
    filas = [
        {
            "unidad_operativa": n,
            "solicitudes_recibidas": v["alianzas"],
            "aprobadas_evaluacion_oportunidad": v["alianzas_alcanzaron"]["evaluacion_aprobada"],
            "rechazadas_evaluacion_oportunidad": v["alianzas_por_etapa"]["evaluacion_rechazada"],
            "en_evaluacion_oportunidad": v["alianzas_por_etapa"]["solicitud"],
        }
        for n, v in _por_unidad(conn, c)
    ]
    return Reporte(
        "solicitudes-por-unidad",
        "Solicitudes recibidas y evaluación de oportunidad de negocio por unidad operativa",
        list(filas[0]),
        [*filas, _total(filas)],
        ["La tabla publicada es la de la tercera convocatoria: ?convocatoria=3"],
    )


def planes(conn: Connection, c: Consulta) -> Reporte:
    filas = [
        {
            "unidad_operativa": n,
            "planes_viables": v["alianzas_alcanzaron"]["plan_formulado"],
            "aprobado_evaluacion_financiera": v["alianzas_alcanzaron"]["plan_viable"],
            "aprobado_evaluacion_par": v["alianzas_alcanzaron"]["aprobado"],
        }
        for n, v in _por_unidad(conn, c)
    ]
    return Reporte(
        "planes-por-unidad",
        "Planes de alianza por unidad operativa",
        list(filas[0]),
        [*filas, _total(filas)],
    )


def convenios(conn: Connection, c: Consulta) -> Reporte:
    c = replace(c, filtros=replace(c.filtros, etapa_alcanzada="convenio_firmado"))
    montos = ("comprometido", "solicitado", "transferido", "descargado")
    filas = [
        {
            "unidad_operativa": n,
            "alianzas_con_convenio": v["alianzas"],
            "familias": v["familias"],
            **{
                f"monto_par_{m}_bs": v[f"monto_{'par_' if m == 'comprometido' else ''}{m}_bs"]
                for m in montos
            },
        }
        for n, v in _por_unidad(conn, c)
    ]
    total = _total(filas, "Total Bs")
    usd = {
        k: (round(v / c.tipo_cambio) if k.startswith("monto") else v) for k, v in total.items()
    } | {"unidad_operativa": "Total USD"}
    return Reporte(
        "convenios-por-unidad",
        "Alianzas con convenio firmado: familias y montos PAR por unidad operativa",
        list(filas[0]),
        [*filas, total, usd],
        [f"USD al tipo de cambio {c.tipo_cambio} Bs por dólar"],
    )


def subproyectos(conn: Connection, c: Consulta) -> Reporte:
    sql = (
        "SELECT etapa, count(*) AS proyectos, sum(familias) AS familias, "
        "sum(monto_empoderar_comprometido_bs) AS ce, "
        "sum(monto_contraparte_comprometido_bs) AS cc, "
        "sum(monto_empoderar_ejecutado_bs) AS ee, sum(monto_contraparte_ejecutado_bs) AS ec "
        "FROM subproyecto_municipal sp JOIN programa p ON p.id = sp.programa_id "
        "WHERE p.codigo = :p GROUP BY etapa"
    )
    if c.filtros.corte is not None:  # the table's name then reads the records at that date
        sql = "WITH subproyecto_municipal AS (SELECT * FROM sigg_subproyectos_al(:corte)) " + sql  # noqa: S608
    filas = conn.execute(text(sql), {"p": c.filtros.programa, "corte": c.filtros.corte}).mappings()
    por_etapa = {f["etapa"]: f for f in filas}
    salida = []
    for etapa in reversed(list(ETAPAS_SUBPROYECTO)):  # the published order: most advanced first
        f = por_etapa.get(etapa)
        if f is None:
            continue
        salida.append(_fila_subproyecto(ETAPAS_SUBPROYECTO[etapa], f))
    total = _total(salida, "Total Bs")
    total["avance_pct"] = _avance(total)
    usd = {k: (round(v / c.tipo_cambio) if k.endswith("_bs") else v) for k, v in total.items()} | {
        "estado": "Total USD"
    }
    return Reporte(
        "subproyectos-por-etapa",
        "Subproyectos municipales (FPS) por etapa",
        list(salida[0]) if salida else [],
        [*salida, total, usd] if salida else [],
    )


def _avance(f: dict[str, Any]) -> int:
    return (
        round(100 * f["ejecutado_total_bs"] / f["comprometido_total_bs"])
        if f["comprometido_total_bs"]
        else 0
    )


def _fila_subproyecto(nombre: str, f: Any) -> dict[str, Any]:
    fila = {
        "estado": nombre,
        "proyectos": f["proyectos"],
        "familias": int(f["familias"]),
        "comprometido_empoderar_bs": int(f["ce"]),
        "comprometido_contraparte_bs": int(f["cc"]),
        "comprometido_total_bs": int(f["ce"] + f["cc"]),
        "ejecutado_empoderar_bs": int(f["ee"]),
        "ejecutado_contraparte_bs": int(f["ec"]),
        "ejecutado_total_bs": int(f["ee"] + f["ec"]),
    }
    fila["avance_pct"] = _avance(fila)
    return fila


def solicitudes_por_sector(conn: Connection, c: Consulta) -> Reporte:
    nacional = estadisticas(conn, replace(c, nivel=NivelAgregacion.nacional), ["alianzas"])
    filas = []
    for codigo, etiqueta in SECTORES.items():
        por_sector = replace(c, filtros=replace(c.filtros, sector=[codigo]))
        n = estadisticas(conn, replace(por_sector, nivel=NivelAgregacion.nacional), ["alianzas"])
        if n[0]["valores"]["alianzas"]:
            filas.append({"sector": etiqueta, "solicitudes": n[0]["valores"]["alianzas"]})
    total = {"sector": "Total", "solicitudes": nacional[0]["valores"]["alianzas"]}
    return Reporte(
        "solicitudes-por-sector",
        "Solicitudes por sector",
        ["sector", "solicitudes"],
        [*filas, total],
    )


def marco(conn: Connection, c: Consulta) -> Reporte:
    pid = conn.execute(
        text("SELECT id FROM programa WHERE codigo = :p"), {"p": c.filtros.programa}
    ).scalar_one()
    columnas = [
        "codigo",
        "nombre",
        "unidad",
        "linea_base",
        "meta",
        "valor",
        "pct_meta",
        "estado",
        "origen",
        "fuente",
        "motivo",
    ]
    datos = indicadores(conn, pid, c.filtros.alcance, c.filtros.corte)
    filas = [{k: i.get(k) for k in columnas} for i in datos]
    return Reporte("marco-de-resultados", "Marco de resultados", columnas, filas, _notas(c))


REPORTES: dict[str, Callable[[Connection, Consulta], Reporte]] = {
    "solicitudes-por-unidad": solicitudes,
    "solicitudes-por-sector": solicitudes_por_sector,
    "planes-por-unidad": planes,
    "convenios-por-unidad": convenios,
    "subproyectos-por-etapa": subproyectos,
    "marco-de-resultados": marco,
}


def reporte(conn: Connection, nombre: str, c: Consulta) -> Reporte:
    if nombre not in REPORTES:
        raise NoEncontrado(
            f"reporte desconocido '{nombre}'; hay: {', '.join(REPORTES)}", campo="nombre"
        )
    return REPORTES[nombre](conn, c)


def como_csv(r: Reporte) -> bytes:
    salida = io.StringIO()
    escritor = csv.writer(salida)
    escritor.writerow(r.columnas)
    escritor.writerows(fila_csv(fila.get(c) for c in r.columnas) for fila in r.filas)
    # The BOM lets Excel, which offices open these with, read the accents as UTF-8.
    return ("\ufeff" + salida.getvalue()).encode("utf-8")


def como_xlsx(r: Reporte) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    libro = Workbook()
    hoja = libro.active
    assert hoja is not None
    hoja.title = r.nombre[:31]
    hoja.append([r.titulo])
    hoja["A1"].font = Font(bold=True)
    hoja.append(r.columnas)
    for celda in hoja[2]:
        celda.font = Font(bold=True)
    for fila in r.filas:
        hoja.append(fila_xlsx(hoja, (fila.get(c) for c in r.columnas)))
    for nota in r.notas:
        hoja.append([nota])
    salida = io.BytesIO()
    libro.save(salida)
    return salida.getvalue()
