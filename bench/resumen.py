"""The aggregate summary of issue 17 (migration 0014), measured for bench/suite.py at each size:

- ``por_filtros``: ``/api/v1/estadisticas`` and ``/api/v1/mapa/valores`` computed afresh after a
  write (a real change to the public data first, as bench.respuestas.tras_cambio does), at
  every level, for the filters the summary answers (program, territory, stage reached; every
  request public, so validated records only) and for one it cannot (the full query, as the
  fallback), beside the bare GROUP BY with the same filter on the same rows; with what the
  ``X-SIGG-Agregado`` header said, and whether the endpoint counted the alliances and
  subprojects the bare query counts. The first request of each filter, level and route is
  kept apart from the median of the requests after it: for every filter but the program
  alone (which the suite's measurements by level asked for before), it is also the first time
  the server process builds that statement (geo/analisis/agregacion.py ``_compilada``: 14
  to 21 ms of SQLAlchemy with every measure here, paid once per shape and process), a cost
  apart from the write's;
- ``precio``: what a write pays for the summary: single-row INSERT and UPDATE of an alliance
  (one transaction each) and a bulk INSERT ... SELECT, with the summary's triggers enabled and
  with only those disabled (every other trigger runs in both).

The summary's triggers are found by their name's prefix (``sigg_resumen_``); on a database
without them both columns measure the same thing and the tables say so."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

import httpx
import psycopg

from bench.agregacion import NIVELES, medir, rehacer_resumen, sql_desnudo, sql_desnudo_subproyectos
from bench.canario import PARADA, Canario, canario
from bench.comun import dsn
from bench.respuestas import MEDIDA, RUTAS, tras_cambio
from geo.vocabulario.catalogos import ORDEN_ETAPA

CABECERA = "X-SIGG-Agregado"
MOTIVO = "X-SIGG-Agregado-Motivo"
PREFIJOS = ("sigg_resumen_", "sigg_celda_")
UNIDAD = "CHACO"  # the operational unit that spans three departments
ETAPA = "aprobado"  # reached by about half of the demo's alliances
SECTOR = "riego_tecnificado"  # a filter the summary cannot answer: the fallback
PROGRAMA = "a.programa_id = (SELECT id FROM programa WHERE codigo = %(programa)s)"


@dataclass(frozen=True)
class Filtro:
    """One filter as the API is asked it (``params``) and as the bare GROUP BY applies it
    (conditions on ``a`` and ``m`` with ``valores``; the subprojects take only the program and
    territory, as the endpoint does). ``resumen``: the summary should answer it."""

    nombre: str
    params: dict[str, str]
    donde: str
    donde_sp: str
    valores: Mapping[str, object]
    resumen: bool = True


def filtros(crudo: psycopg.Connection, programa: str) -> list[Filtro]:
    """The filters measured: the department is the one with the most alliances."""
    depto = crudo.execute(
        "SELECT m.departamento_codigo FROM alianza a JOIN municipio m "
        "ON m.cartografia = a.cartografia AND m.codigo = a.municipio_codigo "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()[0]  # type: ignore[index]
    p = {"programa": programa}
    territorio = {
        "departamento": ("m.departamento_codigo = %(departamento)s", depto),
        "unidad_operativa": ("m.unidad_operativa_codigo = %(unidad_operativa)s", UNIDAD),
    }
    res = [Filtro(f"programa={programa}", p, PROGRAMA, PROGRAMA, p)]
    for clave, (cond, valor) in territorio.items():
        donde = f"{PROGRAMA} AND {cond}"
        res.append(Filtro(f"{clave}={valor}", {clave: valor}, donde, donde, p | {clave: valor}))
    alcanzo = f"{PROGRAMA} AND a.etapa_alcanzada >= %(orden)s"
    orden = p | {"orden": ORDEN_ETAPA[ETAPA]}
    res.append(
        Filtro(f"etapa_alcanzada={ETAPA}", {"etapa_alcanzada": ETAPA}, alcanzo, PROGRAMA, orden)
    )
    res.append(departamento_y_etapa(programa, depto))
    sector = f"{PROGRAMA} AND a.sector = %(sector)s"
    res.append(
        Filtro(
            f"sector={SECTOR}", {"sector": SECTOR}, sector, PROGRAMA, p | {"sector": SECTOR}, False
        )
    )
    return res


def departamento_y_etapa(programa: str, depto: str) -> Filtro:
    """The smallest filter measured: one department's alliances that reached ``ETAPA``."""
    alcanzo = f"{PROGRAMA} AND a.etapa_alcanzada >= %(orden)s"
    cond = "m.departamento_codigo = %(departamento)s"
    return Filtro(
        f"departamento={depto} & etapa_alcanzada={ETAPA}",
        {"departamento": depto, "etapa_alcanzada": ETAPA},
        f"{alcanzo} AND {cond}",
        f"{PROGRAMA} AND {cond}",
        {"programa": programa, "orden": ORDEN_ETAPA[ETAPA], "departamento": depto},
    )


