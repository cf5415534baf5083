"""Who may see and change what: each role against each kind of record and action, the
three-level verification, the lock on validated records, tokens, injection and secrets."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import jwt
import pyogrio
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from api.main import create_app
from geo.acceso.alcance import Alcance, fijar
from geo.plataforma.config import Settings

YACUIBA = (-63.6770, -22.0150)  # municipality 060301, unit CHACO (department of Tarija)
TARIJA = (-64.7296, -21.5355)  # Cercado 060101, unit TJA

ROLES = {
    "nacional": ("nacional", None),
    "chaco": ("unidad", "CHACO"),
    "tarija": ("unidad", "TJA"),
    "tecnico.chaco": ("tecnico", "CHACO"),
    "tecnico.tarija": ("tecnico", "TJA"),
    "publico": (None, None),
}


def _alianza(codigo: str, punto: tuple[float, float], **extra):
    return {
        "codigo": codigo,
        "nombre": f"Alianza {codigo}",
        "comprador": "Juan Pérez Mamani",
        "sector": "Apicultura",
        "modelo": 1,
        "financiamiento": "adicional",
        "familias": 20,
        "familias_mujeres": 8,
        "lon": punto[0],
        "lat": punto[1],
    } | extra


@pytest.fixture
def registros(client):
    """One alliance of the Chaco unit (Yacuiba) and one of the Tarija unit, both registered."""
    ids = {}
    for codigo, punto in (("YAC-1", YACUIBA), ("TJA-1", TARIJA)):
        r = client.post("/api/v1/alianzas", json=_alianza(codigo, punto))
        assert r.status_code == 201, r.text
        ids[codigo] = r.json()["id"]
    return ids


def _paso(c, aid: int, accion: str, comentario: str | None = None, recurso: str = "alianzas"):
    version = c.get(f"/api/v1/{recurso}/{aid}").headers.get("etag", '"0"')
    return c.post(
        f"/api/v1/{recurso}/{aid}/verificacion",
        json={"accion": accion, "comentario": comentario},
        headers={"If-Match": version},
    )


def _modificar(c, aid: int, **cambios):
    # The version is read as national coordination would: a user who cannot see the record
    # must still get 404/403, not 428.
    return c.patch(f"/api/v1/alianzas/{aid}", json=cambios, headers={"If-Match": "*"})


# --- the matrix: a registered Chaco record (Yacuiba), every role, every action -------------

LEER = {"nacional": 200, "chaco": 200, "tecnico.chaco": 200, "tarija": 404,
        "tecnico.tarija": 404, "publico": 404}  # fmt: skip
VERIFICAR = {"nacional": 200, "chaco": 200, "tecnico.chaco": 403, "tarija": 404,
             "tecnico.tarija": 404, "publico": 401}  # fmt: skip
BORRAR = {"nacional": 204, "chaco": 204, "tecnico.chaco": 204, "tarija": 404,
          "tecnico.tarija": 404, "publico": 401}  # fmt: skip


@pytest.mark.parametrize("quien", ROLES)
def test_reading_a_registered_record_is_for_its_unit_and_national_only(quien, registros, como):
    c = como(*ROLES[quien])
    r = c.get(f"/api/v1/alianzas/{registros['YAC-1']}")
    assert r.status_code == LEER[quien], r.text
    if r.status_code == 404:
        assert "YAC-1" not in r.text and "Pérez" not in r.text
    listado = c.get("/api/v1/alianzas", params={"q": "YAC"}).json()
    assert (listado["count"] == 1) == (LEER[quien] == 200)


@pytest.mark.parametrize("quien", ROLES)
def test_changing_a_registered_record_needs_its_unit(quien, registros, como, conn):
    c = como(*ROLES[quien])
    r = c.patch(
        f"/api/v1/alianzas/{registros['YAC-1']}", json={"familias": 30}, headers={"If-Match": '"1"'}
    )
    esperado = {"nacional": 200, "chaco": 200, "tecnico.chaco": 200}.get(
        quien, 401 if quien == "publico" else 404
    )
    assert r.status_code == esperado, r.text
    familias = conn.execute(
        text("SELECT familias FROM alianza WHERE id = :i"), {"i": registros["YAC-1"]}
    ).scalar()
    assert familias == (30 if esperado == 200 else 20)


@pytest.mark.parametrize("quien", ROLES)
def test_verifying_is_for_the_records_unit_or_national(quien, registros, como, client):
    r = _paso(como(*ROLES[quien]), registros["YAC-1"], "verificar")
    assert r.status_code == VERIFICAR[quien], r.text
    estado = client.get(f"/api/v1/alianzas/{registros['YAC-1']}").json()["estado"]
    assert estado == ("verificado" if VERIFICAR[quien] == 200 else "registrado")


@pytest.mark.parametrize("quien", ROLES)
def test_deleting_a_draft_is_for_its_unit(quien, registros, como, conn):
    r = como(*ROLES[quien]).delete(
        f"/api/v1/alianzas/{registros['YAC-1']}", headers={"If-Match": '"1"'}
    )
    assert r.status_code == BORRAR[quien], r.text
    queda = conn.execute(
        text("SELECT count(*) FROM alianza WHERE id = :i"), {"i": registros["YAC-1"]}
    ).scalar()
    assert queda == (0 if BORRAR[quien] == 204 else 1)


@pytest.mark.parametrize("quien", ROLES)
def test_exports_ogc_and_aggregates_hold_only_what_the_reader_may_see(quien, registros, como):
    c = como(*ROLES[quien])
    ve_chaco = LEER[quien] == 200
    ve_tarija = quien in ("nacional", "tarija", "tecnico.tarija")
    # GeoPackage: built on the request's connection, so it sees this test's transaction (the
    # streamed formats read through their own connection; they share the same WHERE).
    gpkg = c.get("/api/v1/exportar/alianzas", params={"formato": "gpkg"})
    codigos = (
        set(pyogrio.read_dataframe(io.BytesIO(gpkg.content))["codigo"]) if gpkg.content else set()
    )
    assert codigos == {c for c, ve in (("YAC-1", ve_chaco), ("TJA-1", ve_tarija)) if ve}
    items = c.get("/ogc/collections/alianzas/items", params={"f": "json"}).json()
    assert {f["properties"]["codigo"] for f in items["features"]} == codigos
    por_uo = c.get("/api/v1/estadisticas", params={"nivel": "unidad_operativa"}).json()
    alianzas = {u["codigo"]: u["valores"]["alianzas"] for u in por_uo["data"]}
    assert (alianzas["CHACO"] or 0, alianzas["TJA"] or 0) == (int(ve_chaco), int(ve_tarija))
    puntos = c.get("/api/v1/mapa/puntos", params={"tipo": "alianzas"}).json()
    assert {f["properties"]["codigo"] for f in puntos["features"]} == codigos


def test_a_unit_user_cannot_create_in_another_units_municipality(como, conn):
    r = como("unidad", "TJA").post("/api/v1/alianzas", json=_alianza("YAC-9", YACUIBA))
    assert r.status_code == 403
    assert "CHACO" in r.json()["detail"] and "TJA" in r.json()["detail"]
    assert conn.execute(text("SELECT count(*) FROM alianza")).scalar() == 0


def test_a_unit_user_cannot_move_its_record_into_another_unit(registros, como, client):
    r = como("unidad", "TJA").patch(
        f"/api/v1/alianzas/{registros['TJA-1']}",
        json={"lon": YACUIBA[0], "lat": YACUIBA[1], "municipio_codigo": "060301"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 403, r.text
    d = client.get(f"/api/v1/alianzas/{registros['TJA-1']}").json()
    assert (d["municipio"]["codigo"], d["version"]) == ("060101", 1)


def test_a_unit_import_refuses_rows_of_another_unit_naming_them_and_writes_nothing(como, conn):
    filas = [
        "Código;Nombre de la alianza;Sector;Modelo;Financiamiento;Etapa;Familias;Latitud;Longitud",
        f"TJA-5;Uva;Apicultura;1;adicional;solicitud;10;{TARIJA[1]};{TARIJA[0]}",
        f"YAC-5;Miel;Apicultura;1;adicional;solicitud;10;{YACUIBA[1]};{YACUIBA[0]}",
    ]
    csv = "\r\n".join(filas).encode()
    r = como("unidad", "TJA").post(
        "/api/v1/importaciones", files={"archivo": ("a.csv", csv)}, data={"programa": "PAR2"}
    )
    assert r.status_code == 422, r.text
    [error] = r.json()["errores"]
    assert (error["fila"], error["codigo"]) == (3, "YAC-5")
    assert "CHACO" in error["mensaje"]
    assert conn.execute(text("SELECT count(*) FROM alianza")).scalar() == 0


# --- the workflow --------------------------------------------------------------------------


def test_must_show_chaco_technician_unit_national_then_public_tarija_never(como, conn):
    """A técnico of the Chaco unit enters an alliance in Yacuiba; his unit verifies it; national
    validates it; only then does it appear on the public map; a Tarija unit user could not touch
    it at any step."""
    tecnico, chaco, nacional = como("tecnico", "CHACO"), como("unidad", "CHACO"), como("nacional")
    tarija, publico = como("unidad", "TJA"), como(None)

    def en_mapa_publico() -> bool:
        fc = publico.get("/api/v1/mapa/puntos", params={"tipo": "alianzas"}).json()
        return "YAC-7" in {f["properties"]["codigo"] for f in fc["features"]}

    def tarija_no_puede(aid: int, lectura: int) -> None:
        assert tarija.get(f"/api/v1/alianzas/{aid}").status_code == lectura
        assert _modificar(tarija, aid, familias=1).status_code in (403, 404)
        for accion in ("verificar", "validar", "observar", "reabrir"):
            assert _paso(tarija, aid, accion, "x").status_code in (403, 404)

    r = tecnico.post("/api/v1/alianzas", json=_alianza("YAC-7", YACUIBA))
    assert r.status_code == 201 and r.json()["estado"] == "registrado"
    aid = r.json()["id"]
    tarija_no_puede(aid, 404)
    assert not en_mapa_publico()
    assert _paso(chaco, aid, "validar").status_code == 403  # a unit does not validate
    assert _paso(chaco, aid, "verificar").json()["estado"] == "verificado"
    tarija_no_puede(aid, 404)
    assert not en_mapa_publico()
    assert _paso(nacional, aid, "validar").json()["estado"] == "validado"
    assert en_mapa_publico()
    tarija_no_puede(aid, 200)  # published: Tarija reads it, still cannot touch it
    pasos = nacional.get(f"/api/v1/alianzas/{aid}/verificacion").json()["data"]
    assert [(p["accion"], p["usuario"]) for p in pasos] == [
        ("verificar", "unidad.chaco"),
        ("validar", "nacional.bo"),
    ]
    autores = conn.execute(
        text("SELECT usuario FROM auditoria WHERE tabla = 'alianza' AND registro_id = :i "
             "ORDER BY id"), {"i": aid}
    ).scalars().all()  # fmt: skip
    assert autores == ["tecnico.chaco", "unidad.chaco", "nacional.bo"]


def test_a_validated_record_is_locked_until_national_reopens_it(registros, como, client, conn):
    aid = registros["YAC-1"]
    _paso(client, aid, "verificar")
    _paso(client, aid, "validar")
    r = _modificar(client, aid, familias=99)
    assert r.status_code == 409 and r.json()["type"].endswith("registro-bloqueado")
    assert client.delete(f"/api/v1/alianzas/{aid}", headers={"If-Match": "*"}).status_code == 409
    # The database refuses it too, whatever the path.
    with pytest.raises(DBAPIError, match="validad"), conn.begin_nested():
        conn.execute(text("UPDATE alianza SET familias = 1 WHERE id = :i"), {"i": aid})
    assert _paso(como("unidad", "CHACO"), aid, "reabrir", "revisar").status_code == 403
    assert _paso(client, aid, "reabrir").status_code == 422  # needs the reason
    r = _paso(client, aid, "reabrir", "las familias no cuadran con el acta")
    assert r.json()["estado"] == "observado"
    d = client.get(f"/api/v1/alianzas/{aid}").json()
    assert d["observacion"] == "las familias no cuadran con el acta"
    assert _modificar(client, aid, familias=22).status_code == 412  # If-Match "*" is no version
    r = client.patch(
        f"/api/v1/alianzas/{aid}", json={"familias": 22}, headers={"If-Match": f'"{d["version"]}"'}
    )
    assert (r.status_code, r.json()["familias"], r.json()["estado"]) == (200, 22, "registrado")


def test_a_technician_edits_drafts_only_and_a_change_sends_a_verified_record_back(registros, como):
    aid = registros["YAC-1"]
    chaco, tecnico = como("unidad", "CHACO"), como("tecnico", "CHACO")
    _paso(chaco, aid, "verificar")
    r = tecnico.patch(f"/api/v1/alianzas/{aid}", json={"familias": 25}, headers={"If-Match": '"2"'})
    assert r.status_code == 403 and "borrador" in r.json()["detail"]
    r = chaco.patch(f"/api/v1/alianzas/{aid}", json={"familias": 25}, headers={"If-Match": '"2"'})
    assert (r.status_code, r.json()["estado"]) == (200, "registrado")
    r = _paso(chaco, aid, "observar", "falta la foto del acta")
    assert r.json()["estado"] == "observado"
    assert [p["codigo"] for p in tecnico.get("/api/v1/verificacion/pendientes").json()["data"]] == [
        "YAC-1"
    ]
    version = tecnico.get(f"/api/v1/alianzas/{aid}").headers["etag"]
    r = tecnico.patch(
        f"/api/v1/alianzas/{aid}", json={"familias": 26}, headers={"If-Match": version}
    )
    assert (r.status_code, r.json()["estado"]) == (200, "registrado")  # corrected: to verify


def test_each_users_tray_holds_what_waits_for_them(registros, como):
    assert {p["codigo"] for p in como("unidad", "CHACO").get(
        "/api/v1/verificacion/pendientes").json()["data"]} == {"YAC-1"}  # fmt: skip
    assert como("nacional").get("/api/v1/verificacion/pendientes").json()["count"] == 0
    _paso(como("unidad", "TJA"), registros["TJA-1"], "verificar")
    assert [p["codigo"] for p in como("nacional").get(
        "/api/v1/verificacion/pendientes").json()["data"]] == ["TJA-1"]  # fmt: skip
    assert como(None).get("/api/v1/verificacion/pendientes").status_code == 401


def test_the_database_refuses_a_unit_writing_outside_it_whatever_the_path(registros, conn):
    fijar(conn, Alcance("x", "unidad", "TJA"))
    with pytest.raises(DBAPIError, match="CHACO"), conn.begin_nested():
        conn.execute(text("UPDATE alianza SET familias = 30 WHERE codigo = 'YAC-1'"))
    assert conn.execute(text("UPDATE alianza SET familias = 30 WHERE codigo = 'TJA-1'")).rowcount


def test_the_public_sees_validated_records_without_personal_data(registros, client, publico):
    aid = registros["YAC-1"]
    _paso(client, aid, "verificar")
    _paso(client, aid, "validar")
    d = publico.get(f"/api/v1/alianzas/{aid}").json()
    assert d["codigo"] == "YAC-1" and "comprador" not in d and "observacion" not in d
    assert client.get(f"/api/v1/alianzas/{aid}").json()["comprador"] == "Juan Pérez Mamani"
    item = publico.get("/ogc/collections/alianzas/items", params={"f": "json"}).json()
    [f] = item["features"]
    assert "comprador" not in f["properties"] and f["properties"]["estado"] == "validado"
    r = publico.get("/ogc/collections/alianzas/items", params={"comprador": "Juan Pérez Mamani"})
    assert r.status_code == 400  # not even filterable: no guessing who the buyer is
    assert publico.get("/api/v1/alianzas", params={"q": "Pérez"}).json()["count"] == 0
    assert publico.get(f"/api/v1/alianzas/{aid}/historial").status_code == 401


def test_staff_can_ask_for_validated_only_everywhere(registros, client):
    aid = registros["YAC-1"]
    _paso(client, aid, "verificar")
    _paso(client, aid, "validar")
    todos = client.get("/api/v1/alianzas").json()["count"]
    validados = client.get("/api/v1/alianzas", params={"validados": True}).json()["count"]
    assert (todos, validados) == (2, 1)
    e = client.get("/api/v1/estadisticas", params={"nivel": "nacional", "validados": True})
    assert e.json()["data"][0]["valores"]["alianzas"] == 1
    x = client.get("/api/v1/exportar/alianzas", params={"validados": True, "formato": "gpkg"})
    assert list(pyogrio.read_dataframe(io.BytesIO(x.content))["codigo"]) == ["YAC-1"]
    o = client.get("/ogc/collections/alianzas/items", params={"f": "json", "estado": "validado"})
    assert o.json()["numberMatched"] == 1


# --- tokens, login, secrets ------------------------------------------------------------------


def _token(settings: Settings, clave: str | None = None, **claims) -> dict[str, str]:
    ahora = datetime.now(UTC)
    base = {"sub": "chaco", "rol": "nacional", "uo": None, "iss": "sigg", "iat": ahora,
            "exp": ahora + timedelta(minutes=5)} | claims  # fmt: skip
    firma = clave or settings.clave_firma()
    return {"Authorization": f"Bearer {jwt.encode(base, firma, 'HS256')}"}


@pytest.mark.parametrize(
    "caso", ["vencido", "otra_clave", "sin_firma", "basura", "rol_inventado", "esquema"]
)
def test_expired_forged_or_malformed_tokens_get_401_on_reads_and_writes(
    caso, settings, registros, publico
):
    hace = datetime.now(UTC) - timedelta(hours=2)
    cabecera = {
        "vencido": lambda: _token(settings, iat=hace, exp=hace + timedelta(minutes=30)),
        "otra_clave": lambda: _token(settings, clave="una-clave-que-no-es-la-del-servidor-123"),
        "sin_firma": lambda: {
            "Authorization": "Bearer "
            + jwt.encode(
                {"sub": "x", "rol": "nacional", "iss": "sigg", "iat": 1, "exp": 4102444800},
                key=None,
                algorithm="none",
            )
        },  # fmt: skip
        "basura": lambda: {"Authorization": "Bearer abc.def.ghi"},
        "rol_inventado": lambda: _token(settings, rol="superusuario"),
        "esquema": lambda: {"Authorization": "Basic bmFjaW9uYWw6eA=="},
    }[caso]()
    lectura = publico.get(f"/api/v1/alianzas/{registros['YAC-1']}", headers=cabecera)
    assert lectura.status_code == (401 if caso != "esquema" else 404) or lectura.status_code == 401
    assert "YAC-1" not in lectura.text
    escritura = publico.post("/api/v1/alianzas", json=_alianza("X-1", TARIJA), headers=cabecera)
    assert escritura.status_code == 401
    assert escritura.headers["www-authenticate"] == "Bearer"
    export = publico.get("/api/v1/exportar/alianzas", headers=cabecera)
    assert export.status_code == 401


def test_login_gives_a_short_token_that_names_the_user_and_wrong_passwords_are_limited(
    conn, publico, settings
):
    from geo.acceso.cuentas import crear

    crear(conn, "chaco", "Unidad Chaco", "unidad", "chaco", "una clave larga")
    r = publico.post(
        "/api/v1/sesion/token", data={"username": "chaco", "password": "una clave larga"}
    )
    assert r.status_code == 200, r.text
    cuerpo = r.json()
    assert (cuerpo["token_type"], cuerpo["expires_in"]) == ("bearer", settings.token_minutos * 60)
    claims = jwt.decode(cuerpo["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == settings.token_minutos * 60
    yo = publico.get(
        "/api/v1/sesion/yo", headers={"Authorization": f"Bearer {cuerpo['access_token']}"}
    ).json()
    assert yo == {"nombre_usuario": "chaco", "rol": "unidad", "unidad_operativa": "CHACO"}
    hash_ = conn.execute(text("SELECT clave_hash FROM usuario WHERE nombre_usuario = 'chaco'"))
    assert hash_.scalar().startswith("$argon2")
    estados = [
        publico.post(
            "/api/v1/sesion/token", data={"username": "chaco", "password": "mala"}
        ).status_code
        for _ in range(10)
    ]
    assert estados[:9] == [401] * 9 and estados[9] == 429


def test_an_inactive_user_cannot_log_in(conn, publico):
    from geo.acceso.cuentas import crear, desactivar

    crear(conn, "ex", "Ex funcionario", "nacional", None, "una clave larga")
    desactivar(conn, "ex")
    r = publico.post("/api/v1/sesion/token", data={"username": "ex", "password": "una clave larga"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    "rol,unidad,mensaje",
    [("tecnico", None, "necesita su unidad"), ("nacional", "TJA", "no pertenece"),
     ("unidad", "XYZ", "desconocida"), ("jefe", None, "rol desconocido")],
)  # fmt: skip
def test_accounts_are_refused_with_a_clear_reason(conn, rol, unidad, mensaje):
    from geo.acceso.cuentas import crear
    from geo.plataforma.errors import EntradaInvalida

    with pytest.raises(EntradaInvalida, match=mensaje):
        crear(conn, "u", "U", rol, unidad, "una clave larga")


def test_the_app_refuses_to_start_with_a_signing_key_shorter_than_32_characters():
    # Without SIGG_CLAVE_SECRETA the installation's own key is used: see test_confianza_acceso.
    with pytest.raises(ValueError, match="SIGG_CLAVE_SECRETA.*32"):
        create_app(Settings(environment="production", clave_secreta="corta"))
    app = create_app(Settings(environment="production", clave_secreta="k" * 48))
    assert app.state.settings.environment == "production"


# --- injection -----------------------------------------------------------------------------

INYECCIONES = ["' OR 1=1 --", "'; DROP TABLE alianza; --", "1) OR (1=1", '" OR ""="']


@pytest.mark.parametrize("carga", INYECCIONES)
def test_sql_in_filters_sort_and_search_changes_nothing_and_leaks_nothing(
    carga, registros, publico, client, conn
):
    # The public sees no registered record, whatever the search says.
    assert publico.get("/api/v1/alianzas", params={"q": carga}).json()["count"] == 0
    assert publico.get("/api/v1/alianzas", params={"orden": carga}).status_code == 422
    for nombre in ("municipio", "departamento", "unidad_operativa"):
        assert publico.get("/api/v1/alianzas", params={nombre: carga}).status_code == 422
        assert publico.get("/api/v1/estadisticas", params={nombre: carga}).status_code == 422
    ogc = publico.get("/ogc/collections/alianzas/items", params={"f": "json", "codigo": carga})
    assert ogc.json()["numberMatched"] == 0
    assert publico.get("/api/v1/exportar/alianzas", params={carga: "1"}).status_code == 400
    assert client.get("/api/v1/alianzas", params={"q": carga}).json()["count"] == 0
    assert conn.execute(text("SELECT count(*) FROM alianza")).scalar() == 2
