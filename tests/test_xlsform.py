"""The field forms (issue 15): the XLSForms shipped in formularios/ convert with pyxform, as
KoboToolbox and ODK Central convert them on upload; they are what the server's vocabulary and
rules make today (a new sector reaches them without editing them, and changes their version);
and every question is a column the importers read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pyxform.xls2xform import convert
from typer.testing import CliRunner

from etl.cli import app
from geo.formatos.lectura import normalizar_encabezado
from geo.formatos.xlsform import IDIOMA, leer_valores, libro
from geo.plataforma.config import PROJECT_ROOT
from geo.registro import importacion, importacion_seguimiento
from geo.registro.formularios_campo import (
    CARPETA,
    FORMULARIOS,
    registro_alianza,
    visita_seguimiento,
)
from geo.vocabulario.catalogos import ETAPAS, SECTORES

XF = "{http://www.w3.org/2002/xforms}"
JR = "{http://openrosa.org/javarosa}"
SALIDAS = PROJECT_ROOT / CARPETA


def _xform(datos: bytes) -> ET.Element:
    avisos: list[str] = []
    resultado = convert(datos, warnings=avisos, validate=False, file_type=".xlsx")
    assert avisos == []
    return ET.fromstring(resultado.xform)


def _opciones(xform: ET.Element, lista: str) -> dict[str, str]:
    """A choice list of the XForm as {name: label}, the labels read from its translation."""
    textos = {
        t.get("id"): t.findtext(f"{XF}value")
        for t in xform.iter(f"{XF}text")
        if (t.get("id") or "").startswith(f"{lista}-")
    }
    instancia = next(i for i in xform.iter(f"{XF}instance") if i.get("id") == lista)
    return {
        item.findtext(f"{XF}name") or "": textos[item.findtext(f"{XF}itextId")] or ""
        for item in instancia.iter(f"{XF}item")
    }


def _bind(xform: ET.Element, ruta: str) -> dict[str, str]:
    return next(b.attrib for b in xform.iter(f"{XF}bind") if b.get("nodeset") == ruta)


def test_the_shipped_alliance_form_converts_with_the_catalogues_and_the_servers_limits():
    xform = _xform((SALIDAS / "registro_alianza.xlsx").read_bytes())
    assert _opciones(xform, "sector") == SECTORES
    assert _opciones(xform, "etapa") == ETAPAS
    assert _opciones(xform, "modelo") == {
        "1": "Inversión integral",
        "2": "Asistencia técnica productiva",
        "3": "Acceso a crédito",
    }
    mujeres = _bind(xform, "/data/beneficiarios/familias_mujeres")
    assert " ".join(mujeres["constraint"].split()) == ". >= 0 and . <= /data/beneficiarios/familias"
    assert _bind(xform, "/data/datos_alianza/codigo")["constraint"] == "string-length(.) <= 64"
    assert _bind(xform, "/data/datos_alianza/codigo")["required"] == "true()"
    assert _bind(xform, "/data/datos_alianza/fecha_solicitud")["constraint"] == (
        ". >= date('2000-01-01') and . <= today() + 365"
    )
    assert _bind(xform, "/data/montos/monto_transferido_bs")["constraint"] == ". >= 0"
    assert _bind(xform, "/data/lugar/ubicacion")["type"] == "geopoint"
    assert _bind(xform, "/data/lugar/ubicacion")["required"] == "true()"
    assert _bind(xform, "/data/lugar/foto")["type"] == "binary"
    raiz = next(xform.iter(f"{XF}instance"))[0]
    assert (raiz.get("id"), raiz.get("version")) == (
        "sigg_registro_alianza",
        registro_alianza().version(),
    )
    idiomas = {t.get("lang") for t in xform.iter(f"{XF}translation")}
    assert idiomas == {IDIOMA}


def test_the_shipped_visit_form_converts_with_its_cycle_limits_and_yes_no_choices():
    xform = _xform((SALIDAS / "visita_seguimiento.xlsx").read_bytes())
    assert _bind(xform, "/data/ciclo")["constraint"] == ". >= 0 and . <= 50"
    assert _bind(xform, "/data/ciclo")["type"] == "int"
    assert _bind(xform, "/data/codigo_alianza")["required"] == "true()"
    assert _bind(xform, "/data/resultados/ventas_bs")["constraint"] == ". >= 0"
    assert "constraint" not in _bind(xform, "/data/resultados/ingreso_bs")  # may be a loss
    assert _opciones(xform, "si_no") == {"si": "Sí", "no": "No"}
    raiz = next(xform.iter(f"{XF}instance"))[0]
    assert raiz.get("id") == "sigg_visita_seguimiento"


@pytest.mark.parametrize("nombre", sorted(FORMULARIOS))
def test_the_shipped_files_are_what_the_vocabulary_makes_today(nombre):
    enviado = leer_valores((SALIDAS / f"{nombre}.xlsx").read_bytes())
    assert enviado == FORMULARIOS[nombre]().valores(), "ejecute: sigg formularios"


def test_a_new_sector_reaches_the_form_without_editing_it_and_changes_its_version(monkeypatch):
    antes = (registro_alianza().version(), visita_seguimiento().version())
    monkeypatch.setitem(SECTORES, "cuyes", "Crianza de cuyes")
    formulario = registro_alianza()
    assert ["sector", "cuyes", "Crianza de cuyes"] in formulario.valores()["choices"]
    assert _opciones(_xform(libro(formulario)), "sector")["cuyes"] == "Crianza de cuyes"
    assert formulario.version() != antes[0]
    assert visita_seguimiento().version() == antes[1]  # the visit form asks no sector


def test_every_question_is_a_column_the_importers_read_by_name_and_by_label():
    filas = registro_alianza().valores()["survey"]
    preguntas = {f[1]: f[2] for f in filas[1:] if f[0] not in ("begin_group", "end_group")}
    por_leer = {n: e for n, e in preguntas.items() if n not in ("start", "end", "foto")}
    assert set(por_leer) - set(importacion.ALIAS) == {"ubicacion"}
    assert "ubicacion" in importacion.COORDENADAS
    for nombre, etiqueta in por_leer.items():
        for columna in (nombre, normalizar_encabezado(etiqueta or "")):
            mapa, sobrantes = importacion.mapa_columnas([columna, "foto", "start", "instanceid"])
            assert sobrantes == [], columna
            assert nombre == "ubicacion" or mapa == {nombre: columna}, columna
    filas = visita_seguimiento().valores()["survey"]
    preguntas = {f[1]: f[2] for f in filas[1:] if f[0] not in ("begin_group", "end_group")}
    campos = {v: c for c, alias in importacion_seguimiento.ALIAS.items() for v in alias}
    for nombre, etiqueta in preguntas.items():
        if nombre not in ("start", "end", "foto"):
            assert campos[nombre] == campos[normalizar_encabezado(etiqueta or "")]
            assert campos[nombre] == ("codigo" if nombre == "codigo_alianza" else nombre)


def test_sigg_formularios_writes_the_forms_and_comprobar_fails_when_one_lags(tmp_path: Path):
    runner = CliRunner()
    escrito = runner.invoke(app, ["formularios", "--carpeta", str(tmp_path)])
    assert escrito.exit_code == 0, escrito.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "registro_alianza.xlsx",
        "visita_seguimiento.xlsx",
    ]
    comprobado = runner.invoke(app, ["formularios", "--carpeta", str(tmp_path), "--comprobar"])
    assert comprobado.exit_code == 0, comprobado.output
    (tmp_path / "visita_seguimiento.xlsx").write_bytes(libro(registro_alianza()))
    atrasado = runner.invoke(app, ["formularios", "--carpeta", str(tmp_path), "--comprobar"])
    assert atrasado.exit_code == 1
    assert leer_valores((tmp_path / "visita_seguimiento.xlsx").read_bytes()) != (
        visita_seguimiento().valores()
    )  # --comprobar writes nothing
