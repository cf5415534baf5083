"""Import jobs (issue 14): an office's file imported by a worker of the server instead of by
the request that brought it. The request stores the file and answers at once (202); the job
reads it, validates, locates and writes it with :func:`importar_alianzas` (the same use case
as the synchronous import and the command line), and says how far it got as it goes, so that a
page can draw a progress bar, be closed, and find the job and its report when it comes back.

How a job runs, and why:

- Where: a small thread pool of the API process (``Trabajador``, started with the app,
  ``SIGG_IMPORTACION_HILOS`` threads, one by default) starts each job in a process of its own
  (geo/registro/proceso_trabajo.py) and waits for it. No broker or second service to install
  and watch in a field office. Python holds one lock for all the threads of a process (the
  GIL): a job run by a thread of the server took turns with the threads answering the map.
  In its own process, at a lower priority (nice 10), the job takes the spare core and gives
  way when the map needs both. bench/trabajo_aparte.py runs the two in turns: with a
  100,000-row job, the map's p99 during the job over its p99 idle went from 1.49x (thread) to
  1.00x (process), its requests answered per second from 0.59 to 0.88 of idle's, and the
  server's memory while the job ran from +103 to +17 MiB (bench/RESULTS_trabajo_aparte.md,
  medians of four runs each). A process that
  dies (out of memory, killed) takes only the job with it: the server marks it failed at once,
  saying so. ``SIGG_IMPORTACION_APARTE=false`` runs jobs in the thread itself (the tests that
  patch the job's code do).
- Connections: the job never uses a request's connection. It takes two of its own from the
  engine: one in autocommit for its state and progress (short updates, each committed at
  once, at most every ``INTERVALO_S``, so a page sees them while the import is open), and one
  for the import, which writes everything in one transaction: all or nothing, as ever. The
  job's final state is written inside that transaction, so "terminado" is committed exactly
  with the alliances it reports.
- Locks: the import reads with plain snapshots and writes alliances under a per-program
  advisory lock (geo/registro/escritura.py), taken when the staged rows are compared, at the
  end of the validation: readers (the map, lists, exports) never wait for it; another write of
  an alliance of the same program does, for the comparison and the writing only.
- Memory and size (issue 17): the upload is streamed to a file of the state folder
  (``Trabajador.directorio``, one folder per database), never held whole, up to its own limit
  (``SIGG_IMPORTACION_MAX_MB``), not the synchronous import's 50 MB and 100,000 rows. A CSV is
  read from there as a stream of rows, twice (count and find repeated codes, then validate,
  locate and stage a block at a time: geo/registro/importacion.py), so the worker holds one
  block, whatever the file's size; the report keeps the bad rows only, at most MAX_ERRORES. An
  XLSX is read whole, within the synchronous limits (geo/formatos/lectura.py). The file is
  deleted when the job ends. (A job whose file was sent as bytes, ``contenido``, as before this
  folder, is written out to it first.)
- A process that dies mid-import loses its transaction: nothing of that import is written. Its
  job is marked "fallido" with a message saying so, when the next process starts (or when the
  job is read): each running job holds a session advisory lock on its progress connection, so
  a job "en curso" whose lock nobody holds has no living worker. It is not re-queued: a file
  that brought the process down would bring it down again at every start; the person sends it
  again. Jobs still "en cola" (never started) are re-queued at start.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from geo.acceso.alcance import Alcance, exigir_personal
from geo.formatos.celdas import fila_csv
from geo.formatos.lectura import CsvEnDisco, Origen, formato, leer_tabla
from geo.plataforma.config import Settings
from geo.plataforma.errors import Conflicto, NoEncontrado, SiggError
from geo.registro.alianzas import programa
from geo.registro.importacion import PASOS, importar_alianzas

log = logging.getLogger("sigg.trabajos")

PENDIENTES = ("en_cola", "en_curso")
# Share of a job's time taken by each step (0 opens the file; 1-2 are importacion.PASOS: 1 counts
# the rows and finds repeated codes, 2 converts, validates, locates, stages and writes them block
# by block): the overall percentage. Measured on 200,000 rows of a CSV streamed from disk,
# step 1 took 1.2 s of 28.3 s.
PESOS = (0.01, 0.03, 0.96)
FASES = ("Leyendo el archivo", "Revisando las filas", "Validando, ubicando y escribiendo")
INTERVALO_S = 0.5  # the least time between two writes of a job's progress
MAX_ERRORES = 10_000  # errors a job's report lists (it says how many more there are)
VIEJO_S = 24 * 3600  # a file in the folder whose job is no longer pending, this old, is removed
RECIENTES = 20  # jobs a list shows
# The advisory lock a running job holds: (this key, job id).
_LLAVE = "hashtext('sigg.trabajo_importacion')"
# Held (a session's lock) by the server thread that watches a job's process while it runs:
# that thread knows why the process ended, so nobody else marks the job meanwhile.
_VIGIA = "hashtext('sigg.trabajo_importacion.vigia')"
_COLUMNAS = (
    "id, usuario, programa, archivo, formato, bytes, simulacro, estado, paso, total, hechas, "
    "informe, mensaje, creado_en, empezado_en, terminado_en"
)
INTERRUMPIDO = (
    "el servidor se detuvo mientras importaba este archivo (un reinicio o un corte): no se "
    "escribió nada; envíe el archivo de nuevo"
)
ARCHIVO_PERDIDO = (
    "el archivo de este trabajo ya no está en el servidor (se borró su carpeta): no se "
    "escribió nada; envíe el archivo de nuevo"
)
CAIDO = (
    "el proceso que importaba este archivo terminó de golpe ({causa}): no se escribió nada. "
    "Si vuelve a ocurrir, avise al administrador del SIGG"
)
ESPERA_CAIDO_S = 5.0  # how long the lock of a dead job's process may take to be released
ERROR_INTERNO = (
    "error interno del servidor durante la importación: no se escribió nada; si vuelve a "
    "ocurrir, avise al administrador del SIGG"
)


@dataclass(frozen=True)
class Trabajo:
    id: int
    usuario: str
    programa: str
    archivo: str
    formato: str
    bytes: int
    simulacro: bool
    estado: str
    paso: int
    total: int | None
    hechas: int
    informe: dict[str, Any] | None
    mensaje: str | None
    creado_en: datetime
    empezado_en: datetime | None
    terminado_en: datetime | None

    @property
    def fase(self) -> str | None:
        """What a running job is doing, in words (simulacro: the writing is only tried)."""
        if self.estado != "en_curso":
            return None
        if self.paso == 2 and self.simulacro:
            return "Validando, ubicando y probando la escritura (simulacro: se deshace al final)"
        return FASES[self.paso]

    @property
    def porcentaje(self) -> int:
        """How far the whole job is, 0-100: the steps done, weighted, plus the current one."""
        if self.estado not in PENDIENTES:
            return 100
        if self.estado == "en_cola" or not self.total:
            return 0
        actual = PESOS[self.paso] * self.hechas / self.total
        return min(99, int(100 * (sum(PESOS[: self.paso]) + actual)))

    def como_dict(self) -> dict[str, Any]:
        # A report stored before reports named attachments reads as one that names none.
        informe = None if self.informe is None else {"adjuntos": [], **self.informe}
        return {
            **{c: getattr(self, c) for c in self.__dataclass_fields__},
            "informe": informe,
            "fase": self.fase,
            "porcentaje": self.porcentaje,
        }


# --- the requests' side: create, read, list, the error table -------------------------------


def crear(
    conn: Connection,
    alcance: Alcance,
    programa_codigo: str,
    archivo: str,
    datos: bytes | Path,
    *,
    simulacro: bool,
) -> int:
    """Store an upload as a queued job of ``alcance``'s user and return its id. ``datos``: the
    file's bytes, kept in the row, or the file written in the job folder (:func:`carpeta`),
    renamed there as the job's (:func:`ruta`). An unknown format or program is refused now;
    reading the file is the job's work. One pending job per user: a second is a 409 naming the
    first."""
    exigir_personal(alcance)
    tipo = formato(archivo)
    programa(conn, programa_codigo)
    pendiente = conn.execute(
        text(
            "SELECT id FROM trabajo_importacion WHERE usuario = :u "
            "AND estado IN ('en_cola', 'en_curso')"
        ),
        {"u": alcance.usuario},
    ).scalar()
    if pendiente is not None:
        raise Conflicto(
            f"ya tiene una importación en curso (trabajo {pendiente}): espere a que termine",
            trabajo=pendiente,
        )
    trabajo_id = int(
        conn.execute(
            text(
                "INSERT INTO trabajo_importacion (usuario, rol, unidad_operativa_codigo, "
                "programa, archivo, formato, bytes, contenido, simulacro) VALUES (:u, :r, :uo, "
                ":p, :a, :f, :b, :c, :s) RETURNING id"
            ),
            {
                "u": alcance.usuario,
                "r": alcance.rol,
                "uo": alcance.unidad,
                "p": programa_codigo,
                "a": archivo,
                "f": tipo,
                "b": datos.stat().st_size if isinstance(datos, Path) else len(datos),
                "c": None if isinstance(datos, Path) else datos,
                "s": simulacro,
            },
        ).scalar_one()
    )
    if isinstance(datos, Path):
        datos.rename(ruta(datos.parent, trabajo_id))
    return trabajo_id


def carpeta(directorio: Path, engine: Engine) -> Path:
    """Where the files of this database's jobs wait: one folder per database, so that two
    databases of one cluster (or a test's) never share a job's file."""
    return directorio / (engine.url.database or "sigg")


def ruta(carpeta_bd: Path, trabajo_id: int) -> Path:
    return carpeta_bd / str(trabajo_id)


def leer(conn: Connection, alcance: Alcance, trabajo_id: int) -> Trabajo:
    """One job, if ``alcance`` may see it (its user; national coordination: all); else 404,
    as for a job that does not exist. A running job without a living worker is marked failed
    first."""
    exigir_personal(alcance)
    marcar_interrumpidos(conn, trabajo_id)
    fila = conn.execute(
        text(f"SELECT {_COLUMNAS} FROM trabajo_importacion WHERE id = :i"),  # noqa: S608
        {"i": trabajo_id},
    ).first()
    if fila is None or not (alcance.nacional or fila.usuario == alcance.usuario):
        raise NoEncontrado(f"el trabajo de importación {trabajo_id} no existe", campo="id")
    return Trabajo(*fila)


def listar(conn: Connection, alcance: Alcance, limite: int = RECIENTES) -> list[Trabajo]:
    """The user's most recent jobs, newest first (national coordination: everyone's)."""
    exigir_personal(alcance)
    donde = "" if alcance.nacional else "WHERE usuario = :u"
    filas = conn.execute(
        text(
            f"SELECT {_COLUMNAS} FROM trabajo_importacion {donde} "  # noqa: S608
            "ORDER BY creado_en DESC, id DESC LIMIT :n"
        ),
        {"u": alcance.usuario, "n": limite},
    ).all()
    return [Trabajo(*f) for f in filas]


def errores_csv(trabajo: Trabajo) -> bytes:
    """The job's bad rows as a CSV for a person: fila, columna, valor, motivo (and the
    alliance's code). As the record list's file for people (geo/publicacion/lista.py): ``;``
    between fields, as a Spanish-language spreadsheet expects, and a UTF-8 BOM so that Excel
    reads the accents; a value that a spreadsheet would run is neutralised."""
    salida = io.StringIO()
    escritor = csv.writer(salida, delimiter=";", lineterminator="\r\n")
    escritor.writerow(["fila", "columna", "valor", "motivo", "codigo"])
    for e in (trabajo.informe or {}).get("errores", []):
        escritor.writerow(
            fila_csv([e["fila"], e["columna"], e.get("valor"), e["mensaje"], e.get("codigo")])
        )
    return ("\ufeff" + salida.getvalue()).encode("utf-8")


def marcar_interrumpidos(
    conn: Connection,
    trabajo_id: int | None = None,
    mensaje: str = INTERRUMPIDO,
    en_cola: bool = False,
    vigia: bool = False,
) -> list[int]:
    """Mark failed, saying ``mensaje``, the running jobs (or the one named) whose worker is
    gone: nobody holds their advisory lock, nor the lock of a server thread watching their
    process (``Trabajador._en_proceso``: it marks the job itself, with the cause; ``vigia``
    says the caller is that thread). The locks tried here are a transaction's, released when
    ``conn``'s ends. ``en_cola``: a queued one too (the named job's process died before it
    took it)."""
    valores = {"m": mensaje, "i": trabajo_id, "cola": en_cola, "vigia": vigia}
    return list(conn.execute(_INTERRUMPIDOS, valores).scalars())


# CASE: the lock is tried only on a running job, never on a queued one that a worker may be
# about to take. (_LLAVE and _VIGIA are constants of this module, not inputs.)
_INTERRUMPIDOS = text(
    "UPDATE trabajo_importacion SET estado = 'fallido', mensaje = :m, terminado_en = now(), "  # noqa: S608
    "contenido = NULL WHERE estado IN ('en_curso', 'en_cola') "
    "AND (CAST(:i AS bigint) IS NULL OR id = :i) AND CASE WHEN estado = 'en_curso' THEN "
    f"pg_try_advisory_xact_lock({_LLAVE}, CAST(id AS int)) AND (CAST(:vigia AS boolean) OR "
    f"pg_try_advisory_xact_lock({_VIGIA}, CAST(id AS int))) ELSE CAST(:cola AS boolean) END "
    "RETURNING id"
)


# --- the worker's side ----------------------------------------------------------------------


class Trabajador:
    """The import jobs of this process: a pool of ``hilos`` threads, each job on connections
    of its own from ``engine``."""

    def __init__(
        self,
        engine: Engine,
        tolerancia_m: float,
        hilos: int = 1,
        directorio: Path | None = None,
        aparte: bool = True,
    ) -> None:
        self.engine = engine
        self.tolerancia_m = tolerancia_m
        self.aparte = aparte  # each job in a process of its own (else: in the thread)
        # The process of each job running in one, by job id.
        self.procesos: dict[int, subprocess.Popen[bytes]] = {}
        # The state folder's (api/main.py); a temporary one when the app is built without it.
        self.directorio = directorio or Path(tempfile.gettempdir()) / "sigg-importaciones"
        self._pool = ThreadPoolExecutor(
            max_workers=hilos, thread_name_prefix="sigg-importacion", initializer=_ceder_cpu
        )

    @classmethod
    def de_ajustes(cls, engine: Engine, ajustes: Settings) -> Trabajador:
        """The worker an installation's settings ask for, its jobs' files in the state
        folder."""
        return cls(
            engine,
            ajustes.tolerancia_borde_m,
            ajustes.importacion_hilos,
            ajustes.state_dir / "importaciones",
            ajustes.importacion_aparte,
        )

    def encolar(self, trabajo_id: int) -> None:
        self._pool.submit(self._correr, trabajo_id)

    def recuperar(self) -> None:
        """At start: fail the jobs a dead process left running, queue the ones never started."""
        with self.engine.begin() as conn:
            interrumpidos = marcar_interrumpidos(conn)
            en_cola = conn.execute(
                text("SELECT id FROM trabajo_importacion WHERE estado = 'en_cola' ORDER BY id")
            ).scalars()
            pendientes = list(en_cola)
            self._barrer(conn)
        if interrumpidos:
            log.warning("trabajos de importación interrumpidos: %s", interrumpidos)
        for trabajo_id in pendientes:
            self.encolar(trabajo_id)

    def _barrer(self, conn: Connection) -> None:
        """Remove the files of jobs no longer pending (failed, interrupted, or rows never
        committed), once they are old enough that no upload can still be naming them."""
        donde = carpeta(self.directorio, self.engine)
        if not donde.is_dir():
            return
        vivos = set(
            conn.execute(
                text("SELECT id::text FROM trabajo_importacion WHERE estado = ANY(:e)"),
                {"e": list(PENDIENTES)},
            ).scalars()
        )
        limite = time.time() - VIEJO_S
        for archivo in donde.iterdir():
            if archivo.name not in vivos and archivo.stat().st_mtime < limite:
                archivo.unlink(missing_ok=True)

    def cerrar(self) -> None:
        """Let the running job finish; the queued ones stay queued for the next start."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _correr(self, trabajo_id: int) -> None:
        try:
            if self.aparte:
                self._en_proceso(trabajo_id)
            else:
                ejecutar(self.engine, trabajo_id, self.tolerancia_m, self.directorio)
        except Exception:  # a worker thread must outlive any job
            log.exception("el trabajo de importación %s falló", trabajo_id)

    def _en_proceso(self, trabajo_id: int) -> None:
        """Run the job in a process of its own and wait for it to end, holding the job's
        watch lock (``_VIGIA``) meanwhile: if the process dies, a reader of the job must not
        mark it with the message of a stopped server before this thread marks it with the
        cause (it did, now and then, when a reader came in the moment between). Its order goes
        through a pipe: the database URL carries the password."""
        orden = {
            "url": self.engine.url.render_as_string(hide_password=False),
            "trabajo": trabajo_id,
            "tolerancia_m": self.tolerancia_m,
            "directorio": str(self.directorio),
        }
        llave = {"i": trabajo_id}
        with self.engine.connect() as vigia:
            vigia.execution_options(isolation_level="AUTOCOMMIT")
            vigia.execute(text(f"SELECT pg_advisory_lock({_VIGIA}, CAST(:i AS int))"), llave)
            try:
                self._esperar_proceso(trabajo_id, orden)
            finally:
                vigia.execute(text(f"SELECT pg_advisory_unlock({_VIGIA}, CAST(:i AS int))"), llave)

    def _esperar_proceso(self, trabajo_id: int, orden: dict[str, Any]) -> None:
        try:
            proceso = subprocess.Popen(
                [sys.executable, "-m", "geo.registro.proceso_trabajo"], stdin=subprocess.PIPE
            )
        except OSError:  # no process could be started (memory, process limit)
            log.exception("no se pudo iniciar el proceso del trabajo de importación %s", trabajo_id)
            self._caido(trabajo_id, ERROR_INTERNO)
            return
        self.procesos[trabajo_id] = proceso
        try:
            proceso.communicate(json.dumps(orden).encode())
        finally:
            del self.procesos[trabajo_id]
        if proceso.returncode != 0:
            log.warning(
                "el proceso del trabajo de importación %s terminó con %s",
                trabajo_id,
                proceso.returncode,
            )
            self._caido(trabajo_id, _caida(proceso.returncode))

    def _caido(self, trabajo_id: int, mensaje: str) -> None:
        """The job's process ended without ending the job, or never started (its transaction
        went with it: nothing was written): mark it failed now with ``mensaje``, rather than at
        the next start. Its database session may outlive it by a moment, holding the job's
        lock: tried again for up to ``ESPERA_CAIDO_S``. Its file goes: the person sends the
        file again (the process could not remove it)."""
        ruta(carpeta(self.directorio, self.engine), trabajo_id).unlink(missing_ok=True)
        fin = time.monotonic() + ESPERA_CAIDO_S
        while True:
            with self.engine.begin() as conn:
                marcado = marcar_interrumpidos(conn, trabajo_id, mensaje, en_cola=True, vigia=True)
                estado = conn.execute(
                    text("SELECT estado FROM trabajo_importacion WHERE id = :i"), {"i": trabajo_id}
                ).scalar()
            if marcado or estado not in PENDIENTES or time.monotonic() > fin:
                return
            time.sleep(0.1)


