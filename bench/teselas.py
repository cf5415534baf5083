"""The map's points as vector tiles (issue 17): SIGG's /api/v1/teselas beside the bare ST_AsMVT
query over psycopg (the ceiling: the same tile, plain SQL, no HTTP) and beside tipg serving
the same table as OGC API - Tiles (the peer: martin and pg_tileserv are in none of the package
registries this machine may use), at 100,000 and 1,000,000 alliances:

    .venv/bin/python -m bench.teselas [--tamanos 100000,1000000] [--repeticiones 5]

A fixed set of tiles at zoom 5, 8, 11 and 14 over Bolivia (the tiles of ten towns) is asked
as the public (validated records only, the configured program):

- ``frio`` (cold): the first request after the data generation moved on (as after any write):
  SIGG computes the tile afresh;
- ``tibio`` (warm): the same request again (SIGG answers from its cache);
- throughput: every tile of a 3 x 3 block around each town at zoom 11 and at zoom 14, each
  asked once, by 8 concurrent clients (each a distinct tile, all cold), then again (warm).

tipg has no cache (every request is computed) and no clusters: at zoom 5 and 8 it sends the
points themselves, so only zoom 11 and 14 compare like with like. The data: the calibrated
demo replicated to each size (bench.agregacion.llenar), every record validated, each copy
moved by up to 0.05 degrees so that the copies do not stack on one point. Results go to
bench/RESULTS_teselas.md with the load average; bench/suite.py measures the same way (``Medidor``,
``por_zoom``, ``caudal``) at each of its sizes."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import mapbox_vector_tile
import psycopg

from api.cache import VIDA_GENERACION
from bench.agregacion import base, llenar
from bench.comun import borrar_base, dsn, esperar, servidor_sigg
from bench.maquina import versiones
from geo.analisis.teselas import CELDA, EXTENSION, MARGEN, ZOOM_PUNTOS
from geo.plataforma.config import Settings

BASE = "sigg_bench_teselas"
PUERTO, PUERTO_TIPG = 8783, 8773
SALIDA = Path(__file__).parent / "RESULTS_teselas.md"
TIPG = Path(__file__).parent / ".venv-tipg" / "bin" / "python"
ZOOMS = (5, 8, 11, 14)
LUGARES = {
    "La Paz": (-68.1193, -16.4897), "El Alto": (-68.1925, -16.5046),
    "Cochabamba": (-66.1568, -17.3895), "Santa Cruz": (-63.1812, -17.7833),
    "Sucre": (-65.2627, -19.0196), "Oruro": (-67.1150, -17.9647),
    "Potosí": (-65.7531, -19.5836), "Tarija": (-64.7296, -21.5355),
    "Trinidad": (-64.9012, -14.8333), "Yacuiba": (-63.6770, -22.0150),
}  # fmt: skip
CONEXIONES = 8
PROGRAMA = "programa_id = (SELECT id FROM programa WHERE codigo = %(programa)s)"


def xy(z: int, lon: float, lat: float) -> tuple[int, int]:
    import math

    n = 2**z
    return int((lon + 180) / 360 * n), int(
        (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    )


def fijas(z: int) -> list[tuple[int, int, int]]:
    """The tiles of the ten towns at zoom ``z`` (fewer where towns share a tile)."""
    return sorted({(z, *xy(z, *p)) for p in LUGARES.values()})


def bloques(z: int) -> list[tuple[int, int, int]]:
    """A 3 x 3 block of tiles around each town: distinct tiles for the throughput runs."""
    return sorted(
        {(z, x + dx, y + dy) for _, x, y in fijas(z) for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    )


def sql_desnudo(z: int) -> str:
    """The same tile in plain SQL over validated alliances of the program: points with code,
    name and stage from ZOOM_PUNTOS on, else cells of CELDA tile units with their count and
    families. A cluster tile holds the points whose cell is in it (the Web Mercator formula):
    the bound box test ``&&`` alone compares single-precision boxes and takes the points up to
    a float's step past each edge, so a point there counted in two tiles, and whether it did
    depended on the last bit of the box's bounds (how it was computed: SIGG's and this query's
    differed at some edges, so the two tiles held different points at 1,000,000)."""
    caja = "ST_TileEnvelope(%(z)s, %(x)s, %(y)s)"
    if z >= ZOOM_PUNTOS:
        return (
            "SELECT ST_AsMVT(t, 'alianzas', 4096, 'geom', 'id') FROM (SELECT id, codigo, nombre, "
            f"etapa, estado, ST_AsMVTGeom(ST_Transform(geom, 3857), {caja}, {EXTENSION}, "
            f"{MARGEN}, true) AS geom FROM alianza WHERE estado = 'validado' AND {PROGRAMA} AND "
            f"geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => "
            f"{MARGEN / EXTENSION}), 4326)) t"
        )
    celdas = f"(2 ^ %(z)s * {EXTENSION // CELDA})"  # cluster cells across the world
    por_celda = EXTENSION // CELDA
    return (
        "SELECT ST_AsMVT(c, 'alianzas', 4096, 'geom') FROM (SELECT count(*) AS cantidad, "
        "sum(familias) AS familias, ST_AsMVTGeom(ST_Transform(ST_SetSRID(ST_MakePoint("
        f"avg(lon), avg(lat)), 4326), 3857), {caja}, {EXTENSION}, 0, false) AS geom FROM ("
        f"SELECT ST_X(geom) AS lon, ST_Y(geom) AS lat, familias, floor((ST_X(geom) + 180) / 360 "
        f"* {celdas}) AS cx, floor((1 - ln(tan(pi() / 4 + radians(ST_Y(geom)) / 2)) / pi()) / 2 "
        f"* {celdas}) AS cy FROM alianza WHERE estado = 'validado' AND {PROGRAMA} AND geom && "
        f"ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => {1 / EXTENSION}), 4326)"
        f") s WHERE floor(cx / {por_celda}) = %(x)s AND floor(cy / {por_celda}) = %(y)s "
        "GROUP BY cx, cy) c"
    )


def cuantos(tesela: bytes) -> int:
    """Alliances a tile stands for: its points, or the sum of its clusters' counts."""
    if not tesela:
        return 0
    rasgos = mapbox_vector_tile.decode(tesela)["alianzas"]["features"]
    return sum(int(f["properties"].get("cantidad", 1)) for f in rasgos)


