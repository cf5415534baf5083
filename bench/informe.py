"""bench/RESULTS.md from the suite's measurements: the machine and versions, the aims of issue 8
(met or not), then one table per topic with every figure beside its ceiling or peer and the
ratio first."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.carga import Carga
from bench.exportar import Exportacion
from bench.respuestas import PorNivel
from bench.ubicacion import LOTE

SIGG_EXPORT = "SIGG /api/v1/exportar"
TECHO_CARGA = "/api/v1/mapa/medidas"
MAPA_MUNICIPAL = "/api/v1/mapa/valores?nivel=municipio"


@dataclass
class Resultados:
    """Everything one run measured."""

    versiones: dict[str, str]
    opciones: dict[str, object]
    niveles: list[PorNivel] = field(default_factory=list)
    exportes: dict[int, dict[str, Exportacion]] = field(default_factory=dict)
    importacion: dict[str, float] = field(default_factory=dict)
    ubicacion: dict[str, tuple[float, int]] = field(default_factory=dict)
    cargas: list[tuple[str, Carga]] = field(default_factory=list)
    minutos: float = 0.0


def _x(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "n/a"


def _si(ok: bool | None) -> str:
    return {True: "**met**", False: "**not met**", None: "not measured"}[ok]


def _peor(filas: list[PorNivel], clave: str) -> float:
    return max(x.ms[clave] / x.desnudo_ms for x in filas)


def _aim_agregacion(r: Resultados) -> list[str]:
    aim = "| aggregation ≤ 1.5x bare SQL at 1,000,000 (worst level, computed after a change)"
    if not r.niveles:
        return [f"{aim} | | not measured |"]
    n = max(x.alianzas for x in r.niveles)
    filas = [x for x in r.niveles if x.alianzas == n]
    cambio = _peor(filas, "estadisticas:cambio")
    ok = cambio <= 1.5 if n >= 1_000_000 else None
    reinicio, tibio = _peor(filas, "estadisticas:reinicio"), _peor(filas, "estadisticas:tibio")
    return [
        f"{aim} | {n:,}: {cambio:.2f}x (after a restart {reinicio:.2f}x, warm {tibio:.2f}x) "
        f"| {_si(ok)} |"
    ]


def _aim_exportar(r: Resultados) -> list[str]:
    if not r.exportes:
        return ["| export ≥ tipg and within 2x of ogr2ogr | | not measured |"]
    ok, textos = True, []
    for n, e in r.exportes.items():
        s, t, o = (e[k].segundos for k in (SIGG_EXPORT, "tipg", "ogr2ogr"))
        ok = ok and s <= t and s <= 2 * o
        textos.append(f"{n:,}: {_x(t, s)} tipg's throughput, {_x(s, o)} ogr2ogr's time")
    return [f"| export ≥ tipg and within 2x of ogr2ogr (time) | {'; '.join(textos)} | {_si(ok)} |"]


def _aim_carga(r: Resultados) -> list[str]:
    p99 = [c.p99_ms for d, c in r.cargas if d.startswith("demo") and c.conexiones == 64 and
           c.ruta.startswith(MAPA_MUNICIPAL)]  # fmt: skip
    errores = sum(c.errores for _, c in r.cargas)
    medido = f"{p99[0]:.0f} ms" if p99 else ""
    return [
        f"| p99 < 250 ms, 64 connections, municipal choropleth, demo data | {medido} "
        f"| {_si(p99[0] < 250 if p99 else None)} |",
        f"| zero errors under load | {errores} errors in {len(r.cargas)} runs "
        f"| {_si(errores == 0 if r.cargas else None)} |",
    ]


def objetivos(r: Resultados) -> list[str]:
    return [
        "## Aims (issue 8)",
        "",
        "| aim | measured | |",
        "|---|---|---|",
        *_aim_agregacion(r),
        *_aim_exportar(r),
        *_aim_carga(r),
        "",
    ]


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
        "## 1. Aggregation: `/api/v1/estadisticas?nivel=X` vs the bare SQL GROUP BY",
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
        "## 2. Choropleth: `/api/v1/mapa/valores?nivel=X&medida=familias_por_mil_rurales`",
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
        "## 3. Full GeoJSON export: SIGG vs tipg vs ogr2ogr",
        "",
        "`/api/v1/exportar/alianzas?formato=geojson` (streamed, public) against tipg serving "
        "the same PostGIS table (one page of every feature) and `ogr2ogr` from PostGIS to a "
        "GeoJSON file (the near-physical ceiling); each from a fresh process, whole body read.",
        "",
        "| alianzas | exporter | throughput vs tipg | time vs ogr2ogr | seconds | features/s "
        "| MB out | peak RSS MB | RSS growth MB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n, e in r.exportes.items():
        for nombre, x in e.items():
            lineas.append(
                f"| {n:,} | {nombre} | {_x(e['tipg'].segundos, x.segundos)} "
                f"| {_x(x.segundos, e['ogr2ogr'].segundos)} | {x.segundos:.1f} "
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
        f"## 7. Memory of the serving process during the largest export ({n:,} features)",
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


def importacion(r: Resultados) -> list[str]:
    if not r.importacion:
        return []
    i = r.importacion
    n, imp, cop = int(i["filas"]), i["importar"], i["copy"]
    fases = ", ".join(
        f"{k}: {v:.2f}" for k, v in i.items() if k not in ("filas", "importar", "copy")
    )
    return [
        f"## 4. Bulk import ({n:,} alliances)",
        "",
        "The importer on a semicolon CSV as an office exports it (read, validate, locate, "
        "upsert, audit) against a plain COPY of the same rows into `alianza` (the ceiling). "
        "Measured at this one size only: the import does not read the other rows.",
        "",
        "| what | rows/s vs COPY | seconds | rows/s |",
        "|---|---:|---:|---:|",
        f"| importer (`importar_alianzas`) | {_x(cop, imp)} | {imp:.2f} | {n / imp:,.0f} |",
        f"| plain COPY (ceiling) | 1.00x | {cop:.2f} | {n / cop:,.0f} |",
        "",
        f"Importer phases (median seconds): {fases}.",
        "",
    ]


def ubicacion(r: Resultados) -> list[str]:
    if not r.ubicacion:
        return []
    techo = next(v for k, v in r.ubicacion.items() if "ceiling" in k)[0]
    n = int(r.opciones["puntos"])  # type: ignore[call-overload]
    lineas = [
        f"## 5. Point in municipality, {n:,} points in bulk",
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
        "## 6. Sustained load from a second process (loopback)",
        "",
        f"{r.opciones['herramienta']}, {r.opciones['duracion']} s per run, one client thread; "
        f"errors are non-2xx responses plus socket errors and timeouts (30 s). Ceiling: "
        f"`{TECHO_CARGA}` (no database: what the server and framework alone can answer) at "
        "the same number of connections. `/api/v1/mapa/capa` is asked with "
        "`Accept-Encoding: gzip`. One warm-up request precedes each endpoint's runs. With every "
        "connection busy, mean latency ≈ connections / (req/s) (Little's law): p99 under 250 "
        "ms at 64 connections needs well over 256 req/s.",
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


def cabecera(r: Resultados) -> list[str]:
    o = r.opciones
    return [
        "# SIGG performance and scale (issue 8)",
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
        "(alliances and, in the same proportion, subprojects) with new codes. Warm: median of "
        "repeated requests after one warm-up. Cold: the first request after national "
        "coordination reopened and re-validated one record (a real change to the public data, "
        "which moves the API's cache generation on), on the running server (*after a change*) "
        "or on a server restarted after the change (*after a restart*). Load runs are one run "
        "each. Ratios are the headline; absolute times vary by machine.",
        "",
    ]


def documento(r: Resultados) -> str:
    partes = [
        cabecera(r),
        objetivos(r),
        agregacion(r),
        mapa(r),
        exportar(r),
        importacion(r),
        ubicacion(r),
        carga(r),
        memoria(r),
    ]
    return "\n".join(linea for parte in partes for linea in parte)
