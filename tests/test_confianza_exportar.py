"""Issue 13, holes 3 and 5: a download is complete or visibly broken, and its cells cannot run.

An export whose query fails before its first block is answered as a problem with the status of
the failure; one that fails after it is cut (no clean end of the chunked body), which a real
HTTP client sees as an incomplete read. The failures are real: a PostgreSQL backend terminated
while the API serves it from a real uvicorn process. Text that a spreadsheet would run as a
formula leaves every CSV quoted and every XLSX as a string cell."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Connection, Engine, text

from geo.formatos.celdas import para_csv, peligrosa
from geo.plataforma.config import PROJECT_ROOT, Settings
from tests.conftest import cliente_en

# The values of the issue, one per dangerous first character.
FORMULAS = [
    '=HYPERLINK("http://evil.example/x","clic")',
    "@SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "+1+1",
    "\t=1+1",
    "\r=1+1",
]
ALIANZAS_PAR2 = (
    "SELECT count(*) FROM alianza a JOIN programa p ON p.id = a.programa_id WHERE p.codigo = 'PAR2'"
)


@pytest.fixture(scope="module")
def servidor_estrecho(demo_engine: Engine) -> Iterator[str]:
    """The API under uvicorn, like conftest's ``servidor``, but on a listening socket with a
    small send buffer (its connections inherit it): a client that stops reading holds the
    export back within a block or two, so the database can fail while rows are still to come."""
    escucha = socket.socket()
    escucha.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    escucha.bind(("127.0.0.1", 0))
    escucha.listen(16)
    url = demo_engine.url.render_as_string(hide_password=False)
    proceso = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory"]
        + ["--fd", str(escucha.fileno()), "--log-level", "critical"],
        env=os.environ | {"SIGG_DATABASE_URL": url},
        cwd=PROJECT_ROOT,
        pass_fds=[escucha.fileno()],
    )
    base = f"http://127.0.0.1:{escucha.getsockname()[1]}"
    for _ in range(200):
        try:
            httpx.get(base + "/api/v1/health", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    yield base
    proceso.terminate()
    proceso.wait(timeout=10)
    escucha.close()


def _elementos(cuerpo: bytes, formato: str) -> int:
    texto = cuerpo.decode("utf-8", errors="replace")
    if formato == "csv":
        return texto.count("\n") - 1  # the header
    if formato == "geojsonl":
        return texto.count("\n")
    return texto.count('{"type" : "Feature"') + texto.count('{"type": "Feature"')


def _backend(engine: Engine, condicion: str) -> tuple[int, str]:
    """The one backend of the demo database (other than this one) that meets ``condicion``,
    waiting for it to appear. Each look in a transaction of its own: within one, PostgreSQL
    shows the same snapshot of pg_stat_activity."""
    for _ in range(200):
        with engine.connect() as c:
            filas = c.execute(
                text(
                    "SELECT pid, application_name FROM pg_stat_activity "  # noqa: S608
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    f"AND {condicion}"
                )
            ).all()
        if filas:
            assert len(filas) == 1, filas
            return int(filas[0].pid), str(filas[0].application_name)
        time.sleep(0.05)
    raise AssertionError(f"no backend with {condicion}")


def _terminar(engine: Engine, pid: int) -> None:
    with engine.connect() as c:
        assert c.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar() is True


@pytest.mark.parametrize("formato", ["csv", "geojson", "geojsonl"])
def test_a_database_lost_mid_stream_cuts_the_download_instead_of_ending_it(
    servidor_estrecho, demo_engine, formato
):
    with demo_engine.connect() as c:  # what the public may download
        total = c.execute(text(ALIANZAS_PAR2 + " AND a.estado = 'validado'")).scalar_one()
    # A small receive window too: the server cannot run ahead of what the client reads.
    transporte = httpx.HTTPTransport(socket_options=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)])
    with (
        httpx.Client(transport=transporte, timeout=60) as cliente,
        cliente.stream(
            "GET",
            f"{servidor_estrecho}/api/v1/exportar/alianzas",
            params={"formato": formato},
            headers={"Accept-Encoding": "identity"},
        ) as r,
    ):
        assert r.status_code == 200
        partes = r.iter_raw()
        recibido = next(partes)
        # Between two fetches of its cursor, the export's backend waits for the client.
        pid, nombre = _backend(demo_engine, "query LIKE 'FETCH %'")
        _terminar(demo_engine, pid)
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            for parte in partes:
                recibido += parte
    assert 0 < _elementos(recibido, formato) < total
    assert nombre == "sigg exportar alianzas"  # what an operator sees in pg_stat_activity


@pytest.mark.parametrize("formato", ["csv", "geojson", "geojsonl"])
def test_a_database_lost_before_the_first_block_is_a_503_problem_not_a_200(
    servidor_estrecho, demo_engine, formato
):
    """The export's query waits on a lock held here; its backend is terminated while it
    waits, so the database is gone before a single row was read."""
    with demo_engine.connect() as cerrojo, ThreadPoolExecutor(1) as hilo:
        cerrojo.execute(text("LOCK TABLE alianza IN ACCESS EXCLUSIVE MODE"))
        pedido = hilo.submit(
            httpx.get,
            f"{servidor_estrecho}/api/v1/exportar/alianzas",
            params={"formato": formato},
            timeout=60,
        )
        pid, _ = _backend(demo_engine, "wait_event_type = 'Lock'")
        _terminar(demo_engine, pid)
        cerrojo.rollback()
        r = pedido.result()
    assert r.status_code == 503
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "Base de datos no disponible"
    assert "content-disposition" not in r.headers  # no file was offered


def test_a_complete_export_says_how_many_features_it_holds_and_still_opens(demo_client, demo_conn):
    filtro = {"unidad_operativa_codigo": "CHACO"}
    esperado = demo_conn.execute(
        text(
            f"{ALIANZAS_PAR2} AND a.municipio_codigo IN (SELECT codigo FROM municipio "  # noqa: S608
            "WHERE unidad_operativa_codigo = 'CHACO')"
        )
    ).scalar_one()
    assert esperado > 100
    respuestas = {
        f: demo_client.get("/api/v1/exportar/alianzas", params={"formato": f, **filtro})
        for f in ("csv", "geojson", "geojsonl")
    }
    for formato, r in respuestas.items():
        assert r.headers["X-Total-Count"] == str(esperado), formato
    tabla = pd.read_csv(io.BytesIO(respuestas["csv"].content), encoding="utf-8-sig")
    assert len(tabla) == esperado and tabla["id"].dtype.kind == "i"
    fc = json.loads(respuestas["geojson"].content)
    assert fc["numberMatched"] == fc["numberReturned"] == len(fc["features"]) == esperado
    for formato in ("geojson", "geojsonl"):
        gdf = pyogrio.read_dataframe(io.BytesIO(respuestas[formato].content))
        assert len(gdf) == esperado, formato
        assert "numberMatched" not in gdf.columns


def test_the_rule_quotes_formula_text_and_leaves_numbers_alone():
    assert [para_csv(v) for v in FORMULAS] == ["'" + v for v in FORMULAS]
    assert [peligrosa(v) for v in (-5, -2.5, Decimal("-5"), "-5", "+3.5", "Potosí", "")] == [
        False
    ] * 7
    assert [para_csv(v) for v in (-5, "-5", "a=b", None)] == [-5, "-5", "a=b", None]


def _alianzas_con_formulas(conn: Connection) -> tuple[list[int], str]:
    """One alliance per formula, all of one municipality, renamed inside the test's
    transaction: reopened (a validated record is locked), renamed and validated again, so that
    the public sees them."""
    municipio, ids = conn.execute(
        text(
            "SELECT a.municipio_codigo, (array_agg(a.id ORDER BY a.id))[1:6] FROM alianza a "
            "JOIN programa p ON p.id = a.programa_id WHERE p.codigo = 'PAR2' "
            "GROUP BY 1 HAVING count(*) >= 6 ORDER BY 1 LIMIT 1"
        )
    ).one()
    conn.execute(text("UPDATE alianza SET estado = 'registrado' WHERE id = ANY(:i)"), {"i": ids})
    for ident, nombre in zip(ids, FORMULAS, strict=True):
        conn.execute(
            text("UPDATE alianza SET nombre = :n WHERE id = :i"), {"n": nombre, "i": ident}
        )
    conn.execute(text("UPDATE alianza SET estado = 'validado' WHERE id = ANY(:i)"), {"i": ids})
    return ids, municipio


@pytest.fixture
def publico(demo_engine: Engine, demo_conn: Connection, settings: Settings) -> Iterator[TestClient]:
    """The public (no token), on the demo, inside the test's transaction."""
    yield from cliente_en(demo_engine, demo_conn, settings, rol=None)


