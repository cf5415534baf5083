"""Import jobs (issue 14, "Import from the page"), through the API: the upload answers 202 at
once and a worker of the server imports the file on connections of its own. A file with two bad
rows ends "con_errores" with a report of exactly those two rows and writes nothing; a good one
is written with its progress reaching the file's rows; a dry run writes nothing; nobody else
reads a user's job; the error table downloads as a CSV for a spreadsheet; a job a dead process
left running is marked failed. A job takes a CSV past the direct import's 100,000 rows (read
as a stream, issue 17), up to a size limit of its own.

The worker commits (that is its point), so these tests cannot live in the rolled-back
transaction of the other API tests: each starts from the empty registry of the test database
and empties it again at the end."""

from __future__ import annotations

import csv
import io
import os
import signal
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from api.schemas.importaciones import ListaTrabajos, TrabajoImportacion
from geo.acceso.alcance import Alcance
from geo.formatos.lectura import MAX_FILAS
from geo.plataforma.config import Settings
from geo.registro import importacion, trabajos
from tests.conftest import aplicacion_en, cabeceras
from tests.test_openapi import diferencias

PROBLEMA = "application/problem+json"
RUTA = "/api/v1/importaciones/trabajos"
VIGIA = "hashtext('sigg.trabajo_importacion.vigia')"  # the watch lock (trabajos._VIGIA)
# Yacuiba (Chaco), well inside its municipality.
ENCABEZADO = "codigo,nombre,sector,modelo,financiamiento,familias,familias_mujeres,lat,lon"
LAGO = "-16.0,-69.2"  # Lake Titicaca: no municipality
TABLAS = ("alianza", "alianza_etapa", "organizacion", "auditoria", "trabajo_importacion")


def _fila(i: int, familias: str = "12", mujeres: str = "5", punto: str = "-22.015,-63.677") -> str:
    return f"TJ-{i:05d},Alianza de prueba {i},apicultura,1,adicional,{familias},{mujeres},{punto}"


def _csv(filas: list[str]) -> bytes:
    return ("\n".join([ENCABEZADO, *filas]) + "\n").encode()


def _buenas(n: int) -> list[str]:
    return [_fila(i) for i in range(n)]


# Rows 4 and 7 of the file (row 1 is the header): more women's families than families, and a
# point in the lake, with a value a spreadsheet would run as a formula.
CON_DOS_MALAS = _csv(
    [
        *_buenas(2),
        _fila(2, familias="10", mujeres="12"),
        *[_fila(i) for i in range(3, 5)],
        _fila(5, familias="=1+1", punto=LAGO),
        _fila(6),
    ]
)


def _cuantas(engine: Engine, tabla: str = "alianza") -> int:
    with engine.connect() as c:
        return int(c.execute(text(f"SELECT count(*) FROM {tabla}")).scalar_one())  # noqa: S608


@pytest.fixture
def limpio(engine: Engine) -> Iterator[None]:
    """The registry and the jobs empty before (as every rolled-back test leaves them) and
    emptied after: the jobs commit. Set up before the test's connection and torn down after it
    closes, so the truncation waits for nobody."""
    assert [_cuantas(engine, t) for t in TABLAS] == [0] * len(TABLAS)
    yield
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {', '.join(TABLAS)} CASCADE"))


@pytest.fixture
def app(limpio: None, engine: Engine, conn: Connection, settings: Settings) -> Any:
    return aplicacion_en(engine, conn, settings)


