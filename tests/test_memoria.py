"""The collector of a process given to one bulk task (geo/plataforma/memoria.py), checked in a
fresh interpreter of its own: freezing and thresholds are the whole process's, and the test
process must keep its own."""

from __future__ import annotations

import json
import subprocess
import sys

_SONDA = """
import gc, json, weakref
from geo.plataforma import memoria
antes = {"congelados": gc.get_freeze_count(), "umbral": gc.get_threshold()}
memoria.para_tarea_masiva()
despues = {"congelados": gc.get_freeze_count(), "umbral": gc.get_threshold()}

class Nodo:
    pass

# A cycle made after the call: no reference count frees it, only a collection does.
a, b = Nodo(), Nodo()
a.otro, b.otro = b, a
vivo = weakref.ref(a)
del a, b
retenidos = []
antes_del_umbral = None
for n in range(memoria.JOVENES * 2):
    retenidos.append([n])  # a container kept alive: it counts toward the young threshold
    if n == memoria.JOVENES // 2:
        antes_del_umbral = vivo() is not None
print(json.dumps({"antes": antes, "despues": despues, "antes_del_umbral": antes_del_umbral,
                  "ciclo_recogido": vivo() is None}))
"""


def _sondear() -> dict:
    salida = subprocess.run(
        [sys.executable, "-c", _SONDA], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return json.loads(salida)


def test_a_bulk_process_freezes_what_it_holds_and_spaces_its_young_collections():
    r = _sondear()
    assert r["antes"]["congelados"] == 0
    # What the process held before the call (here the interpreter's own modules) is frozen,
    # never walked again.
    assert r["despues"]["congelados"] > 1000
    assert r["despues"]["umbral"][0] == 50_000
    # The middle and old generations keep the interpreter's own thresholds.
    assert r["despues"]["umbral"][1:] == r["antes"]["umbral"][1:]


def test_a_cycle_made_after_is_still_collected_once_the_young_threshold_is_passed():
    r = _sondear()
    # Half way to the threshold no young collection has come yet (with the interpreter's 700
    # one would have), and past it the cycle is gone: the collector is spaced, not off.
    assert r["antes_del_umbral"] is True
    assert r["ciclo_recogido"] is True
