"""The verification tray (GET /api/v1/verificacion/pendientes): a page at a time with the count
of the whole tray, found by text, unit and municipality, an unknown parameter refused; each
record with its last move and the fields changed since it was last looked at, named as people
read them (labels, names), with their value then and now."""

from __future__ import annotations

import pytest
from sqlalchemy import text

YACUIBA = (-63.6770, -22.0150)  # 060301, unit CHACO
TARIJA = (-64.7296, -21.5355)  # Cercado 060101, unit TJA
RUTA = "/api/v1/verificacion/pendientes"


def _alianza(c, codigo: str, punto: tuple[float, float], **extra) -> int:
    r = c.post(
        "/api/v1/alianzas",
        json={"codigo": codigo, "nombre": f"Miel {codigo}", "sector": "apicultura", "modelo": 1,
              "financiamiento": "adicional", "familias": 20, "familias_mujeres": 8,
              "lon": punto[0], "lat": punto[1]} | extra,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _version(c, aid: int) -> str:
    return c.get(f"/api/v1/alianzas/{aid}").headers["etag"]


def _paso(c, aid: int, accion: str, comentario: str | None = None) -> None:
    r = c.post(
        f"/api/v1/alianzas/{aid}/verificacion",
        json={"accion": accion, "comentario": comentario},
        headers={"If-Match": _version(c, aid)},
    )
    assert r.status_code == 200, r.text


def _cambiar(c, aid: int, **cambios) -> None:
    r = c.patch(f"/api/v1/alianzas/{aid}", json=cambios, headers={"If-Match": _version(c, aid)})
    assert r.status_code == 200, r.text


@pytest.fixture
def verificadas(client, como):
    """Twelve alliances verified by their units, waiting for national coordination: eight in
    Yacuiba (Chaco), four in Cercado (Tarija)."""
    chaco, tarija = como("unidad", "CHACO"), como("unidad", "TJA")
    ids = {}
    for i in range(12):
        codigo = f"BAN-{i:02d}"
        ids[codigo] = _alianza(client, codigo, YACUIBA if i < 8 else TARIJA)
        _paso(chaco if i < 8 else tarija, ids[codigo], "verificar", f"visita {i}")
    return ids


def test_the_tray_comes_a_page_at_a_time_with_the_count_of_all_of_it(client, verificadas):
    todas = client.get(RUTA, params={"limit": 100}).json()
    assert todas["count"] == 12 and len(todas["data"]) == 12
    pagina = client.get(RUTA, params={"limit": 5, "offset": 10}).json()
    assert (pagina["count"], pagina["limit"], pagina["offset"]) == (12, 5, 10)
    assert [p["codigo"] for p in pagina["data"]] == [p["codigo"] for p in todas["data"][10:]]
    assert len(pagina["data"]) == 2
    assert client.get(RUTA, params={"offset": 40}).json() == {
        "data": [], "count": 12, "limit": 20, "offset": 40
    }  # fmt: skip


def test_the_tray_is_found_by_text_unit_and_municipality(client, verificadas, conn):
    cercado = conn.execute(
        text("SELECT nombre FROM municipio WHERE cartografia = '2012' AND codigo = '060101'")
    ).scalar_one()

    def codigos(**params) -> tuple[int, set[str]]:
        d = client.get(RUTA, params=params).json()
        return d["count"], {p["codigo"] for p in d["data"]}

    assert codigos(q="ban-1") == (2, {"BAN-10", "BAN-11"})  # part of the code, any case
    assert codigos(q=cercado.upper())[0] == 4  # the municipality's name
    assert codigos(q="miel ban 03") == (1, {"BAN-03"})  # the name, spaces and dashes aside
    assert codigos(q="50%_")[0] == 0  # LIKE wildcards are characters, not patterns
    assert codigos(unidad_operativa="tja")[0] == 4
    assert codigos(municipio="060301")[0] == 8
    assert codigos(unidad_operativa="CHACO", q="BAN-1") == (0, set())


def test_an_unknown_or_malformed_parameter_is_refused_naming_it(client):
    r = client.get(RUTA, params={"unidad": "CHACO"})
    assert r.status_code == 400
    assert r.json()["campo"] == "unidad" and "unidad_operativa" in r.json()["detail"]
    assert client.get(RUTA, params={"municipio": "Yacuiba"}).status_code == 422
    assert client.get(RUTA, params={"limit": 0}).status_code == 422


def test_a_unit_sees_only_its_own_tray_whatever_it_asks(como, client):
    aid = _alianza(client, "BAN-T", TARIJA)
    _alianza(client, "BAN-Y", YACUIBA)
    chaco = como("unidad", "CHACO")
    assert {p["codigo"] for p in chaco.get(RUTA).json()["data"]} == {"BAN-Y"}
    assert chaco.get(RUTA, params={"unidad_operativa": "TJA"}).json()["count"] == 0
    assert como("unidad", "TJA").get(RUTA).json()["data"][0]["id"] == aid
    assert como(None).get(RUTA).status_code == 401


def test_national_sees_what_was_corrected_since_its_observation_with_labels(client, como):
    aid = _alianza(client, "BAN-OBS", YACUIBA)
    chaco, tecnico = como("unidad", "CHACO"), como("tecnico", "CHACO")
    _paso(chaco, aid, "verificar", "revisado en campo")
    _paso(client, aid, "observar", "las familias no cuadran con el acta")
    _cambiar(tecnico, aid, familias=26, familias_mujeres=12, sector="piscicultura")
    _paso(chaco, aid, "verificar", "corregido según el acta")
    [p] = client.get(RUTA).json()["data"]
    assert p["estado"] == "verificado" and p["estado_nombre"] == "Verificado por la unidad"
    assert p["ultimo_paso"]["accion"] == "verificar"
    assert p["ultimo_paso"]["usuario"] == "unidad.chaco"
    assert p["ultimo_paso"]["comentario"] == "corregido según el acta"
    assert p["referencia"]["accion"] == "observar"
    assert p["referencia"]["comentario"] == "las familias no cuadran con el acta"
    assert p["cambios"] == [
        {"campo": "familias", "etiqueta": "Familias", "antes": 20, "despues": 26},
        {"campo": "familias_mujeres", "etiqueta": "Familias representadas por mujeres",
         "antes": 8, "despues": 12},
        {"campo": "sector", "etiqueta": "Sector", "antes": "Apicultura",
         "despues": "Piscicultura"},
    ]  # fmt: skip
    assert p["observacion"] == "las familias no cuadran con el acta"
    assert (p["municipio"], p["unidad_operativa_nombre"]) == ("Yacuiba", "Chaco")


def test_a_unit_sees_what_changed_since_it_verified_and_a_move_names_places(client, como, conn):
    aid = _alianza(client, "BAN-MUN", YACUIBA)
    nuevo = _alianza(client, "BAN-NEW", YACUIBA)
    chaco = como("unidad", "CHACO")
    _paso(chaco, aid, "verificar")
    _cambiar(chaco, aid, municipio_codigo="060302", fecha_solicitud="2023-04-05")
    items = {p["codigo"]: p for p in chaco.get(RUTA).json()["data"]}
    p = items["BAN-MUN"]
    assert p["estado"] == "registrado" and p["referencia"]["accion"] == "verificar"
    cambios = {c["etiqueta"]: (c["antes"], c["despues"]) for c in p["cambios"]}
    otro = conn.execute(
        text("SELECT nombre FROM municipio WHERE cartografia = '2012' AND codigo = '060302'")
    ).scalar_one()
    assert cambios["Municipio"] == ("Yacuiba", otro)
    assert cambios["Fecha de solicitud"] == (None, "2023-04-05")
    antes, despues = cambios["Ubicación"]
    assert antes == [pytest.approx(YACUIBA[0]), pytest.approx(YACUIBA[1])]
    assert despues != antes and len(despues) == 2
    # the bookkeeping (version, state, dates of the record) is not a change to look at
    assert [c["campo"] for c in p["cambios"]] == [
        "fecha_solicitud", "geom", "municipio_codigo", "precision_ubicacion"
    ]  # fmt: skip
    assert cambios["Precisión de la ubicación"][1] == "Municipio (punto interior del municipio)"
    assert (items["BAN-NEW"]["referencia"], items["BAN-NEW"]["cambios"]) == (None, [])
    assert items["BAN-NEW"]["ultimo_paso"] is None and nuevo == items["BAN-NEW"]["id"]