def contenido(tesela: bytes) -> list[tuple[int, ...]]:
    """What a tile holds: its clusters' (count, families), in order, or its number of points
    (a point tile's margin overlaps its neighbours' by design: which points a float's step
    past the margin it takes is no error, so only the count is compared, as before)."""
    if not tesela:
        return []
    rasgos = mapbox_vector_tile.decode(tesela)["alianzas"]["features"]
    if rasgos and "cantidad" not in rasgos[0]["properties"]:
        return [(len(rasgos),)]
    return sorted(
        (int(f["properties"]["cantidad"]), int(f["properties"]["familias"])) for f in rasgos
    )


def p(ms: list[float], q: float) -> float:
    return statistics.quantiles(ms, n=100, method="inclusive")[int(q) - 1] if len(ms) > 1 else ms[0]


def conectar(url: str) -> psycopg.Connection:
    """A connection for the bare query, with JIT and parallel workers off as SIGG sets them
    for its tiles (both cost more than a tile's query saves): the best the plain query does."""
    c = psycopg.connect(dsn(url), autocommit=True)
    c.execute("SET jit = off")
    c.execute("SET max_parallel_workers_per_gather = 0")
    return c


class Medidor:
    """The three servers of one tile: SIGG over HTTP, the bare query, tipg over HTTP."""

    def __init__(
        self, url: str, programa: str, puerto: int = PUERTO, puerto_tipg: int = PUERTO_TIPG
    ) -> None:
        self.sigg = httpx.Client(base_url=f"http://127.0.0.1:{puerto}", timeout=600)
        self.tipg = httpx.Client(base_url=f"http://127.0.0.1:{puerto_tipg}", timeout=600)
        self.url, self.programa = url, programa
        self.crudo = conectar(url)

    def mover_generacion(self) -> None:
        """A change to the data as another process makes it; then the wait past the time a
        server may answer the public from the generation it holds (api/cache.py
        ``VIDA_GENERACION``), so that the next tile is computed afresh."""
        self.crudo.execute("UPDATE generacion SET n = n + 1 WHERE id = 1")
        time.sleep(VIDA_GENERACION * 2)

    def de_sigg(self, t: tuple[int, int, int], cliente: httpx.Client | None = None) -> bytes:
        r = (cliente or self.sigg).get("/api/v1/teselas/alianzas/{}/{}/{}.pbf".format(*t))
        r.raise_for_status()
        return r.content

    def de_tipg(self, t: tuple[int, int, int], cliente: httpx.Client | None = None) -> bytes:
        r = (cliente or self.tipg).get(
            "/collections/public.alianza/tiles/WebMercatorQuad/{}/{}/{}".format(*t),
            params={"estado": "validado", "properties": "id,codigo,nombre,etapa,estado"},
        )
        r.raise_for_status()
        return r.content

    def desnudo(self, t: tuple[int, int, int], c: psycopg.Connection | None = None) -> bytes:
        z, x, y = t
        fila = (
            (c or self.crudo)
            .execute(sql_desnudo(z), {"z": z, "x": x, "y": y, "programa": self.programa})
            .fetchone()
        )
        return bytes(fila[0]) if fila and fila[0] else b""  # type: ignore[index]


