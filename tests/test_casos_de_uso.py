"""The registry's use cases called directly, as the command line and the browser forms call
them: the same rules and the same domain errors as through the API, with no HTTP in between."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from geo.acceso.alcance import Alcance
from geo.formatos.lectura import leer_tabla
from geo.plataforma.errors import (
    CodigoDuplicado,
    EntradaInvalida,
    NoAutenticado,
    NoEncontrado,
    Prohibido,
    RegistroInvalido,
    VersionObsoleta,
)
from geo.registro import casos, organizaciones, subproyectos
from geo.registro.alianzas import programa
from geo.registro.consultas import Filtros, una
from geo.registro.importacion import importar_alianzas
from geo.registro.verificacion import mover
from tests.test_registro_alianzas import alianza

ANA = Alcance("ana", "unidad", "CHACO")
BETO = Alcance("beto", "nacional")
TARIJA = Alcance("tere", "unidad", "TJA")
TOL = 100.0


def _crear(conn, quien=ANA, **cambios):
    return casos.crear_alianza(
        conn, quien, "PAR2", alianza(**({"codigo": "C-001"} | cambios)), tolerancia_m=TOL
    )


def _cuantas(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM alianza")).scalar_one()


def test_create_derives_municipality_and_unit_and_the_audit_names_the_user(conn):
    a = _crear(conn)
    assert (a["codigo"], a["programa"], a["estado"], a["version"]) == (
        "C-001",
        "PAR2",
        "registrado",
        1,
    )
    assert (a["municipio"]["codigo"], a["unidad_operativa"]["codigo"]) == ("060301", "CHACO")
    quien = conn.execute(
        text("SELECT usuario FROM auditoria WHERE tabla = 'alianza' AND registro_id = :i"),
        {"i": a["id"]},
    ).scalar_one()
    assert quien == "ana"


def test_create_outside_the_users_unit_is_forbidden_and_writes_nothing(conn):
    with pytest.raises(Prohibido, match="el municipio 060301 es de la unidad CHACO"):
        _crear(conn, TARIJA)
    assert _cuantas(conn) == 0


def test_create_lists_every_bad_field_in_one_error_and_a_taken_code_is_a_duplicate(conn):
    with pytest.raises(RegistroInvalido) as malo:
        _crear(conn, sector="pesca", modelo=4)
    assert [e["campo"] for e in malo.value.extra["errores"]] == ["modelo", "sector"]
    assert "sector desconocido 'pesca'" in malo.value.mensaje
    assert _cuantas(conn) == 0
    _crear(conn)
    with pytest.raises(CodigoDuplicado) as doble:
        _crear(conn, nombre="otra")
    assert doble.value.extra["errores"] == [
        {"campo": "codigo", "mensaje": "ya existe una alianza con el código C-001 en este programa"}
    ]
    assert _cuantas(conn) == 1


def test_change_refuses_a_new_code_naming_the_field_codigo(conn):
    a = _crear(conn)
    with pytest.raises(EntradaInvalida) as exc:
        casos.modificar_alianza(
            conn, ANA, a["id"], {"codigo": "C-999"}, if_match='"1"', tolerancia_m=TOL
        )
    assert exc.value.extra["campo"] == "codigo"
    assert exc.value.extra["errores"] == [
        {"campo": "codigo", "mensaje": "el código de una alianza no cambia"}
    ]
    assert una(conn, a["id"])["codigo"] == "C-001"


def test_change_writes_at_the_read_version_and_refuses_a_stale_one(conn):
    a = _crear(conn)
    d = casos.modificar_alianza(
        conn, ANA, a["id"], {"familias": 25}, if_match='"1"', tolerancia_m=TOL
    )
    assert (d["familias"], d["familias_mujeres"], d["version"]) == (25, 8, 2)
    with pytest.raises(VersionObsoleta):
        casos.modificar_alianza(
            conn, ANA, a["id"], {"familias": 30}, if_match='"1"', tolerancia_m=TOL
        )
    assert una(conn, a["id"])["familias"] == 25


def test_delete_needs_the_current_version_and_the_audit_keeps_who_deleted(conn):
    a = _crear(conn)
    with pytest.raises(VersionObsoleta):
        casos.borrar_alianza(conn, ANA, a["id"], if_match='"9"')
    with pytest.raises(NoEncontrado):
        casos.borrar_alianza(conn, TARIJA, a["id"], if_match='"1"')  # not even visible to TJA
    casos.borrar_alianza(conn, BETO, a["id"], if_match='"1"')
    with pytest.raises(NoEncontrado):
        una(conn, a["id"])
    baja = conn.execute(
        text(
            "SELECT accion, usuario FROM auditoria WHERE tabla = 'alianza' AND registro_id = :i "
            "ORDER BY id DESC LIMIT 1"
        ),
        {"i": a["id"]},
    ).one()
    assert tuple(baja) == ("baja", "beto")


def test_history_names_who_made_each_change_stage_and_verification_step(conn):
    a = _crear(conn)
    casos.modificar_alianza(
        conn,
        BETO,
        a["id"],
        {"familias": 25, "etapa": "evaluacion_aprobada"},
        if_match='"1"',
        tolerancia_m=TOL,
    )
    mover(conn, ANA, "alianza", a["id"], "verificar", None, '"2"')
    h = casos.historial_alianza(conn, ANA, a["id"])
    assert [(c["accion"], c["usuario"]) for c in h["cambios"]] == [
        ("alta", "ana"),
        ("cambio", "beto"),
        ("cambio", "ana"),
    ]
    assert h["cambios"][1]["campos"]["familias"] == {"antes": 20, "despues": 25}
    assert h["cambios"][2]["campos"] == {"estado": {"antes": "registrado", "despues": "verificado"}}
    assert [(e["etapa"], e["usuario"]) for e in h["etapas"]] == [
        ("solicitud", "ana"),
        ("evaluacion_aprobada", "beto"),
    ]
    assert [(v["accion"], v["usuario"], v["hacia"]) for v in h["verificacion"]] == [
        ("verificar", "ana", "verificado")
    ]


def test_history_is_for_staff_who_may_see_the_alliance(conn):
    a = _crear(conn)
    with pytest.raises(NoAutenticado):
        casos.historial_alianza(conn, Alcance(), a["id"])
    with pytest.raises(NoEncontrado):
        casos.historial_alianza(conn, TARIJA, a["id"])


def test_subproject_use_cases_create_by_program_refuse_a_new_code_and_delete(conn):
    _crear(conn)
    datos = {
        "codigo": "FPS-1",
        "nombre": "Riego",
        "municipio_codigo": "060301",
        "alianzas": ["C-001"],
    }
    s = subproyectos.crear(conn, ANA, "PAR2", datos, tolerancia_m=TOL)
    assert (s["programa"], s["alianzas"], s["unidad_operativa"]["codigo"]) == (
        "PAR2",
        ["C-001"],
        "CHACO",
    )
    with pytest.raises(CodigoDuplicado):
        subproyectos.crear(conn, ANA, "PAR2", datos, tolerancia_m=TOL)
    with pytest.raises(EntradaInvalida) as exc:
        subproyectos.modificar(
            conn, ANA, s["id"], {"codigo": "FPS-2"}, if_match='"1"', tolerancia_m=TOL
        )
    assert exc.value.extra["campo"] == "codigo"
    subproyectos.borrar(conn, ANA, s["id"], if_match='"1"')
    with pytest.raises(NoEncontrado):
        subproyectos.uno(conn, s["id"])


def test_subproject_list_takes_the_shared_filters_and_refuses_one_it_has_no_field_for(conn):
    _crear(conn)
    datos = {"codigo": "FPS-1", "nombre": "Riego", "municipio_codigo": "060301"}
    subproyectos.crear(conn, ANA, "PAR2", datos, tolerancia_m=TOL)
    data, total = subproyectos.listar(conn, Filtros(programa="PAR2", etapa=["evaluacion_fps"]))
    assert (total, [d["codigo"] for d in data]) == (1, ["FPS-1"])
    assert subproyectos.listar(conn, Filtros(programa="BO481"))[1] == 0
    publico, _ = subproyectos.listar(conn, Filtros(programa="PAR2", alcance=Alcance()))
    assert publico == []  # registered, not validated
    with pytest.raises(EntradaInvalida, match="'sector' filtra alianzas"):
        subproyectos.listar(conn, Filtros(sector=["apicultura"]))


def test_monitoring_is_written_by_the_alliances_unit_and_names_the_user(conn):
    a = _crear(conn)
    entrada = organizaciones.SeguimientoEntrada(ciclo=0, ventas_bs=1000, costos_bs=600)
    with pytest.raises(NoEncontrado):
        organizaciones.crear_seguimiento(conn, TARIJA, a["id"], entrada)
    fila = organizaciones.crear_seguimiento(conn, ANA, a["id"], entrada)
    assert (fila["ciclo"], fila["ingreso_bs"], fila["version"]) == (0, 400.0, 1)
    with pytest.raises(RegistroInvalido) as exc:
        organizaciones.modificar_seguimiento(
            conn, ANA, a["id"], 0, {"ventas_bs": -1}, if_match='"1"'
        )
    assert exc.value.extra["campo"] == "ventas_bs"
    quien = conn.execute(
        text("SELECT usuario FROM auditoria WHERE tabla = 'seguimiento' AND accion = 'alta'")
    ).scalar_one()
    assert quien == "ana"


def test_import_by_a_trusted_caller_names_it_in_the_audit(conn):
    archivo = (
        b"codigo;nombre;sector;modelo;financiamiento;familias;cod_ine\n"
        b"I-001;Quinua;Apicultura;1;adicional;10;060301\n"
    )
    informe = importar_alianzas(
        conn,
        programa(conn, "PAR2"),
        leer_tabla(archivo, "a.csv"),
        archivo="a.csv",
        tolerancia_m=TOL,
        usuario="cli:ana",
    )
    assert (informe.errores, informe.insertadas) == ([], 1)
    quien = conn.execute(
        text("SELECT usuario FROM auditoria WHERE tabla = 'alianza' ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert quien == "cli:ana"
