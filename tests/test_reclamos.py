"""Complaints (reclamos): filing by the public with its limits, tracking by code without personal
data, text kept exactly as typed, the unit scope of the staff's reading and answering, the
deadline and indicator 3.2.1, and the public page in a real browser."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from geo.acceso.alcance import Alcance, fijar

URL = "/api/v1/reclamos"
YACUIBA, CERCADO = "060301", "060101"  # units CHACO and TJA
CODIGO = re.compile(r"^R-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def reclamo(**cambios):
    base = {
        "municipio_codigo": YACUIBA,
        "asunto": "El pozo de la alianza no tiene agua",
        "descripcion": "Desde marzo el pozo está seco y nadie vino a revisarlo.",
        "nombre_contacto": "Juana Quispe",
        "contacto": "+591 71234567",
    }
    return {k: v for k, v in (base | cambios).items() if v is not None}


def presentar(cliente, **cambios):
    r = cliente.post(URL, json=reclamo(**cambios))
    assert r.status_code == 201, r.text
    return r.json()


def hoy(conn) -> date:
    return conn.execute(text("SELECT current_date")).scalar_one()


def fila(conn, codigo):
    return (
        conn.execute(text("SELECT * FROM reclamo WHERE codigo = :c"), {"c": codigo})
        .mappings()
        .one()
    )


def errores(r):
    return {e["campo"]: e["mensaje"] for e in r.json()["errores"]}


def test_public_filing_returns_a_code_and_stores_web_channel_and_today(publico, conn):
    r = publico.post(URL, json=reclamo())
    assert r.status_code == 201, r.text
    d = r.json()
    assert CODIGO.match(d["codigo"])
    assert (d["estado"], d["recibido"], d["plazo_dias"]) == ("recibido", str(hoy(conn)), 30)
    assert d["municipio"] == {"codigo": YACUIBA, "nombre": "Yacuiba"}
    assert "id" not in d and "contacto" not in d and "+591" not in r.text
    f = fila(conn, d["codigo"])
    assert (f["canal"], f["recibido"], f["estado"], f["cartografia"]) == (
        "web",
        hoy(conn),
        "recibido",
        "2012",
    )
    assert (f["nombre_contacto"], f["contacto"]) == ("Juana Quispe", "+591 71234567")
    autor = conn.execute(
        text("SELECT usuario FROM auditoria WHERE tabla = 'reclamo' ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert autor == "publico"


def test_codes_are_random_and_distinct(publico, como):
    nacional = como("nacional")
    codigos = {presentar(nacional, asunto=f"reclamo {i}")["codigo"] for i in range(20)}
    assert len(codigos) == 20 and all(CODIGO.match(c) for c in codigos)


def test_tracking_by_code_shows_state_and_answer_but_no_personal_data(publico, como, conn):
    d = presentar(publico)
    como("unidad", "CHACO").post(
        f"{URL}/{fila(conn, d['codigo'])['id']}/respuesta", json={"respuesta": "Se revisó."}
    )
    # As typed by a person: lower case, spaces for dashes, O for zero and L for one.
    escrito = d["codigo"].lower().replace("-", " ").replace("0", "o").replace("1", "l")
    r = publico.get(f"{URL}/seguimiento/{escrito}")
    assert r.status_code == 200, r.text
    s = r.json()
    assert set(s) == {
        "codigo", "estado", "estado_nombre", "recibido", "plazo_dias", "municipio", "asunto",
        "respuesta", "respondido",
    }  # fmt: skip
    assert (s["codigo"], s["estado"], s["respuesta"]) == (d["codigo"], "respondido", "Se revisó.")
    assert s["respondido"] == str(hoy(conn))
    for privado in ("Juana", "71234567", "pozo está seco", "unidad.chaco"):
        assert privado not in r.text
    assert r.headers["cache-control"] == "no-store"


def test_unknown_or_malformed_codes(publico):
    assert publico.get(f"{URL}/seguimiento/R-0000-0000-0000").status_code == 404
    r = publico.get(f"{URL}/seguimiento/R-1234")
    assert r.status_code == 422 and "R-XXXX-XXXX-XXXX" in r.json()["detail"]


def test_over_long_fields_are_refused_naming_the_field(publico, conn):
    r = publico.post(URL, json=reclamo(asunto="a" * 201, descripcion="d" * 4001))
    assert r.status_code == 422
    assert errores(r) == {
        "asunto": "tiene 201 caracteres; el máximo es 200",
        "descripcion": "tiene 4001 caracteres; el máximo es 4000",
    }
    assert "a" * 201 not in r.text  # the text is not echoed back
    r = publico.post(URL, json=reclamo(contacto="9" * 201, otro="x"))
    assert errores(r) == {
        "contacto": "tiene 201 caracteres; el máximo es 200",
        "otro": "campo desconocido",
    }
    assert conn.execute(text("SELECT count(*) FROM reclamo")).scalar_one() == 0
    assert presentar(publico, asunto="a" * 200, descripcion="d" * 4000)["asunto"] == "a" * 200


def test_missing_or_blank_fields_are_refused_in_spanish(publico):
    r = publico.post(URL, json=reclamo(asunto="  \n\t ", descripcion=None))
    assert r.status_code == 422
    assert errores(r) == {"descripcion": "es obligatorio"}
    r = publico.post(URL, json=reclamo(asunto="  \n\t "))
    assert errores(r) == {"asunto": "el asunto es obligatorio"}
    r = publico.post(URL, json=reclamo(municipio_codigo=None))
    assert r.status_code == 422 and "indique el municipio" in r.json()["detail"]
    r = publico.post(URL, json=reclamo(municipio_codigo="069999"))
    assert r.status_code == 422 and r.json()["campo"] == "municipio_codigo"


def test_a_body_over_16_kb_gets_413_before_it_is_parsed(publico, conn):
    # Not even JSON: refused by its size (413), not by its syntax (422).
    r = publico.post(URL, content=b"x" * (16 * 1024 + 1), headers={"content-type": "text/plain"})
    assert r.status_code == 413 and "16384 bytes" in r.json()["detail"]

    def trozos() -> Iterator[bytes]:  # chunked: no Content-Length to go by
        yield b'{"asunto": "'
        for _ in range(20):
            yield b"x" * 1024

    r = publico.post(URL, content=trozos(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    falso = publico.post(
        URL, content=json.dumps(reclamo()).encode(), headers={"content-length": "999999"}
    )
    assert falso.status_code == 413
    assert conn.execute(text("SELECT count(*) FROM reclamo")).scalar_one() == 0


def test_the_sixth_complaint_from_one_address_in_ten_minutes_gets_429(como, conn):
    publico = como(None)
    for i in range(5):
        presentar(publico, asunto=f"reclamo {i}")
    r = publico.post(URL, json=reclamo(asunto="sexto"))
    assert r.status_code == 429
    assert 0 < int(r.headers["retry-after"]) <= 600
    assert conn.execute(text("SELECT count(*) FROM reclamo")).scalar_one() == 5
    # Staff recording complaints from the same address are not limited.
    assert como("unidad", "CHACO").post(URL, json=reclamo()).status_code == 201


def test_markup_and_sql_are_stored_byte_for_byte_and_returned_as_json_strings(publico, conn):
    asunto = "<script>alert(1)</script>"
    descripcion = "' OR 1=1 --\n\t\"; DROP TABLE reclamo; -- <b>ñandú</b> 🐝"
    d = presentar(publico, asunto=asunto, descripcion=descripcion, nombre_contacto="O'Brien")
    f = fila(conn, d["codigo"])
    assert (f["asunto"], f["descripcion"], f["nombre_contacto"]) == (
        asunto,
        descripcion,
        "O'Brien",
    )
    r = publico.get(f"{URL}/seguimiento/{d['codigo']}")
    assert r.headers["content-type"] == "application/json"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.json()["asunto"] == asunto and "&lt;" not in r.text


def test_control_characters_are_removed_and_line_ends_normalised(publico, conn):
    d = presentar(
        publico, asunto="  Sin\x00 agua\x1b[31m ", descripcion="uno\r\ndos\rtres\tcuatro\x7f\n"
    )
    f = fila(conn, d["codigo"])
    assert (f["asunto"], f["descripcion"]) == ("Sin agua[31m", "uno\ndos\ntres\tcuatro")


def test_tarija_staff_cannot_list_see_or_answer_a_chaco_complaint_but_chaco_can(como, conn):
    publico = como(None)
    yacuiba = presentar(publico)
    cercado = presentar(publico, municipio_codigo=CERCADO, asunto="Reclamo en Tarija")
    rid = fila(conn, yacuiba["codigo"])["id"]
    for tarija in (como("unidad", "TJA"), como("tecnico", "TJA")):
        lista = tarija.get(URL).json()
        assert [d["codigo"] for d in lista["data"]] == [cercado["codigo"]]
        assert lista["count"] == 1
        assert tarija.get(URL, params={"unidad_operativa": "CHACO"}).json()["count"] == 0
        assert tarija.get(f"{URL}/{rid}").status_code == 404
        r = tarija.post(f"{URL}/{rid}/respuesta", json={"respuesta": "intruso"})
        assert r.status_code == 403 and "CHACO" in r.json()["detail"]
        assert tarija.post(f"{URL}/{rid}/en-atencion").status_code == 403
    assert fila(conn, yacuiba["codigo"])["estado"] == "recibido"

    chaco = como("unidad", "CHACO")
    lista = chaco.get(URL).json()["data"]
    assert [d["codigo"] for d in lista] == [yacuiba["codigo"]]
    assert (lista[0]["contacto"], lista[0]["unidad_operativa"]["codigo"]) == (
        "+591 71234567",
        "CHACO",
    )
    r = chaco.post(f"{URL}/{rid}/respuesta", json={"respuesta": "Se envió un técnico."})
    assert r.status_code == 200, r.text
    d = r.json()
    assert (d["estado"], d["respondido"], d["respondido_por"], d["version"]) == (
        "respondido",
        str(hoy(conn)),
        "unidad.chaco",
        2,
    )
    f = fila(conn, yacuiba["codigo"])
    assert (f["estado"], f["respuesta"]) == ("respondido", "Se envió un técnico.")
    assert {d["codigo"] for d in como("nacional").get(URL).json()["data"]} == {
        yacuiba["codigo"],
        cercado["codigo"],
    }


def test_answering_twice_is_a_conflict(como, conn):
    d = presentar(como(None))
    rid = fila(conn, d["codigo"])["id"]
    chaco = como("unidad", "CHACO")
    assert chaco.post(f"{URL}/{rid}/respuesta", json={"respuesta": "primera"}).status_code == 200
    r = como("nacional").post(f"{URL}/{rid}/respuesta", json={"respuesta": "segunda"})
    assert r.status_code == 409 and "ya fue respondido" in r.json()["detail"]
    assert fila(conn, d["codigo"])["respuesta"] == "primera"
    assert chaco.post(f"{URL}/{rid}/en-atencion").status_code == 409


def test_marking_in_progress_then_answering_with_an_earlier_date(como, conn):
    chaco = como("unidad", "CHACO")
    rec = hoy(conn) - timedelta(days=20)
    d = presentar(chaco, canal="telefono", recibido=str(rec))
    rid = d["id"]
    r = chaco.post(f"{URL}/{rid}/en-atencion")
    assert (r.status_code, r.json()["estado"], r.json()["version"]) == (200, "en_atencion", 2)
    assert chaco.post(f"{URL}/{rid}/en-atencion").json()["version"] == 2  # no change
    antes = chaco.post(
        f"{URL}/{rid}/respuesta",
        json={"respuesta": "x", "respondido": str(rec - timedelta(days=1))},
    )
    assert antes.status_code == 422 and antes.json()["campo"] == "respondido"
    futura = chaco.post(
        f"{URL}/{rid}/respuesta",
        json={"respuesta": "x", "respondido": str(hoy(conn) + timedelta(days=1))},
    )
    assert futura.status_code == 422
    r = chaco.post(
        f"{URL}/{rid}/respuesta",
        json={"respuesta": "Respondido por teléfono", "respondido": str(rec + timedelta(days=3))},
    )
    assert r.json()["respondido"] == str(rec + timedelta(days=3))


def test_only_staff_record_other_channels_and_past_dates_and_only_in_their_unit(como, conn):
    ayer = str(hoy(conn) - timedelta(days=1))
    publico = como(None)
    r = publico.post(URL, json=reclamo(canal="telefono"))
    assert r.status_code == 403
    assert publico.post(URL, json=reclamo(recibido=ayer)).status_code == 403
    assert publico.post(URL, json=reclamo(canal="fax")).status_code == 422
    tarija = como("unidad", "TJA")
    r = tarija.post(URL, json=reclamo(canal="presencial", recibido=ayer))
    assert r.status_code == 403 and "CHACO" in r.json()["detail"]
    manana = str(hoy(conn) + timedelta(days=1))
    r = como("nacional").post(URL, json=reclamo(recibido=manana))
    assert r.status_code == 422 and r.json()["campo"] == "recibido"
    d = presentar(tarija, municipio_codigo=CERCADO, canal="presencial", recibido=ayer)
    f = fila(conn, d["codigo"])
    assert (f["canal"], str(f["recibido"]), d["id"]) == ("presencial", ayer, f["id"])


def test_a_complaint_about_an_alliance_takes_its_municipality_once_validated(client, como, conn):
    alianza = client.post(
        "/api/v1/alianzas",
        json={
            "codigo": "T-R01",
            "nombre": "Miel del Chaco",
            "sector": "Apicultura",
            "modelo": 1,
            "financiamiento": "adicional",
            "familias": 20,
            "familias_mujeres": 8,
            "lon": -63.6770,
            "lat": -22.0150,
        },
    )
    assert alianza.status_code == 201, alianza.text
    aid = alianza.json()["id"]
    publico = como(None)
    sin_validar = publico.post(URL, json=reclamo(municipio_codigo=None, alianza_id=aid))
    assert sin_validar.status_code == 404  # the public cannot see a non-validated alliance
    fijar(conn, Alcance("prueba", "nacional"))
    conn.execute(text("UPDATE alianza SET estado = 'validado' WHERE id = :i"), {"i": aid})
    d = presentar(publico, municipio_codigo=None, alianza_id=aid)
    assert d["municipio"]["codigo"] == YACUIBA
    assert fila(conn, d["codigo"])["alianza_id"] == aid
    otro = publico.post(URL, json=reclamo(municipio_codigo=CERCADO, alianza_id=aid))
    assert otro.status_code == 422 and "060301" in otro.json()["detail"]
    detalle = como("unidad", "CHACO").get(f"{URL}/{fila(conn, d['codigo'])['id']}").json()
    assert detalle["alianza"] == {"id": aid, "codigo": "T-R01", "nombre": "Miel del Chaco"}


def test_the_public_cannot_list_see_or_answer(publico, conn):
    d = presentar(publico)
    rid = fila(conn, d["codigo"])["id"]
    for r in (
        publico.get(URL),
        publico.get(f"{URL}/vencidos"),
        publico.get(f"{URL}/{rid}"),
        publico.post(f"{URL}/{rid}/respuesta", json={"respuesta": "x"}),
        publico.post(f"{URL}/{rid}/en-atencion"),
    ):
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert fila(conn, d["codigo"])["estado"] == "recibido"


def _con_fechas(cliente, conn, municipio, dias_atras, respondido_en=None):
    """A complaint received ``dias_atras`` days ago, answered ``respondido_en`` days later."""
    rec = hoy(conn) - timedelta(days=dias_atras)
    d = presentar(cliente, municipio_codigo=municipio, canal="telefono", recibido=str(rec))
    if respondido_en is not None:
        r = cliente.post(
            f"{URL}/{d['id']}/respuesta",
            json={"respuesta": "ok", "respondido": str(rec + timedelta(days=respondido_en))},
        )
        assert r.status_code == 200, r.text
    return d


@pytest.fixture
def marco_321(conn):
    """The results framework's 3.2.1 (the test database holds no framework of its own)."""
    conn.execute(
        text(
            "INSERT INTO indicador (programa_id, codigo, nombre, unidad, linea_base, meta, "
            "frecuencia, calculo, orden) SELECT id, '3.2.1', 'Reclamos respondidos dentro del "
            "plazo (30 días)', 'porcentaje', 0, 80, 'semestral', '3.2.1', 1 FROM programa "
            "WHERE codigo = 'PAR2'"
        )
    )


