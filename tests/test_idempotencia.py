"""Idempotency-Key on the write routes (issue 15, the phones' offline queue): one test per
outcome. The first request is performed and its answer kept under the key in the same
transaction; a retry gets that answer again (same status, body and ETag, marked replayed)
without writing; the key with another request is a 422, a malformed key a 400, a key still in
flight a 409; a request that did not commit leaves no key, so its retry is performed once; and
a replay is its own answer, never a 412 for the change someone made since."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from api.main import create_app
from geo.plataforma.config import Settings
from geo.plataforma.idempotencia import DIAS
from geo.registro import casos
from tests.conftest import cabeceras
from tests.test_adjuntos import PDF, png
from tests.test_registro_alianzas import alianza

RUTA = "/api/v1/alianzas"
CLAVE = "8e03978e-40d5-43e8-bc93-6894a57f9324"
REPETIDA = "idempotency-replayed"


def con_clave(clave: str = CLAVE, **otras: str) -> dict[str, str]:
    """The header as the draft writes it: an RFC 8941 String."""
    return {"Idempotency-Key": f'"{clave}"', **otras}


def _claves(conn: Connection) -> list[tuple[Any, ...]]:
    filas = conn.execute(
        text("SELECT usuario, clave, metodo, ruta, status FROM operacion_idempotente ORDER BY 1")
    )
    return [tuple(f) for f in filas]


def _cuantas(conn: Connection, codigo: str) -> int:
    consulta = text("SELECT count(*) FROM alianza WHERE codigo = :c")
    return int(conn.execute(consulta, {"c": codigo}).scalar_one())


@pytest.fixture
def chaco(como) -> TestClient:
    return como("unidad", "CHACO")


def test_the_first_request_is_performed_and_its_answer_kept_under_the_key(chaco, conn):
    r = chaco.post(RUTA, json=alianza(codigo="IDEM-1"), headers=con_clave())
    assert r.status_code == 201, r.text
    assert REPETIDA not in r.headers
    assert _cuantas(conn, "IDEM-1") == 1
    assert _claves(conn) == [("unidad.chaco", CLAVE, "POST", RUTA, 201)]
    cuerpo, etag = conn.execute(
        text("SELECT cuerpo, cabeceras ->> 'etag' FROM operacion_idempotente")
    ).one()
    assert (cuerpo, etag) == (r.json(), '"1"')


def test_a_retry_with_the_same_key_and_request_gets_the_same_answer_and_writes_nothing(chaco, conn):
    cuerpo = alianza(codigo="IDEM-2")
    primero = chaco.post(RUTA, json=cuerpo, headers=con_clave())
    assert primero.status_code == 201, primero.text
    # The phone may re-encode the same request: other key order and spacing, the key unquoted.
    otra_forma = json.dumps(dict(reversed(cuerpo.items())), indent=2)
    otra = chaco.post(
        RUTA,
        content=otra_forma,
        headers={"Idempotency-Key": CLAVE, "Content-Type": "application/json"},
    )
    assert otra.status_code == 201, otra.text
    assert otra.content == primero.content  # byte for byte: the same id, version and order
    assert otra.headers["etag"] == primero.headers["etag"] == '"1"'
    assert otra.headers[REPETIDA] == "true"
    assert otra.headers["content-type"] == "application/json"
    assert _cuantas(conn, "IDEM-2") == 1
    assert len(_claves(conn)) == 1


def test_the_same_key_with_another_request_is_refused_422_naming_the_header(chaco, conn):
    primero = chaco.post(RUTA, json=alianza(codigo="IDEM-3"), headers=con_clave())
    assert primero.status_code == 201, primero.text
    r = chaco.post(RUTA, json=alianza(codigo="IDEM-3", familias=21), headers=con_clave())
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    p = r.json()
    assert (p["type"], p["campo"]) == (
        "urn:sigg:problema:idempotencia-clave-reutilizada",
        "Idempotency-Key",
    )
    assert f"{CLAVE} ya se usó para otra solicitud (POST {RUTA}" in p["detail"]
    # Another route is another request too.
    otra = chaco.post("/api/v1/organizaciones", json={"nombre": "OPP Chaco"}, headers=con_clave())
    assert otra.status_code == 422 and otra.json()["campo"] == "Idempotency-Key"
    assert chaco.get(f"{RUTA}/{primero.json()['id']}").json()["familias"] == 20
    assert _cuantas(conn, "IDEM-3") == 1


def test_another_user_with_the_same_key_string_is_another_operation(chaco, client, conn):
    suya = chaco.post(RUTA, json=alianza(codigo="IDEM-4A"), headers=con_clave())
    otra = client.post(RUTA, json=alianza(codigo="IDEM-4B"), headers=con_clave())
    assert (suya.status_code, otra.status_code) == (201, 201), otra.text
    assert REPETIDA not in otra.headers
    assert otra.json()["codigo"] == "IDEM-4B" and otra.json()["id"] != suya.json()["id"]
    assert [(u, c) for u, c, *_ in _claves(conn)] == [
        ("nacional.bo", CLAVE),
        ("unidad.chaco", CLAVE),
    ]


def test_a_refused_request_leaves_no_key_and_its_corrected_retry_is_performed(chaco, conn):
    mala = chaco.post(RUTA, json=alianza(codigo="IDEM-5", familias_mujeres=30), headers=con_clave())
    assert mala.status_code == 422
    assert mala.json()["errores"][0]["campo"] == "familias_mujeres"
    assert _claves(conn) == []
    buena = chaco.post(RUTA, json=alianza(codigo="IDEM-5"), headers=con_clave())
    assert buena.status_code == 201, buena.text
    assert REPETIDA not in buena.headers
    assert _cuantas(conn, "IDEM-5") == 1
    assert [c for _, c, *_ in _claves(conn)] == [CLAVE]


def test_a_request_cut_before_its_commit_leaves_neither_record_nor_key(chaco, conn, monkeypatch):
    hasta_el_corte: list[tuple[int, int]] = []
    confirmar = Session.commit

    def cortar(self: Session) -> None:
        # Both rows are written in the transaction when the connection drops.
        c = self.connection()
        claves = c.execute(text("SELECT count(*) FROM operacion_idempotente")).scalar_one()
        hasta_el_corte.append((_cuantas(c, "IDEM-6"), claves))
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Session, "commit", cortar)
    cortada = chaco.post(RUTA, json=alianza(codigo="IDEM-6"), headers=con_clave())
    assert cortada.status_code == 503
    assert hasta_el_corte == [(1, 1)]
    assert (_cuantas(conn, "IDEM-6"), _claves(conn)) == (0, [])

    monkeypatch.setattr(Session, "commit", confirmar)
    reintento = chaco.post(RUTA, json=alianza(codigo="IDEM-6"), headers=con_clave())
    assert reintento.status_code == 201, reintento.text
    assert REPETIDA not in reintento.headers  # performed now, not replayed
    otra_vez = chaco.post(RUTA, json=alianza(codigo="IDEM-6"), headers=con_clave())
    assert otra_vez.headers[REPETIDA] == "true" and otra_vez.json() == reintento.json()
    assert _cuantas(conn, "IDEM-6") == 1


def test_a_patch_replayed_after_someone_elses_change_gets_its_own_answer_not_412(
    chaco, client, conn
):
    url = f"{RUTA}/{chaco.post(RUTA, json=alianza(codigo='IDEM-7')).json()['id']}"
    cambio = con_clave(**{"If-Match": '"1"'})
    mio = chaco.patch(url, json={"familias": 25}, headers=cambio)
    assert mio.status_code == 200 and mio.headers["etag"] == '"2"', mio.text
    otro = client.patch(url, json={"familias": 30}, headers={"If-Match": '"2"'})
    assert otro.status_code == 200 and otro.headers["etag"] == '"3"', otro.text

    repetido = chaco.patch(url, json={"familias": 25}, headers=cambio)
    assert repetido.status_code == 200, repetido.text
    assert repetido.headers[REPETIDA] == "true"
    assert (repetido.headers["etag"], repetido.json()["familias"]) == ('"2"', 25)
    # Nothing was overwritten, and a new operation on the stale version is still a conflict.
    actual = chaco.get(url)
    assert (actual.headers["etag"], actual.json()["familias"]) == ('"3"', 30)
    nuevo = chaco.patch(
        url, json={"familias": 25}, headers=con_clave("otra-clave", **{"If-Match": '"1"'})
    )
    assert nuevo.status_code == 412 and REPETIDA not in nuevo.headers


def test_a_verification_replayed_moves_the_record_once(chaco, conn):
    aid = chaco.post(RUTA, json=alianza(codigo="IDEM-8")).json()["id"]
    url = f"{RUTA}/{aid}/verificacion"
    paso = {"accion": "verificar", "comentario": "visita de campo"}
    primero = chaco.post(url, json=paso, headers=con_clave(**{"If-Match": '"1"'}))
    assert primero.status_code == 200, primero.text
    assert (primero.json()["estado"], primero.headers["etag"]) == ("verificado", '"2"')
    repetido = chaco.post(url, json=paso, headers=con_clave(**{"If-Match": '"1"'}))
    assert repetido.status_code == 200, repetido.text
    assert repetido.headers[REPETIDA] == "true" and repetido.content == primero.content
    assert chaco.get(url).json()["count"] == 1  # one step in the history
    assert chaco.get(f"{RUTA}/{aid}").headers["etag"] == '"2"'


def test_an_attachment_replayed_is_stored_once_and_another_file_is_refused(chaco, conn):
    aid = chaco.post(RUTA, json=alianza(codigo="IDEM-9")).json()["id"]
    url = f"{RUTA}/{aid}/adjuntos"
    archivo = {"archivo": ("acta.pdf", PDF, "application/pdf")}
    primero = chaco.post(url, files=archivo, headers=con_clave())
    assert primero.status_code == 201, primero.text
    assert primero.json()["tipo"] == "application/pdf"
    repetido = chaco.post(url, files=archivo, headers=con_clave())  # another multipart boundary
    assert repetido.status_code == 201, repetido.text
    assert repetido.headers[REPETIDA] == "true"
    assert repetido.json() == primero.json()
    assert chaco.get(url).json()["count"] == 1
    otro = chaco.post(url, files={"archivo": ("acta.pdf", png(), "image/png")}, headers=con_clave())
    assert otro.status_code == 422 and otro.json()["campo"] == "Idempotency-Key"
    cuantos = conn.execute(text("SELECT count(*) FROM adjunto WHERE registro_id = :i"), {"i": aid})
    assert cuantos.scalar_one() == 1


@pytest.mark.parametrize(
    "cabecera",
    [
        [("Idempotency-Key", "")],
        [("Idempotency-Key", '""')],
        [("Idempotency-Key", "con espacios")],
        [("Idempotency-Key", "x" * 101)],
        [("Idempotency-Key", "a/b")],
        [("Idempotency-Key", "una"), ("Idempotency-Key", "otra")],
    ],
    ids=["vacia", "cadena-vacia", "espacios", "larga", "barra", "dos"],
)
def test_a_malformed_key_is_refused_400_and_nothing_is_written(chaco, conn, cabecera):
    r = chaco.post(RUTA, json=alianza(codigo="IDEM-10"), headers=cabecera)
    assert r.status_code == 400, r.text
    assert (r.json()["type"], r.json()["campo"]) == (
        "urn:sigg:problema:parametro-invalido",
        "Idempotency-Key",
    )
    assert (_cuantas(conn, "IDEM-10"), _claves(conn)) == (0, [])


def test_without_the_header_a_route_behaves_as_it_always_did(chaco, conn):
    primero = chaco.post(RUTA, json=alianza(codigo="IDEM-11"))
    segundo = chaco.post(RUTA, json=alianza(codigo="IDEM-11"))
    assert (primero.status_code, segundo.status_code) == (201, 409)
    assert REPETIDA not in primero.headers
    assert segundo.json()["type"] == "urn:sigg:problema:duplicado"
    assert _claves(conn) == []


def test_an_accounts_keys_past_the_retention_are_deleted_when_it_stores_a_new_one(chaco, conn):
    viejas = text(
        "INSERT INTO operacion_idempotente (usuario, clave, metodo, ruta, huella, status, "
        "creado_en) VALUES (:u, :c, 'POST', '/api/v1/alianzas', repeat('0', 64), 201, now() - :e)"
    )
    for usuario, clave, edad in (
        ("unidad.chaco", "vieja", DIAS + 1),
        ("unidad.chaco", "reciente", DIAS - 1),
        ("unidad.tja", "ajena", DIAS + 1),
    ):
        conn.execute(viejas, {"u": usuario, "c": clave, "e": timedelta(days=edad)})
    r = chaco.post(RUTA, json=alianza(codigo="IDEM-12"), headers=con_clave())
    assert r.status_code == 201, r.text
    assert [(u, c) for u, c, *_ in _claves(conn)] == [
        ("unidad.chaco", "reciente"),
        ("unidad.chaco", CLAVE),
        ("unidad.tja", "ajena"),  # another account's: deleted when it stores one
    ]


# The routes a phone's queue sends, each taking the header.
IDEMPOTENTES = {
    ("post", "/api/v1/alianzas"),
    ("patch", "/api/v1/alianzas/{alianza_id}"),
    ("post", "/api/v1/organizaciones"),
    ("patch", "/api/v1/organizaciones/{org_id}"),
    ("post", "/api/v1/alianzas/{alianza_id}/seguimientos"),
    ("patch", "/api/v1/alianzas/{alianza_id}/seguimientos/{ciclo}"),
    ("post", "/api/v1/subproyectos"),
    ("patch", "/api/v1/subproyectos/{sp_id}"),
    ("post", "/api/v1/{recurso}/{registro_id}/verificacion"),
    ("post", "/api/v1/alianzas/{alianza_id}/adjuntos"),
    ("post", "/api/v1/subproyectos/{sp_id}/adjuntos"),
    ("post", "/api/v1/reclamos/{reclamo_id}/adjuntos"),
    ("post", "/api/v1/alianzas/{alianza_id}/seguimientos/{ciclo}/adjuntos"),
    ("post", "/api/v1/alianzas/{registro_id}/movimientos"),
    ("post", "/api/v1/subproyectos/{registro_id}/movimientos"),
}


def test_the_write_routes_of_the_offline_queue_declare_the_optional_header(settings: Settings):
    documento = create_app(settings).openapi()
    con_cabecera = {
        (metodo, ruta): p
        for ruta, operaciones in documento["paths"].items()
        for metodo, operacion in operaciones.items()
        for p in operacion.get("parameters", [])
        if (p["in"], p["name"]) == ("header", "Idempotency-Key")
    }
    assert set(con_cabecera) == IDEMPOTENTES
    assert not any(p["required"] for p in con_cabecera.values())


# --- Two requests at once, on the real database: the routes commit, so this test cleans up ---

TABLAS = ("alianza", "alianza_etapa", "auditoria", "operacion_idempotente")


@pytest.fixture
def limpio(engine: Engine):
    """The tables empty before (as every rolled-back test leaves them) and emptied after."""
    with engine.connect() as c:
        cuentas = [c.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLAS]  # noqa: S608
    assert cuentas == [0] * len(TABLAS)
    yield
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {', '.join(TABLAS)} CASCADE"))


def test_a_duplicate_sent_while_the_first_runs_is_409_then_gets_the_first_answer(
    limpio, engine, settings, monkeypatch
):
    app = create_app(settings)
    app.state.engine = app.state.engine_lectura = engine
    escrita, seguir = threading.Event(), threading.Event()
    crear = casos.crear_alianza

    def lenta(*args: Any, **kwargs: Any) -> dict[str, Any]:
        d = crear(*args, **kwargs)
        escrita.set()  # written, not committed: the first request is in flight
        seguir.wait(30)
        return d

    monkeypatch.setattr(casos, "crear_alianza", lenta)
    h = cabeceras(settings, "unidad", "CHACO") | con_clave()
    cuerpo = alianza(codigo="IDEM-C")
    with ThreadPoolExecutor(1) as hilo:
        try:
            primero = hilo.submit(TestClient(app, headers=h).post, RUTA, json=cuerpo)
            assert escrita.wait(30)
            segundo = TestClient(app, headers=h).post(RUTA, json=cuerpo)
        finally:
            seguir.set()
        uno = primero.result(60)

    assert segundo.status_code == 409, segundo.text
    assert (segundo.json()["campo"], segundo.headers["retry-after"]) == ("Idempotency-Key", "1")
    assert uno.status_code == 201, uno.text
    tercero = TestClient(app, headers=h).post(RUTA, json=cuerpo)
    assert (tercero.status_code, tercero.headers[REPETIDA]) == (201, "true")
    assert tercero.content == uno.content
    with engine.connect() as c:
        assert (_cuantas(c, "IDEM-C"), len(_claves(c))) == (1, 1)