def cronometrar(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def latencias(
    m: Medidor, tiles: list[tuple[int, int, int]], reps: int, con_tipg: bool = True
) -> dict[str, list[float]]:
    """Milliseconds per request of each way of serving, every tile ``reps`` times (tipg's list
    empty without ``con_tipg``)."""
    ms: dict[str, list[float]] = {"frio": [], "tibio": [], "desnudo": [], "tipg": []}
    for t in tiles:
        m.desnudo(t)  # one warm-up each: the same pages in PostgreSQL's cache
        if con_tipg:
            m.de_tipg(t)
        for _ in range(reps):
            m.mover_generacion()
            ms["frio"].append(cronometrar(partial(m.de_sigg, t)))
            ms["tibio"].append(cronometrar(partial(m.de_sigg, t)))
            ms["desnudo"].append(cronometrar(partial(m.desnudo, t)))
            if con_tipg:
                ms["tipg"].append(cronometrar(partial(m.de_tipg, t)))
    return ms


@dataclass(frozen=True)
class PorZoom:
    """One zoom at one size: the fixed tiles' latencies (ms lists of ``latencias``), the mean
    number of alliances a tile stands for, and whether SIGG's tiles hold what the bare
    query's do (the same points; the same clusters' counts and families)."""

    alianzas: int
    z: int
    teselas: int
    media: float
    ms: dict[str, list[float]]
    iguales: bool


def por_zoom(m: Medidor, n: int, z: int, reps: int, con_tipg: bool = True) -> PorZoom:
    tiles = fijas(z)
    iguales = all(contenido(m.de_sigg(t)) == contenido(m.desnudo(t)) for t in tiles)
    media = statistics.mean(cuantos(m.de_sigg(t)) for t in tiles)
    return PorZoom(n, z, len(tiles), media, latencias(m, tiles, reps, con_tipg), iguales)


def _p50_p95(ms: list[float]) -> str:
    return f"{p(ms, 50):.1f} / {p(ms, 95):.1f}" if ms else "—"


def fila_latencia(x: PorZoom) -> str:
    """x's row of the latency table (LATENCIA)."""
    f, d = x.ms["frio"], x.ms["desnudo"]
    return (
        f"| {x.alianzas:,} | {x.z} | {x.teselas} | {x.media:,.0f} | {_p50_p95(f)} "
        f"| {_p50_p95(x.ms['tibio'])} | {_p50_p95(d)} | {p(f, 50) / p(d, 50):.2f}x "
        f"| {_p50_p95(x.ms['tipg'])} | {'yes' if x.iguales else 'NO'} |"
    )


LATENCIA = (
    "| alliances | z | tiles | alliances a tile (mean) | SIGG cold p50 / p95 ms "
    "| SIGG warm p50 / p95 ms | bare ST_AsMVT p50 / p95 ms | cold / bare | tipg p50 / p95 ms "
    "| same as bare |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
)


def rafaga(
    pedir: Callable[[tuple[int, int, int], Any], Any], clientes: list[Any], tiles: list
) -> float:
    """Tiles per second: ``tiles`` asked once each by len(clientes) concurrent workers."""
    partes = [tiles[i :: len(clientes)] for i in range(len(clientes))]

    def trabajar(i: int) -> None:
        for t in partes[i]:
            pedir(t, clientes[i])

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(clientes)) as ex:
        list(ex.map(trabajar, range(len(clientes))))
    return len(tiles) / (time.perf_counter() - t0)