def _caida(codigo: int) -> str:
    """The job's message for a process that ended with ``codigo`` (negative: a signal's).
    Stopped as the server is (a stop, Ctrl-C): the server's own message."""
    if -codigo in (signal.SIGTERM, signal.SIGINT):
        return INTERRUMPIDO
    if codigo == -signal.SIGKILL:
        causa = "lo detuvo el sistema, quizá por falta de memoria"
    elif codigo < 0:
        causa = f"señal {signal.Signals(-codigo).name}"
    else:
        causa = f"código de salida {codigo}"
    return CAIDO.format(causa=causa)


def _ceder_cpu() -> None:
    """Lower this thread's priority (Linux: nice applies per thread): with both cores busy,
    the requests of the people on the map go first."""
    # Not Linux, or not allowed: the thread runs at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)


def ejecutar(engine: Engine, trabajo_id: int, tolerancia_m: float, directorio: Path) -> None:
    """Run one queued job to its end, unless another worker has it or it is no longer queued.
    ``directorio``: the job folder (Trabajador.directorio)."""
    with engine.connect() as control:
        control.execution_options(isolation_level="AUTOCOMMIT")
        llave = {"i": trabajo_id}
        tomado = control.execute(
            text(f"SELECT pg_try_advisory_lock({_LLAVE}, CAST(:i AS int))"), llave
        ).scalar()
        if not tomado:
            return
        try:
            fila = control.execute(
                text(
                    "UPDATE trabajo_importacion SET estado = 'en_curso', empezado_en = now() "
                    "WHERE id = :i AND estado = 'en_cola' RETURNING usuario, rol, "
                    "unidad_operativa_codigo, programa, archivo, formato, simulacro, contenido"
                ),
                llave,
            ).first()
            if fila is not None:
                donde = ruta(carpeta(directorio, engine), trabajo_id)
                try:
                    _importar(engine, control, trabajo_id, fila, tolerancia_m, donde)
                finally:
                    donde.unlink(missing_ok=True)
        finally:
            control.execute(text(f"SELECT pg_advisory_unlock({_LLAVE}, CAST(:i AS int))"), llave)


