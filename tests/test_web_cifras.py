"""Trustworthy numbers for staff and the verification tray (issue 14), in a real browser:
Debian's Chromium driven by Playwright against the API serving the calibrated demo, with a
realistic backlog of records in verification (tests/bandeja_demo.py), at a desktop and a phone
size. Figures, map and downloads follow the "Solo validados / Todos mis registros" switch and
are compared with the public view and with the API; a unit's user lands on the unit; the tray
pages, asks before a move, says what happened and undoes a validation."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Response
from sqlalchemy import Engine

from tests.bandeja_demo import retirar, sembrar
from tests.conftest import DIBUJADO, _sin_limites

DOCS = Path(__file__).resolve().parents[1] / "docs"
ESCRITORIO = {"width": 1440, "height": 900}
MOVIL = {"width": 390, "height": 844}
TAMANOS = pytest.mark.parametrize("tamano", [ESCRITORIO, MOVIL], ids=["1440", "390"])
CLAVE = "clave de las pruebas"  # tests/conftest.py cuentas_de_prueba
NACIONAL, CHACO, TECNICO = "nacional.bo", "unidad.chaco", "tecnico.chaco"
DEFECTO = "nivel=nacional&programa=PAR2&etapa_alcanzada=convenio_firmado"


@pytest.fixture(scope="module")
def atrasos(demo_engine: Engine) -> Iterator[dict[str, list[str]]]:
    """The backlog, committed to the demo database for this module and removed afterwards."""
    with demo_engine.begin() as conn:
        retirar(conn)  # a run cut short may have left it
        bandejas = sembrar(conn)
    yield bandejas
    with demo_engine.begin() as conn:
        retirar(conn)


@pytest.fixture(autouse=True)
def _sin_limite_de_ingresos(demo_engine: Engine) -> None:
    """Each test logs in once or twice: not against the others' count of logins (10/minute)."""
    _sin_limites(demo_engine)


def _abrir(page: Page, url: str, tamano: dict[str, int]) -> list[str]:
    """Open the page at a size; the list collects every failed API request."""
    fallidas: list[str] = []

    def anotar(r: Response) -> None:
        if r.status >= 400 and "/api/" in r.url:
            fallidas.append(f"{r.status} {r.url}")

    page.on("response", anotar)
    page.set_viewport_size(tamano)
    page.goto(url)
    page.wait_for_selector(DIBUJADO, state="attached", timeout=30000)
    page.wait_for_selector("#tablero[data-consulta]", state="attached", timeout=30000)
    return fallidas


def _ingresar(page: Page, usuario: str) -> None:
    page.click("#boton-ingresar")
    page.fill("#usuario", usuario)
    page.fill("#clave", CLAVE)
    page.click("#ingreso-form button[type=submit]")
    page.wait_for_function("() => !document.querySelector('#boton-salir').hidden", timeout=15000)


def _en_el_telefono(page: Page, tamano: dict[str, int], que: str) -> None:
    """What a person does first on a phone: open the filters drawer or raise the bottom sheet."""
    if tamano is not MOVIL:
        return
    if que == "filtros":
        page.click("#boton-filtros")
        page.wait_for_selector("#controles.abierto")
    elif que == "mapa":
        page.click("#filtros-listo")
        page.wait_for_selector("#controles:not(.abierto)", state="attached")
    else:
        page.click("#hoja-asa")
        page.wait_for_selector("#lateral.alta")


def _cifras_listas(page: Page, validados: bool) -> None:
    page.wait_for_function(
        "(v) => (document.querySelector('#tablero').dataset.consulta || '')"
        ".includes('validados=true') === v",
        arg=validados,
        timeout=20000,
    )
    page.wait_for_load_state("networkidle")


def _numero(texto: str) -> float:
    """A figure as the page writes it (es-BO: 35.638 and 35,99)."""
    return float(texto.strip().replace(".", "").replace(",", "."))


def _titulares(page: Page) -> dict[str, float]:
    filas = page.eval_on_selector_all(
        "#titulares .titular",
        "ts => ts.map(t => [t.dataset.medida, t.querySelector('.cifra').textContent])",
    )
    return {medida: _numero(cifra) for medida, cifra in filas}