@dataclass(frozen=True)
class Caudal:
    """Tiles per second at one zoom and size, by way of serving (``caudales``' keys)."""

    alianzas: int
    z: int
    por_segundo: dict[str, float]


def fila_caudal(x: Caudal) -> str:
    """x's row of the throughput table (CAUDAL)."""
    c = x.por_segundo
    return (
        f"| {x.alianzas:,} | {x.z} | {c['tiles']:.0f} | {c['frio']:.0f} | {c['tibio']:.0f} "
        f"| {c['desnudo']:.0f} | {c['tipg']:.0f} | {c['frio'] / c['tipg']:.2f}x "
        f"| {c['min']:.2f}x – {c['max']:.2f}x |"
    )


RONDAS = 5  # throughput rounds; the median of each way of serving is reported
CAUDAL = (
    "| alliances | z | tiles | SIGG cold | SIGG warm | bare ST_AsMVT | tipg "
    f"| SIGG cold / tipg | that ratio's range over the {RONDAS} rounds "
    "|\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
)
ZOOMS_CAUDAL = (11, 14)


def caudales(m: Medidor, z: int, rondas: int = RONDAS) -> dict[str, float]:
    """Tiles per second at zoom ``z`` of each way of serving: the median of ``rondas``
    rounds, each round every way in turn (SIGG cold right after the data generation moved
    on, SIGG warm, bare, tipg). One round of 81 or 90 tiles lasts under half a second, so a
    single round's ratio moved with whatever else the machine did in that half second (the
    suite's zoom-14 ratio was 1.32x in one run and 0.95x in the next, no tile code changed
    between them); interleaved rounds share the drift."""
    tiles = bloques(z)
    http = [httpx.Client(base_url=m.sigg.base_url, timeout=600) for _ in range(CONEXIONES)]
    peer = [httpx.Client(base_url=m.tipg.base_url, timeout=600) for _ in range(CONEXIONES)]
    crudos = [conectar(m.url) for _ in range(CONEXIONES)]
    try:
        rafaga(m.desnudo, crudos, tiles)  # warm PostgreSQL's pages for everyone
        medidas: dict[str, list[float]] = {"frio": [], "tibio": [], "desnudo": [], "tipg": []}
        for _ in range(rondas):
            m.mover_generacion()
            medidas["frio"].append(rafaga(m.de_sigg, http, tiles))
            medidas["tibio"].append(rafaga(m.de_sigg, http, tiles))
            medidas["desnudo"].append(rafaga(m.desnudo, crudos, tiles))
            medidas["tipg"].append(rafaga(m.de_tipg, peer, tiles))
        salida = {k: statistics.median(v) for k, v in medidas.items()}
        razones = [f / t for f, t in zip(medidas["frio"], medidas["tipg"], strict=True)]
        return salida | {"tiles": float(len(tiles)), "min": min(razones), "max": max(razones)}
    finally:
        for cliente in (*http, *peer):
            cliente.close()
        for crudo in crudos:
            crudo.close()


