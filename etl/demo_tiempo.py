"""The demo's time axis (issue 16): the dates of its cycle, its money and its monitoring, so
that SIGG at the end of 2022 reproduces the results framework's published "acumulado 2022"
column where the records can (tests/test_corte.py lists which indicators do, and why the others
cannot). Its own random generator: the draws of the rest of the demo stay what they were."""

from __future__ import annotations

import csv
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from etl.demo import Plan, repartir
from geo.registro.alianzas import Programa

# The results framework's "acumulado 2022" column is the program at the end of 2022: the demo
# dates its cycle and its money so that SIGG at that cut-off date reproduces it where the
# records can (tests/test_corte.py lists which and why not).
CORTE_2022 = date(2022, 12, 31)
INICIO_2023 = date(2023, 1, 15)


@dataclass(frozen=True)
class Marco2022:
    """What the 2022 column says that the dates of the records can reproduce."""

    familias: int  # R5: families of alliances with an agreement by the end of 2022
    pct_mujeres: float  # R5.m


def marco_2022(referencia: Path) -> Marco2022:
    with (referencia / "par2_marco_de_resultados.csv").open(encoding="utf-8") as fh:
        v = {f["codigo"]: f["valor_acumulado_2022"] for f in csv.DictReader(fh)}
    return Marco2022(int(v["R5"]), float(v["R5.m"]))


def _suman(valores: list[tuple[str, int]], objetivo: int) -> list[str]:
    """Codes whose values add up to ``objetivo`` exactly (subset sum, first found)."""
    alcanzable: dict[int, tuple[int, int]] = {0: (-1, -1)}  # sum -> (previous sum, item)
    for i, (_, v) in enumerate(valores):
        for s in sorted(alcanzable, reverse=True):
            if s + v <= objetivo and s + v not in alcanzable:
                alcanzable[s + v] = (s, i)
        if objetivo in alcanzable:
            break
    assert objetivo in alcanzable, "ninguna combinación suma el objetivo"
    salida, s = [], objetivo
    while s:
        s, i = alcanzable[s]
        salida.append(valores[i][0])
    return salida


def calibrar_2022(planes: list[Plan], marco: Marco2022, rnd: random.Random) -> set[str]:
    """The alliances that sign their agreement in 2023 (so that R5 at the end of 2022 is the
    published figure), and the women of every alliance with an agreement (R5.m). Those late
    ones are of model 1 outside riego tecnificado: the model-2/3 count (1.2b) and the irrigated
    hectares (2.7) of 2022 are then the whole program's, as published."""
    con_convenio = [p for p in planes if "convenio_firmado" in p.camino]
    total = sum(p.datos["familias"] for p in con_convenio)
    candidatos = [
        (p.codigo, p.datos["familias"])
        for p in con_convenio
        if p.modelo == 1 and p.sector != "riego_tecnificado" and "concluida" not in p.camino
    ]
    rnd.shuffle(candidatos)
    tardios = set(_suman(candidatos, total - marco.familias))
    for grupo in (
        [p for p in con_convenio if p.codigo not in tardios],
        [p for p in con_convenio if p.codigo in tardios],
    ):
        familias = [p.datos["familias"] for p in grupo]
        mujeres = repartir(
            round(sum(familias) * marco.pct_mujeres / 100),
            [f * rnd.uniform(0.24, 0.48) for f in familias],
            familias,
        )
        for p, m in zip(grupo, mujeres, strict=True):
            p.datos["familias_mujeres"] = m
    return tardios


def fechar_2022(p: Plan, fs: list[date], tardio: bool, rnd: random.Random) -> list[date]:
    """``fs`` with the agreement by the end of 2022, or, for a late one, in 2023 (the steps
    before it no later, the ones after it after it, none after mid-2023)."""
    if "convenio_firmado" not in p.camino:
        return fs
    k = p.camino.index("convenio_firmado")
    if not tardio:
        return [min(f, CORTE_2022) if i <= k else f for i, f in enumerate(fs)]
    firma = INICIO_2023 + timedelta(days=rnd.randint(0, 90))
    antes = [min(f, firma) for f in fs[:k]]
    despues = [
        min(firma + timedelta(days=30 * i), date(2023, 6, 30)) for i in range(1, len(fs) - k)
    ]
    return [*antes, firma, *despues]


def tramos(total: int, partes: int) -> list[int]:
    """``total`` in ``partes`` integer tranches (the first ones larger), adding up exactly."""
    return repartir(total, [partes - i for i in range(partes)])


@dataclass(frozen=True)
class Seguido:
    """One alliance's monitoring as the indicators read it, if its visits up to the end of
    2022 are kept there: baseline and latest sales and income, cycles with the buyer kept, the
    latest environmental answer."""

    clave: int
    modelo: int
    v0: float
    vn: float
    i0: float
    i_n: float
    ciclos: int
    ciclos_relacion: int
    ambiental: bool | None


def _monitoreo(s: list[Seguido]) -> dict[str, float]:
    """R1, R2, 2.2 and 2.6 of indicadores.py, over ``s``."""
    v = [x for x in s if x.v0 > 0]
    base = sum(x.v0 for x in v)
    dos = [x for x in s if x.modelo == 1 and x.ciclos >= 2]
    amb = [x for x in s if x.ambiental is not None]
    return {
        "R1": 100 * (sum(x.vn for x in v) - base) / base if base else -1,
        "R2": 100 * sum(x.ciclos_relacion >= 2 for x in dos) / len(dos) if dos else -1,
        "2.2": sum(x.i_n - x.i0 > 0 for x in s),
        "2.6": 100 * sum(bool(x.ambiental) for x in amb) / len(amb) if amb else -1,
    }