def _bajar_csv(page: Page) -> tuple[str, str]:
    tamano = MOVIL if page.viewport_size == MOVIL else ESCRITORIO
    _en_el_telefono(page, tamano, "filtros")  # on a phone the downloads are in the drawer
    with page.expect_download(timeout=20000) as descarga:
        page.locator("#bajar-csv").click()
    _en_el_telefono(page, tamano, "mapa")
    d = descarga.value
    return d.suggested_filename, Path(d.path()).read_bytes().decode("utf-8-sig")


def _api(page: Page, ruta: str, como_texto: bool = False):  # type: ignore[no-untyped-def]
    """GET the API from the page with the session's token (what a staff member may read)."""
    return page.evaluate(
        """async ([ruta, texto]) => {
            const s = JSON.parse(sessionStorage.getItem('sigg.sesion') || 'null');
            const h = s ? { Authorization: 'Bearer ' + s.token } : {};
            const r = await fetch('/api/v1' + ruta, { headers: h });
            return texto ? r.text() : r.json();
        }""",
        [ruta, como_texto],
    )


def _csv(texto: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(texto.lstrip("\ufeff"))))


@TAMANOS
def test_validated_only_equals_the_public_view_and_all_my_records_equals_the_staff_api(
    pagina, servidor, atrasos, tamano
):
    fallidas = _abrir(pagina, servidor + "/", tamano)
    if tamano is MOVIL:  # the header has no room: the sheet's handle says it
        assert pagina.inner_text("#hoja-asa") == "Cifras · solo registros validados"
    else:
        assert pagina.locator("#vista-publica").is_visible()
    assert pagina.locator("#cifras-registros").is_hidden()  # the public has no switch
    publico = _titulares(pagina)
    nombre, csv_publico = _bajar_csv(pagina)
    assert nombre == "sigg_municipio_familias_por_mil_rurales.csv"
    assert publico["familias"] == 28288  # the demo's beneficiary families, validated

    _ingresar(pagina, NACIONAL)
    _cifras_listas(pagina, validados=True)
    assert pagina.locator("#registros-validados").is_checked()
    assert pagina.locator("#cifras-sin-validar").is_hidden()
    assert _titulares(pagina) == publico
    assert _bajar_csv(pagina) == (nombre, csv_publico)
    if tamano is ESCRITORIO:
        pagina.locator("#controles").evaluate("c => c.scrollTo(0, 0)")
        pagina.mouse.move(0, 0)
        pagina.screenshot(path=str(DOCS / "cifras-solo-validados-1440.png"))

    _en_el_telefono(pagina, tamano, "filtros")
    pagina.locator("#cifras-registros label[for=registros-todos]").click()
    _en_el_telefono(pagina, tamano, "mapa")
    _cifras_listas(pagina, validados=False)
    assert "registros=todos" in pagina.url  # the choice is kept in the link
    assert pagina.locator("#cifras-sin-validar").is_visible()
    assert pagina.locator("#cifras-sin-validar").inner_text() == "Incluye registros sin validar"
    assert "Incluye registros sin validar" in pagina.locator(".leyenda").inner_text()
    v = _api(pagina, "/estadisticas?" + DEFECTO)["data"][0]["valores"]
    todos = _titulares(pagina)
    claves = ("familias", "pct_mujeres", "hectareas_riego", "alianzas")
    assert todos == {k: round(v[k], 2) for k in claves}
    assert todos["familias"] > publico["familias"] and todos["alianzas"] > publico["alianzas"]
    nombre_todos, csv_todos = _bajar_csv(pagina)
    assert nombre_todos == nombre
    enlace = pagina.locator("#bajar-csv").get_attribute("href") or ""
    assert "validados" not in enlace
    assert csv_todos == _api(pagina, enlace.removeprefix("/api/v1"), como_texto=True).lstrip(
        "\ufeff"
    )
    assert _csv(csv_todos) != _csv(csv_publico)  # the staff's file is not the public's
    if tamano is ESCRITORIO:
        pagina.locator("#controles").evaluate("c => c.scrollTo(0, 0)")
        pagina.mouse.move(0, 0)
        pagina.screenshot(path=str(DOCS / "cifras-todos-1440.png"))
    assert fallidas == [] and pagina.errores == []