@pytest.fixture
def en_hilo(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Jobs run by the server's worker thread itself, not in a process of their own: for the
    tests that patch the job's code (a patch does not reach another process)."""
    monkeypatch.setattr(settings, "importacion_aparte", False)


@pytest.fixture
def como(app: Any, settings: Settings) -> Iterator[Callable[[str, str | None], TestClient]]:
    """``como("tecnico", "CHACO")``: a client of that user. The first one runs the app's
    lifespan (its import worker, shut down at the end, waiting for a running job)."""
    clientes: list[TestClient] = []

    def cliente(rol: str, unidad: str | None = None) -> TestClient:
        c = TestClient(app, headers=cabeceras(settings, rol, unidad))
        if not clientes:
            c.__enter__()
        clientes.append(c)
        return c

    yield cliente
    clientes[0].__exit__(None, None, None)


def _enviar(c: TestClient, datos: bytes, nombre: str = "alianzas.csv", **form: str) -> Any:
    return c.post(RUTA, files={"archivo": (nombre, datos)}, data={"programa": "PAR2", **form})


def _esperar(
    c: TestClient, ruta: str, vistos: list[str] | None = None, limite_s: float = 120
) -> dict[str, Any]:
    """Poll the job until it ends; ``vistos`` collects the states seen on the way."""
    fin = time.monotonic() + limite_s
    while time.monotonic() < fin:
        r = c.get(ruta)
        assert r.status_code == 200, r.text
        trabajo: dict[str, Any] = r.json()
        if vistos is not None and (not vistos or vistos[-1] != trabajo["estado"]):
            vistos.append(trabajo["estado"])
        if trabajo["estado"] not in trabajos.PENDIENTES:
            return trabajo
        time.sleep(0.02)
    raise AssertionError(f"el trabajo {ruta} no terminó en {limite_s} s")


def _anotar_avance(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int, int]]:
    """Every progress report a job writes, as (step, rows done, total), in a list."""
    avance: list[tuple[int, int, int]] = []
    escribir = trabajos._Avance._escribir

    def anotar(self: Any, paso: int, hechas: int) -> None:
        avance.append((paso, hechas, self.total))
        escribir(self, paso, hechas)

    monkeypatch.setattr(trabajos._Avance, "_escribir", anotar)
    return avance


def test_a_job_is_queued_at_once_and_imports_with_its_progress_reaching_every_row(
    como, en_hilo, engine, monkeypatch
):
    avance = _anotar_avance(monkeypatch)
    monkeypatch.setattr(trabajos, "INTERVALO_S", 0)  # every report is written
    c = como("tecnico", "CHACO")

    r = _enviar(c, _csv(_buenas(2500)))

    assert r.status_code == 202, r.text
    creado = r.json()
    assert r.headers["location"] == f"{RUTA}/{creado['id']}"
    assert (creado["estado"], creado["usuario"], creado["simulacro"]) == (
        "en_cola",
        "tecnico.chaco",
        False,
    )
    assert diferencias(TrabajoImportacion, creado) == []
    vistos: list[str] = []
    hecho = _esperar(c, r.headers["location"], vistos)
    assert vistos[-1] == "terminado" and set(vistos) <= {"en_cola", "en_curso", "terminado"}
    assert (hecho["paso"], hecho["hechas"], hecho["total"], hecho["porcentaje"]) == (
        2,
        2500,
        2500,
        100,
    )
    informe = hecho["informe"]
    assert (informe["insertadas"], informe["escrito"], informe["errores"]) == (2500, True, [])
    assert diferencias(TrabajoImportacion, hecho) == []
    assert _cuantas(engine) == 2500
    # Every step was reported, in order, each counting up to the file's rows.
    assert [p for p, _, _ in avance] == sorted(p for p, _, _ in avance)
    assert {p for p, _, _ in avance} == {0, 1, 2}
    for paso in (1, 2):
        cuentas = [h for p, h, _ in avance if p == paso]
        assert cuentas == sorted(cuentas) and cuentas[-1] == 2500, (paso, cuentas)
    assert 0 < [h for p, h, _ in avance if p == 1][1] < 2500  # a report every 1,000 rows
    with engine.connect() as conn:
        assert (
            conn.execute(
                text("SELECT contenido FROM trabajo_importacion WHERE id = :i"), {"i": creado["id"]}
            ).scalar()
            is None
        )  # the file is not kept once the job is done