def elegir_2022(
    posibles: list[Seguido], objetivo: dict[str, float], rnd: random.Random, intentos: int = 50_000
) -> set[int]:
    """The alliances whose visits stay dated by the end of 2022 (the others' move to 2023) so
    that the monitoring indicators at that date are the published ones at their precision
    (whole numbers): exactly ``objetivo['2.2']`` with more income, and R1, R2, 2.6 rounded.
    A random search, deterministic for ``rnd``; the closest found if none is exact."""
    suben = [x for x in posibles if x.i_n - x.i0 > 0]
    otras = [x for x in posibles if x.i_n - x.i0 <= 0]
    n = min(int(objetivo["2.2"]), len(suben))
    mejor: tuple[float, set[int]] = (float("inf"), set())
    for _ in range(intentos):
        elegidas = rnd.sample(suben, n) + rnd.sample(otras, rnd.randint(0, len(otras)))
        m = _monitoreo(elegidas)
        error = sum(abs(round(m[k]) - objetivo[k]) for k in ("R1", "R2", "2.2", "2.6"))
        if error < mejor[0]:
            mejor = (error, {x.clave for x in elegidas})
        if error == 0:
            break
    return mejor[1]


def objetivo_monitoreo(referencia: Path) -> dict[str, float]:
    with (referencia / "par2_marco_de_resultados.csv").open(encoding="utf-8") as fh:
        v = {f["codigo"]: f["valor_acumulado_2022"] for f in csv.DictReader(fh)}
    return {k: float(v[k]) for k in ("R1", "R2", "2.2", "2.6")}


# Written through the ledger, dated, never as totals on the record.
LIBRO = ("monto_transferido_bs", "monto_descargado_bs")
_TOPE = date(2023, 6, 30)


def libro(
    conn: Connection,
    prog: Programa,
    planes: list[Plan],
    fechados: dict[str, dict[str, date]],
    rnd: random.Random,
) -> None:
    """Each alliance's money as one to three transfers from its investment stage (its agreement
    if it has not reached it) a hundred days apart, each accounted for (descargo) sixty days
    later, never more accounted than transferred at any date; one INSERT, the ledger's trigger
    sets the totals."""
    filas: list[tuple[str, date, str, int, str]] = []
    for p in planes:
        transferido = int(p.datos.get("monto_transferido_bs", 0))
        if not transferido:
            continue
        f = fechados[p.codigo]
        base = f.get("en_inversion", f["convenio_firmado"])
        partes = rnd.randint(1, 3)
        t = tramos(transferido, partes)
        d = tramos(int(p.datos.get("monto_descargado_bs", 0)), partes)
        for i in range(partes - 1):  # by each date, no more accounted than transferred
            exceso = sum(d[: i + 1]) - sum(t[: i + 1])
            if exceso > 0:
                d[i], d[-1] = d[i] - exceso, d[-1] + exceso
        for i in range(partes):
            dia = min(base + timedelta(days=100 * i), _TOPE)
            filas.append((p.codigo, dia, "transferencia", t[i], f"CT-{p.codigo}-{i + 1}"))
            if d[i]:
                rendido = min(dia + timedelta(days=60), _TOPE)
                filas.append((p.codigo, rendido, "descargo", d[i], f"DC-{p.codigo}-{i + 1}"))
    conn.execute(
        text(
            "INSERT INTO movimiento (alianza_id, fecha, tipo, monto_bs, documento) "
            "SELECT a.id, s.fecha, s.tipo, s.monto, s.documento FROM unnest(CAST(:c AS text[]), "
            "CAST(:f AS date[]), CAST(:t AS text[]), CAST(:m AS numeric[]), CAST(:d AS text[])) "
            "AS s(codigo, fecha, tipo, monto, documento) "
            "JOIN alianza a ON a.programa_id = :p AND a.codigo = s.codigo"
        ),
        {
            "c": [x[0] for x in filas],
            "f": [x[1] for x in filas],
            "t": [x[2] for x in filas],
            "m": [x[3] for x in filas],
            "d": [x[4] for x in filas],
            "p": prog.id,
        },
    )


def fechar_visitas_2022(
    filas: list[dict[str, Any]],
    modelos: dict[int, int],
    objetivo: dict[str, float],
    rnd: random.Random,
) -> None:
    por: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for f in filas:
        if f["f"] <= CORTE_2022:
            por[f["a"]].append(f)
    posibles = []
    for aid, vs in por.items():
        ciclos = sorted((v for v in vs if v["c"] > 0), key=lambda v: v["c"])
        base = next((v for v in vs if v["c"] == 0), None)
        if not ciclos or base is None:
            continue
        ultimo = ciclos[-1]
        posibles.append(
            Seguido(
                aid, modelos[aid], float(base["v"]), float(ultimo["v"]), float(base["i"]),
                float(ultimo["i"]), len(ciclos), sum(bool(v["r"]) for v in ciclos),
                ultimo["m"],
            )
        )  # fmt: skip
    quedan = elegir_2022(posibles, objetivo, rnd)
    for x in posibles:
        if x.clave in quedan:
            continue
        primera = date(2023, 1, 10) + timedelta(days=rnd.randint(0, 60))
        for v in por[x.clave]:
            if v["c"] > 0:
                v["f"] = primera + timedelta(days=365 * (v["c"] - 1))
