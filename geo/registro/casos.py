"""The alliance use cases: create, change, delete and read the history of one alliance. The API,
the command line and the browser forms call these same functions; each raises domain errors
(geo.plataforma.errors) and leaves the commit to its caller, so that what it answers is what
was saved.

A form's single record takes the same validation and writing path as an import of 100,000
rows (geo.registro.alianzas, geo.registro.escritura): one set of rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select

from geo.acceso.alcance import (
    Alcance,
    bloquear_para_escribir,
    comprobar_unidad,
    exigir_personal,
    fijar,
    unidad_de,
)
from geo.plataforma.errors import CodigoDuplicado, RegistroInvalido
from geo.plataforma.models import Alianza, AlianzaEtapa, Auditoria, tabla
from geo.registro.alianzas import Lote, Programa, programa, validar
from geo.registro.consultas import una
from geo.registro.escritura import escribir
from geo.registro.esquemas import AlianzaEntrada
from geo.registro.verificacion import historial, visible

A = tabla(Alianza)
AU = tabla(Auditoria)
AE = tabla(AlianzaEtapa)
# Bookkeeping every change touches: not worth showing as a changed field.
_NO_CAMPOS = ("version", "actualizado_en")


def crear_alianza(
    conn: Connection,
    alcance: Alcance | None,
    programa_codigo: str,
    datos: dict[str, Any],
    *,
    tolerancia_m: float,
) -> dict[str, Any]:
    """Register an alliance (it starts "registrado", for its unit to verify) and return it.
    The municipality comes from the point when not given; the operational unit always comes
    from the municipality and must be the user's, but for national coordination. ``alcance``
    None is a trusted caller: no unit check, the database's user in the audit."""
    prog = programa(conn, programa_codigo)
    lote = validar(conn, prog, [(None, datos)], tolerancia_m, solo_nuevas=True)
    escrito = _escribir(conn, alcance, prog, lote)
    return una(conn, escrito[lote.validas[0].entrada.codigo])


def modificar_alianza(
    conn: Connection,
    alcance: Alcance,
    alianza_id: int,
    cambios: dict[str, Any],
    *,
    if_match: str | None,
    tolerancia_m: float,
) -> dict[str, Any]:
    """Change some fields of an alliance at the version the client read (``if_match``) and
    return it. A validated alliance is locked; a verified one goes back to "registrado"."""
    bloquear_para_escribir(conn, alcance, "alianza", alianza_id, if_match)
    actual = una(conn, alianza_id)
    if "codigo" in cambios and cambios["codigo"] != actual["codigo"]:
        raise RegistroInvalido([("codigo", "el código de una alianza no cambia")])
    datos = _como_entrada(actual) | cambios
    if "municipio_codigo" in cambios and not {"lon", "lat"} & cambios.keys():
        # placed anew in the new municipality
        for k in ("lon", "lat", "precision_ubicacion"):
            datos.pop(k, None)
    prog = programa(conn, actual["programa"])
    _escribir(conn, alcance, prog, validar(conn, prog, [(None, datos)], tolerancia_m))
    return una(conn, alianza_id)


def borrar_alianza(
    conn: Connection, alcance: Alcance, alianza_id: int, *, if_match: str | None
) -> None:
    """Delete an alliance that is not validated, at the version the client read; the audit
    trail keeps what it was and who deleted it."""
    bloquear_para_escribir(conn, alcance, "alianza", alianza_id, if_match)
    conn.execute(delete(A).where(A.c.id == alianza_id))


def historial_alianza(conn: Connection, alcance: Alcance, alianza_id: int) -> dict[str, Any]:
    """Each change of the alliance (who, when, the fields before and after), the dates of its
    stages and its verification. Staff only: it names users."""
    exigir_personal(alcance)
    visible(conn, alcance, "alianza", alianza_id)
    cambios = conn.execute(
        select(AU.c.accion, AU.c.usuario, AU.c.momento, AU.c.antes, AU.c.despues)
        .where(AU.c.tabla == "alianza", AU.c.registro_id == alianza_id)
        .order_by(AU.c.id)
    ).mappings()
    etapas = conn.execute(
        select(AE.c.etapa, AE.c.fecha, AE.c.usuario, AE.c.registrado_en)
        .where(AE.c.alianza_id == alianza_id)
        .order_by(AE.c.id)
    ).mappings()
    return {
        "cambios": [_cambio(dict(c)) for c in cambios],
        "etapas": [dict(e) for e in etapas],
        "verificacion": historial(conn, "alianza", alianza_id),
    }


def _escribir(
    conn: Connection, alcance: Alcance | None, prog: Programa, lote: Lote
) -> dict[str, int]:
    """Refuse the batch's errors, check the unit of each (derived) municipality, name the user
    to the database and write; the ids by code."""
    if lote.duplicadas:
        raise CodigoDuplicado(lote.errores[0].mensaje)
    if lote.errores:
        raise RegistroInvalido((e.campo, e.mensaje) for e in lote.errores)
    if alcance is not None:
        for v in lote.validas:
            unidad = unidad_de(conn, prog.cartografia, v.municipio_codigo)
            comprobar_unidad(alcance, unidad, f"el municipio {v.municipio_codigo}")
        fijar(conn, alcance)
    return escribir(conn, prog, lote.validas).ids


def _cambio(c: dict[str, Any]) -> dict[str, Any]:
    """An audit entry with only the fields that changed, each with its before and after."""
    antes, despues = c.pop("antes") or {}, c.pop("despues") or {}
    claves = [
        k
        for k in sorted(set(antes) | set(despues))
        if antes.get(k) != despues.get(k) and k not in _NO_CAMPOS
    ]
    c["campos"] = {k: {"antes": antes.get(k), "despues": despues.get(k)} for k in claves}
    return c


def _como_entrada(d: dict[str, Any]) -> dict[str, Any]:
    """A stored alliance as the input that would write it again, so that a change is validated
    as a whole record; a point derived from the municipality, not given, is derived anew."""
    campos = set(AlianzaEntrada.model_fields) - {"organizacion", "municipio_codigo"}
    datos = {k: v for k, v in d.items() if k in campos and v is not None}
    datos["municipio_codigo"] = d["municipio"]["codigo"]
    if d["organizacion"]:
        datos["organizacion_id"] = d["organizacion"]["id"]
    if d["precision_ubicacion"] not in (1, 2):
        datos.pop("lon", None), datos.pop("lat", None), datos.pop("precision_ubicacion", None)
    return datos
