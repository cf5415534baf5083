"""Writing the demo: places the generated alliances inside real municipalities, writes them
through the registry's own validation, walks each along its cycle (the triggers keep history and
audit), then monitoring, subprojects, the results framework and BO-481."""

from __future__ import annotations

import csv
import random
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from etl.demo import (
    PASOS,
    Avance,
    Plan,
    asignar_atributos,
    fechas,
    objetivos,
    planes_de_unidad,
    repartir,
)
from etl.demo_tiempo import (
    LIBRO,
    calibrar_2022,
    fechar_2022,
    fechar_visitas_2022,
    libro,
    marco_2022,
    objetivo_monitoreo,
)
from geo.acceso.alcance import Alcance, fijar
from geo.plataforma.errors import SiggError
from geo.registro import subproyectos
from geo.registro.alianzas import Programa, programa, validar
from geo.registro.escritura import escribir

DATOS = Path(__file__).resolve().parent / "datos_demo"
# Results-framework indicators SIGG computes from the records (geo/indicadores.py).
CALCULADOS = {
    "R1": "r1",
    "R2": "r2",
    "R5": "r5",
    "R5.m": "r5m",
    "R6": "r6",
    "1.2a": "1.2a",
    "1.2b": "1.2b",
    "2.1": "2.1",
    "2.2": "2.2",
    "2.3": "2.3",
    "2.6": "2.6",
    "2.7": "2.7",
    "3.2.1": "3.2.1",
}


def cargar_demo(
    conn: Connection, referencia: Path, semilla: int = 2023, avance: Avance | None = None
) -> dict[str, int]:
    paso = avance or (lambda _m: None)
    rnd = random.Random(semilla)
    fijar(conn, Alcance("demo"))
    prog = programa(conn, "PAR2")
    _vaciar(conn, prog.id)
    paso(PASOS[0])
    unidades: dict[str, str] = dict(
        conn.execute(
            text("SELECT nombre, codigo FROM unidad_operativa WHERE cartografia = :v"),
            {"v": prog.cartografia},
        ).all()
    )
    objetivos_ = objetivos(referencia, unidades)
    paso(PASOS[1])
    planes = [p for o in objetivos_ for p in planes_de_unidad(o, rnd)]
    asignar_atributos(planes, objetivos_, rnd)
    # Its own generator: the draws of everything else stay what they were.
    calibra = random.Random(semilla + 16)
    tardios = calibrar_2022(planes, marco_2022(referencia), calibra)
    paso(PASOS[2])
    _ubicar(conn, prog, planes, semilla, rnd)
    _escribir(conn, prog, planes, rnd)
    paso(PASOS[3])
    fechados = _recorrer_ciclo(conn, prog, planes, rnd, tardios, calibra)
    libro(conn, prog, planes, fechados, calibra)
    paso(PASOS[4])
    n_seg = _seguimiento(conn, prog, rnd, fechados, (objetivo_monitoreo(referencia), calibra))
    paso(PASOS[5])
    n_sp = _subproyectos(conn, prog, referencia, rnd)
    paso(PASOS[6])
    _marco(conn, prog.id, referencia / "par2_marco_de_resultados.csv")
    paso(PASOS[7])
    n_bo = _bo481(conn, referencia, rnd)
    conn.execute(text("UPDATE programa SET sintetico = true WHERE codigo IN ('PAR2', 'BO481')"))
    _validar_todo(conn)
    # Fresh planner statistics: the first reports after a load would otherwise plan blind.
    for t in ("alianza", "alianza_etapa", "seguimiento", "subproyecto_municipal", "organizacion"):
        conn.execute(text(f"ANALYZE {t}"))
    return {
        "alianzas": len(planes),
        "seguimientos": n_seg,
        "subproyectos": n_sp,
        "consorcios_bo481": n_bo,
    }


_DEMO = "SELECT id FROM programa WHERE codigo IN ('PAR2', 'BO481')"


def _validar_todo(conn: Connection) -> None:
    """The demo stands for the program's published, already validated figures: the public site
    shows them. New records entered on top of it go through the verification."""
    for t in ("alianza", "subproyecto_municipal"):
        conn.execute(
            text(f"UPDATE {t} SET estado = 'validado' WHERE programa_id IN ({_DEMO})")  # noqa: S608
        )