@contextmanager
def servidor_tipg(url: str, puerto: int = PUERTO_TIPG) -> Iterator[None]:
    proceso = subprocess.Popen(
        [str(TIPG), "-m", "uvicorn", "tipg.main:app", "--port", str(puerto)]
        + ["--log-level", "warning"],
        env=os.environ
        | {
            "DATABASE_URL": dsn(url),
            "TIPG_DB_TABLES": '["public.alianza"]',
            "TIPG_MAX_FEATURES_PER_TILE": "10000000",
            "TIPG_TILE_BUFFER": str(MARGEN),
        },
        cwd="/tmp",
    )
    try:
        esperar(f"http://127.0.0.1:{puerto}/collections")
        yield
    finally:
        proceso.terminate()
        proceso.wait()


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def medir_tamano(url: str, n: int, reps: int, lineas: dict[str, list[str]]) -> None:
    programa = Settings().programa
    with servidor_sigg(url, PUERTO), servidor_tipg(url):
        m = Medidor(url, programa)
        carga = uptime()
        for z in ZOOMS:
            lineas["latencia"].append(fila_latencia(por_zoom(m, n, z, reps)))
            print(lineas["latencia"][-1], flush=True)
        for z in ZOOMS_CAUDAL:
            lineas["caudal"].append(fila_caudal(Caudal(n, z, caudales(m, z))))
            print(lineas["caudal"][-1], flush=True)
        lineas["carga"].append(
            f"- {n:,} alliances: at the start `{carga}`; at the end `{uptime()}`"
        )


def escribir(
    lineas: dict[str, list[str]], reps: int, maquina: dict[str, str], t0: float, salida: Path
) -> None:
    texto = [
        "# Points as vector tiles",
        "",
        f"Written by `.venv/bin/python -m bench.teselas` in {(time.perf_counter() - t0) / 60:.1f} "
        f"min. **The machine has {os.cpu_count()} cores and other work may have run beside this "
        "one** (load averages below): the ratios, measured in the same run on the same data, "
        "are the figures to read.",
        "",
        *(f"- {k}: {v}" for k, v in maquina.items()),
        "",
        "Public path (validated records, the configured program), tile set: the tiles of ten "
        f"towns (fewer where they share a tile), {reps} rounds each. *Cold*: first request after "
        "the data generation moved on (SIGG computes the tile); *warm*: the repeat (SIGG's "
        "cache); *bare*: the same tile from plain SQL over psycopg (the ceiling; same "
        "content, checked: *same*); tipg: OGC API - Tiles on the same table, points only (no "
        "clusters: at zoom 5 and 8 it sends every point, so it is not like for like there). "
        f"Below zoom {ZOOM_PUNTOS} a tile holds clusters. Aim: cold p50 ≤ 100 ms at 1,000,000.",
        "",
        LATENCIA,
        *lineas["latencia"],
        "",
        f"Throughput, tiles per second with {CONEXIONES} concurrent clients (the clients run on "
        "the same 2 cores): every tile of a 3 x 3 block around each town, each asked once "
        f"(*cold*: all computed), then again (*warm*); the median of {RONDAS} rounds, each "
        "round every way of serving in turn. Aim: SIGG cold ≥ tipg.",
        "",
        CAUDAL,
        *lineas["caudal"],
        "",
        "Load (`uptime`):",
        "",
        *lineas["carga"],
        "",
    ]
    salida.write_text("\n".join(texto))


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__)
    a.add_argument("--tamanos", default="100000,1000000")
    a.add_argument("--repeticiones", type=int, default=5)
    a.add_argument("--conservar", action="store_true", help="keep the database at the end")
    a.add_argument("--salida", type=Path, default=SALIDA, help="the report's file")
    args = a.parse_args()
    t0 = time.perf_counter()
    settings = Settings()
    url = base(settings, BASE)
    maquina = versiones(url)
    lineas: dict[str, list[str]] = {"latencia": [], "caudal": [], "carga": []}
    try:
        for n in (int(x) for x in args.tamanos.split(",")):
            total = llenar(url, n, esparcir=True)
            medir_tamano(url, total, args.repeticiones, lineas)
            escribir(lineas, args.repeticiones, maquina, t0, args.salida)
    finally:
        if not args.conservar:
            borrar_base(settings, BASE)
    print(f"written {args.salida}")


if __name__ == "__main__":
    main()
