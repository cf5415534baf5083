"""The machine's own stalls: a fixed piece of CPU work, timed over and over in a process of its
own while something else is measured (a canary, as jHiccup's for the JVM).

    .venv/bin/python -m bench.canario [--segundos 30]

On a virtual machine the host may take a virtual CPU away, or slow it down, for a few
milliseconds; the guest cannot see it, and whatever ran there just took longer. A request
that meets such a stall is slow for reasons that are not its own. The canary does the same
work every ``CADA`` seconds (``VUELTAS`` multiplications, about half a millisecond of one
core, a tenth of a core in all) and records its wall and CPU time: its median is what the work
costs on this machine, and a run of it that took ``PARADA`` times its median or more is a
stall of the machine. Run alone, it prints what it saw over ``--segundos`` on a quiet
machine."""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import FrameType

CADA = 0.005
VUELTAS = 10_000
PARADA = 3.0  # a run at this many times the median or more is a stall
RAIZ = Path(__file__).resolve().parents[1]


def trabajo(vueltas: int = VUELTAS) -> int:
    x = 0
    for i in range(vueltas):
        x += i * i
    return x


@dataclass(frozen=True)
class Vuelta:
    """One run of the work: when it started (epoch seconds), its wall and CPU milliseconds. The
    CPU time is what counts: the wall time also holds waiting for a core the guest's own
    processes held (ours among them), while a stall of the host is charged to the CPU time of
    whatever the guest believed was running."""

    inicio: float
    ms: float
    cpu_ms: float


@dataclass(frozen=True)
class Canario:
    """What the canary recorded while a measurement ran."""

    vueltas: list[Vuelta]

    @cached_property
    def mediana(self) -> float:
        return statistics.median(v.cpu_ms for v in self.vueltas)

    def peor_en(self, enviada: float, ms: float) -> float:
        """The worst run overlapping a request sent at ``enviada`` (epoch seconds) that took
        ``ms``, in times the median; 0.0 if none overlaps."""
        m, hasta = self.mediana, enviada + ms / 1000
        return max(
            (
                v.cpu_ms / m
                for v in self.vueltas
                if v.inicio <= hasta and v.inicio + v.ms / 1000 >= enviada
            ),
            default=0.0,
        )

    def en_parada(self, envios: Iterable[tuple[float, float]]) -> int:
        """How many of ``envios`` (each a request's send time in epoch seconds and its ms)
        met a stall of the machine: a run at ``PARADA`` times the median or more."""
        return sum(self.peor_en(enviada, ms) >= PARADA for enviada, ms in envios)

    def paradas(self) -> float:
        """The share of runs that took ``PARADA`` times the median or more."""
        m = self.mediana
        return sum(v.cpu_ms >= PARADA * m for v in self.vueltas) / len(self.vueltas)

    def resumen(self) -> str:
        ms = sorted(v.cpu_ms for v in self.vueltas)
        return (
            f"{len(ms):,} runs of the same work, CPU time: median {self.mediana:.2f} ms, "
            f"p99 {ms[int(len(ms) * 0.99)]:.2f} ms, slowest {ms[-1]:.1f} ms; "
            f"{self.paradas():.1%} at {PARADA:.0f}x the median or more"
        )


@contextmanager
def canario() -> Iterator[list[Canario]]:
    """Run the canary in a process of its own for the block; the list it yields holds its
    record once the block has ended."""
    fd, nombre = tempfile.mkstemp(prefix="sigg-canario-", suffix=".json")
    os.close(fd)
    salida = Path(nombre)
    proceso = subprocess.Popen(
        [sys.executable, "-m", "bench.canario", "--salida", str(salida)], cwd=RAIZ
    )
    hecho: list[Canario] = []
    try:
        yield hecho
    finally:
        proceso.send_signal(signal.SIGTERM)
        proceso.wait(timeout=30)
        datos = json.loads(salida.read_text() or "[]")
        salida.unlink()
        if datos:
            hecho.append(Canario([Vuelta(*d) for d in datos]))


def correr(salida: Path | None, segundos: float | None) -> list[tuple[float, float, float]]:
    """The canary's loop: until SIGTERM, or for ``segundos``; writes its runs to ``salida``."""
    vueltas: list[tuple[float, float, float]] = []
    parar = False

    def fin(_s: int, _f: FrameType | None) -> None:
        nonlocal parar
        parar = True

    signal.signal(signal.SIGTERM, fin)
    hasta = time.monotonic() + segundos if segundos else float("inf")
    while not parar and time.monotonic() < hasta:
        t0, c0 = time.time(), time.thread_time()
        p0 = time.perf_counter()
        trabajo()
        ms = (time.perf_counter() - p0) * 1000
        vueltas.append((t0, ms, (time.thread_time() - c0) * 1000))
        time.sleep(CADA)
    if salida:
        tmp = salida.with_suffix(".tmp")
        tmp.write_text(json.dumps(vueltas))
        os.replace(tmp, salida)
    return vueltas


def main() -> None:
    a = argparse.ArgumentParser(description=__doc__)
    a.add_argument("--salida", type=Path, help="write the runs here (JSON) when stopped")
    a.add_argument("--segundos", type=float, help="stop after this long (else at SIGTERM)")
    args = a.parse_args()
    vueltas = correr(args.salida, args.segundos if args.salida else (args.segundos or 30))
    if not args.salida:
        print(Canario([Vuelta(*v) for v in vueltas]).resumen())


if __name__ == "__main__":
    main()
