"""The first answer for a filter value nobody has asked for yet, after a write (issue 17).

    .venv/bin/python -m bench.primeras [--alianzas 1000000] [--url URL]

A map user picks another department: the server has answered that filter for other
departments, never for this one. bench/suite.py measures each filter at each level three
times and takes the median, so the first of each is out of its figures; this measures only
first ones. For the department with the most alliances, then for every other department that
has alliances: ``/api/v1/estadisticas`` and ``/api/v1/mapa/valores`` with
``departamento=<d>&etapa_alcanzada=aprobado`` (the suite's smallest filter) at every level,
each right after a real change to the public data (bench.respuestas.tocar, then the freshness
bound), once. The first department is not counted: it is the first of its kind (a statement
not built, compiled or planned yet). Beside each, the bare GROUP BY with the same filter at
the same level (bench.resumen.desnudo, median of ``--repeticiones``).

A canary (bench/canario.py) runs beside the requests: a fixed piece of work timed over and
over in a process of its own. A request during which that work took 3x its median or more met
a stall of the machine, not of its own: the report marks them, and gives the slowest request
that met none beside the slowest of all (the aim is judged on the slowest of all).

On a database of its own (``--base``: the demo, then ``--alianzas`` alliances spread as the
suite's), or on ``--url``'s as it is. Writes bench/RESULTS_primeras.md."""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import httpx
import psycopg

from bench.agregacion import NIVELES, base, llenar, medir
from bench.canario import PARADA, Canario, canario
from bench.comun import borrar_base, dsn, servidor_sigg
from bench.maquina import versiones
from bench.respuestas import FRESCURA_S, MEDIDA, RUTAS, tocar
from bench.resumen import Filtro, departamento_y_etapa, desnudo
from geo.plataforma.config import Settings

PUERTO = 8797
SALIDA = Path(__file__).parent / "RESULTS_primeras.md"
AIM_MS = 25.0  # issue 17: an aggregate computed afresh after a write


def departamentos(crudo: psycopg.Connection) -> list[str]:
    """The departments with alliances, the one with the most first."""
    filas = crudo.execute(
        "SELECT m.departamento_codigo FROM alianza a JOIN municipio m "
        "ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo "
        "GROUP BY 1 ORDER BY count(*) DESC, 1"
    )
    return [r[0] for r in filas]


def primera(
    url: str, cliente: httpx.Client, f: Filtro, nivel: str, que: str
) -> tuple[float, float]:
    """ms of the first request of route ``que`` for ``f`` at ``nivel``, after a write, and
    when it was sent (epoch seconds)."""
    params = f.params | {"nivel": nivel}
    if que == "mapa":
        params |= {"medida": MEDIDA}
    tocar(url)
    time.sleep(FRESCURA_S)
    enviada, t0 = time.time(), time.perf_counter()
    r = cliente.get(RUTAS[que], params=params)
    ms = (time.perf_counter() - t0) * 1000
    r.raise_for_status()
    if r.headers.get("x-cache") != "miss":
        raise RuntimeError(f"{r.url}: not computed afresh ({r.headers.get('x-cache')})")
    return ms, enviada


@dataclass
class Primeras:
    """The first requests at one size: the departments (the first not counted), the ms of each
    request by (department, level, route) and of the bare GROUP BYs by (department, level).
    ``enviada``: when each request was sent (epoch seconds); ``canario``: the machine's own
    stalls meanwhile (bench.canario), None when it recorded nothing."""

    alianzas: int
    deptos: list[str]
    ms: dict[tuple[str, str, str], float] = field(default_factory=dict)
    desnudo: dict[tuple[str, str], float] = field(default_factory=dict)
    enviada: dict[tuple[str, str, str], float] = field(default_factory=dict)
    canario: Canario | None = None

    @property
    def contados(self) -> list[str]:
        return self.deptos[1:]

    def todas(self) -> list[float]:
        return [self.ms[d, nv, q] for d in self.contados for nv in NIVELES for q in RUTAS]

    @property
    def mediana(self) -> float:
        return statistics.median(self.todas())

    @property
    def peor(self) -> float:
        return max(self.todas())

    def parada(self, clave: tuple[str, str, str]) -> float:
        """The canary's worst run while request ``clave`` ran, in times its median (0.0 with no
        canary, or none of its runs then)."""
        if self.canario is None:
            return 0.0
        return self.canario.peor_en(self.enviada[clave], self.ms[clave])

    def tranquilas(self) -> list[float]:
        """The counted requests during which the canary saw no stall of the machine."""
        return [
            self.ms[d, nv, q]
            for d in self.contados
            for nv in NIVELES
            for q in RUTAS
            if self.parada((d, nv, q)) < PARADA
        ]

    def sin_paradas(self) -> str:
        """The slowest counted request the machine did not stall, and how many it did."""
        if self.canario is None:
            return "no canary record"
        quietas = self.tranquilas()
        peor = f"{max(quietas):.1f} ms" if quietas else "none"
        return (
            f"slowest with no stall of the machine meanwhile {peor} "
            f"({len(self.todas()) - len(quietas)} of {len(self.todas())} met one)"
        )

    def marcada(self, clave: tuple[str, str, str]) -> str:
        """The request's ms, with the canary's worst run in brackets when it stalled then."""
        r = self.parada(clave)
        return f"{self.ms[clave]:.1f}" + (f" [{r:.0f}x]" if r >= PARADA else "")

    def maquina(self) -> str:
        """What the canary saw over the whole measurement, and the slowest request it did not."""
        if self.canario is None:
            return "The canary (bench/canario.py) recorded nothing."
        return (
            f"The machine meanwhile, by the canary (bench/canario.py, a fixed piece of work "
            f"timed in a process of its own): {self.canario.resumen()}. Over the first "
            f"requests: {self.sin_paradas()}."
        )

    @property
    def menor_razon(self) -> float:
        """The least bare / slower route ratio over every level."""
        return min(self.razon(nv) for nv in NIVELES)

    def razon(self, nivel: str) -> float:
        """The least bare / slower route ratio over the counted departments at ``nivel``."""
        return min(
            self.desnudo[d, nivel] / max(self.ms[d, nivel, q] for q in RUTAS) for d in self.contados
        )

    def por_nivel(self) -> list[str]:
        """The by-level table: each route's median and slowest, the bare GROUP BY's median,
        the least ratio."""
        lineas = [
            "| level | statistics: median / max ms | map values: median / max ms "
            "| bare GROUP BY: median ms | least ratio bare / slower route |",
            "|---|---:|---:|---:|---:|",
        ]
        for nv in NIVELES:
            cifras = []
            for q in RUTAS:
                ms = [self.ms[d, nv, q] for d in self.contados]
                cifras.append(f"{statistics.median(ms):.1f} / {max(ms):.1f}")
            bare = statistics.median(self.desnudo[d, nv] for d in self.contados)
            lineas.append(f"| {nv} | {' | '.join(cifras)} | {bare:.1f} | {self.razon(nv):.2f}x |")
        return lineas


