"""Synthetic record-level data for PAR II whose aggregates equal the program's published tables
per operational unit (applications and their evaluation outcome, plans, agreements with families
and money, subprojects by stage, the sector split) and are realistic elsewhere (women near 36%,
15,960 irrigated hectares). Alliances are placed at random points inside real municipalities of
their unit and go through the same validation as an import; the unit is derived from the
municipality, never stored. Deterministic for a seed. Plus the small BO-481 program.

Every figure shown from these programs is labelled synthetic (programa.sintetico)."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from geo.vocabulario.catalogos import ETAPAS_CICLO

Avance = Callable[[str], None]
PASOS = (
    "Objetivos publicados",
    "Alianzas y su ciclo",
    "Validando y escribiendo",
    "Etapas del ciclo",
    "Seguimiento",
    "Subproyectos",
    "Marco de resultados",
    "BO-481",
)
SECTORES_SOLICITUD = {
    "riego_tecnificado": 2056,
    "agua_para_ganaderia": 836,
    "apicultura": 101,
    "piscicultura": 71,
}
COMPRADORES = (
    "Irupana SRL",
    "PIL Andina",
    "Sofía Ltda.",
    "Mercado Rodríguez",
    "Alimentos del Sur",
    "Coronilla",
    "Industrias Venado",
    "EMAPA",
    "Ecotop",
    "Miel Sur SRL",
    "Frigorífico BFC",
    "Feria de Yacuiba",
)
HECTAREAS_RIEGO = 15960


@dataclass
class Objetivo:
    """What the published tables say of one operational unit."""

    unidad: str
    nombre: str
    solicitudes: int
    aprobadas: int
    rechazadas: int
    en_evaluacion: int
    planes: int
    viables: int
    aprobadas_par: int
    convenios: int
    familias: int
    comprometido: int
    solicitado: int
    transferido: int
    descargado: int


def _filas(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return {
            f["unidad_operativa"]: f
            for f in csv.DictReader(fh)
            if not f["unidad_operativa"].startswith(("Total", "Financiamiento"))
        }


def objetivos(referencia: Path, unidades: dict[str, str]) -> list[Objetivo]:
    """The per-unit targets, joining the published names to the unit codes."""
    sol = _filas(referencia / "par2_solicitudes_por_uo.csv")
    pla = _filas(referencia / "par2_planes_por_uo.csv")
    con = _filas(referencia / "par2_convenios_por_uo.csv")
    salida = []
    for nombre, s in sol.items():
        p, c = pla[nombre], con[nombre]
        o = Objetivo(
            unidades[nombre],
            nombre,
            *(
                int(s[k])
                for k in (
                    "solicitudes_recibidas",
                    "aprobadas_evaluacion_oportunidad",
                    "rechazadas_evaluacion_oportunidad",
                    "en_evaluacion_oportunidad",
                )
            ),
            *(
                int(p[k])
                for k in (
                    "planes_viables",
                    "aprobado_evaluacion_financiera",
                    "aprobado_evaluacion_par",
                )
            ),
            *(
                int(c[k])
                for k in (
                    "alianzas_con_convenio",
                    "familias",
                    "monto_par_comprometido_bs",
                    "monto_par_solicitado_bs",
                    "monto_par_transferido_bs",
                    "monto_par_descargado_bs",
                )
            ),
        )
        assert o.solicitudes == o.aprobadas + o.rechazadas + o.en_evaluacion, nombre
        assert o.convenios <= o.aprobadas_par <= o.viables <= o.planes, nombre
        assert o.comprometido >= o.solicitado >= o.transferido >= o.descargado, nombre
        salida.append(o)
    return salida


def repartir(total: int, pesos: Sequence[float], topes: Sequence[int] | None = None) -> list[int]:
    """``total`` split in integers proportional to ``pesos`` (largest remainder), each at most
    its ``tope``: the parts add up to ``total`` exactly."""
    n = len(pesos)
    topes = list(topes) if topes is not None else [total] * n
    assert sum(topes) >= total, "los topes no alcanzan"
    partes = [0] * n
    resto, abiertos = total, [i for i in range(n) if topes[i] > 0]
    while resto > 0 and abiertos:
        suma = sum(pesos[i] for i in abiertos) or len(abiertos)
        cuotas = {i: resto * (pesos[i] or 1) / suma for i in abiertos}
        for i in abiertos:
            partes[i] += min(int(cuotas[i]), topes[i] - partes[i])
        resto = total - sum(partes)
        por_resto = sorted(abiertos, key=lambda i: cuotas[i] - int(cuotas[i]), reverse=True)
        for i in por_resto:
            if resto == 0:
                break
            if partes[i] < topes[i]:
                partes[i] += 1
                resto -= 1
        abiertos = [i for i in abiertos if partes[i] < topes[i]]
    assert sum(partes) == total
    return partes


@dataclass
class Plan:
    """One alliance to generate: its unit, call, cycle path and attributes."""

    unidad: str
    codigo: str
    convocatoria: str
    fecha_solicitud: date
    camino: list[str]
    sector: str = "riego_tecnificado"
    modelo: int = 1
    datos: dict[str, Any] = field(default_factory=dict)


def _camino(hasta: str, rnd: random.Random, abandona: float = 0.0) -> list[str]:
    camino = list(ETAPAS_CICLO[: ETAPAS_CICLO.index(hasta) + 1])
    if hasta not in ("concluida",) and rnd.random() < abandona:
        camino.append("abandonada")
    return camino


def planes_de_unidad(o: Objetivo, rnd: random.Random) -> list[Plan]:
    anio = {"1": 2018, "2": 2019, "3": 2020}

    def nuevo(conv: str, n: int, camino: list[str]) -> Plan:
        inicio = date(anio[conv], 3, 1) + timedelta(days=rnd.randint(0, 240))
        return Plan(o.unidad, f"{o.unidad}-{conv}-{n:04d}", conv, inicio, camino)

    tercera = [nuevo("3", i, ["solicitud"]) for i in range(o.solicitudes)]
    for p in tercera[o.en_evaluacion : o.en_evaluacion + o.rechazadas]:
        p.camino = ["solicitud", "evaluacion_rechazada"]
    aprobadas = tercera[o.en_evaluacion + o.rechazadas :]
    k3 = min(o.aprobadas, round(o.planes * 0.25))
    for p in aprobadas[k3:]:
        p.camino = _camino("evaluacion_aprobada", rnd, abandona=0.3)
    anteriores = [nuevo(rnd.choice("12"), i, []) for i in range(o.planes - k3)]
    en_plan = anteriores + aprobadas[:k3]  # the older calls went further
    finales = ("en_inversion", "en_operacion", "concluida")
    for i, p in enumerate(en_plan):
        if i < o.convenios:
            p.camino = _camino(finales[min(2, int(rnd.random() * 3.4))], rnd)
        elif i < o.aprobadas_par:
            p.camino = _camino("aprobado", rnd, abandona=0.6)
        elif i < o.viables:
            p.camino = _camino("plan_viable", rnd, abandona=0.5)
        else:
            p.camino = _camino("plan_formulado", rnd, abandona=0.5)
    return tercera + anteriores


def asignar_atributos(planes: list[Plan], objetivos_: list[Objetivo], rnd: random.Random) -> None:
    """Sectors, models, families, hectares and money so that the published sums hold."""
    tercera = [p for p in planes if p.convocatoria == "3"]
    sectores = [s for s, n in SECTORES_SOLICITUD.items() for _ in range(n)]
    assert len(sectores) == len(tercera), "el reparto por sector no cuadra con las solicitudes"
    rnd.shuffle(sectores)
    for p, s in zip(tercera, sectores, strict=True):
        p.sector = s
    otros = (
        "riego_tecnificado",
        "agua_para_ganaderia",
        "apicultura",
        "piscicultura",
        "otros_agropecuarios",
        "no_agropecuarios",
    )
    for p in planes:
        if p.convocatoria != "3":
            p.sector = rnd.choices(otros, weights=(60, 25, 5, 3, 5, 2))[0]
        p.datos = {"familias": rnd.randint(10, 45), "monto_par_comprometido_bs": 0}
    con_convenio = [p for p in planes if "convenio_firmado" in p.camino]
    for p in rnd.sample(con_convenio, 100):  # 1.2b: models 2 and 3 with agreement
        p.modelo = rnd.choice((2, 3))
    for o in objetivos_:
        _montos_de_unidad([p for p in con_convenio if p.unidad == o.unidad], o, rnd)
    riego = [p for p in con_convenio if p.sector == "riego_tecnificado" and p.modelo == 1]
    for p, ha in zip(
        riego, repartir(HECTAREAS_RIEGO, [p.datos["familias"] for p in riego]), strict=True
    ):
        p.datos["hectareas_riego"] = ha
    for p in planes:
        f = p.datos["familias"]
        p.datos["familias_mujeres"] = round(f * rnd.uniform(0.24, 0.48))


def _montos_de_unidad(convenios: list[Plan], o: Objetivo, rnd: random.Random) -> None:
    assert len(convenios) == o.convenios, o.nombre
    familias = repartir(o.familias - 5 * o.convenios, [rnd.uniform(0.5, 1.5) for _ in convenios])
    comprometido = repartir(o.comprometido, [(f + 5) * rnd.uniform(0.8, 1.2) for f in familias])
    solicitado = repartir(o.solicitado, comprometido, comprometido)
    transferido = repartir(o.transferido, solicitado, solicitado)
    descargado = repartir(o.descargado, transferido, transferido)
    for i, p in enumerate(convenios):
        p.datos |= {
            "familias": familias[i] + 5,
            "monto_par_comprometido_bs": comprometido[i],
            "monto_contraparte_comprometido_bs": round(comprometido[i] * rnd.uniform(0.15, 0.3)),
            "monto_solicitado_bs": solicitado[i],
            "monto_transferido_bs": transferido[i],
            "monto_descargado_bs": descargado[i],
            "comprador": rnd.choice(COMPRADORES),
        }


def fechas(p: Plan, rnd: random.Random) -> list[date]:
    """A date for each step of the path, a few months apart, none after mid-2023."""
    tope, actual, salida = date(2023, 6, 30), p.fecha_solicitud, []
    for _ in p.camino:
        salida.append(min(actual, tope))
        actual += timedelta(days=rnd.randint(30, 150))
    return salida
