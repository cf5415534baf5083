"""An import job in a process of its own (``Trabajador`` with ``aparte``, the default):

    python -m geo.registro.proceso_trabajo   (its order, as JSON, on standard input)

The order names the database (its URL, password included: read from a pipe, so that it never
shows in the process list or the environment), the job, the border tolerance and the job
folder. The process lowers its own priority (nice 10, the whole process), makes an engine of
two connections, sets its garbage collector for one bulk task (geo/plataforma/memoria.py) and
runs :func:`geo.registro.trabajos.ejecutar`, exactly as a worker thread of
the server would. Its own interpreter holds its own lock (the GIL): validating and locating a
million rows no longer takes turns with the threads that answer the map; and a file that
brings it down (memory, a crash in a library) brings down this process only, which the server
notices and reports on the job (``Trabajador._en_proceso``)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from pathlib import Path

NICE = 10


def main() -> int:
    # First of all, so that loading the libraries below already gives way to the server.
    # Not Linux, or not allowed: the job runs at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, 0, NICE)
    from geo.plataforma.db import make_engine
    from geo.plataforma.memoria import para_tarea_masiva
    from geo.registro.trabajos import ejecutar

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    orden = json.load(sys.stdin)
    # Two connections: the job's progress (autocommit) and the import's transaction.
    engine = make_engine(orden["url"], pool_size=2, max_overflow=1)
    para_tarea_masiva()  # one job, then the process ends (geo/plataforma/memoria.py)
    try:
        ejecutar(
            engine, int(orden["trabajo"]), float(orden["tolerancia_m"]), Path(orden["directorio"])
        )
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