@dataclass
class PorFiltro:
    """One filter at one size: per level, the ms after a write of each route (``ms[ruta][nivel]``,
    routes as in bench.respuestas.RUTAS) and of the bare GROUP BYs; the header values seen;
    whether the endpoint's alliance and subproject counts equal the bare query's at every
    level. ``enviadas[ruta, nivel]``: each request's (send time in epoch seconds, ms);
    ``canario``: the machine's own stalls while the filters were measured (bench.canario).
    ``primera[ruta][nivel]``: the (send time, ms) of the first request of that route and level
    for this filter, after a write too but not in ``ms`` (see the module's docstring)."""

    alianzas: int
    filtro: Filtro
    ms: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(dict))
    desnudo: dict[str, float] = field(default_factory=dict)
    cabeceras: set[str] = field(default_factory=set)
    iguales: bool = True
    enviadas: dict[tuple[str, str], list[tuple[float, float]]] = field(default_factory=dict)
    canario: Canario | None = None
    primera: dict[str, dict[str, tuple[float, float]]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    def paradas(self, ruta: str, nivel: str) -> str:
        """How many of the requests behind ``ms[ruta][nivel]`` met a stall of the machine."""
        if self.canario is None:
            return "no canary record"
        envios = self.enviadas.get((ruta, nivel), [])
        n = self.canario.en_parada(envios)
        return f"{n} of its {len(envios)} requests met a stall of the machine"

    def parada_primera(self, ruta: str, nivel: str) -> str:
        """Whether the first request of ``ruta`` at ``nivel`` met a stall of the machine."""
        if self.canario is None:
            return "no canary record"
        veces = self.canario.peor_en(*self.primera[ruta][nivel])
        if veces >= PARADA:
            return f"it met a stall of the machine ({veces:.0f}x the canary's median)"
        return "it met no stall of the machine"

    def peor_primera(self) -> tuple[float, str, str]:
        """The slowest first request (ms, route, level) of either route at any level."""
        return max((ms, ruta, nv) for ruta, d in self.primera.items() for nv, (_, ms) in d.items())

    def peor(self) -> tuple[float, str, str]:
        """The slowest (ms, route, level) of either route at any level."""
        return max((ms, ruta, nv) for ruta, d in self.ms.items() for nv, ms in d.items())

    def aceleracion(self) -> tuple[float, str]:
        """The smallest bare / endpoint ratio over the levels (the slower route at each)."""
        return min((self.desnudo[nv] / max(d[nv] for d in self.ms.values()), nv) for nv in NIVELES)


def desnudo(crudo: psycopg.Connection, f: Filtro, nivel: str) -> tuple[int, int]:
    """The bare GROUP BYs for ``f`` at ``nivel``: their alliance and subproject counts."""
    a = crudo.execute(sql_desnudo(nivel, f.donde), f.valores).fetchall()
    s = crudo.execute(sql_desnudo_subproyectos(nivel, f.donde_sp), f.valores).fetchall()
    return sum(r[1] for r in a), sum(r[1] for r in s)


def _cabecera(r: httpx.Response) -> str:
    valor = r.headers.get(CABECERA, "absent")
    motivo = r.headers.get(MOTIVO)
    return f"{valor} ({motivo})" if motivo else valor


def _tras_escribir(
    url: str, cliente: httpx.Client, f: Filtro, nivel: str, que: str, reps: int
) -> tuple[float, list[httpx.Response], list[tuple[float, float]]]:
    """Median ms of route ``que`` for ``f`` at ``nivel``, each request right after a write;
    the responses; and each request's (send time in epoch seconds, ms)."""
    params = f.params | {"nivel": nivel} | ({"medida": MEDIDA} if que == "mapa" else {})
    respuestas: list[httpx.Response] = []
    envios: list[tuple[float, float]] = []

    def pedir() -> None:
        enviada, t0 = time.time(), time.perf_counter()
        r = cliente.get(RUTAS[que], params=params)
        envios.append((enviada, (time.perf_counter() - t0) * 1000))
        r.raise_for_status()
        respuestas.append(r)

    return tras_cambio(url, pedir, reps), respuestas, envios


def _contados(r: httpx.Response) -> tuple[int, int]:
    """The alliances and subprojects of a /estadisticas answer, summed over its units."""
    valores = [u["valores"] for u in r.json()["data"]]
    return sum(v["alianzas"] for v in valores), sum(v["subproyectos"] for v in valores)


def por_filtros(
    url: str, cliente: httpx.Client, crudo: psycopg.Connection, n: int, programa: str, reps: int
) -> list[PorFiltro]:
    """Every filter at every level on the running server behind ``cliente``, with the canary
    (bench.canario) beside the requests: for each route and level, one request after a write
    (the first of that filter, route and level: ``PorFiltro.primera``), then ``reps`` more
    (their median)."""
    res = []
    with canario() as visto:
        for f in filtros(crudo, programa):
            x = PorFiltro(n, f)
            for nivel in NIVELES:
                for que in RUTAS:
                    _, primeras, (x.primera[que][nivel],) = _tras_escribir(
                        url, cliente, f, nivel, que, 1
                    )
                    x.ms[que][nivel], respuestas, x.enviadas[que, nivel] = _tras_escribir(
                        url, cliente, f, nivel, que, reps
                    )
                    x.cabeceras.update(_cabecera(r) for r in primeras + respuestas)
                    if que == "estadisticas":
                        x.iguales &= _contados(respuestas[-1]) == desnudo(crudo, f, nivel)
                x.desnudo[nivel] = medir(partial(desnudo, crudo, f, nivel), reps)
            res.append(x)
    for x in res:
        x.canario = visto[0] if visto else None
    return res


@dataclass(frozen=True)
class Precio:
    """What writing alliances cost at one size, in ms per transaction (``insert``, ``update``)
    or per statement of ``filas_lote`` rows (``lote``), with the summary's triggers (``con``)
    and without them (``sin``): ``ms["insert:con"]`` and so on. ``disparadores``: the
    summary's triggers on alianza that were switched. ``enviadas``: each single-row write's
    (send time in epoch seconds, ms), by the same keys; ``canario``: the machine's own stalls
    meanwhile (bench.canario), None when it recorded nothing."""

    alianzas: int
    disparadores: tuple[str, ...]
    filas_lote: int
    ms: dict[str, list[float]]
    enviadas: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    canario: Canario | None = None

    def paradas(self, clave: str, desde_ms: float) -> tuple[int, int] | None:
        """Of the writes ``clave`` that took ``desde_ms`` or more, how many met a stall of the
        machine, and how many there are; None without a canary record."""
        if self.canario is None:
            return None
        lentas = [(t, ms) for t, ms in self.enviadas.get(clave, []) if ms >= desde_ms]
        return self.canario.en_parada(lentas), len(lentas)


def disparadores(c: psycopg.Connection) -> tuple[str, ...]:
    """The summaries' triggers on alianza (migrations 0014 and 0016), by their names'
    prefixes."""
    filas = c.execute(
        "SELECT tgname FROM pg_trigger WHERE tgrelid = 'alianza'::regclass "
        "AND NOT tgisinternal AND (starts_with(tgname, %s) OR starts_with(tgname, %s)) "
        "ORDER BY 1",
        PREFIJOS,
    )
    return tuple(r[0] for r in filas)


def _activar(c: psycopg.Connection, nombres: tuple[str, ...], si: bool) -> None:
    for nombre in nombres:
        c.execute(f"ALTER TABLE alianza {'ENABLE' if si else 'DISABLE'} TRIGGER {nombre}")
    c.commit()


def _cronometrar(c: psycopg.Connection, sql: str, valores: tuple) -> tuple[float, int, float]:
    """ms of one statement and its commit, the id it returned, and when it was sent (epoch
    seconds)."""
    enviada, t0 = time.time(), time.perf_counter()
    fila = c.execute(sql, valores).fetchone()
    c.commit()
    return (time.perf_counter() - t0) * 1000, fila[0], enviada  # type: ignore[index]


def _columnas(c: psycopg.Connection) -> str:
    """The seed's columns an INSERT copies (new code, the default state: registrado)."""
    cols = c.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = '_semilla' "
        "AND column_name NOT IN ('id', 'codigo', 'organizacion_id', 'estado') "
        "ORDER BY ordinal_position"
    )
    return ", ".join(r[0] for r in cols)