def test_a_file_with_two_bad_rows_gets_exactly_those_two_rows_and_writes_nothing(como, engine):
    c = como("tecnico", "CHACO")

    hecho = _esperar(c, _enviar(c, CON_DOS_MALAS).headers["location"])

    assert hecho["estado"] == "con_errores"
    errores = hecho["informe"]["errores"]
    assert sorted({e["fila"] for e in errores}) == [4, 7]
    por_fila = {(e["fila"], e["columna"]): e for e in errores}
    assert por_fila[(4, "familias_mujeres")]["valor"] == "12"
    assert "no puede superar las familias (10)" in por_fila[(4, "familias_mujeres")]["mensaje"]
    assert por_fila[(7, "familias")]["valor"] == "=1+1"
    assert hecho["informe"]["escrito"] is False
    assert (_cuantas(engine), _cuantas(engine, "organizacion"), _cuantas(engine, "auditoria")) == (
        0,
        0,
        0,
    )
    # Fixed, the same file imports.
    arreglado = CON_DOS_MALAS.replace(b",10,12,", b",10,4,").replace(b"=1+1", b"9")
    arreglado = arreglado.replace(LAGO.encode(), b"-22.015,-63.677")
    hecho = _esperar(c, _enviar(c, arreglado).headers["location"])
    assert (hecho["estado"], hecho["informe"]["insertadas"]) == ("terminado", 7)
    assert _cuantas(engine) == 7


def test_a_job_that_fails_halfway_through_writing_leaves_nothing_written(
    como, en_hilo, engine, monkeypatch
):
    # The job breaks once the first 1,000 of its 2,500 rows are written (their alliances,
    # organization, stage history, audit trail and ledger movements are in the table).
    monkeypatch.setattr(importacion, "BLOQUE", 1000)
    contar = trabajos._Avance.filas
    cortes: list[int] = []

    def cortar(self: Any, hechas: int, total: int) -> None:
        if self.actual == 2 and 0 < hechas < self.total:
            cortes.append(hechas)
            raise RuntimeError("corte a mitad de la escritura")
        contar(self, hechas, total)

    monkeypatch.setattr(trabajos._Avance, "filas", cortar)
    c = como("nacional")

    filas = [f"{f},OPP {i % 3},500,250" for i, f in enumerate(_buenas(2500))]
    datos = _csv(filas).replace(
        ENCABEZADO.encode(),
        f"{ENCABEZADO},organizacion,monto_par_comprometido_bs,monto_transferido_bs".encode(),
    )
    hecho = _esperar(c, _enviar(c, datos).headers["location"])

    assert cortes == [1000]
    assert (hecho["estado"], hecho["mensaje"], hecho["informe"]) == (
        "fallido",
        trabajos.ERROR_INTERNO,
        None,
    )
    tablas = ("alianza", "alianza_etapa", "organizacion", "auditoria", "movimiento")
    assert [_cuantas(engine, t) for t in tablas] == [0] * len(tablas)


def test_the_error_table_downloads_as_a_csv_a_spreadsheet_opens_safely(como):
    """Semicolons and a BOM, as a Spanish-language Excel reads them; no formula runs."""
    c = como("tecnico", "CHACO")
    ruta = _enviar(c, CON_DOS_MALAS).headers["location"]
    errores = _esperar(c, ruta)["informe"]["errores"]

    r = c.get(f"{ruta}/errores.csv")

    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.content.startswith(b"\xef\xbb\xbf")  # Excel reads the accents as UTF-8
    filas = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert filas[0] == ["fila", "columna", "valor", "motivo", "codigo"]
    assert len(filas) == 1 + len(errores)
    assert {f[0] for f in filas[1:]} == {"4", "7"}
    [formula] = [f for f in filas[1:] if f[1] == "familias"]
    assert formula[2] == "'=1+1"  # neutralised: the spreadsheet shows it, never runs it
    [mujeres] = [f for f in filas[1:] if f[1] == "familias_mujeres"]
    assert mujeres[3].startswith("familias representadas por mujeres (12)")


def test_a_dry_run_job_reports_what_would_happen_and_writes_nothing(como, engine):
    c = como("unidad", "CHACO")

    hecho = _esperar(c, _enviar(c, _csv(_buenas(30)), simulacro="true").headers["location"])

    assert (hecho["estado"], hecho["simulacro"]) == ("terminado", True)
    informe = hecho["informe"]
    assert (informe["insertadas"], informe["escrito"], informe["errores"]) == (30, False, [])
    assert (_cuantas(engine), _cuantas(engine, "auditoria")) == (0, 0)