def medir_en(
    url: str, cliente: httpx.Client, crudo: psycopg.Connection, n: int, programa: str, reps: int
) -> Primeras:
    """Every department's first requests at every level on the running server behind
    ``cliente``, and their bare GROUP BYs."""
    p = Primeras(n, departamentos(crudo))
    with canario() as visto:
        for depto in p.deptos:
            f = departamento_y_etapa(programa, depto)
            for nivel in NIVELES:
                for que in RUTAS:
                    clave = (depto, nivel, que)
                    p.ms[clave], p.enviada[clave] = primera(url, cliente, f, nivel, que)
                p.desnudo[depto, nivel] = medir(partial(desnudo, crudo, f, nivel), reps)
    p.canario = visto[0] if visto else None
    return p


def informe(p: Primeras, comando: str, maquina: dict[str, str]) -> str:
    lineas = [
        "# The first answer for a new filter value, after a write",
        "",
        f"Written by `{comando}` (bench/primeras.py; its docstring says what is measured), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, at {p.alianzas:,} alliances.",
        "",
        *(f"- {k}: {v}" for k, v in maquina.items()),
        "",
        f"Filter `departamento=<d>&etapa_alcanzada=aprobado`. Counted: {len(p.contados)} "
        f"departments ({', '.join(p.contados)}); not counted: {p.deptos[0]}, asked first (the "
        "statement's first of its kind). Each cell is one request, the first for that "
        "department, level and route, right after a write.",
        "",
        "## By level, over the counted departments",
        "",
        *p.por_nivel(),
        "",
        f"Over all {len(p.todas())} first requests: median {p.mediana:.1f} ms, "
        f"slowest {p.peor:.1f} ms (aim after a write: at most {AIM_MS:.0f} ms: "
        f"**{'met' if p.peor <= AIM_MS else 'not met'}**); least ratio to the bare GROUP BY "
        f"{p.menor_razon:.2f}x.",
        "",
        p.maquina(),
        "",
        "## Every request (ms: statistics / map values; bare GROUP BY)",
        "",
        f"In brackets: the canary's worst run while the request ran, in times its median, "
        f"where it reached {PARADA:.0f}x (a stall of the machine).",
        "",
        "| department | " + " | ".join(NIVELES) + " |",
        "|---|" + "---:|" * len(NIVELES),
    ]
    for d in p.deptos:
        celdas = [
            f"{p.marcada((d, nv, 'estadisticas'))} / {p.marcada((d, nv, 'mapa'))}; "
            f"{p.desnudo[d, nv]:.0f}"
            for nv in NIVELES
        ]
        nombre = d if d in p.contados else f"{d} (not counted)"
        lineas.append(f"| {nombre} | " + " | ".join(celdas) + " |")
    return "\n".join(lineas) + "\n"


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__)
    a.add_argument("--alianzas", type=int, default=1_000_000)
    a.add_argument("--url", help="measure this database as it is (no database of its own)")
    a.add_argument("--base", default="sigg_bench_primeras")
    a.add_argument("--programa", default="PAR2")
    a.add_argument("--repeticiones", type=int, default=5, help="bare GROUP BYs per median")
    a.add_argument("--conservar", action="store_true", help="keep the database at the end")
    a.add_argument("--salida", type=Path, default=SALIDA)
    args = a.parse_args()
    settings = Settings()
    url = args.url or base(settings, args.base)
    try:
        if not args.url:
            llenar(url, args.alianzas, esparcir=True)
        with psycopg.connect(dsn(url)) as c:
            alianzas = c.execute("SELECT count(*) FROM alianza").fetchone()[0]  # type: ignore[index]
        with (
            psycopg.connect(dsn(url), autocommit=True) as crudo,
            servidor_sigg(url, PUERTO),
            httpx.Client(base_url=f"http://127.0.0.1:{PUERTO}", timeout=600) as cliente,
        ):
            p = medir_en(url, cliente, crudo, alianzas, args.programa, args.repeticiones)
        comando = "python -m bench.primeras" + (
            " --url <database>" if args.url else f" --alianzas {args.alianzas}"
        )
        texto = informe(p, comando, versiones(url))
        args.salida.write_text(texto)
        print(texto)
    finally:
        if not args.url and not args.conservar:
            borrar_base(settings, args.base)


if __name__ == "__main__":
    main()