def test_the_cycle_is_not_flat_and_labels_and_targets_say_what_they_count(pagina, servidor):
    _abrir(pagina, servidor + "/", ESCRITORIO)
    ciclo = [
        _numero(t)
        for t in pagina.locator("#embudo-ciclo .etiqueta > :last-child").all_inner_texts()
    ]
    assert ciclo[0] > ciclo[2] > ciclo[5] > ciclo[-1]  # solicitudes > plan > convenio > concluidas
    assert ciclo == sorted(ciclo, reverse=True)
    familias = pagina.locator("#titulares [data-medida=familias]")
    assert familias.locator(".nombre").inner_text() == "Familias beneficiarias"
    meta = familias.locator(".meta").inner_text()
    assert re.fullmatch(r"meta 27\.825 · 101,7 % de la meta", meta), meta

    pagina.select_option("#etapa_alcanzada", "")
    pagina.wait_for_function(
        "() => !document.querySelector('#tablero').dataset.consulta.includes('etapa')"
    )
    assert (
        familias.locator(".nombre").inner_text()
        == "Familias (todas las etapas, incluye solicitudes)"
    )
    assert familias.locator(".meta").inner_text() == "sin meta con este filtro de etapa"
    assert "beneficiarias" not in pagina.locator("#titulares").inner_text()
    assert "beneficiarias" not in pagina.locator(".leyenda .titulo-leyenda").inner_text()
    assert [
        _numero(t)
        for t in pagina.locator("#embudo-ciclo .etiqueta > :last-child").all_inner_texts()
    ] == ciclo

    pagina.select_option("#etapa_alcanzada", "convenio_firmado")
    pagina.select_option("#nivel", "departamento")
    pagina.wait_for_function(
        "() => document.querySelectorAll('path.leaflet-interactive').length === 9"
    )
    pagina.locator('path[data-codigo="07"]').click(force=True)  # Santa Cruz
    pagina.wait_for_function(
        "() => document.querySelector('#tablero').dataset.consulta.includes('departamento=07')"
    )
    assert familias.locator(".meta").inner_text() == "sin meta por unidad"
    assert "27.825" not in pagina.locator("#titulares").inner_text()  # never the national target
    assert pagina.errores == []


@TAMANOS
def test_a_unit_user_lands_on_the_unit_and_a_shared_link_keeps_its_place(
    pagina, servidor, atrasos, tamano
):
    fallidas = _abrir(pagina, servidor + "/", tamano)
    _ingresar(pagina, CHACO)
    pagina.wait_for_function(
        "() => location.hash.includes('unidad_operativa=CHACO')", timeout=15000
    )
    pagina.wait_for_function(
        "() => document.querySelectorAll('path.leaflet-interactive').length === 16"
    )
    assert pagina.locator("#unidad_operativa").input_value() == "CHACO"
    assert pagina.locator("#ruta").inner_text() == "Bolivia › Chaco"
    _cifras_listas(pagina, validados=True)
    assert (
        pagina.locator("#titulares [data-medida=familias] .meta").inner_text()
        == "sin meta por unidad"
    )
    assert pagina.locator("#bandeja-cuenta").inner_text() == str(len(atrasos["chaco"]))
    pagina.locator("#boton-salir").click()

    pagina.goto(servidor + "/#nivel=municipio&unidad_operativa=TJA")
    pagina.wait_for_selector("#tablero[data-consulta]", state="attached")
    _ingresar(pagina, CHACO)
    _cifras_listas(pagina, validados=True)
    assert "unidad_operativa=TJA" in pagina.url  # a link that names a place is kept
    assert fallidas == [] and pagina.errores == []