def _importar(
    engine: Engine,
    control: Connection,
    trabajo_id: int,
    fila: Any,
    tolerancia_m: float,
    archivo: Path,
) -> None:
    avance = _Avance(control, trabajo_id)
    try:
        avance.empezar(0)
        tabla = _abrir(fila, archivo)
        with engine.connect() as conn:
            transaccion = conn.begin()
            informe = importar_alianzas(
                conn,
                programa(conn, fila.programa),
                tabla,
                archivo=fila.archivo,
                tolerancia_m=tolerancia_m,
                simulacro=fila.simulacro,
                alcance=Alcance(fila.usuario, fila.rol, fila.unidad_operativa_codigo),
                avance=avance.paso,
                progreso=avance.filas,
                max_errores=MAX_ERRORES,
            )
            estado = "con_errores" if informe.errores else "terminado"
            if informe.errores or fila.simulacro:
                transaccion.rollback()
                _terminar(control, trabajo_id, estado, informe.como_dict())
            else:
                # In the import's own transaction: the job says "terminado" exactly when the
                # alliances it reports are committed.
                _terminar(conn, trabajo_id, estado, informe.como_dict())
                transaccion.commit()
    except SiggError as exc:  # an unreadable file, no data rows, an unknown program
        _terminar(control, trabajo_id, "fallido", None, exc.mensaje)
    except DBAPIError as exc:  # e.g. the guard trigger refusing a row outside the unit
        log.warning("trabajo de importación %s: la base rechazó la escritura: %s", trabajo_id, exc)
        motivo = getattr(getattr(exc.orig, "diag", None), "message_primary", None)
        mensaje = f"{motivo}: no se escribió nada" if motivo else ERROR_INTERNO
        _terminar(control, trabajo_id, "fallido", None, mensaje)
    except Exception:
        log.exception("trabajo de importación %s", trabajo_id)
        _terminar(control, trabajo_id, "fallido", None, ERROR_INTERNO)


