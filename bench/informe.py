"""bench/RESULTS.md from the suite's measurements: the machine and versions, the aims of issues
17 and 8 (met or not, bench/objetivos.py), then one table per topic with every figure beside its
ceiling or peer and the ratio first (the tables issue 17 added, and the import's, are in
bench/informe_17.py)."""

from __future__ import annotations

from bench.informe_17 import escritura, filtros, importacion, primeras, teselas, trabajos
from bench.objetivos import objetivos_8, objetivos_17
from bench.respuestas import PorNivel
from bench.resultados import SIGG_EXPORT, TECHO_CARGA, Resultados
from bench.ubicacion import LOTE


def _x(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


ESTADOS = ("cambio", "reinicio", "tibio")
COLUMNAS = (
    "| after a change / bare | after a restart / bare | warm / bare | after a change ms "
    "| after a restart ms | warm ms |"
)


def _celdas(x: PorNivel, que: str) -> str:
    ratios = " | ".join(_x(x.ms[f"{que}:{e}"], x.desnudo_ms) for e in ESTADOS)
    return f"{ratios} | " + " | ".join(f"{x.ms[f'{que}:{e}']:.1f}" for e in ESTADOS)


def agregacion(r: Resultados) -> list[str]:
    lineas = [
        "## Aggregation: `/api/v1/estadisticas?nivel=X` vs the bare SQL GROUP BY",
        "",
        "Every measure for every unit (counts per stage, sums, US$, ratios, subprojects) over "
        "HTTP, against the bare GROUP BYs of the alliances and the subprojects on the same "
        "validated rows (rows fetched over a plain psycopg connection). *After a change*: the "
        "answer computed afresh on a running server (the cache is stale); *after a restart*: "
        "the same in a just-started server; *warm*: repeated requests (the cache answers). "
        "Staff: after a change, with a national-coordination token (no validated-only filter).",
        "",
        f"| alianzas | nivel {COLUMNAS} staff after a change ms | bare ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for x in r.niveles:
        lineas.append(
            f"| {x.alianzas:,} | {x.nivel} | {_celdas(x, 'estadisticas')} "
            f"| {x.ms['personal:cambio']:.1f} | {x.desnudo_ms:.1f} |"
        )
    return [*lineas, ""]


def mapa(r: Resultados) -> list[str]:
    lineas = [
        "## Choropleth: `/api/v1/mapa/valores?nivel=X&medida=familias_por_mil_rurales`",
        "",
        "Values, quantile classes and legend for every unit, public; against the same bare "
        "GROUP BYs as above (the data the classes are computed from). Cold is *after a change* "
        "(first request once the data changed) and *after a restart*; warm is the repeat.",
        "",
        f"| alianzas | nivel {COLUMNAS} bare ms |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for x in r.niveles:
        lineas.append(f"| {x.alianzas:,} | {x.nivel} | {_celdas(x, 'mapa')} | {x.desnudo_ms:.1f} |")
    return [*lineas, ""]


def exportar(r: Resultados) -> list[str]:
    lineas = [
        "## Full GeoJSON export: SIGG vs tipg vs ogr2ogr",
        "",
        "`/api/v1/exportar/alianzas?formato=geojson` (streamed, public) against tipg serving "
        "the same PostGIS table (one page of every feature) and `ogr2ogr` from PostGIS to a "
        "GeoJSON file (the near-physical ceiling); each from a fresh process, whole body read.",
        "",
        "The exporters take turns, run after run; *seconds* is the median run's (of an even "
        "count, the slower of the middle two), *all runs* every run's in the order they ran.",
        "",
        "| alianzas | exporter | throughput vs tipg | time vs ogr2ogr | seconds | all runs "
        "| features/s | MB out | peak RSS MB | RSS growth MB |",
        "|---:|---|---:|---:|---:|---|---:|---:|---:|---:|",
    ]
    for n, e in r.exportes.items():
        for nombre, x in e.items():
            corridas = ", ".join(f"{c.segundos:.1f}" for c in r.corridas_export[n][nombre])
            lineas.append(
                f"| {n:,} | {nombre} | {_x(e['tipg'].segundos, x.segundos)} "
                f"| {_x(x.segundos, e['ogr2ogr'].segundos)} | {x.segundos:.1f} | {corridas} "
                f"| {n / x.segundos:,.0f} | {x.bytes / 1e6:,.0f} | {_mb(x.memoria_pico_kb)} "
                f"| {_mb(x.crecimiento_kb) if x.memoria_pico_kb else ''} |"
            )
    return [*lineas, ""]


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f}" if kb else ""


def memoria(r: Resultados) -> list[str]:
    if not r.exportes:
        return []
    n = max(r.exportes)
    s, t = r.exportes[n][SIGG_EXPORT], r.exportes[n]["tipg"]
    return [
        f"## Memory of the serving process during the largest export ({n:,} features)",
        "",
        "Peak resident set (VmHWM of /proc/PID/status) of the API process, before the export "
        "(started, healthy) and after the whole body was read; tipg serving the same table as "
        "the peer.",
        "",
        "| server | growth vs tipg's | peak RSS MB | RSS before MB | growth MB |",
        "|---|---:|---:|---:|---:|",
        f"| SIGG | {_x(s.crecimiento_kb, t.crecimiento_kb)} | {_mb(s.memoria_pico_kb)} "
        f"| {_mb(s.memoria_antes_kb)} | {_mb(s.crecimiento_kb)} |",
        f"| tipg | 1.00x | {_mb(t.memoria_pico_kb)} | {_mb(t.memoria_antes_kb)} "
        f"| {_mb(t.crecimiento_kb)} |",
        "",
    ]


def ubicacion(r: Resultados) -> list[str]:
    if not r.ubicacion:
        return []
    techo = next(v for k, v in r.ubicacion.items() if "ceiling" in k)[0]
    n = int(r.opciones["puntos"])  # type: ignore[call-overload]
    lineas = [
        f"## Point in municipality, {n:,} points in bulk",
        "",
        f"{LOTE} also finds the nearest municipality for misses, checks water bodies and "
        "swapped coordinates, and applies the rules in Python; the bare joins only answer "
        "which polygon holds each point.",
        "",
        "| method | points/s vs ceiling | seconds | points/s | points placed |",
        "|---|---:|---:|---:|---:|",
    ]
    for nombre, (seg, hechos) in r.ubicacion.items():
        lineas.append(f"| {nombre} | {_x(techo, seg)} | {seg:.2f} | {n / seg:,.0f} | {hechos:,} |")
    return [*lineas, ""]


def carga(r: Resultados) -> list[str]:
    techo = {c.conexiones: c.por_segundo for d, c in r.cargas if c.ruta == TECHO_CARGA}
    lineas = [
        "## Sustained load from a second process (loopback)",
        "",
        f"{r.opciones['herramienta']}, {r.opciones['duracion']} s per run, one client thread; "
        f"errors are non-2xx responses plus socket errors and timeouts (30 s). Ceiling: "
        f"`{TECHO_CARGA}` (no database: what the server and framework alone can answer) at "
        "the same number of connections. `/api/v1/mapa/capa` is asked with "
        "`Accept-Encoding: gzip`. One warm-up request precedes each endpoint's runs. With every "
        "connection busy, mean latency ≈ connections / (req/s) (Little's law): p99 under 250 "
        "ms at 64 connections needs well over 256 req/s, and p99 ≤ 100 ms at 256 connections "
        "(issue 17's aim, asked of the cached choropleth and the ceiling only) well over "
        "2,560 req/s.",
        "",
        "| data (alianzas) | endpoint | connections | req/s vs ceiling | req/s | p50 ms "
        "| p95 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for datos, c in r.cargas:
        lineas.append(
            f"| {datos} | `{c.ruta}` | {c.conexiones} "
            f"| {_x(c.por_segundo, techo.get(c.conexiones, 0))} | {c.por_segundo:,.1f} "
            f"| {c.p50_ms:.1f} | {c.p95_ms:.1f} | {c.p99_ms:.1f} | {c.errores} |"
        )
    return [*lineas, ""]


def checkpoints(r: Resultados) -> list[str]:
    if not r.fases:
        return []
    lineas = [
        "## Checkpoints during each phase",
        "",
        "What the cluster's checkpoints did while each phase of a size ran (pg_stat_bgwriter, "
        "cluster-wide): how many ended, and the buffers checkpoints wrote (8 KiB each, counted "
        "as they are written, so a checkpoint that ends after the phase shows too). A phase "
        "measured while a checkpoint writes shares the disk and a core with it. Each fill ends "
        "with a CHECKPOINT (bench.agregacion.asentar), so that the writing its WAL brings on is "
        "over before the phases after it measure.",
        "",
        "| alianzas | phase | minutes | checkpoints ended | buffers written |",
        "|---:|---|---:|---:|---:|",
    ]
    for f in r.fases:
        lineas.append(
            f"| {f.alianzas:,} | {f.nombre} | {f.minutos:.1f} | {f.checkpoints} | {f.buffers:,} |"
        )
    return [*lineas, ""]


def cabecera(r: Resultados) -> list[str]:
    o = r.opciones
    return [
        "# SIGG performance and scale (issues 8 and 17)",
        "",
        "Written by `python -m bench.suite` in one run "
        f"({r.minutos:.0f} min): sizes {o['tamanos']}, {o['repeticiones']} repetitions "
        f"(medians; cold requests, exports and imports: {o['largas']} runs).",
        "",
        *(f"- **{k}**: {v}" for k, v in r.versiones.items()),
        "",
        "All figures are for the **public path** (no token: validated records only, which is "
        "what the map serves); every bulk-filled record is validated, and the bare-SQL "
        "ceilings filter `estado = 'validado'` too. Each size copies the calibrated demo "
        "(alliances and, in the same proportion, subprojects) with new codes, each copy's "
        "point moved by up to 0.05 degrees (as bench/teselas.py does, so that the vector tiles "
        "hold what a real map would; municipality and sums are the demo's). Warm: median of "
        "repeated requests after one warm-up. Cold: the first request after national "
        "coordination reopened and re-validated one record (a real change to the public data, "
        "which moves the API's cache generation on), on the running server (*after a change*) "
        "or on a server restarted after the change (*after a restart*). Load runs are one run "
        "each. Ratios are the headline; absolute times vary by machine.",
        "",
    ]


def numeradas(partes: list[list[str]]) -> list[str]:
    """The sections' lines, each section's "## " title numbered in order."""
    lineas, k = [], 0
    for parte in partes:
        for linea in parte:
            if linea.startswith("## "):
                k += 1
                linea = f"## {k}. {linea[3:]}"
            lineas.append(linea)
    return lineas


def documento(r: Resultados) -> str:
    secciones = [
        agregacion(r),
        mapa(r),
        filtros(r),
        primeras(r),
        escritura(r),
        teselas(r),
        exportar(r),
        importacion(r),
        trabajos(r),
        ubicacion(r),
        carga(r),
        memoria(r),
        checkpoints(r),
    ]
    return "\n".join([*cabecera(r), *objetivos_17(r), *objetivos_8(r), *numeradas(secciones)])