def _item(page: Page, codigo: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#bandeja-lista li[data-codigo='{codigo}']")


def _buscar_en_bandeja(page: Page, texto: str) -> None:
    page.locator("#bandeja-q").fill(texto)
    page.wait_for_function(
        "(t) => [...document.querySelectorAll('#bandeja-lista li.pendiente')].every("
        "li => li.dataset.codigo.includes(t))",
        arg=texto,
        timeout=10000,
    )


@TAMANOS
def test_national_validates_with_a_confirmation_is_told_and_can_undo(
    pagina, servidor, atrasos, tamano
):
    codigo = "REV-LPZ-003"
    fallidas = _abrir(pagina, servidor + "/", tamano)
    _ingresar(pagina, NACIONAL)
    _cifras_listas(pagina, validados=True)
    antes = _titulares(pagina)["familias"]
    _en_el_telefono(pagina, tamano, "hoja")
    _buscar_en_bandeja(pagina, codigo)
    item = _item(pagina, codigo)
    aid = pagina.evaluate(
        "async (c) => (await (await fetch('/api/v1/alianzas?q=' + c, {headers: "
        "{Authorization: 'Bearer ' + JSON.parse(sessionStorage.getItem('sigg.sesion')).token}}))"
        ".json()).data[0].id",
        codigo,
    )
    suma = _api(pagina, f"/alianzas/{aid}")["familias"]

    item.locator("button[data-accion=validar]").click()
    pregunta = item.locator(".confirmar")
    assert pregunta.locator(".pregunta").inner_text() == f"¿Validar {codigo}?"
    pregunta.locator("button", has_text="No").click()
    assert item.locator(".confirmar").count() == 0  # nothing happened
    assert _api(pagina, f"/alianzas/{aid}")["estado"] == "verificado"

    item.locator("button[data-accion=validar]").click()
    item.locator("button[data-confirmar=validar]").click()
    aviso = pagina.locator("#bandeja-aviso")
    aviso.get_by_text(f"La alianza {codigo} fue validada por la coordinación nacional.").wait_for()
    item.wait_for(state="detached", timeout=15000)
    assert _api(pagina, f"/alianzas/{aid}")["estado"] == "validado"
    pagina.wait_for_function(
        "(n) => document.querySelector('#titulares [data-medida=familias] .cifra').textContent"
        " === n",
        arg=f"{antes + suma:,.0f}".replace(",", "."),
        timeout=15000,
    )  # the validated-only figures count it now

    aviso.get_by_role("button", name="Deshacer").click()
    aviso.get_by_text(f"Deshecho: {codigo} vuelve a «Verificado por la unidad».").wait_for()
    item.wait_for(timeout=15000)  # back in the tray
    assert _api(pagina, f"/alianzas/{aid}")["estado"] == "verificado"
    pasos = _api(pagina, f"/alianzas/{aid}/verificacion")["data"]
    assert [(p["accion"], p["comentario"]) for p in pasos[-3:]] == [
        ("validar", None),
        ("reabrir", "Deshecho: validación por error"),
        ("verificar", "Deshecho: validación por error"),
    ]
    pagina.wait_for_function(
        "(n) => document.querySelector('#titulares [data-medida=familias] .cifra').textContent"
        " === n",
        arg=f"{antes:,.0f}".replace(",", "."),
        timeout=15000,
    )
    assert fallidas == [] and pagina.errores == []


def test_the_tray_pages_filters_folds_and_leaves_the_summary_in_view(pagina, servidor, atrasos):
    total = len(atrasos["nacional"])
    _abrir(pagina, servidor + "/", ESCRITORIO)
    _ingresar(pagina, NACIONAL)
    rango = pagina.locator("#bandeja-rango")
    pagina.wait_for_function("(t) => document.querySelector('#bandeja-rango').textContent === t",
                             arg=f"1–10 de {total}")  # fmt: skip
    assert pagina.locator("#bandeja-lista li.pendiente").count() == 10
    assert pagina.locator("#bandeja-anterior").is_disabled()
    primero = pagina.locator("#bandeja-lista li.pendiente").first.get_attribute("data-codigo")
    pagina.locator("#bandeja-siguiente").click()
    pagina.wait_for_function("(t) => document.querySelector('#bandeja-rango').textContent === t",
                             arg=f"11–20 de {total}")  # fmt: skip
    assert (
        pagina.locator("#bandeja-lista li.pendiente").first.get_attribute("data-codigo") != primero
    )
    # at most ~45% of the side panel, the summary's headlines in view without scrolling
    alto = pagina.evaluate("document.querySelector('#bandeja').getBoundingClientRect().height")
    lateral = pagina.evaluate("document.querySelector('#lateral').clientHeight")
    assert alto <= 0.46 * lateral
    titulares = pagina.evaluate("document.querySelector('#titulares').getBoundingClientRect().top")
    assert titulares < ESCRITORIO["height"]

    pagina.select_option("#bandeja-unidad", "TJA")
    tarija = [c for c in atrasos["nacional"] if c.startswith("REV-TJA")]
    en_pagina = min(10, len(tarija))
    pagina.wait_for_function(
        "(t) => document.querySelector('#bandeja-rango').textContent === t",
        arg=f"1–{en_pagina} de {len(tarija)}",
    )
    codigos = pagina.locator("#bandeja-lista li.pendiente").evaluate_all(
        "ls => ls.map(l => l.dataset.codigo)"
    )
    assert len(codigos) == en_pagina and set(codigos) <= set(tarija)
    pagina.select_option("#bandeja-unidad", "")
    _buscar_en_bandeja(pagina, "REV-BEN-004")
    item = _item(pagina, "REV-BEN-004")
    texto = item.inner_text()
    assert "Cambios desde que nacional.bo la observó" in texto
    assert (
        re.search(r"Familias: \d+ → \d+", texto) and "Familias representadas por mujeres" in texto
    )
    assert texto.count("Las familias no cuadran con el acta") == 1  # said once, with who
    assert "verificó el" in texto and "Corregido según el acta" in texto
    assert "verificado" not in texto  # the state's label, never its code
    assert rango.inner_text() == "1–1 de 1"

    pagina.locator("#bandeja-plegar").click()
    assert pagina.locator("#bandeja-cuerpo").is_hidden()
    assert pagina.locator("#bandeja-plegar").get_attribute("aria-expanded") == "false"
    pagina.locator("#bandeja-plegar").click()
    assert pagina.locator("#bandeja-lista").is_visible()

    eventos = pagina.evaluate(
        """() => new Promise((listo) => {
            document.addEventListener('sigg:abrir-ficha', (e) => listo(e.detail), { once: true });
            document.querySelector("#bandeja-lista li[data-codigo='REV-BEN-004'] .titulo").click();
        })"""
    )
    assert eventos["recurso"] == "alianzas" and isinstance(eventos["id"], int)
    assert pagina.evaluate("() => mapa.getZoom()") >= 10  # and the point is marked on the map
    assert pagina.errores == []


def test_the_work_is_one_tab_away_and_focus_returns_after_the_login(pagina, servidor, atrasos):
    _abrir(pagina, servidor + "/", ESCRITORIO)
    assert pagina.locator('path[tabindex="0"]').count() == 0  # the 339 shapes are not tab stops
    pagina.keyboard.press("Tab")
    assert pagina.evaluate("document.activeElement.textContent") == "Saltar al contenido de trabajo"
    pagina.click("#boton-ingresar")
    pagina.click("#ingreso-cancelar")
    assert pagina.evaluate("document.activeElement.id") == "boton-ingresar"
    _ingresar(pagina, NACIONAL)
    assert pagina.evaluate("document.activeElement.id") == "sesion-quien"
    pagina.focus("a.saltar")
    pagina.keyboard.press("Enter")
    assert pagina.evaluate("document.activeElement.id") == "bandeja-plegar"
    pagina.keyboard.press("Tab")
    assert pagina.evaluate("document.activeElement.id") == "bandeja-q"
    assert pagina.errores == []


USUARIOS = {"nacional": NACIONAL, "chaco": CHACO, "tecnico-chaco": TECNICO}


@pytest.mark.parametrize("quien", USUARIOS)
@TAMANOS
def test_screenshots_of_each_staff_tray(pagina, servidor, atrasos, quien, tamano):
    """docs/bandeja-<quien>-<ancho>.png: the page as each kind of staff member sees it."""
    fallidas = _abrir(pagina, servidor + "/", tamano)
    _ingresar(pagina, USUARIOS[quien])
    pagina.wait_for_selector("#bandeja-lista li", timeout=15000)
    _cifras_listas(pagina, validados=True)
    _en_el_telefono(pagina, tamano, "filtros")
    pagina.locator("#registros-todos").check()
    _en_el_telefono(pagina, tamano, "mapa")
    _cifras_listas(pagina, validados=False)
    _en_el_telefono(pagina, tamano, "hoja")
    ancho = pagina.evaluate("document.documentElement.scrollWidth")
    assert ancho <= tamano["width"]  # nothing overflows sideways
    texto = pagina.locator("#bandeja").inner_text()
    assert not re.search(
        r"\b(registrado|verificado|observado|validado)\b", texto
    )  # labels, not codes
    if tamano is MOVIL:
        pagina.locator("#bandeja").scroll_into_view_if_needed()
    pagina.mouse.move(0, 0)
    pagina.screenshot(path=str(DOCS / f"bandeja-{quien}-{tamano['width']}.png"))
    assert fallidas == [] and pagina.errores == []