def test_formulas_in_record_names_are_quoted_in_the_public_csv_export(publico, demo_conn):
    ids, municipio = _alianzas_con_formulas(demo_conn)
    filtro = {"municipio": municipio}
    r = publico.get("/api/v1/exportar/alianzas", params={"formato": "csv", **filtro})
    filas = {f["id"]: f for f in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert [filas[str(i)]["nombre"] for i in ids] == ["'" + v for v in FORMULAS]
    for i in ids:  # coordinates in Bolivia: negative numbers, written as numbers
        assert filas[str(i)]["lon"].startswith("-6") and float(filas[str(i)]["lon"]) < -57
        assert filas[str(i)]["lat"].startswith("-") and float(filas[str(i)]["lat"]) < -9
    # Not a spreadsheet format: the GeoPackage keeps the names exactly.
    gpkg = publico.get("/api/v1/exportar/alianzas", params={"formato": "gpkg", **filtro})
    gdf = pyogrio.read_dataframe(io.BytesIO(gpkg.content))
    assert sorted(gdf[gdf["id"].isin(ids)]["nombre"]) == sorted(FORMULAS)


MANUALES = ["R3", "1.1", "1.3", "1.4", "3.1", "3.2"]  # PAR2 indicators entered by hand


def _marco_con_formulas(demo_client) -> None:
    """National coordination enters each formula as the source of a manual indicator, and an
    ordinary negative value for the first."""
    for codigo, fuente in zip(MANUALES, FORMULAS, strict=True):
        r = demo_client.post(
            f"/api/v1/indicadores/{codigo}/valores",
            json={"periodo": "2099", "valor": -5 if codigo == MANUALES[0] else 7, "fuente": fuente},
        )
        assert r.status_code == 204, r.text


def test_formulas_in_indicator_sources_are_quoted_in_the_report_csv(demo_client, publico):
    _marco_con_formulas(demo_client)
    r = publico.get("/api/v1/reportes/marco-de-resultados", params={"formato": "csv"})
    filas = {f["codigo"]: f for f in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert [filas[c]["fuente"] for c in MANUALES] == ["'" + v for v in FORMULAS]
    assert filas[MANUALES[0]]["valor"] == "-5"


def test_formulas_in_indicator_sources_are_string_cells_in_the_report_xlsx(demo_client, publico):
    _marco_con_formulas(demo_client)
    r = publico.get("/api/v1/reportes/marco-de-resultados", params={"formato": "xlsx"})
    hoja = load_workbook(io.BytesIO(r.content)).active
    columnas = [c.value for c in hoja[2]]
    filas = {f[0].value: f for f in hoja.iter_rows(min_row=3)}
    fuentes = [filas[c][columnas.index("fuente")] for c in MANUALES]
    # XML reads a bare carriage return as a line feed: "\r=1+1" comes back as "\n=1+1".
    assert [(c.value, c.data_type, c.quotePrefix) for c in fuentes] == [
        (v.replace("\r", "\n"), "s", True) for v in FORMULAS
    ]
    valor = filas[MANUALES[0]][columnas.index("valor")]
    assert (valor.value, valor.data_type) == (-5, "n")


def test_formulas_in_territory_names_are_quoted_in_the_map_csv(publico, demo_conn):
    codigos = (
        demo_conn.execute(text("SELECT codigo FROM municipio ORDER BY codigo LIMIT :n"), {"n": 6})
        .scalars()
        .all()
    )
    for codigo, nombre in zip(codigos, FORMULAS, strict=True):
        demo_conn.execute(
            text("UPDATE municipio SET nombre = :n WHERE codigo = :c"), {"n": nombre, "c": codigo}
        )
    r = publico.get(
        "/api/v1/mapa/descarga",
        params={"formato": "csv", "nivel": "municipio", "medida": "familias"},
    )
    filas = {f["codigo"]: f for f in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert [filas[c]["nombre"] for c in codigos] == ["'" + v for v in FORMULAS]
    familias = [filas[c]["familias"] for c in codigos]
    assert all(f == "" or f.isdigit() for f in familias) and any(familias)