def _321(client):
    data = client.get("/api/v1/indicadores").json()["data"]
    return next(i for i in data if i["codigo"] == "3.2.1")


def _321_por_unidad(client):
    r = client.get("/api/v1/indicadores/3.2.1/por-unidad")
    assert r.status_code == 200, r.text
    return {u["unidad_operativa"]["codigo"]: u for u in r.json()["data"]}


def test_indicator_321_nationally_and_per_unit(client, publico, conn, marco_321):
    _con_fechas(client, conn, YACUIBA, 55, respondido_en=10)  # in time
    _con_fechas(client, conn, YACUIBA, 40)  # unanswered, 10 days late
    _con_fechas(client, conn, CERCADO, 60, respondido_en=45)  # answered late
    _con_fechas(client, conn, CERCADO, 5)  # unanswered, still in its term: not counted
    ind = _321(client)
    # 1 in time / (2 answered + 1 overdue) = 33.33 %
    assert (ind["valor"], ind["estado"], ind["meta"]) == (33.33, "con dato", 80)
    assert ind["pct_meta"] == 41.7 and ind["origen"] == "calculado"
    assert _321(publico)["valor"] == 33.33  # the same for everyone
    unidades = _321_por_unidad(client)
    assert len(unidades) == 10
    assert (unidades["CHACO"]["valor"], unidades["CHACO"]["motivo"]) == (50, None)
    assert (unidades["TJA"]["valor"], unidades["TJA"]["motivo"]) == (0, None)
    assert unidades["LPZ"] == {
        "unidad_operativa": {"codigo": "LPZ", "nombre": "La Paz"},
        "valor": None,
        "motivo": "sin reclamos recibidos",
    }


