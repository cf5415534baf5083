"""The hot statements' compiled SQL reused across values (``Compiladas``, geo/plataforma/db.py):
a statement of a shape compiled before takes that SQL with its own values, which must be
exactly what compiling it afresh gives."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import literal
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from sqlalchemy.sql.elements import CompilerElement

from geo.acceso.alcance import PUBLICO, Alcance
from geo.analisis import agregacion
from geo.analisis.agregacion import TODAS, Consulta, NivelAgregacion, consulta_sql
from geo.analisis.teselas import _puntos_sql
from geo.plataforma import db
from geo.registro.consultas import SOLO_ALIANZAS, Filtros
from geo.vocabulario.catalogos import ETAPAS, MODELOS, SECTORES

DIALECTO = PGDialect_psycopg()
SECTOR = sorted(SECTORES)
ETAPA = sorted(ETAPAS)
MODELO = sorted(MODELOS)
UNIDAD = Alcance(usuario="u", rol="unidad", unidad="LPZ")


class _Conn:
    """What ``Compiladas`` reads of a connection: its dialect (compiling needs no database)."""

    dialect = DIALECTO


def _afresh(sentencia: Any) -> tuple[str, dict[str, Any]]:
    compilada = sentencia.compile(dialect=DIALECTO, compile_kwargs={"render_postcompile": True})
    return str(compilada), dict(compilada.params)


def _filtros() -> list[Filtros]:
    """Filter sets whose statements share shapes in many ways: the same filters with other
    values, lists of one length and of another, dates, stages reached, who reads."""
    base = {"programa": "PAR2", "alcance": PUBLICO}
    return [
        Filtros(**base),
        Filtros(programa="PAR1", alcance=PUBLICO),
        *(Filtros(**base, departamento=d) for d in ("02", "03", "07")),
        Filtros(**base, departamento="02", etapa_alcanzada="aprobado"),
        Filtros(**base, departamento="05", etapa_alcanzada="en_operacion"),
        Filtros(**base, provincia="0201"),
        Filtros(**base, provincia="0703"),
        Filtros(**base, unidad_operativa="CHACO"),
        Filtros(**base, unidad_operativa="LPZ"),
        Filtros(**base, municipio="020101"),
        Filtros(**base, sector=SECTOR[:1]),
        Filtros(**base, sector=SECTOR[1:2]),
        Filtros(**base, sector=SECTOR[:2]),
        Filtros(**base, sector=SECTOR[2:4]),
        Filtros(**base, sector=SECTOR[:3]),
        Filtros(**base, modelo=MODELO[:1]),
        Filtros(**base, modelo=MODELO[-1:]),
        Filtros(**base, etapa=ETAPA[:2]),
        Filtros(**base, etapa=ETAPA[3:5]),
        Filtros(**base, desde=date(2021, 1, 1), hasta=date(2022, 6, 30)),
        Filtros(**base, desde=date(2019, 3, 1), hasta=date(2024, 12, 31)),
        Filtros(**base, corte=date(2023, 12, 31)),
        Filtros(**base, corte=date(2022, 12, 31), departamento="04"),
        Filtros(**base, corte=date(2021, 12, 31), departamento="09"),
        Filtros(**base, q="leche"),
        Filtros(**base, q="quinua real"),
        Filtros(programa="PAR2", alcance=UNIDAD),
        Filtros(programa="PAR2", alcance=Alcance(usuario="v", rol="unidad", unidad="CHACO")),
        Filtros(programa="PAR2", alcance=None, solo_validados=True),
    ]


@pytest.mark.parametrize("nivel", list(NivelAgregacion))
def test_an_aggregate_reused_from_its_shape_is_what_compiling_it_afresh_gives(nivel):
    compiladas = db.Compiladas(512)
    columnas = [TODAS, frozenset({"alianzas", "familias"}), frozenset({"hectareas_riego"})]
    for cols in columnas:
        for i, f in enumerate(_filtros()):
            c = Consulta(nivel, "ine2012", f, 6.96)
            hacer = lambda c=c, cols=cols: consulta_sql(c, cols)  # noqa: E731
            hecha = compiladas(_Conn(), f"{i}:{sorted(cols)}", hacer)
            assert hecha == _afresh(consulta_sql(c, cols)), (nivel, f, sorted(cols))


@pytest.mark.parametrize("tipo", ["alianzas", "subproyectos"])
def test_a_point_tile_statement_reused_from_its_shape_is_what_compiling_it_afresh_gives(tipo):
    compiladas = db.Compiladas(256)
    # Subprojects refuse the filters only alliances have.
    propios = [
        f for f in _filtros() if tipo == "alianzas" or not any(getattr(f, n) for n in SOLO_ALIANZAS)
    ]
    assert len(propios) >= 18
    for i, f in enumerate(propios):
        hecha = compiladas(_Conn(), str(i), lambda f=f: _puntos_sql(f, tipo))
        assert hecha == _afresh(_puntos_sql(f, tipo)), f


def test_a_new_value_of_a_filter_compiles_nothing_and_a_longer_list_compiles_once(monkeypatch):
    compiladas = db.Compiladas(512)
    compiladas_veces = []
    compilar = CompilerElement.compile

    def contado(*args: Any, **kwargs: Any) -> Any:
        compiladas_veces.append(1)
        return compilar(*args, **kwargs)

    monkeypatch.setattr(CompilerElement, "compile", contado)

    def pedir(clave: str, **filtros: Any) -> tuple[str, dict[str, Any]]:
        f = Filtros(programa="PAR2", **filtros)
        c = Consulta(NivelAgregacion.municipio, "ine2012", f, 6.96)
        return compiladas(_Conn(), clave, lambda: consulta_sql(c, TODAS))

    a = pedir("02", departamento="02")
    assert len(compiladas_veces) == 1
    b = pedir("03", departamento="03")
    assert len(compiladas_veces) == 1  # the same shape: the SQL of "02", with "03"
    assert b[0] is a[0] and b[1] != a[1] and "03" in b[1].values() and "02" not in b[1].values()
    pedir("02", departamento="02")
    assert len(compiladas_veces) == 1  # asked before: neither built nor compiled
    pedir("s1", sector=SECTOR[:1])
    pedir("s2", sector=SECTOR[:2])
    assert len(compiladas_veces) == 3  # a list of another length: other SQL
    pedir("s2b", sector=SECTOR[2:4])
    assert len(compiladas_veces) == 3


@pytest.mark.parametrize("nivel", list(NivelAgregacion))
def test_an_aggregate_for_a_territory_is_its_shape_s_statement_with_the_territory_by_name(
    nivel, monkeypatch
):
    # A department (province, unit, municipality) asked for the first time takes the statement
    # built for its shape, the codes put in by name: exactly what building it afresh gives.
    monkeypatch.setattr(agregacion, "_COMPILADAS", db.Compiladas(512))
    for cols in (TODAS, frozenset({"alianzas", "familias"})):
        for f in _filtros():
            c = Consulta(nivel, "ine2012", f, 6.96)
            assert agregacion._compilada(_Conn(), c, cols) == _afresh(consulta_sql(c, cols)), f


def test_a_department_asked_for_the_first_time_builds_no_statement(monkeypatch):
    monkeypatch.setattr(agregacion, "_COMPILADAS", db.Compiladas(512))
    construidas = []

    def contada(c: Consulta, columnas: frozenset[str]) -> Any:
        construidas.append(c.filtros)
        return consulta_sql(c, columnas)

    monkeypatch.setattr(agregacion, "consulta_sql", contada)

    def pedir(**territorio: Any) -> dict[str, Any]:
        f = Filtros(programa="PAR2", alcance=PUBLICO, etapa_alcanzada="aprobado", **territorio)
        c = Consulta(NivelAgregacion.provincia, "ine2012", f, 6.96)
        return agregacion._compilada(_Conn(), c, TODAS)[1]

    assert pedir(departamento="02")["territorio_departamento"] == "02"
    assert len(construidas) == 1
    for d in ("03", "07", "09"):
        assert pedir(departamento=d)["territorio_departamento"] == d
    assert len(construidas) == 1  # the shape's statement, built once
    assert pedir(unidad_operativa="chaco")["territorio_unidad_operativa"] == "CHACO"
    assert pedir(unidad_operativa="LPZ")["territorio_unidad_operativa"] == "LPZ"
    assert pedir(departamento="05", provincia="0501")["territorio_provincia"] == "0501"
    assert len(construidas) == 3  # two more shapes: a unit; a department and a province


def test_a_statement_that_takes_a_territory_value_otherwise_is_built_for_each_value(monkeypatch):
    # Were a filter helper to write the code into a value of its own (not the named one), the
    # shape's statement would answer every department with the first one's code: such a
    # statement is built per value instead.
    monkeypatch.setattr(agregacion, "_COMPILADAS", db.Compiladas(512))

    def propia(c: Consulta, columnas: frozenset[str]) -> Any:
        return consulta_sql(c, columnas).where(literal(c.filtros.departamento) != "xx")

    monkeypatch.setattr(agregacion, "consulta_sql", propia)
    for d in ("02", "03"):
        c = Consulta(NivelAgregacion.municipio, "ine2012", Filtros(departamento=d), 6.96)
        sql, valores = agregacion._compilada(_Conn(), c, TODAS)
        assert (sql, valores) == _afresh(propia(c, TODAS))
        assert d in [v for k, v in valores.items() if k != "territorio_departamento"]
