"""The sections of bench/RESULTS.md that issue 17 added (aggregates after a write by filter, the
price a write pays for the summary, vector tiles) and the bulk import's, rewritten for it to
say where each import was measured and why the places disagree."""

from __future__ import annotations

from typing import Any

from bench.agregacion import NIVELES
from bench.canario import Canario
from bench.resultados import Resultados
from bench.resumen import CABECERA, MOTIVO, PorFiltro, Precio
from bench.teselas import CAUDAL, LATENCIA, RONDAS, ZOOMS_CAUDAL, fila_caudal, fila_latencia, p
from geo.analisis.teselas import ZOOM_PUNTOS
from geo.registro.importacion import PASOS

RUTAS_CORTAS = {"estadisticas": "statistics", "mapa": "map values"}


def _x(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def _fila_filtro(x: PorFiltro) -> str:
    lento = {q: max((ms, nv) for nv, ms in d.items()) for q, d in x.ms.items()}
    vel, nv = x.aceleracion()
    desnudo = sorted(x.desnudo.values())
    primera, ruta, nivel = x.peor_primera()
    return (
        f"| {x.alianzas:,} | `{x.filtro.nombre}` | {', '.join(sorted(x.cabeceras))} "
        f"| {vel:.2f}x ({nv}) | {lento['estadisticas'][0]:.1f} ({lento['estadisticas'][1]}) "
        f"| {lento['mapa'][0]:.1f} ({lento['mapa'][1]}) | {desnudo[0]:.1f}–{desnudo[-1]:.1f} "
        f"| {primera:.1f} ({RUTAS_CORTAS[ruta]}, {nivel}) | {'yes' if x.iguales else 'NO'} |"
    )


def filtros(r: Resultados) -> list[str]:
    if not r.filtros:
        return []
    return [
        "## Aggregates after a write, by filter: the summary vs the bare GROUP BY",
        "",
        "`/api/v1/estadisticas` and `/api/v1/mapa/valores` (public: validated records only) at "
        f"every level ({', '.join(NIVELES)}), each computed afresh after a write (national "
        "coordination reopened and re-validated one alliance and one subproject first: the "
        "cache is stale and the summary has a pending difference), beside the bare GROUP BYs "
        "of the alliances and the subprojects with the same filter on the same rows (the "
        "subprojects take only the program and territory, as the endpoint does). Shown: the "
        f"slowest level of each route, and the least ratio over the levels. `{CABECERA}` is "
        f"the response's header (`resumen`: answered from the summary; `consulta-completa`, "
        f"with `{MOTIVO}` in brackets: the full query); *same counts*: the endpoint's "
        "alliances and subprojects, summed over the units, equal the bare query's at every "
        "level. The last filter is one the summary cannot answer: the fallback. Aim: ≤ 25 ms "
        "and ≥ 20x faster than the bare query at 1,000,000.",
        "",
        "Each route and level of a filter is asked once after a write before the requests of "
        "its median: that *first request* is shown apart (the slowest over the routes and "
        "levels). For every filter but the program alone, which the measurements by level "
        "asked for before, it is also the first time the server process builds that "
        "statement (14 to 21 ms of SQLAlchemy with every measure on this machine, once per "
        "shape of statement and process: `_compilada` in geo/analisis/agregacion.py), a cost "
        "apart from the write's. The medians are of the requests after it.",
        "",
        f"| alianzas | filter | {CABECERA} | bare / endpoint (least) | statistics ms (slowest) "
        "| map values ms (slowest) | bare ms (levels) | first request ms (slowest) "
        "| same counts |",
        "|---:|---|---|---:|---:|---:|---:|---:|---|",
        *(_fila_filtro(x) for x in r.filtros),
        "",
        *_canarios_filtros(r),
    ]


def _canarios_filtros(r: Resultados) -> list[str]:
    """What the canary saw while the filters were measured, a line per size."""
    vistos: dict[int, Canario] = {}
    for x in r.filtros:
        if x.canario is not None:
            vistos.setdefault(x.alianzas, x.canario)
    return [
        linea
        for n, c in vistos.items()
        for linea in (
            f"The machine while the filters at {n:,} alliances were measured, by the canary "
            f"(bench/canario.py): {c.resumen()}.",
            "",
        )
    ]


def primeras(r: Resultados) -> list[str]:
    if not r.primeras:
        return []
    lineas = [
        "## The first answer for a department not asked for before, after a write",
        "",
        "The figures above are medians of repeated requests, so the first request of each "
        "filter and level is not among them. Here only first requests count "
        "(bench/primeras.py). The suite's smallest filter, `departamento=<d>&etapa_alcanzada="
        "aprobado`, is asked for every department with alliances, at every level, on both "
        "routes, each request right after a write and each the first for its department. The "
        "department with the most alliances is asked first and not counted: the section above "
        "has already asked for it. Beside them is the bare GROUP BY of each department "
        "(median of the repetitions).",
    ]
    for x in r.primeras:
        lineas += [
            "",
            f"{x.alianzas:,} alliances, {len(x.contados)} departments counted "
            f"({', '.join(x.contados)}): median {x.mediana:.1f} ms, slowest "
            f"{x.peor:.1f} ms over {len(x.todas())} first requests.",
            "",
            *x.por_nivel(),
            "",
            x.maquina(),
        ]
    return [*lineas, ""]


def escritura(r: Resultados) -> list[str]:
    if not r.precios:
        return []
    nombres = ", ".join(f"`{t}`" for t in r.precios[0].disparadores) or "none found (no summary)"
    lineas = [
        "## The price a write pays for the summaries",
        "",
        "An alliance written with the summaries' triggers enabled (the aggregate summary's and "
        "the tiles' cell summary's), and with only those disabled "
        "(`ALTER TABLE alianza DISABLE TRIGGER …`; audit, history, ledger and the others run "
        "in both): single-row INSERTs (a copy of a demo alliance, as an office registers one), "
        "then an UPDATE of each of those rows (`familias + 1`: a summed column changes), one "
        "transaction each, commit included, the two settings alternating in four blocks; and "
        "one INSERT … SELECT of many copies in one statement (rolled back; the median of the "
        "runs). The inserted rows are deleted afterwards and the summary rebuilt. "
        "`movimiento` (empty here: the copies carry no movements) keeps the statistics "
        "TRUNCATE leaves: analyzed while empty, the ledger trigger's per-row subquery would "
        "scan every movement the bulk INSERT writes (see the import below). Triggers "
        f"switched: {nombres}.",
        "",
        "| alianzas | write | runs each | with / without p50 | with / without p99 "
        "| with p50 / p99 ms | without p50 / p99 ms |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for x in r.precios:
        for k, que in (("insert", "single-row INSERT"), ("update", "single-row UPDATE"),
                       ("lote", f"INSERT … SELECT of {x.filas_lote:,} rows")):  # fmt: skip
            con, sin = x.ms[f"{k}:con"], x.ms[f"{k}:sin"]
            if len(con) < 10:  # a handful of runs: their median only
                celdas = f"— | {p(con, 50):,.1f} | {p(sin, 50):,.1f}"
            else:
                celdas = (
                    f"{_x(p(con, 99), p(sin, 99))} | {p(con, 50):,.1f} / {p(con, 99):,.1f} "
                    f"| {p(sin, 50):,.1f} / {p(sin, 99):,.1f}"
                )
            lineas.append(
                f"| {x.alianzas:,} | {que} | {len(con)} | {_x(p(con, 50), p(sin, 50))} | {celdas} |"
            )
    lineas.append("")
    for x in r.precios:
        if x.canario is not None:
            lineas += [
                f"At {x.alianzas:,} alliances, the single-row writes that took their p99 or "
                f"longer, and how many of them met a stall of the machine (bench/canario.py, "
                f"beside the writes): {paradas_p99(x)}. The canary: {x.canario.resumen()}.",
                "",
            ]
    return lineas


def paradas_p99(x: Precio) -> str:
    """Of each kind of single-row write, with and without the triggers: how many of those at
    its p99 or over met a stall of the machine (a p99 of 200 writes is set by two of them)."""
    partes = []
    for k, que in (("insert", "INSERT"), ("update", "UPDATE")):
        cuentas = []
        for lado, nombre in (("con", "with"), ("sin", "without")):
            visto = x.paradas(f"{k}:{lado}", p(x.ms[f"{k}:{lado}"], 99))
            if visto is None:
                return "no canary record"
            cuentas.append(f"{visto[0]} of {visto[1]} {nombre}")
        partes.append(f"{que} {', '.join(cuentas)}")
    return "; ".join(partes)


def teselas(r: Resultados) -> list[str]:
    if not r.teselas:
        return []
    return [
        "## Points as vector tiles: `/api/v1/teselas/alianzas/{z}/{x}/{y}.pbf`",
        "",
        "Measured as bench/teselas.py measures (its functions): the tiles of ten towns at each "
        "zoom, public (validated records, the configured program). *Cold*: the first request "
        "after the data generation moved on (SIGG computes the tile); *warm*: the repeat "
        "(SIGG's cache); *bare*: the same tile from plain `ST_AsMVT` SQL over psycopg (the "
        "ceiling; *same as bare*: the tiles stand for the same alliances); tipg: OGC API - "
        f"Tiles on the same table (the peer), asked from zoom {ZOOM_PUNTOS} on only: below it "
        "SIGG sends clusters and tipg every point, not like for like. Aim: cold p50 ≤ 100 ms "
        "at 1,000,000.",
        "",
        LATENCIA,
        *(fila_latencia(x) for x in r.teselas),
        "",
        f"Throughput, tiles per second with 8 concurrent clients at zoom "
        f"{' and '.join(map(str, ZOOMS_CAUDAL))}: every tile of a 3 x 3 block around each "
        "town, each asked once (*cold*: all computed), then again (*warm*); the median of "
        f"{RONDAS} rounds, each round every way of serving in turn, and the range of the "
        "cold / tipg ratio over the rounds. Aim: SIGG cold ≥ tipg.",
        "",
        CAUDAL,
        *(fila_caudal(c) for c in r.caudales),
        "",
    ]


def _estado_libro(reltuples: float) -> str:
    if reltuples < 0:
        return "never analyzed since emptied"
    return "analyzed while empty" if reltuples == 0 else f"{reltuples:,.0f} rows by its statistics"


def _por_que(r: Resultados) -> list[str]:
    """Why an import into a database that held records and was emptied (issue 8's run) and
    one into a fresh database (bench/importacion.py) disagree, from this run's pair."""
    i = r.importacion
    if PAR not in i or ANALIZADA not in i:
        return []
    f, a = i[PAR], i[ANALIZADA]
    rf, ra = f["filas"] / f["importar"], a["filas"] / a["importar"]
    texto = (
        f"Why an import into a database that held records and was emptied (issue 8's run, "
        f"in the suite's own database after its largest size) and one into a fresh database "
        f"(bench/importacion.py) disagree: on the same {int(f['filas']):,} rows, with the same "
        f"code on the same database, only the statistics of the emptied tables changed, the "
        f"importer wrote {rf:,.0f} rows/s as TRUNCATE left them and {ra:,.0f} rows/s once they "
        f"were analyzed while empty ({_x(ra, rf)}; the phase that checks and writes "
        f"{f[ESCRIBE]:.1f} s vs {a[ESCRIBE]:.1f} s); the plain COPY, which fires the same "
        "triggers, "
        f"{f['filas'] / f['copy']:,.0f} vs {a['filas'] / a['copy']:,.0f} rows/s."
    )
    if ra < 0.5 * rf:
        texto += (
            " An emptied table that autovacuum analyzes has statistics saying it is empty, "
            "and the planner trusts them (one not analyzed since it was emptied is assumed to "
            "hold a few pages). Two statements of an import read a table they are filling: "
            "the importer's `INSERT … WHERE NOT EXISTS (SELECT … FROM alianza …)` "
            "(geo/registro/escritura.py) and the alliances' ledger trigger "
            "(`sigg_ajuste_alianza`, migration 0012), which sums each new alliance's "
            "movements with a subquery on `movimiento` while inserting the adjustment "
            "movements into it. Planned for empty tables, both become a sequential scan per "
            "row (a nested loop), and each scan reads every row the statement has written so "
            "far: the write grows with the square of the rows. Issue 8's code already had the "
            "first (checked for issue 17 on commit 68cabf1 with auto_explain), and its run "
            "imported into the suite's own database, emptied after the largest size with "
            "autovacuum running in the minutes between; bench/importacion.py imports into a "
            "fresh one."
        )
    else:
        texto += " At this size the statistics of the emptied tables do not change the speed."
    return [texto, ""]


FRESCA = "fresh database"
ESCRIBE = PASOS[-1]  # the importer's phase that writes (each block as it is checked)
PAR = "fresh database, a fifth of the rows"
ANALIZADA = "fresh database, a fifth of the rows, emptied tables analyzed"


def importacion(r: Resultados) -> list[str]:
    if not r.importacion:
        return []
    lineas = [
        "## Bulk import vs COPY",
        "",
        "The importer on a semicolon CSV as an office exports it (read, validate, locate, "
        "upsert, audit, ledger) against a plain COPY of the same rows into `alianza` with its "
        "triggers (the ceiling), in a database of its own holding the territory only (as "
        "bench/importacion.py measures), each run on emptied tables (TRUNCATE of alianza, its "
        "history, organizations and audit trail; the movements go with them), autovacuum off "
        "for those tables while measuring so that every run starts from the same statistics. "
        f"*{ANALIZADA}*: those tables analyzed right after being emptied, as autovacuum does "
        "to a table that held rows. `movimiento` at the start: what the planner's statistics "
        "said of it when the import began.",
        "",
        "| where | what | rows | rows/s vs COPY | seconds | rows/s | runs "
        "| `movimiento` at the start |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    fases = []
    for donde, i in r.importacion.items():
        n, imp, cop, veces = int(i["filas"]), i["importar"], i["copy"], int(i["veces"])
        estado = _estado_libro(i["libro_reltuples"])
        lineas += [
            f"| {donde} | importer (`importar_alianzas`) | {n:,} | {_x(cop, imp)} | {imp:.2f} "
            f"| {n / imp:,.0f} | {veces} | {estado} |",
            f"| {donde} | plain COPY (ceiling) | {n:,} | 1.00x | {cop:.2f} | {n / cop:,.0f} "
            f"| {veces} | |",
        ]
        resto = {k: v for k, v in i.items() if k not in NO_FASES}
        fases.append(f"- {donde}: " + ", ".join(f"{k}: {v:.2f}" for k, v in resto.items()))
    return [*lineas, "", "Importer phases (median seconds):", "", *fases, "", *_por_que(r)]


NO_FASES = ("filas", "importar", "copy", "veces", "libro_reltuples")


UMBRAL_P99 = 1.2  # "others' p99 unchanged": the suite's reading, during the job / idle
CRECE_MB = 25  # "memory flat": as for the export, the most it may grow from the smaller size


def peticiones(c: dict[str, Any]) -> str:
    """Which of the map's requests a run of the job was under."""
    return "the summary's" if c["resumen"] else "the full query's"


def memoria_trabajo(c: dict[str, Any]) -> float:
    """The job's memory in a run: its own process's peak when it ran apart, else how much
    the server grew while it ran (MiB)."""
    return float(c["proceso_mib"] if c["aparte"] else c["servidor_mas_mib"])


def trabajos(r: Resultados) -> list[str]:
    if not r.trabajos:
        return []
    lineas = [
        "## The import as a background job, under another user's map requests",
        "",
        "bench/importacion_trabajo.py, each run as a command of its own on a fresh database "
        "(the territory and the demo): national coordination sends a real import job "
        "(`POST /api/v1/importaciones/trabajos`, written, all or nothing) while a Chaco unit "
        "user asks for `/api/v1/mapa/valores` one request after another. *The summary's*: each "
        "request another measure, level, classification, class count, Chaco department or "
        "none and stage reached (no date filter): the map's usual requests, which the summary "
        "answers. *The full query's*: each another measure, level, classification and end date, "
        "which the full query over the records answers. Requests the server answered from its "
        f"cache are left out. Before the job: {r.trabajos[0]['reposo_s']:.0f} s of the same "
        "requests with the server idle, then a plain COPY of the same rows into `alianza`, "
        "its triggers firing, under the same requests (the ceiling; rolled back and vacuumed, "
        "so the job writes into the table as it was). *Job's memory*: its process's highest "
        "resident set (it runs in a process of its own), or, in the server's thread, how much "
        "the server grew. A tenth of the rows is run once, for the job's memory at a smaller "
        "file.",
        "",
        "| rows | map requests | job | job s | job rows/s | COPY rows/s | job / COPY "
        "| job's memory MiB | map p50 ms: idle / job / COPY | map p99 ms: idle / job / COPY "
        "| p99 job / idle | load at start |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in r.trabajos:
        lineas.append(
            f"| {c['filas']:,} | {peticiones(c)} | {c['estado']} | {c['durante_s']:.1f} "
            f"| {c['filas_s']:,.0f} | {c['copia_filas_s']:,.0f} "
            f"| {_x(c['filas_s'], c['copia_filas_s'])} | {memoria_trabajo(c):,.0f} "
            f"| {c['reposo_p50']:.0f} / {c['durante_p50']:.0f} / {c['copia_p50']:.0f} "
            f"| {c['reposo_p99']:.0f} / {c['durante_p99']:.0f} / {c['copia_p99']:.0f} "
            f"| {_x(c['durante_p99'], c['reposo_p99'])} | {c['carga'][0]:.2f} |"
        )
    return [*lineas, ""]