def test_indicator_321_counts_day_30_in_time_and_waits_for_the_deadline(client, conn, marco_321):
    assert _321(client)["motivo"] == "sin reclamos recibidos"
    _con_fechas(client, conn, YACUIBA, 30)  # its deadline is today: not yet counted
    _con_fechas(client, conn, YACUIBA, 10)
    ind = _321(client)
    assert (ind["valor"], ind["estado"]) == (None, "sin dato")
    assert ind["motivo"] == "los 2 reclamos están aún dentro del plazo de 30 días"
    _con_fechas(client, conn, YACUIBA, 35, respondido_en=30)  # answered on day 30: in time
    assert _321(client)["valor"] == 100
    _con_fechas(client, conn, YACUIBA, 31)  # one day late
    assert _321(client)["valor"] == 50
    assert _321_por_unidad(client)["CHACO"]["valor"] == 50


def test_overdue_complaints_per_unit_with_days_late(client, como, conn):
    viejo = _con_fechas(client, conn, YACUIBA, 40)
    un_dia = _con_fechas(client, conn, YACUIBA, 31)
    _con_fechas(client, conn, YACUIBA, 30)  # due today: not overdue
    _con_fechas(client, conn, YACUIBA, 50, respondido_en=40)  # late but answered
    tarija = _con_fechas(client, conn, CERCADO, 35)
    r = client.get(f"{URL}/vencidos")
    assert r.status_code == 200, r.text
    por_unidad = {u["unidad_operativa"]["codigo"]: u for u in r.json()["data"]}
    assert len(por_unidad) == 10 and r.json()["count"] == 3
    chaco = por_unidad["CHACO"]
    assert [(x["codigo"], x["dias_vencido"]) for x in chaco["reclamos"]] == [
        (viejo["codigo"], 10),
        (un_dia["codigo"], 1),
    ]
    assert chaco["reclamos"][0]["vence"] == str(hoy(conn) - timedelta(days=10))
    assert [x["codigo"] for x in por_unidad["TJA"]["reclamos"]] == [tarija["codigo"]]
    assert por_unidad["LPZ"]["count"] == 0 and por_unidad["LPZ"]["reclamos"] == []
    solo_chaco = como("unidad", "CHACO").get(f"{URL}/vencidos").json()["data"]
    assert [u["unidad_operativa"]["codigo"] for u in solo_chaco] == ["CHACO"]
    lista = como("unidad", "CHACO").get(URL, params={"vencidos": "true"}).json()["data"]
    assert [(d["codigo"], d["dias_vencido"], d["vencido"]) for d in lista] == [
        (viejo["codigo"], 10, True),
        (un_dia["codigo"], 1, True),
    ]


