"""Complaints (reclamos) of the public information site: anyone files one about a municipality
or a validated alliance and receives a tracking code; the staff of the municipality's
operational unit answers it within PLAZO_RECLAMO days (indicator 3.2.1, geo/indicadores.py).

- The tracking code is the only key the public holds: random (60 bits from ``secrets``) and
  read aloud easily (Crockford base 32: no I, L, O, U; ``R-7K3M-Q9XD-2PHT``).
- The public view of a complaint (seguimiento) never shows the contact fields, the free-text
  description (it often names people) nor who answered: only the code, state, dates,
  municipality, subject and answer.
- Staff read only the complaints of their unit's municipalities (national coordination: all);
  the scope is a condition of each query.
- Text is kept as plain text exactly as typed (control characters other than newline and tab
  removed, line ends normalised, surrounding space trimmed), never as HTML: escaping is the
  job of whoever displays it.
- Dates are the database's ``current_date`` (set the server's time zone to America/La_Paz)."""

from __future__ import annotations

import re
import secrets
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from geo.acceso.alcance import (
    Alcance,
    comprobar_unidad,
    condicion_lectura_sql,
    exigir_personal,
    fijar,
)
from geo.plataforma.errors import Conflicto, EntradaInvalida, NoEncontrado, Prohibido
from geo.vocabulario.catalogos import CANALES_RECLAMO, ESTADOS_RECLAMO, PLAZO_RECLAMO

# The most characters each text may hold (the table's CHECK holds the same for the first three).
LARGOS = {
    "asunto": 200,
    "descripcion": 4000,
    "respuesta": 4000,
    "nombre_contacto": 200,
    "contacto": 200,
}
NOMBRES = {
    "asunto": "el asunto",
    "descripcion": "la descripción",
    "respuesta": "la respuesta",
    "nombre_contacto": "el nombre",
    "contacto": "el contacto",
}
ALFABETO = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
FORMATO_CODIGO = "R-XXXX-XXXX-XXXX"
_INTENTOS = 8
# C0 and C1 control characters but tab (09) and newline (0A); CR is turned into a newline first.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LEER_CODIGO = str.maketrans({"O": "0", "I": "1", "L": "1"})