def test_nobody_else_reads_a_users_job_but_national_coordination(como):
    duena = como("tecnico", "CHACO")
    ruta = _enviar(duena, _csv(_buenas(3)), simulacro="true").headers["location"]
    _esperar(duena, ruta)

    for rol, unidad in (("tecnico", "TJA"), ("unidad", "CHACO")):
        otro = como(rol, unidad)
        for pedido in (ruta, f"{ruta}/errores.csv"):
            r = otro.get(pedido)
            assert r.status_code == 404, (rol, unidad, pedido)
            assert r.headers["content-type"] == PROBLEMA
        assert otro.get(RUTA).json() == {"data": [], "count": 0}
    assert como("nacional").get(ruta).status_code == 200
    lista = duena.get(RUTA).json()
    assert [t["archivo"] for t in lista["data"]] == ["alianzas.csv"]
    assert (lista["data"][0]["errores"], lista["count"]) == (0, 1)
    assert diferencias(ListaTrabajos, lista) == []
    assert TestClient(duena.app).get(ruta).status_code == 401  # the public


def test_one_pending_job_per_user_and_a_format_refused_at_once(como, engine):
    c = como("tecnico", "CHACO")
    with engine.begin() as conn:  # queued, not handed to the worker: it stays pending
        pendiente = trabajos.crear(
            conn,
            Alcance("tecnico.chaco", "tecnico", "CHACO"),
            "PAR2",
            "a.csv",
            b"x",
            simulacro=True,
        )

    r = _enviar(c, _csv(_buenas(3)))
    assert r.status_code == 409 and r.headers["content-type"] == PROBLEMA
    assert r.json()["trabajo"] == pendiente
    assert f"trabajo {pendiente}" in r.json()["detail"]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM trabajo_importacion"))
    r = _enviar(c, b"%PDF-1.4", "alianzas.pdf")
    assert r.status_code == 422 and "formato no soportado" in r.json()["detail"]
    r = _enviar(c, b"", "alianzas.csv", programa="NOEXISTE")
    assert r.status_code == 404 and r.json()["campo"] == "programa"


def test_an_unreadable_file_fails_with_the_reason(como):
    c = como("tecnico", "CHACO")

    hecho = _esperar(c, _enviar(c, ENCABEZADO.encode() + b"\n").headers["location"])

    assert (hecho["estado"], hecho["informe"]) == ("fallido", None)
    assert "no tiene filas de datos" in hecho["mensaje"]


def test_a_job_left_running_by_a_dead_process_is_marked_failed(como, engine):
    c = como("tecnico", "CHACO")
    with engine.begin() as conn:
        ids = [
            trabajos.crear(
                conn, Alcance(u, "tecnico", "CHACO"), "PAR2", "a.csv", b"x", simulacro=False
            )
            for u in ("tecnico.chaco", "otro.tecnico")
        ]
        # As a process that died mid-import leaves them: running, and nobody holds their lock.
        conn.execute(text("UPDATE trabajo_importacion SET estado = 'en_curso'"))

    leido = c.get(f"{RUTA}/{ids[0]}").json()  # reading it finds out
    assert (leido["estado"], leido["mensaje"]) == ("fallido", trabajos.INTERRUMPIDO)
    c.app.state.trabajos.recuperar()  # as a new process does when it starts
    with engine.connect() as conn:
        estados = conn.execute(
            text("SELECT estado, contenido FROM trabajo_importacion ORDER BY id")
        ).all()
    assert estados == [("fallido", None), ("fallido", None)]