def _vaciar(conn: Connection, programa_id: int) -> None:
    # Validated records are locked: reopen them (audited as the "demo" user) before replacing.
    for t in ("alianza", "subproyecto_municipal"):
        conn.execute(
            text(
                f"UPDATE {t} SET estado = 'observado' WHERE programa_id = :p "  # noqa: S608
                "AND estado = 'validado'"
            ),
            {"p": programa_id},
        )
    for sql in (
        "DELETE FROM subproyecto_municipal WHERE programa_id = :p",
        "DELETE FROM alianza WHERE programa_id = :p",
        "DELETE FROM organizacion WHERE programa_id = :p",
        "DELETE FROM indicador WHERE programa_id = :p",
    ):
        conn.execute(text(sql), {"p": programa_id})


def _ubicar(
    conn: Connection, prog: Programa, planes: list[Plan], semilla: int, rnd: random.Random
) -> None:
    """A municipality of the unit for each alliance (weighted by rural population), then a
    random point inside it (ST_GeneratePoints, seeded)."""
    municipios: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for codigo, unidad, rural in conn.execute(
        text(
            "SELECT codigo, unidad_operativa_codigo, coalesce(rural_2012, 0) FROM municipio "
            "WHERE cartografia = :v ORDER BY codigo"
        ),
        {"v": prog.cartografia},
    ):
        municipios[unidad].append((codigo, rural))
    for p in planes:
        opciones = municipios[p.unidad]
        p.datos["municipio_codigo"] = rnd.choices(
            [c for c, _ in opciones], weights=[r + 500 for _, r in opciones]
        )[0]
    cuantos = Counter(p.datos["municipio_codigo"] for p in planes)
    puntos: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for codigo, x, y in conn.execute(
        text(
            "SELECT t.codigo, ST_X(d.geom), ST_Y(d.geom) FROM unnest(CAST(:c AS text[]), "
            "CAST(:n AS int[])) AS t(codigo, n) JOIN municipio m ON m.cartografia = :v "
            "AND m.codigo = t.codigo, LATERAL ST_Dump(ST_GeneratePoints(m.geom, t.n, :s)) d"
        ),
        {"c": list(cuantos), "n": list(cuantos.values()), "v": prog.cartografia, "s": semilla},
    ):
        puntos[codigo].append((round(x, 6), round(y, 6)))
    for p in planes:
        p.datos["lon"], p.datos["lat"] = puntos[p.datos["municipio_codigo"]].pop()


def _escribir(conn: Connection, prog: Programa, planes: list[Plan], rnd: random.Random) -> None:
    filas = []
    for p in planes:
        con_convenio = "convenio_firmado" in p.camino
        datos = {
            "codigo": p.codigo,
            "nombre": f"Alianza {p.sector.replace('_', ' ')} {p.codigo}",
            "sector": p.sector,
            "modelo": p.modelo,
            "financiamiento": "adicional",
            "convocatoria": p.convocatoria,
            "etapa": "solicitud",
            "fecha_etapa": p.fecha_solicitud,
            "fecha_solicitud": p.fecha_solicitud,
            # The money goes through the ledger, dated (_libro), not as totals.
            **{k: v for k, v in p.datos.items() if k not in LIBRO},
        }
        if con_convenio:
            datos["organizacion"] = f"OPP {p.codigo}"
        filas.append((None, datos))
    lote = validar(conn, prog, filas, 100.0)
    if lote.errores:
        raise SiggError(f"la demo no pasó la validación: {lote.errores[:3]}")
    escribir(conn, prog, lote.validas)
    conn.execute(
        text(
            "UPDATE organizacion o SET formalizada = (o.id % 10) < 7, "
            "familias_miembro = a.familias + (o.id % 9) FROM alianza a "
            "WHERE a.organizacion_id = o.id AND o.programa_id = :p"
        ),
        {"p": prog.id},
    )


def _recorrer_ciclo(
    conn: Connection,
    prog: Programa,
    planes: list[Plan],
    rnd: random.Random,
    tardios: set[str],
    calibra: random.Random,
) -> dict[str, dict[str, date]]:
    """Each step is one UPDATE for every alliance that takes it: the stage trigger checks the
    move and writes the history with its date. Answers each alliance's date of each stage."""
    caminos = [
        (p.codigo, p.camino, fechar_2022(p, fechas(p, rnd), p.codigo in tardios, calibra))
        for p in planes
    ]
    for k in range(1, max(len(c) for _, c, _ in caminos)):
        paso = [(codigo, camino[k], fs[k]) for codigo, camino, fs in caminos if len(camino) > k]
        conn.execute(
            text(
                "UPDATE alianza a SET etapa = s.etapa, fecha_etapa = s.fecha FROM unnest("
                "CAST(:c AS text[]), CAST(:e AS text[]), CAST(:f AS date[])) "
                "AS s(codigo, etapa, fecha) "
                "WHERE a.programa_id = :p AND a.codigo = s.codigo"
            ),
            {
                "c": [x[0] for x in paso],
                "e": [x[1] for x in paso],
                "f": [x[2] for x in paso],
                "p": prog.id,
            },
        )
    return {codigo: dict(zip(camino, fs, strict=True)) for codigo, camino, fs in caminos}