def _filas(
    c: psycopg.Connection, cols: str, semillas: list[int], clave: str
) -> dict[str, list[tuple[float, float]]]:
    """len(semillas) single-row INSERTs, then as many UPDATEs of those same rows (familias + 1:
    a summed column, so the summary has a difference to keep), one transaction each. First one
    INSERT and one UPDATE untimed: the first write after ``_activar`` switched the triggers
    plans its statements again (the table's definition changed), and the session's first write
    through a trigger function compiles it; timed, they were the slowest of the 200 writes (17-22
    ms, then about 2 ms each time the triggers were switched, against a p99 of 2-3 ms otherwise)
    and set the p99, a cost of this bench's switching, not of a writer's steady writes. Each
    timed write as (send time in epoch seconds, ms)."""
    ms: dict[str, list[tuple[float, float]]] = {"insert": [], "update": []}
    insertar = (
        f"INSERT INTO alianza (codigo, {cols}) SELECT %s, {cols} FROM _semilla WHERE id = %s "
        "RETURNING id"
    )
    actualizar = "UPDATE alianza SET familias = familias + 1 WHERE id = %s RETURNING id"
    previa = _cronometrar(c, insertar, (f"PRECIO-{clave}-previa", semillas[0]))[1]
    _cronometrar(c, actualizar, (previa,))
    ids = []
    for i, s in enumerate(semillas):
        t, nuevo, enviada = _cronometrar(c, insertar, (f"PRECIO-{clave}-{i}", s))
        ms["insert"].append((enviada, t))
        ids.append(nuevo)
    for nuevo in ids:
        t, _, enviada = _cronometrar(c, actualizar, (nuevo,))
        ms["update"].append((enviada, t))
    return ms