def test_a_job_takes_a_file_past_the_direct_imports_row_limit_with_its_progress(
    como, en_hilo, engine, monkeypatch
):
    avance = _anotar_avance(monkeypatch)
    c = como("nacional")
    filas = MAX_FILAS + 1
    datos = _csv([_fila(i) for i in range(filas)])
    assert (
        "más de 100.000 filas"
        in c.post(
            "/api/v1/importaciones", files={"archivo": ("a.csv", datos)}, data={"programa": "PAR2"}
        ).json()["detail"]
    )  # the direct import keeps its limit

    r = _enviar(c, datos)
    hecho = _esperar(c, r.headers["location"], limite_s=900)

    assert (hecho["estado"], hecho["hechas"], hecho["total"]) == ("terminado", filas, filas)
    assert (hecho["informe"]["filas"], hecho["informe"]["insertadas"]) == (filas, filas)
    assert _cuantas(engine) == filas
    for paso in (1, 2):  # each step ends at the file's rows
        assert [(h, t) for p, h, t in avance if p == paso][-1] == (filas, filas), paso
    # While the first pass counts, the total is its estimate from the bytes read.
    contando = [(h, t) for p, h, t in avance if p == 1 and 0 < h < filas]
    assert contando and all(h <= t for h, t in contando)
    carpeta = trabajos.carpeta(c.app.state.trabajos.directorio, engine)
    assert not (carpeta / str(hecho["id"])).exists()  # the file is gone with the job


def test_a_job_upload_past_its_own_limit_is_a_413_naming_it(como, settings, monkeypatch):
    monkeypatch.setattr(settings, "importacion_max_mb", 1)
    c = como("tecnico", "CHACO")
    carpeta = trabajos.carpeta(c.app.state.trabajos.directorio, c.app.state.engine)
    antes = set(carpeta.iterdir()) if carpeta.is_dir() else set()

    r = _enviar(c, _csv(_buenas(20_000)))  # about 1.4 MB

    assert r.status_code == 413 and r.headers["content-type"] == PROBLEMA
    assert "el límite es 1 MB" in r.json()["detail"]
    assert c.get(RUTA).json()["count"] == 0
    assert set(carpeta.iterdir()) == antes  # nothing of it kept


def _paginas(engine: Engine) -> int:
    """The bytes of the alliances' table on disk: rows written and rolled back still fill them
    until a vacuum."""
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_relation_size('alianza')")).scalar_one())


def _en_curso(c: TestClient, ruta: str, paso: int) -> dict[str, Any]:
    """Poll the job until it is running step ``paso`` (or a later one) with rows done."""
    fin = time.monotonic() + 120
    while time.monotonic() < fin:
        trabajo: dict[str, Any] = c.get(ruta).json()
        if trabajo["estado"] == "en_curso" and trabajo["paso"] >= paso and trabajo["hechas"]:
            return trabajo
        assert trabajo["estado"] in trabajos.PENDIENTES, trabajo
        time.sleep(0.01)
    raise AssertionError(f"el trabajo {ruta} no llegó al paso {paso}")


def test_a_reader_leaves_a_dead_process_job_to_the_thread_watching_it(como, engine):
    """The job's process is gone (nobody holds the job's lock) but the server thread that
    watched it has not marked it yet (it holds the watch lock): a reader must not mark it
    with a stopped server's message, or the person never learns the cause the thread knows.
    Once no thread watches (the server died too), the reader marks it as before."""
    assert VIGIA == trabajos._VIGIA
    c = como("tecnico", "CHACO")
    persona = Alcance("tecnico.chaco", "tecnico", "CHACO")
    en_curso = text(
        "UPDATE trabajo_importacion SET estado = 'en_curso', mensaje = NULL, "
        "terminado_en = NULL WHERE id = :i"
    )
    with engine.begin() as conn:
        i = trabajos.crear(conn, persona, "PAR2", "a.csv", b"x", simulacro=False)
        conn.execute(en_curso, {"i": i})
    llave = {"i": i}
    with engine.connect() as vigia:
        vigia.execution_options(isolation_level="AUTOCOMMIT")
        vigia.execute(text(f"SELECT pg_advisory_lock({VIGIA}, :i)"), llave)
        leido = c.get(f"{RUTA}/{i}").json()
        assert (leido["estado"], leido["mensaje"]) == ("en_curso", None)
        with engine.begin() as conn:  # the watching thread marks it, with the cause
            marcado = trabajos.marcar_interrumpidos(conn, i, "la causa", vigia=True)
        assert marcado == [i]
        vigia.execute(text(f"SELECT pg_advisory_unlock({VIGIA}, :i)"), llave)
    assert c.get(f"{RUTA}/{i}").json()["mensaje"] == "la causa"

    with engine.begin() as conn:  # nobody watches: the reader finds out, as before
        conn.execute(en_curso, {"i": i})
    leido = c.get(f"{RUTA}/{i}").json()
    assert (leido["estado"], leido["mensaje"]) == ("fallido", trabajos.INTERRUMPIDO)


