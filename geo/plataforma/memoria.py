"""The garbage collector of a process given to one bulk task: an import job's process of its
own (geo/registro/proceso_trabajo.py).

Such a task makes ten or so container objects for each row of a block (its cells, its fields,
its model, its place) that live until the block is written, 10,000 rows at a time. With
CPython's default thresholds a young-generation collection comes every 700 of them, the middle
ones walk what the young ones kept, and the old ones everything the process holds (libraries
included): 1,893 young, 172 middle and 13 old collections for 100,000 rows, 1.8 s of the
import's 7.1 s of Python (bench/RESULTS_cpu_importacion.md; with this setting 19 / 1 / 0).
What the process holds before the task (its libraries, its engine) is never garbage: frozen,
the collector no longer walks it; and a young collection every 50,000 objects instead of 700
makes the collections few. Reference counting frees every object without cycles as before, so
the memory the task holds stays about what it was (one block): a 1,000,000-row job's process
peaked at 195 MiB, 192 MiB before (bench/RESULTS_trabajo_cpu_1000000.md and _antes_1000000.md)."""

from __future__ import annotations

import gc

# Container objects allocated (and not yet freed) between two young-generation collections.
JOVENES = 50_000


def para_tarea_masiva() -> None:
    """Freeze what the process holds now and space out the young collections (see the
    module's docstring). For a process that does one bulk task and exits: never in the
    server, whose threads answer requests (api/main.py freezes its own startup objects)."""
    gc.collect()
    gc.freeze()
    _, medianas, viejas = gc.get_threshold()
    gc.set_threshold(JOVENES, medianas, viejas)