def _lote(c: psycopg.Connection, cols: str, filas: int) -> float:
    """ms of one INSERT ... SELECT of ``filas`` alliances (copies of the seed), rolled back."""
    por_semilla = -(-filas // c.execute("SELECT count(*) FROM _semilla").fetchone()[0])  # type: ignore[index]
    t0 = time.perf_counter()
    c.execute(
        f"INSERT INTO alianza (codigo, {cols}) SELECT 'LOTE-' || s.id || '-' || g, {cols} "
        "FROM _semilla s, generate_series(1, %s) g LIMIT %s",
        (por_semilla, filas),
    )
    ms = (time.perf_counter() - t0) * 1000
    c.rollback()
    return ms


def precio(url: str, n: int, veces: int, filas_lote: int, lotes: int) -> Precio:
    """``veces`` single-row INSERTs and UPDATEs and ``lotes`` bulk INSERTs of ``filas_lote`` rows
    with and without the summary's triggers, alternating in four blocks (drift in the machine's
    load falls on both alike), with the canary (bench.canario) beside them; then the data as
    before (``_limpiar``)."""
    ms: dict[str, list[float]] = defaultdict(list)
    enviadas: dict[str, list[tuple[float, float]]] = defaultdict(list)
    with psycopg.connect(dsn(url)) as c:
        c.execute("SELECT set_config('sigg.usuario', 'bench', false)")
        c.execute("CREATE INDEX IF NOT EXISTS _semilla_id ON _semilla (id)")
        nombres, cols = disparadores(c), _columnas(c)
        semillas = [r[0] for r in c.execute("SELECT id FROM _semilla ORDER BY id")]
        c.commit()
        bloque = max(1, veces // 4)
        with canario() as visto:  # beside the single-row writes, not the setup or cleanup
            for i in range(4):
                for con in (True, False):
                    _activar(c, nombres, con)
                    clave = f"{i}{'c' if con else 's'}"
                    escritas = _filas(c, cols, semillas[i * bloque : (i + 1) * bloque], clave)
                    for k, v in escritas.items():
                        ms[f"{k}:{'con' if con else 'sin'}"] += [t for _, t in v]
                        enviadas[f"{k}:{'con' if con else 'sin'}"] += v
        for _ in range(lotes):
            for con in (True, False):
                _activar(c, nombres, con)
                ms[f"lote:{'con' if con else 'sin'}"].append(_lote(c, cols, filas_lote))
        _activar(c, nombres, True)
        _limpiar(c)
    return Precio(n, nombres, filas_lote, dict(ms), dict(enviadas), visto[0] if visto else None)


def _limpiar(c: psycopg.Connection) -> None:
    """The data as before the writes: their rows deleted (the summary's triggers on), the
    summary rebuilt (it missed what was written without them), the tables vacuumed."""
    c.execute("DELETE FROM alianza WHERE codigo LIKE 'PRECIO-%'")
    c.commit()
    c.autocommit = True
    rehacer_resumen(c)
    for tabla in ("alianza", "alianza_etapa", "auditoria"):
        c.execute(f"VACUUM ANALYZE {tabla}")
    c.execute("TRUNCATE movimiento")  # empty again, as bench.agregacion.llenar leaves it