def test_a_job_runs_in_a_process_of_its_own_at_a_lower_priority(como, engine):
    c = como("tecnico", "CHACO")
    r = _enviar(c, _csv(_buenas(2500)))
    creado = r.json()

    procesos = c.app.state.trabajos.procesos
    fin = time.monotonic() + 30
    while creado["id"] not in procesos and time.monotonic() < fin:
        time.sleep(0.005)
    proceso = procesos[creado["id"]]
    # It lowers its priority as it starts, before it loads its libraries.
    while os.getpriority(os.PRIO_PROCESS, proceso.pid) != 10 and time.monotonic() < fin:
        time.sleep(0.005)
    assert proceso.pid != os.getpid()
    assert os.getpriority(os.PRIO_PROCESS, proceso.pid) == 10
    assert os.getpriority(os.PRIO_PROCESS, 0) == 0  # the server's own priority is untouched
    hecho = _esperar(c, r.headers["location"])

    assert (hecho["estado"], hecho["informe"]["insertadas"]) == ("terminado", 2500)
    assert _cuantas(engine) == 2500
    assert proceso.wait(timeout=10) == 0  # it ends once the job is committed


def test_a_job_whose_process_is_killed_mid_write_fails_at_once_and_writes_nothing(como, engine):
    c = como("tecnico", "CHACO")
    antes = _paginas(engine)
    # Enough rows that the last step reports its progress before it ends (every 0.5 s): it has
    # then written its first block (10,000 rows), and is on the second.
    r = _enviar(c, _csv(_buenas(15_000)))
    ruta = r.headers["location"]

    escribiendo = _en_curso(c, ruta, 2)  # the alliances are being written
    c.app.state.trabajos.procesos[r.json()["id"]].send_signal(signal.SIGKILL)  # as the OOM killer
    hecho = _esperar(c, ruta, limite_s=10)  # well before any restart

    assert escribiendo["paso"] == 2 and 0 < escribiendo["hechas"] < 15_000
    assert _paginas(engine) > antes  # rows had entered the table (their pages stay, dead)
    assert (hecho["estado"], hecho["informe"]) == ("fallido", None)
    assert hecho["mensaje"] == trabajos._caida(-signal.SIGKILL)
    assert "quizá por falta de memoria" in hecho["mensaje"]
    assert "no se escribió nada" in hecho["mensaje"]
    tablas = ("alianza", "alianza_etapa", "organizacion", "auditoria")
    assert [_cuantas(engine, t) for t in tablas] == [0] * len(tablas)
    carpeta = trabajos.carpeta(c.app.state.trabajos.directorio, engine)
    assert not (carpeta / str(hecho["id"])).exists()  # its file went with it
    # The server goes on: the same user may send the file again, and it imports.
    otra = _esperar(c, _enviar(c, _csv(_buenas(10))).headers["location"])
    assert (otra["estado"], otra["informe"]["insertadas"]) == ("terminado", 10)


def test_a_job_whose_process_cannot_start_fails_at_once_saying_so(como, engine, monkeypatch):
    def sin_procesos(*args: Any, **kwargs: Any) -> Any:
        raise OSError(11, "Resource temporarily unavailable")  # as at the process limit

    monkeypatch.setattr(trabajos.subprocess, "Popen", sin_procesos)
    c = como("tecnico", "CHACO")

    hecho = _esperar(c, _enviar(c, _csv(_buenas(10))).headers["location"], limite_s=10)

    assert (hecho["estado"], hecho["mensaje"]) == ("fallido", trabajos.ERROR_INTERNO)
    assert _cuantas(engine) == 0
    assert c.app.state.trabajos.procesos == {}