def limpiar(texto: str | None) -> str | None:
    """Plain text as typed: line ends as ``\\n``, no control characters but newline and tab,
    no surrounding space; None when nothing is left."""
    if texto is None:
        return None
    t = _CONTROL.sub("", texto.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return t or None


def _textos(
    obligatorios: dict[str, str | None], opcionales: dict[str, str | None]
) -> dict[str, str | None]:
    """The cleaned texts, or a 422 naming every field that is missing or too long."""
    limpios = {k: limpiar(v) for k, v in (obligatorios | opcionales).items()}
    errores = []
    for campo, valor in limpios.items():
        if valor is None and campo in obligatorios:
            errores.append({"campo": campo, "mensaje": f"{NOMBRES[campo]} es obligatorio"})
        elif valor is not None and len(valor) > LARGOS[campo]:
            errores.append(
                {
                    "campo": campo,
                    "mensaje": f"{NOMBRES[campo]} tiene {len(valor)} caracteres; el máximo es "
                    f"{LARGOS[campo]}",
                }
            )
    if errores:
        detalle = "; ".join(f"{e['campo']}: {e['mensaje']}" for e in errores)
        raise EntradaInvalida(detalle, campo=errores[0]["campo"], errores=errores)
    return limpios


def nuevo_codigo() -> str:
    c = "".join(secrets.choice(ALFABETO) for _ in range(12))
    return f"R-{c[:4]}-{c[4:8]}-{c[8:]}"


def normalizar_codigo(codigo: str) -> str:
    """A code as typed (any case, with or without dashes or spaces, O for 0, I or L for 1) in
    its stored form; 422 if it cannot be one."""
    c = re.sub(r"[\s-]", "", codigo.upper())
    if c.startswith("R"):
        c = c[1:]
    c = c.translate(_LEER_CODIGO)
    if len(c) != 12 or any(x not in ALFABETO for x in c):
        raise EntradaInvalida(
            f"código de reclamo no válido; tiene la forma {FORMATO_CODIGO}", campo="codigo"
        )
    return f"R-{c[:4]}-{c[4:8]}-{c[8:]}"


# Expressions shared by the queries: a complaint's deadline, and whether it is overdue.
_VENCE = "r.recibido + CAST(:plazo AS integer)"
_VENCIDO = "(r.estado <> 'respondido' AND current_date > r.recibido + CAST(:plazo AS integer))"

# One complaint as staff see it, read from ``{fuente}`` (the table, or the rows an UPDATE
# returns) with its municipality, unit, program and alliance, limited by ``{donde}``.
_PERSONAL = f"""
SELECT r.id, r.codigo, p.codigo AS programa, r.canal, r.recibido, {_VENCE} AS vence,
       r.estado, {_VENCIDO} AS vencido,
       CASE WHEN {_VENCIDO} THEN current_date - ({_VENCE}) END AS dias_vencido,
       r.asunto, r.descripcion, r.nombre_contacto, r.contacto, r.respuesta, r.respondido,
       r.respondido_por, r.version, r.creado_en, r.municipio_codigo, m.nombre AS municipio_nombre,
       u.codigo AS uo_codigo, u.nombre AS uo_nombre, r.alianza_id, a.codigo AS alianza_codigo,
       a.nombre AS alianza_nombre, count(*) OVER () AS total
FROM {{fuente}} r
JOIN programa p ON p.id = r.programa_id
JOIN municipio m ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo
JOIN unidad_operativa u ON u.cartografia = m.cartografia AND u.codigo = m.unidad_operativa_codigo
LEFT JOIN alianza a ON a.id = r.alianza_id
WHERE {{donde}}
"""  # noqa: S608


def _alcance_sql(
    alcance: Alcance, unidad: str = "m.unidad_operativa_codigo"
) -> tuple[str, dict[str, Any]]:
    """What ``alcance`` may read (staff only), as a condition over the unit column ``unidad``
    (a trusted name): everything for national coordination, the user's unit otherwise."""
    exigir_personal(alcance)
    if alcance.nacional:
        return "true", {}
    return f"{unidad} = :alc_u", {"alc_u": alcance.unidad}


def _para_personal(f: Any) -> dict[str, Any]:
    return {
        "id": f["id"],
        "codigo": f["codigo"],
        "programa": f["programa"],
        "canal": f["canal"],
        "recibido": f["recibido"],
        "vence": f["vence"],
        "estado": f["estado"],
        "vencido": f["vencido"],
        "dias_vencido": f["dias_vencido"],
        "municipio": {"codigo": f["municipio_codigo"], "nombre": f["municipio_nombre"]},
        "unidad_operativa": {"codigo": f["uo_codigo"], "nombre": f["uo_nombre"]},
        "alianza": None
        if f["alianza_id"] is None
        else {"id": f["alianza_id"], "codigo": f["alianza_codigo"], "nombre": f["alianza_nombre"]},
        "asunto": f["asunto"],
        "descripcion": f["descripcion"],
        "nombre_contacto": f["nombre_contacto"],
        "contacto": f["contacto"],
        "respuesta": f["respuesta"],
        "respondido": f["respondido"],
        "respondido_por": f["respondido_por"],
        "version": f["version"],
        "creado_en": f["creado_en"],
    }


def presentar(
    conn: Connection,
    alcance: Alcance,
    programa_codigo: str,
    *,
    asunto: str | None,
    descripcion: str | None,
    municipio_codigo: str | None = None,
    alianza_id: int | None = None,
    nombre_contacto: str | None = None,
    contacto: str | None = None,
    canal: str | None = None,
    recibido: date | None = None,
) -> dict[str, Any]:
    """File a complaint; returns its public view (and its id, for staff). The public files on
    the web, today; staff may record one received by another channel, on a past date, for a
    municipality of their unit. With ``alianza_id`` the municipality is the alliance's, and
    the alliance must be one the filer may read (for the public: validated)."""
    textos = _textos(
        {"asunto": asunto, "descripcion": descripcion},
        {"nombre_contacto": nombre_contacto, "contacto": contacto},
    )
    if alcance.publico and (canal not in (None, "web") or recibido is not None):
        raise Prohibido(
            "solo el personal del programa registra reclamos recibidos por otro canal o en "
            "otra fecha"
        )
    canal = canal or "web"
    if canal not in CANALES_RECLAMO:
        raise EntradaInvalida(
            f"canal desconocido '{canal}'; use: {', '.join(CANALES_RECLAMO)}", campo="canal"
        )
    if municipio_codigo is None and alianza_id is None:
        raise EntradaInvalida(
            "indique el municipio (o la alianza) del reclamo", campo="municipio_codigo"
        )
    cond_a, params = condicion_lectura_sql("a", alcance)
    lugar = (
        conn.execute(
            text(
                "SELECT p.id AS programa_id, p.cartografia, current_date AS hoy, "  # noqa: S608
                "a.id AS alianza_id, a.municipio_codigo AS municipio_alianza, "
                "m.codigo AS municipio_codigo, m.nombre AS municipio_nombre, "
                "m.unidad_operativa_codigo AS unidad FROM programa p "
                "LEFT JOIN alianza a ON a.id = :a AND a.programa_id = p.id "
                f"AND {cond_a or 'true'} "
                "LEFT JOIN municipio m ON m.cartografia = coalesce(a.cartografia, p.cartografia) "
                "AND m.codigo = coalesce(a.municipio_codigo, :m) WHERE p.codigo = :prog"
            ),
            params | {"a": alianza_id, "m": municipio_codigo, "prog": programa_codigo},
        )
        .mappings()
        .first()
    )
    if lugar is None:
        raise NoEncontrado(f"programa desconocido '{programa_codigo}'", campo="programa")
    if alianza_id is not None and lugar["alianza_id"] is None:
        raise NoEncontrado(
            f"la alianza {alianza_id} no existe en el programa {programa_codigo}",
            campo="alianza_id",
        )
    if municipio_codigo and lugar["municipio_alianza"] not in (None, municipio_codigo):
        raise EntradaInvalida(
            f"la alianza {alianza_id} es del municipio {lugar['municipio_alianza']}, no del "
            f"{municipio_codigo}",
            campo="municipio_codigo",
        )
    if lugar["municipio_codigo"] is None:
        raise EntradaInvalida(
            f"el municipio {municipio_codigo} no existe en la cartografía {lugar['cartografia']}",
            campo="municipio_codigo",
        )
    if recibido is not None and recibido > lugar["hoy"]:
        raise EntradaInvalida(
            f"la fecha de recepción {recibido} es posterior a hoy ({lugar['hoy']})",
            campo="recibido",
        )
    if not alcance.publico:
        comprobar_unidad(alcance, lugar["unidad"], f"el municipio {lugar['municipio_codigo']}")
    fijar(conn, alcance)
    for _ in range(_INTENTOS):
        fila = (
            conn.execute(
                text(
                    "INSERT INTO reclamo (codigo, programa_id, cartografia, municipio_codigo, "
                    "alianza_id, recibido, canal, asunto, descripcion, nombre_contacto, "
                    "contacto) VALUES (:codigo, :p, :cart, :m, :a, "
                    "coalesce(CAST(:rec AS date), current_date), :canal, :asunto, :descripcion, "
                    ":nombre_contacto, :contacto) ON CONFLICT (codigo) DO NOTHING "
                    "RETURNING id, codigo, estado, recibido"
                ),
                textos
                | {
                    "codigo": nuevo_codigo(),
                    "p": lugar["programa_id"],
                    "cart": lugar["cartografia"],
                    "m": lugar["municipio_codigo"],
                    "a": lugar["alianza_id"],
                    "rec": recibido,
                    "canal": canal,
                },
            )
            .mappings()
            .first()
        )
        if fila is not None:
            break
    else:  # pragma: no cover - 8 collisions in a space of 2**60 codes
        raise Conflicto("no se pudo asignar un código de seguimiento; intente de nuevo")
    publico = _para_publico(
        dict(fila)
        | {
            "asunto": textos["asunto"],
            "respuesta": None,
            "respondido": None,
            "municipio_codigo": lugar["municipio_codigo"],
            "municipio_nombre": lugar["municipio_nombre"],
        }
    )
    return publico if alcance.publico else {"id": fila["id"]} | publico


def _para_publico(f: Any) -> dict[str, Any]:
    return {
        "codigo": f["codigo"],
        "estado": f["estado"],
        "estado_nombre": ESTADOS_RECLAMO[f["estado"]],
        "recibido": f["recibido"],
        "plazo_dias": PLAZO_RECLAMO,
        "municipio": {"codigo": f["municipio_codigo"], "nombre": f["municipio_nombre"]},
        "asunto": f["asunto"],
        "respuesta": f["respuesta"],
        "respondido": f["respondido"],
    }


def seguimiento(conn: Connection, codigo: str) -> dict[str, Any]:
    """The public view of the complaint with tracking code ``codigo``: no personal data."""
    fila = (
        conn.execute(
            text(
                "SELECT r.codigo, r.estado, r.recibido, r.asunto, r.respuesta, r.respondido, "
                "r.municipio_codigo, m.nombre AS municipio_nombre FROM reclamo r "
                "JOIN municipio m ON m.cartografia = r.cartografia "
                "AND m.codigo = r.municipio_codigo WHERE r.codigo = :c"
            ),
            {"c": normalizar_codigo(codigo)},
        )
        .mappings()
        .first()
    )
    if fila is None:
        raise NoEncontrado("no hay ningún reclamo con ese código", campo="codigo")
    return _para_publico(fila)


def listar(
    conn: Connection,
    alcance: Alcance,
    *,
    estado: str | None = None,
    unidad_operativa: str | None = None,
    vencidos: bool = False,
    programa: str | None = None,
    limite: int = 100,
    desplazamiento: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """The complaints ``alcance`` may read (staff only), unanswered first, oldest first; and
    how many there are in all."""
    donde, params = _alcance_sql(alcance)
    condiciones = [donde]
    if estado is not None:
        if estado not in ESTADOS_RECLAMO:
            raise EntradaInvalida(
                f"estado desconocido '{estado}'; use: {', '.join(ESTADOS_RECLAMO)}", campo="estado"
            )
        condiciones.append("r.estado = :estado")
    if unidad_operativa is not None:
        condiciones.append("m.unidad_operativa_codigo = :uo")
    if programa is not None:
        condiciones.append("p.codigo = :prog")
    if vencidos:
        condiciones.append(_VENCIDO)
    sql = _PERSONAL.format(fuente="reclamo", donde=" AND ".join(condiciones))
    filas = conn.execute(
        text(sql + " ORDER BY r.estado = 'respondido', r.recibido, r.id LIMIT :lim OFFSET :off"),
        params
        | {
            "plazo": PLAZO_RECLAMO,
            "estado": estado,
            "uo": unidad_operativa and unidad_operativa.upper(),
            "prog": programa,
            "lim": limite,
            "off": desplazamiento,
        },
    ).mappings()
    data, total = [], 0
    for f in filas:
        data.append(_para_personal(f))
        total = f["total"]
    return data, total


def uno(conn: Connection, alcance: Alcance, reclamo_id: int) -> dict[str, Any]:
    """One complaint with its contact data (staff only); 404 outside the user's unit."""
    donde, params = _alcance_sql(alcance)
    fila = (
        conn.execute(
            text(_PERSONAL.format(fuente="reclamo", donde=f"r.id = :i AND {donde}")),
            params | {"i": reclamo_id, "plazo": PLAZO_RECLAMO},
        )
        .mappings()
        .first()
    )
    if fila is None:
        raise NoEncontrado(f"el reclamo {reclamo_id} no existe", campo="id")
    return _para_personal(fila)


def _cambiar(
    conn: Connection, alcance: Alcance, reclamo_id: int, cambio: str, condicion: str, **v: Any
) -> dict[str, Any] | None:
    """Apply ``cambio`` (a SET list) to the complaint if ``condicion`` holds and it is in the
    user's unit, and return it as staff see it, in one statement; None if nothing changed."""
    donde, params = _alcance_sql(alcance)
    fijar(conn, alcance)
    sql = (
        f"WITH cambiado AS (UPDATE reclamo r SET {cambio} FROM municipio m "  # noqa: S608
        "WHERE r.id = :i AND m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo "
        f"AND {condicion} AND {donde} RETURNING r.*) "
        + _PERSONAL.format(fuente="cambiado", donde="true")
    )
    fila = (
        conn.execute(text(sql), params | v | {"i": reclamo_id, "plazo": PLAZO_RECLAMO})
        .mappings()
        .first()
    )
    return None if fila is None else _para_personal(fila)


def _explicar(conn: Connection, alcance: Alcance, reclamo_id: int) -> dict[str, Any]:
    """Why a change did not apply: 404 if there is no such complaint, 403 if it is another
    unit's; otherwise its state and dates, for the caller to explain."""
    fila = (
        conn.execute(
            text(
                "SELECT r.codigo, r.estado, r.recibido, r.respondido, current_date AS hoy, "
                "m.unidad_operativa_codigo AS unidad FROM reclamo r JOIN municipio m "
                "ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo "
                "WHERE r.id = :i"
            ),
            {"i": reclamo_id},
        )
        .mappings()
        .first()
    )
    if fila is None:
        raise NoEncontrado(f"el reclamo {reclamo_id} no existe", campo="id")
    comprobar_unidad(alcance, fila["unidad"], f"el reclamo {reclamo_id}")
    return dict(fila)


def responder(
    conn: Connection,
    alcance: Alcance,
    reclamo_id: int,
    respuesta: str | None,
    respondido: date | None = None,
) -> dict[str, Any]:
    """Answer a complaint (staff of its unit, or national coordination): 409 if it was already
    answered. The answer date is today unless given (an answer given earlier, recorded late);
    it may not precede the complaint nor follow today."""
    textos = _textos({"respuesta": respuesta}, {})
    hecho = _cambiar(
        conn,
        alcance,
        reclamo_id,
        "estado = 'respondido', respuesta = :t, respondido = coalesce(CAST(:f AS date), "
        "current_date), respondido_por = :u",
        "r.estado <> 'respondido' "
        "AND coalesce(CAST(:f AS date), current_date) BETWEEN r.recibido AND current_date",
        t=textos["respuesta"],
        f=respondido,
        u=alcance.usuario,
    )
    if hecho is not None:
        return hecho
    f = _explicar(conn, alcance, reclamo_id)
    if f["estado"] == "respondido":
        raise Conflicto(f"el reclamo {f['codigo']} ya fue respondido el {f['respondido']}")
    raise EntradaInvalida(
        f"la fecha de respuesta {respondido} debe estar entre la recepción del reclamo "
        f"({f['recibido']}) y hoy ({f['hoy']})",
        campo="respondido",
    )


def marcar_en_atencion(conn: Connection, alcance: Alcance, reclamo_id: int) -> dict[str, Any]:
    """A received complaint is now being handled; marking it again changes nothing, and an
    answered one cannot go back (409)."""
    hecho = _cambiar(conn, alcance, reclamo_id, "estado = 'en_atencion'", "r.estado = 'recibido'")
    if hecho is not None:
        return hecho
    f = _explicar(conn, alcance, reclamo_id)
    if f["estado"] == "respondido":
        raise Conflicto(f"el reclamo {f['codigo']} ya fue respondido el {f['respondido']}")
    return uno(conn, alcance, reclamo_id)


def vencidos(conn: Connection, alcance: Alcance, programa: str) -> list[dict[str, Any]]:
    """The unanswered complaints past their deadline, for each operational unit ``alcance``
    may read (every unit of the program for national coordination, even with none), oldest
    first, with the days past the deadline."""
    donde, params = _alcance_sql(alcance, "u.codigo")
    filas = conn.execute(
        text(
            "SELECT u.codigo, u.nombre, count(r.id) AS n, coalesce(json_agg(json_build_object("  # noqa: S608
            f"'id', r.id, 'codigo', r.codigo, 'canal', r.canal, 'recibido', r.recibido, "
            f"'vence', {_VENCE}, 'dias_vencido', current_date - ({_VENCE}), "
            "'estado', r.estado, 'asunto', r.asunto, 'municipio', json_build_object("
            "'codigo', m.codigo, 'nombre', m.nombre)) ORDER BY r.recibido, r.id) "
            "FILTER (WHERE r.id IS NOT NULL), '[]') AS reclamos "
            "FROM programa p JOIN unidad_operativa u ON u.cartografia = p.cartografia "
            "LEFT JOIN municipio m ON m.cartografia = u.cartografia "
            "AND m.unidad_operativa_codigo = u.codigo "
            f"LEFT JOIN reclamo r ON r.programa_id = p.id AND r.cartografia = m.cartografia "
            f"AND r.municipio_codigo = m.codigo AND {_VENCIDO} "
            f"WHERE p.codigo = :prog AND {donde} "
            "GROUP BY u.codigo, u.nombre, u.tipo ORDER BY u.tipo, u.nombre"
        ),
        params | {"prog": programa, "plazo": PLAZO_RECLAMO},
    ).mappings()
    salida = [
        {
            "unidad_operativa": {"codigo": f["codigo"], "nombre": f["nombre"]},
            "count": f["n"],
            "reclamos": f["reclamos"],
        }
        for f in filas
    ]
    if not salida:
        raise NoEncontrado(f"programa desconocido '{programa}'", campo="programa")
    return salida