def _seguimiento(
    conn: Connection,
    prog: Programa,
    rnd: random.Random,
    fechados: dict[str, dict[str, date]],
    calibrar: tuple[dict[str, float], random.Random],
) -> int:
    """Baseline and two cycles for alliances in operation or concluded: sales up about 45%,
    the buyer kept by about 83%, environmental measures by about 85%. The baseline is dated at
    the agreement, the cycles six and eighteen months into operation; some visits due in 2022
    come in 2023 instead, so that the monitoring indicators at the end of 2022 are the
    published ones (``elegir_2022``)."""
    alianzas = conn.execute(
        text(
            "SELECT id, codigo, modelo FROM alianza WHERE programa_id = :p "
            "AND etapa IN ('en_operacion', 'concluida') "
            "ORDER BY id"
        ),
        {"p": prog.id},
    ).all()
    filas: list[dict[str, Any]] = []
    modelos = {aid: modelo for aid, _, modelo in alianzas}
    for aid, codigo, _ in alianzas:
        f = fechados[codigo]
        visitas = (
            f["convenio_firmado"],
            f["en_operacion"] + timedelta(days=180),
            f["en_operacion"] + timedelta(days=545),
        )
        base = Decimal(rnd.randint(20, 200) * 1000)
        crece = Decimal(str(round(rnd.uniform(1.1, 1.8), 3)))
        mantiene = rnd.random() < 0.83
        ambiental = rnd.random() < 0.85
        for ciclo in (0, 1, 2):
            ventas = (base * (crece if ciclo else 1)).quantize(Decimal("1"))
            costos = (ventas * Decimal(str(round(rnd.uniform(0.55, 0.8), 3)))).quantize(
                Decimal("1")
            )
            filas.append(
                {
                    "a": aid,
                    "c": ciclo,
                    "v": ventas,
                    "k": costos,
                    "i": ventas - costos,
                    "r": None if ciclo == 0 else mantiene,
                    "m": None if ciclo == 0 else ambiental,
                    "f": visitas[ciclo],
                }
            )
    fechar_visitas_2022(filas, modelos, *calibrar)
    conn.execute(
        text(
            "INSERT INTO seguimiento (alianza_id, ciclo, fecha, ventas_bs, costos_bs, ingreso_bs, "
            "relacion_comercial_mantenida, medidas_ambientales) "
            "VALUES (:a, :c, :f, :v, :k, :i, :r, :m)"
        ),
        filas,
    )
    return len(filas)


def _subproyectos(conn: Connection, prog: Programa, referencia: Path, rnd: random.Random) -> int:
    """The published subprojects by stage, amounts split exactly, executed never above
    committed, each placed in a municipality with alliances and linked to up to three."""
    etapas = {
        "Recepción definitiva": "recepcion_definitiva",
        "Recepción provisional": "recepcion_provisional",
        "Ejecución": "ejecucion",
        "Licitación": "licitacion",
        "Evaluación FPS": "evaluacion_fps",
    }
    with (referencia / "par2_subproyectos_municipales_por_estado.csv").open(encoding="utf-8") as fh:
        filas = [f for f in csv.DictReader(fh) if f["estado"] in etapas]
    por_municipio: dict[str, list[str]] = defaultdict(list)
    for mun, codigo in conn.execute(
        text(
            "SELECT municipio_codigo, codigo FROM alianza WHERE programa_id = :p "
            "AND etapa_alcanzada >= 6 ORDER BY codigo"
        ),
        {"p": prog.id},
    ):
        por_municipio[mun].append(codigo)
    municipios = sorted(por_municipio)
    n = 0
    for f in filas:
        k = int(f["proyectos"])
        pesos = [rnd.uniform(0.5, 1.5) for _ in range(k)]
        partes = {
            c: repartir(int(f[c]), pesos)
            for c in ("familias", "comprometido_empoderar_bs", "comprometido_contraparte_bs")
        }
        for ejec, comp in (
            ("ejecutado_empoderar_bs", "comprometido_empoderar_bs"),
            ("ejecutado_contraparte_bs", "comprometido_contraparte_bs"),
        ):
            partes[ejec] = repartir(int(f[ejec]), partes[comp], partes[comp])
        for i in range(k):
            n += 1
            mun = rnd.choice(municipios)
            subproyectos.crear(
                conn,
                None,
                prog.codigo,
                {
                    "codigo": f"FPS-{n:03d}",
                    "nombre": f"Subproyecto de riego FPS-{n:03d}",
                    "tipo_obra": rnd.choice(("sistema de riego", "atajado", "puente", "camino")),
                    "etapa": etapas[f["estado"]],
                    "familias": partes["familias"][i],
                    "monto_empoderar_comprometido_bs": partes["comprometido_empoderar_bs"][i],
                    "monto_contraparte_comprometido_bs": partes["comprometido_contraparte_bs"][i],
                    "monto_empoderar_ejecutado_bs": partes["ejecutado_empoderar_bs"][i],
                    "monto_contraparte_ejecutado_bs": partes["ejecutado_contraparte_bs"][i],
                    "municipio_codigo": mun,
                    "alianzas": por_municipio[mun][:3],
                },
                tolerancia_m=100.0,
            )
    return n


