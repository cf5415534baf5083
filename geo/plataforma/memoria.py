"""The garbage collector of a process given to one bulk task (an import job's process of its
own, the command line's import).

Such a task makes ten or so container objects for each row of a block (its cells, its fields,
its model, its place) that live until the block is written, 10,000 rows at a time. With
CPython's default thresholds a young-generation collection comes every 700 of them, and each
collection walks the whole block again, and the full ones everything the process holds
(libraries included): 13 full, 172 middle and 1,900 young collections for 100,000 rows, 1.4 to
1.9 s of the 7 s of Python the import spent (scratch measurement, bench/RESULTS.md section 7).
What the process holds before the task (its libraries, its engine) is never garbage: frozen,
the collector no longer walks it; and a young collection every 50,000 objects instead of 700
makes the collections few. Refcounting frees every object without cycles as before, so the
memory the task holds stays what it was (one block)."""

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