def _abrir(fila: Any, archivo: Path) -> Origen:
    """The job's file: a CSV as a stream from disk, an XLSX read whole (its own limits)."""
    if fila.contenido is not None:  # sent as bytes: written out, so that it streams as well
        archivo.parent.mkdir(parents=True, exist_ok=True)
        archivo.write_bytes(fila.contenido)
    if not archivo.is_file():
        raise SiggError(ARCHIVO_PERDIDO)
    if fila.formato == "csv":
        return CsvEnDisco(archivo)
    return leer_tabla(archivo.read_bytes(), fila.archivo)


def _terminar(
    conn: Connection,
    trabajo_id: int,
    estado: str,
    informe: dict[str, Any] | None,
    mensaje: str | None = None,
) -> None:
    """The job's end: its state, report or message; the file is no longer needed."""
    documento = None if informe is None else json.dumps(informe, ensure_ascii=False, default=str)
    conn.execute(
        text(
            "UPDATE trabajo_importacion SET estado = :e, informe = CAST(:inf AS jsonb), "
            "mensaje = :m, terminado_en = now(), contenido = NULL WHERE id = :i"
        ),
        {
            "e": estado,
            "inf": documento,
            "m": mensaje or (ERROR_INTERNO if estado == "fallido" else None),
            "i": trabajo_id,
        },
    )


class _Avance:
    """A job's progress, committed on its autocommit connection: at each new step, and within
    a step at most every INTERVALO_S (and when the step's last row is done)."""

    def __init__(self, control: Connection, trabajo_id: int) -> None:
        self.control = control
        self.trabajo_id = trabajo_id
        self.total = 0
        self.actual = 0
        self.escrito_en = 0.0

    def empezar(self, total: int) -> None:
        self.total = total
        self._escribir(0, 0)

    def paso(self, nombre: str) -> None:
        self.actual = PASOS.index(nombre) + 1
        self._escribir(self.actual, 0)

    def filas(self, hechas: int, total: int) -> None:
        """``total``: the file's rows, estimated while the first pass counts them."""
        ahora = time.monotonic()
        if hechas >= total or ahora - self.escrito_en >= INTERVALO_S:
            self.total = total
            self._escribir(self.actual, min(hechas, total))

    def _escribir(self, paso: int, hechas: int) -> None:
        self.control.execute(
            text("UPDATE trabajo_importacion SET paso = :p, hechas = :h, total = :t WHERE id = :i"),
            {"p": paso, "h": hechas, "t": self.total, "i": self.trabajo_id},
        )
        self.escrito_en = time.monotonic()