def _valor(texto: str | None) -> Decimal | None:
    return Decimal(texto) if texto not in (None, "") else None


def _marco(conn: Connection, programa_id: int, archivo: Path) -> None:
    """The results framework, kept per program: computable indicators get their method,
    the rest their published value for 2022 with its source."""
    with archivo.open(encoding="utf-8") as fh:
        filas = list(csv.DictReader(fh))
    for orden, f in enumerate(filas):
        iid = conn.execute(
            text(
                "INSERT INTO indicador (programa_id, codigo, nombre, unidad, linea_base, meta, "
                "frecuencia, como_se_calcula, calculo, orden) VALUES (:p, :c, :n, :u, :b, :m, :fr, "
                ":cc, :calc, :o) RETURNING id"
            ),
            {
                "p": programa_id,
                "c": f["codigo"],
                "n": f["indicador"],
                "u": f["unidad"],
                "b": _valor(f["linea_base"]),
                "m": _valor(f["meta_final"]),
                "fr": f["frecuencia"],
                "cc": f["como_se_calcula"],
                "calc": CALCULADOS.get(f["codigo"]),
                "o": orden,
            },
        ).scalar_one()
        if f["codigo"] not in CALCULADOS:
            conn.execute(
                text(
                    "INSERT INTO indicador_valor (indicador_id, periodo, valor, fuente) "
                    "VALUES (:i, '2022', :v, 'POA 2023, valor acumulado 2022 (publicado)')"
                ),
                {"i": iid, "v": _valor(f["valor_acumulado_2022"])},
            )


def _bo481(conn: Connection, referencia: Path, rnd: random.Random) -> int:
    """BO-481 (OFAMI, El Alto): the 18 artisan consortia, 236 businesses among them, and its
    targets, many of them without data ("No se cuenta con la información")."""
    prog = programa(conn, "BO481")
    _vaciar(conn, prog.id)
    with (referencia / "ofami_bo481_consorcios.csv").open(encoding="utf-8") as fh:
        consorcios = list(csv.DictReader(fh))
    empresas = repartir(236, [1.0] * len(consorcios))
    filas = [
        (
            None,
            {
                "codigo": f"BO481-{i + 1:02d}",
                "nombre": f"Consorcio {c['consorcio']}",
                "organizacion": c["consorcio"],
                "comprador": None,
                "sector": "no_agropecuarios",
                "modelo": 2,
                "financiamiento": "inicial",
                "convocatoria": f"grupo {c['grupo']}",
                "etapa": "solicitud",
                "familias": empresas[i],
                "familias_mujeres": round(empresas[i] * 0.6),
                "municipio_codigo": "020105",
            },
        )
        for i, c in enumerate(consorcios)
    ]
    lote = validar(conn, prog, filas, 100.0)
    if lote.errores:
        raise SiggError(f"BO-481 no pasó la validación: {lote.errores[:3]}")
    escribir(conn, prog, lote.validas)
    with (DATOS / "bo481_marco.csv").open(encoding="utf-8") as fh:
        for orden, f in enumerate(csv.DictReader(fh)):
            iid = conn.execute(
                text(
                    "INSERT INTO indicador (programa_id, codigo, nombre, unidad, meta, orden) "
                    "VALUES (:p, :c, :n, :u, :m, :o) RETURNING id"
                ),
                {
                    "p": prog.id,
                    "c": f["codigo"],
                    "n": f["indicador"],
                    "u": f["unidad"],
                    "m": _valor(f["meta"]),
                    "o": orden,
                },
            ).scalar_one()
            conn.execute(
                text(
                    "INSERT INTO indicador_valor (indicador_id, periodo, valor, fuente, nota) "
                    "VALUES (:i, 'final', :v, 'Informe final BO-481 (OFAMI)', :n)"
                ),
                {"i": iid, "v": _valor(f["valor"]), "n": f["nota"] or None},
            )
    return len(consorcios)
