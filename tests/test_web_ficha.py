"""The staff workspace in a real browser (issue 14, Read + Enter): Debian's Chromium against the
API over the demo database. A Chaco técnico registers an alliance from a phone by tapping its
point; the form shows the locator's answer and the errors at their fields, keeps the draft across
a reload; the Chaco unit verifies it from its record screen, national coordination validates it,
and only then do the public figures count it. Two people editing one alliance: the second save
shows the conflict and keeps what was typed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import Engine, text

from geo.acceso.cuentas import crear
from geo.plataforma.config import Settings
from tests.conftest import DIBUJADO, _sin_limites, cabeceras
from tests.test_adjuntos import FOTO_LA_PAZ, FOTO_YACUIBA, jpeg

CLAVE = "clave de prueba de la ficha"
DOCS = Path(__file__).resolve().parents[1] / "docs"
MOVIL = {"width": 390, "height": 844}
ESCRITORIO = {"width": 1440, "height": 900}
YACUIBA = (-22.02, -63.68)  # lat, lon: inside Yacuiba (060301), Gran Chaco, Tarija, unit Chaco
CODIGO = "FICHA-1"
CUENTAS = (
    ("ficha.tecnico", "Técnica de campo (prueba)", "tecnico", "CHACO"),
    ("ficha.unidad", "Unidad Chaco (prueba)", "unidad", "CHACO"),
    ("ficha.nacional", "Coordinación (prueba)", "nacional", None),
)


@pytest.fixture(scope="module")
def cuentas(demo_engine: Engine) -> Iterator[None]:
    with demo_engine.begin() as conn:
        for usuario, nombre, rol, unidad in CUENTAS:
            crear(conn, usuario, nombre, rol, unidad, CLAVE)
    yield
    with demo_engine.begin() as conn:
        # a validated record is deleted only once reopened (the database's own guard)
        conn.execute(text("UPDATE alianza SET estado = 'observado' WHERE codigo LIKE 'FICHA-%'"))
        conn.execute(text("DELETE FROM alianza WHERE codigo LIKE 'FICHA-%'"))
        conn.execute(text("DELETE FROM usuario WHERE nombre_usuario LIKE 'ficha.%'"))


def _abrir(page: Page, url: str, tamano: dict[str, int]) -> None:
    page.set_viewport_size(tamano)
    page.goto(url)
    page.wait_for_selector(DIBUJADO, state="attached", timeout=30000)


def _ingresar(page: Page, usuario: str) -> None:
    page.click("#boton-ingresar")
    page.fill("#usuario", usuario)
    page.fill("#clave", CLAVE)
    page.click("#ingreso-form button[type=submit]")
    page.wait_for_selector("#trabajo:not([hidden])", timeout=10000)


def _tocar(page: Page, lat: float, lon: float) -> None:
    """A tap on the main map at a geographic point, where a person would put a finger."""
    page.evaluate("([la, lo]) => mapa.setView([la, lo], 10, { animate: false })", [lat, lon])
    x, y = page.evaluate(
        "([la, lo]) => { const r = document.getElementById('mapa').getBoundingClientRect();"
        " const p = mapa.latLngToContainerPoint([la, lo]); return [r.left + p.x, r.top + p.y]; }",
        [lat, lon],
    )
    page.mouse.click(x, y)


def _api(servidor: str) -> httpx.Client:
    return httpx.Client(base_url=servidor + "/api/v1", timeout=30)


def _abrir_ficha(page: Page, aid: int) -> None:
    page.evaluate(
        "(id) => document.dispatchEvent(new CustomEvent('sigg:abrir-ficha',"
        " { detail: { recurso: 'alianzas', id } }))",
        aid,
    )
    page.wait_for_selector("#espacio .sellos", timeout=15000)


def test_a_field_tecnico_registers_an_alliance_on_a_phone_and_it_reaches_the_public(
    pagina: Page, servidor: str, cuentas: None
) -> None:
    page = pagina
    _abrir(page, servidor + "/", MOVIL)
    _ingresar(page, "ficha.tecnico")
    page.click("#boton-nueva-alianza")
    page.wait_for_selector("#form-alianza")
    # the vocabulary comes from the server, with labels
    assert "Apicultura" in page.locator("#f-sector option").all_inner_texts()
    page.fill("#f-codigo", CODIGO)
    page.fill("#f-nombre", "Miel del Chaco (ficha)")
    page.select_option("#f-sector", "apicultura")
    page.select_option("#f-modelo", "1")
    page.select_option("#f-financiamiento", "inicial")
    page.fill("#f-familias", "20")
    page.fill("#f-familias_mujeres", "25")
    page.fill("#f-fecha_solicitud", "1990-05-01")  # only the server knows this is implausible
    page.click("text=Marcar en el mapa")
    _tocar(page, *YACUIBA)
    page.wait_for_selector("#f-lugar strong", timeout=15000)
    assert page.inner_text("#f-lugar strong") == "Yacuiba · Gran Chaco · Tarija · Unidad Chaco"
    page.screenshot(path=str(DOCS / "issue14-alta-punto-movil.png"))
    page.click(".banda-eleccion button")

    # women > families: the error at that field, nothing sent
    page.click("#form-alianza button[type=submit]")
    error = page.locator("#f-familias_mujeres-error")
    assert "No puede superar las familias (20)" in error.inner_text()
    assert page.get_attribute("#f-familias_mujeres", "aria-invalid") == "true"
    page.screenshot(path=str(DOCS / "issue14-alta-error-movil.png"))
    page.fill("#f-familias_mujeres", "12")

    # the server's refusal appears at its field, and nothing typed is lost
    page.click("#form-alianza button[type=submit]")
    page.wait_for_selector("#f-fecha_solicitud[aria-invalid=true]", timeout=10000)
    assert page.inner_text("#f-fecha_solicitud-error") != ""
    assert page.input_value("#f-nombre") == "Miel del Chaco (ficha)"

    # the draft survives a reload (same tab: the session too)
    page.reload()
    page.wait_for_selector(DIBUJADO, state="attached", timeout=30000)
    page.click("#boton-nueva-alianza")
    page.wait_for_selector("#form-alianza")
    assert "Se recuperó un borrador" in page.inner_text("#form-alianza")
    assert page.input_value("#f-nombre") == "Miel del Chaco (ficha)"
    assert page.input_value("#f-familias_mujeres") == "12"
    page.wait_for_selector("#f-lugar strong", timeout=15000)
    page.fill("#f-fecha_solicitud", "2025-03-10")
    page.click("#form-alianza button[type=submit]")
    page.wait_for_selector("#espacio .sellos", timeout=15000)
    assert "registrada" in page.inner_text("#espacio .resultado-accion")
    assert page.inner_text("#espacio .sello.estado-registrado") == "Registrado"
    assert page.evaluate("() => localStorage.getItem('sigg.borrador.alianza.nueva')") is None

    # two photos from the phone: one taken in Yacuiba, one in La Paz (flagged, not refused),
    # and an executable renamed .jpg (refused, said beside the list)
    page.set_input_files(
        "#ficha-adjuntos input[type=file]",
        files=[
            {"name": "en-yacuiba.jpg", "mimeType": "image/jpeg", "buffer": jpeg(FOTO_YACUIBA)},
            {"name": "en-la-paz.jpg", "mimeType": "image/jpeg", "buffer": jpeg(FOTO_LA_PAZ)},
            {
                "name": "virus.jpg",
                "mimeType": "image/jpeg",
                "buffer": b"MZ\x90\x00" + b"\x00" * 200,
            },
        ],
    )
    page.wait_for_selector("#ficha-adjuntos .adjunto >> nth=1", timeout=20000)
    adjuntos = page.locator("#ficha-adjuntos .adjunto")
    assert adjuntos.count() == 2
    marcados = page.locator("#ficha-adjuntos .adjunto.marcado")
    assert marcados.count() == 1
    assert "en-la-paz.jpg" in marcados.inner_text()
    assert "Foto tomada fuera de Yacuiba" in marcados.inner_text()
    assert "virus.jpg" in page.inner_text("#ficha-adjuntos .nota-error")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#ficha-adjuntos img')]"
        ".every((i) => i.src.startsWith('blob:'))"
    )
    page.screenshot(path=str(DOCS / "issue14-ficha-registrada-movil.png"), full_page=True)

    api = _api(servidor)
    settings = Settings()
    nacional = cabeceras(settings, "nacional")
    guardada = api.get("/alianzas", params={"q": CODIGO}, headers=nacional).json()["data"][0]
    assert guardada["municipio"]["codigo"] == "060301"
    assert (guardada["familias"], guardada["familias_mujeres"]) == (20, 12)
    assert guardada["precision_ubicacion"] == 1
    assert guardada["fecha_solicitud"] == "2025-03-10"
    # not public yet
    assert api.get("/alianzas", params={"q": CODIGO}).json()["count"] == 0

    # the Chaco unit reads its record screen, then verifies it there
    page.click("#boton-salir")
    _abrir(page, servidor + "/", ESCRITORIO)
    _ingresar(page, "ficha.unidad")
    _abrir_ficha(page, guardada["id"])
    texto = page.inner_text("#espacio")
    assert "Familias representadas por mujeres" in texto and "Apicultura" in texto
    assert "apicultura" not in texto  # labels, never the code
    page.click("#espacio button[data-accion=verificar]")
    page.click("#espacio .confirmar button[type=submit]")
    page.wait_for_selector("#espacio .sello.estado-verificado", timeout=15000)
    assert "verificada" in page.inner_text("#espacio .resultado-accion")
    page.screenshot(path=str(DOCS / "issue14-ficha-verificada-1440.png"))

    # national coordination validates it; then the public sees it
    page.click("#boton-salir")
    _ingresar(page, "ficha.nacional")
    _abrir_ficha(page, guardada["id"])
    assert "Verificado por la unidad" in page.inner_text("#espacio .pasos")
    page.click("#espacio button[data-accion=validar]")
    page.click("#espacio .confirmar button[type=submit]")
    page.wait_for_selector("#espacio .sello.estado-validado", timeout=15000)
    publica = api.get("/alianzas", params={"q": CODIGO}).json()
    assert publica["count"] == 1 and publica["data"][0]["familias"] == 20
    api.close()
    assert page.errores == []  # type: ignore[attr-defined]


@pytest.fixture
def alianza_en_edicion(
    servidor: str, cuentas: None, demo_engine: Engine
) -> Iterator[dict[str, Any]]:
    _sin_limites(demo_engine)  # the conflict test logs in twice on contexts of its own
    api = _api(servidor)
    r = api.post(
        "/alianzas",
        json={"codigo": "FICHA-2", "nombre": "Alianza en edición", "sector": "apicultura",
              "modelo": 2, "financiamiento": "inicial", "familias": 30, "familias_mujeres": 10,
              "lon": -63.677, "lat": -22.015},
        headers=cabeceras(Settings(), "unidad", "CHACO"),
    )  # fmt: skip
    assert r.status_code == 201, r.text
    yield r.json()
    api.close()
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM seguimiento WHERE alianza_id = :i"), {"i": r.json()["id"]})
        conn.execute(text("DELETE FROM alianza WHERE id = :i"), {"i": r.json()["id"]})
        conn.execute(text("DELETE FROM organizacion WHERE nombre = 'OPP Ficha'"))


def test_two_people_edit_one_alliance_and_the_second_sees_the_conflict(
    navegador: Browser, servidor: str, alianza_en_edicion: dict[str, Any]
) -> None:
    aid = alianza_en_edicion["id"]
    paginas = []
    for _ in range(2):
        contexto = navegador.new_context(viewport=ESCRITORIO)
        p = contexto.new_page()
        _abrir(p, servidor + "/", ESCRITORIO)
        _ingresar(p, "ficha.unidad")
        _abrir_ficha(p, aid)
        p.click("#espacio button:text-is('Editar')")
        p.wait_for_selector("#form-alianza")
        paginas.append(p)
    primera, segunda = paginas
    primera.fill("#f-familias", "31")
    primera.click("#form-alianza button[type=submit]")
    primera.wait_for_selector("#espacio .sellos", timeout=15000)

    segunda.fill("#f-familias", "45")
    segunda.fill("#f-nombre", "Alianza en edición (segunda)")
    segunda.click("#form-alianza button[type=submit]")
    segunda.wait_for_selector(".conflicto", timeout=15000)
    conflicto = segunda.inner_text(".conflicto")
    assert "Otro usuario guardó esta alianza" in conflicto
    # the field the other changed, with both values; what was typed is still in the form
    assert "Familias" in conflicto and "45" in conflicto and "31" in conflicto
    assert segunda.input_value("#f-familias") == "45"
    assert segunda.input_value("#f-nombre") == "Alianza en edición (segunda)"
    segunda.screenshot(path=str(DOCS / "issue14-conflicto-1440.png"))
    segunda.click(".conflicto button[data-regla=mio]")
    segunda.wait_for_selector("#espacio .sellos", timeout=15000)
    final = _api(servidor).get(f"/alianzas/{aid}", headers=cabeceras(Settings(), "nacional")).json()
    assert (final["familias"], final["nombre"]) == (45, "Alianza en edición (segunda)")
    for p in paginas:
        p.context.close()


def test_coordinates_typed_in_degrees_minutes_seconds_and_a_swapped_pair(
    pagina: Page, servidor: str, cuentas: None
) -> None:
    page = pagina
    _abrir(page, servidor + "/", ESCRITORIO)
    _ingresar(page, "ficha.tecnico")
    page.click("#boton-nueva-alianza")
    page.wait_for_selector("#form-alianza")
    page.fill("#f-coordenadas", "22°01'12\"S 63°40'48\"O")
    page.dispatch_event("#f-coordenadas", "change")
    page.wait_for_selector("#f-lugar strong", timeout=15000)
    assert page.inner_text("#f-lugar strong").startswith("Yacuiba · Gran Chaco")
    assert page.input_value("#f-lat") == "-22.02" and page.input_value("#f-lon") == "-63.68"
    # longitude first by mistake: the locator says so and offers the fix beside the field
    page.fill("#f-coordenadas", "-63.68, -22.02")
    page.dispatch_event("#f-coordenadas", "change")
    boton = page.locator("#f-coordenadas-error button")
    boton.wait_for(timeout=15000)
    assert boton.inner_text() == "¿Quiso decir -22.02, -63.68 (Yacuiba)?"
    boton.click()
    page.wait_for_selector("#f-lugar strong", timeout=15000)
    assert page.inner_text("#f-lugar strong").startswith("Yacuiba")
    assert page.input_value("#f-coordenadas") == "-22.02, -63.68"
    page.click("#form-alianza .pie-form .enlace")  # discard the draft


def test_a_monitoring_visit_is_recorded_from_the_record_screen(
    pagina: Page, servidor: str, alianza_en_edicion: dict[str, Any]
) -> None:
    page = pagina
    _abrir(page, servidor + "/", MOVIL)
    _ingresar(page, "ficha.unidad")
    _abrir_ficha(page, alianza_en_edicion["id"])
    page.click("text=+ Registrar visita de seguimiento")
    page.wait_for_selector("#form-seguimiento")
    assert page.input_value("#f-ciclo") == "0"  # the first visit is the baseline
    page.fill("#f-ventas_bs", "12000")
    page.fill("#f-costos_bs", "7000")
    page.select_option("#f-relacion_comercial_mantenida", "true")
    page.click("#form-seguimiento button[type=submit]")
    page.wait_for_selector("#ficha-seguimientos .nota-ok", timeout=10000)
    texto = page.inner_text("#ficha-seguimientos")
    assert "Ciclo 0 (línea de base)" in texto
    assert "Ingreso: 5.000" in texto  # sales minus costs, on the server, in Bolivian format
    assert "Se mantiene la relación comercial con el comprador: sí" in texto
    # the same cycle again: refused at its field, nothing lost
    page.click("text=+ Registrar visita de seguimiento")
    page.fill("#f-ciclo", "0")
    page.fill("#f-ventas_bs", "15000")
    page.click("#form-seguimiento button[type=submit]")
    page.wait_for_selector("#f-ciclo[aria-invalid=true]", timeout=10000)
    assert page.inner_text("#f-ciclo-error") != ""
    assert page.input_value("#f-ventas_bs") == "15000"
    page.screenshot(path=str(DOCS / "issue14-seguimiento-movil.png"), full_page=True)
    api = _api(servidor)
    ciclos = api.get(f"/alianzas/{alianza_en_edicion['id']}/seguimientos",
                     headers=cabeceras(Settings(), "nacional")).json()["data"]  # fmt: skip
    assert [(c["ciclo"], c["ingreso_bs"]) for c in ciclos] == [(0, 5000)]
    api.close()


def test_a_unit_registers_a_subproject_linked_to_an_alliance(
    pagina: Page, servidor: str, cuentas: None, demo_engine: Engine
) -> None:
    page = pagina
    _abrir(page, servidor + "/", ESCRITORIO)
    _ingresar(page, "ficha.unidad")
    page.click("#boton-nuevo-subproyecto")
    page.wait_for_selector("#form-subproyecto")
    page.fill("#f-codigo", "FICHA-SP-1")
    page.fill("#f-nombre", "Sistema de riego (ficha)")
    page.fill("#f-familias", "80")
    page.fill("#f-monto_empoderar_comprometido_bs", "250000")
    page.fill("#f-alianzas", "CHACO-1-0005, NO-EXISTE-9")
    page.fill("#f-coordenadas", "-22.02, -63.68")
    page.dispatch_event("#f-coordenadas", "change")
    page.wait_for_selector("#f-lugar strong", timeout=15000)
    page.click("#form-subproyecto button[type=submit]")
    page.wait_for_selector("#f-alianzas[aria-invalid=true]", timeout=10000)
    assert "NO-EXISTE-9" in page.inner_text("#f-alianzas-error")
    page.fill("#f-alianzas", "CHACO-1-0005")
    page.click("#form-subproyecto button[type=submit]")
    page.wait_for_selector("#espacio .sellos", timeout=15000)
    texto = page.inner_text("#espacio")
    assert "Subproyecto FICHA-SP-1 registrado" in texto
    assert "Aporte EMPODERAR comprometido (Bs)" in texto and "250.000" in texto
    assert "Evaluación FPS" in texto and "evaluacion_fps" not in texto
    page.click("#espacio button:text-is('Editar')")
    page.wait_for_selector("#form-subproyecto")
    # a subproject moves one stage at a time
    assert page.locator("#f-etapa option").all_inner_texts() == ["Evaluación FPS", "Licitación"]
    assert page.input_value("#f-alianzas") == "CHACO-1-0005"
    page.screenshot(path=str(DOCS / "issue14-subproyecto-1440.png"))
    page.click("#form-subproyecto .pie-form .enlace")
    with demo_engine.begin() as conn:
        conn.execute(text("DELETE FROM subproyecto_alianza WHERE subproyecto_id IN (SELECT id "
                          "FROM subproyecto_municipal WHERE codigo = 'FICHA-SP-1')"))  # fmt: skip
        conn.execute(text("DELETE FROM subproyecto_municipal WHERE codigo = 'FICHA-SP-1'"))


def test_the_organization_opens_from_its_alliance_and_is_corrected(
    pagina: Page, servidor: str, alianza_en_edicion: dict[str, Any]
) -> None:
    page = pagina
    api = _api(servidor)
    jefe = cabeceras(Settings(), "unidad", "CHACO")
    a = api.get(f"/alianzas/{alianza_en_edicion['id']}", headers=jefe)
    r = api.patch(f"/alianzas/{alianza_en_edicion['id']}", json={"organizacion": "OPP Ficha"},
                  headers=jefe | {"If-Match": a.headers["etag"]})  # fmt: skip
    assert r.status_code == 200, r.text
    oid = r.json()["organizacion"]["id"]
    _abrir(page, servidor + "/", MOVIL)
    _ingresar(page, "ficha.unidad")
    _abrir_ficha(page, alianza_en_edicion["id"])
    page.click("#espacio button:text-is('OPP Ficha')")
    page.wait_for_selector("#form-organizacion")
    page.select_option("#f-formalizada", "true")
    page.fill("#f-familias_miembro", "-3")
    page.click("#form-organizacion button[type=submit]")
    page.wait_for_selector("#f-familias_miembro[aria-invalid=true]", timeout=10000)
    page.fill("#f-familias_miembro", "42")
    page.click("#form-organizacion button[type=submit]")
    page.wait_for_selector("#espacio .nota-ok", timeout=10000)
    assert "Con personería jurídica\nSí" in page.inner_text("#espacio dl.campos")
    o = api.get(f"/organizaciones/{oid}", headers=jefe).json()
    assert (o["formalizada"], o["familias_miembro"]) == (True, 42)
    page.click("#espacio button:text-is('Volver a FICHA-2')")
    page.wait_for_selector("#espacio .sellos", timeout=10000)
    api.close()