def test_listing_filters_by_state_unanswered_first(client, conn):
    respondido = _con_fechas(client, conn, YACUIBA, 50, respondido_en=5)
    nuevo = _con_fechas(client, conn, YACUIBA, 2)
    viejo = _con_fechas(client, conn, CERCADO, 20)
    todos = client.get(URL).json()
    assert [d["codigo"] for d in todos["data"]] == [
        viejo["codigo"],
        nuevo["codigo"],
        respondido["codigo"],
    ]
    solo = client.get(URL, params={"estado": "respondido"}).json()
    assert [d["codigo"] for d in solo["data"]] == [respondido["codigo"]] and solo["count"] == 1
    pagina = client.get(URL, params={"limit": 1, "offset": 1}).json()
    assert [d["codigo"] for d in pagina["data"]] == [nuevo["codigo"]] and pagina["count"] == 3
    assert client.get(URL, params={"estado": "cerrado"}).status_code == 422


# --- The public page in Chromium --------------------------------------------------------------


def test_page_files_a_complaint_with_markup_and_shows_it_as_text(
    pagina, servidor, demo_engine, settings
):
    from tests.conftest import cabeceras

    asunto = '<script>alert("xss")</script> Pozo sin agua'
    descripcion = "<img src=x onerror=alert(2)> detalle ' OR 1=1 --"
    codigo = None
    try:
        pagina.goto(servidor + "/reclamos")
        pagina.wait_for_function(
            "() => document.querySelectorAll('#departamento option').length > 9"
        )
        pagina.select_option("#departamento", "06")
        pagina.select_option("#municipio", YACUIBA)
        pagina.fill("#asunto", asunto)
        pagina.fill("#descripcion", descripcion)
        pagina.fill("#contacto", "71234567")
        pagina.click("#enviar")
        pagina.locator("#seguimiento").wait_for(state="visible")
        codigo = pagina.locator("#codigo-nuevo").inner_text()
        assert CODIGO.match(codigo)
        assert pagina.locator("#s-asunto").inner_text() == asunto
        assert pagina.locator("#s-municipio").inner_text() == "Yacuiba"
        # Tracked again by the code typed in lower case.
        pagina.goto(servidor + "/reclamos")
        pagina.fill("#codigo", codigo.lower())
        pagina.click("#form-consulta button")
        pagina.locator("#seguimiento").wait_for(state="visible")
        assert pagina.locator("#s-asunto").inner_text() == asunto
        assert pagina.locator("#s-respuesta").inner_text() == "Aún sin respuesta."
        assert "71234567" not in pagina.content()
        assert pagina.locator("main script, main img").count() == 0
        assert pagina.locator("#personal").is_hidden()

        # The Chaco unit, signed in on the map, answers it from the same page.
        sesion = {
            "token": cabeceras(settings, "unidad", "CHACO")["Authorization"].split()[1],
            "usuario": {
                "nombre_usuario": "unidad.chaco",
                "rol": "unidad",
                "unidad_operativa": "CHACO",
            },
        }
        pagina.evaluate("s => sessionStorage.setItem('sigg.sesion', s)", json.dumps(sesion))
        pagina.goto(servidor + "/reclamos")
        fila_ = pagina.locator("#tabla-reclamos tbody tr", has_text=codigo)
        fila_.wait_for()
        assert fila_.locator("td").nth(4).inner_text() == asunto
        fila_.locator("button").click()
        pagina.locator("#form-respuesta").wait_for(state="visible")
        assert "71234567" in pagina.locator("#d-datos").inner_text()  # staff see the contact
        pagina.fill("#respuesta", "<b>Revisado</b>: se envió un técnico.")
        pagina.click("#form-respuesta button")
        pagina.locator("#form-respuesta").wait_for(state="hidden")
        assert "<b>Revisado</b>" in pagina.locator("#d-datos").inner_text()
        pagina.evaluate("() => sessionStorage.clear()")
        pagina.goto(servidor + f"/reclamos?codigo={codigo}")
        pagina.locator("#seguimiento").wait_for(state="visible")
        assert pagina.locator("#s-estado").inner_text() == "Respondido"
        assert (
            pagina.locator("#s-respuesta").inner_text() == "<b>Revisado</b>: se envió un técnico."
        )
        assert pagina.locator("main b, main script, main img").count() == 0
        assert pagina.errores == []  # no alert dialog, no script error
    finally:
        with demo_engine.begin() as c:  # the demo database is shared: leave it as it was
            c.execute(text("DELETE FROM reclamo WHERE codigo = :c"), {"c": codigo})
