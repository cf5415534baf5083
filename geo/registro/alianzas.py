"""Validating and writing alliances in batches: a form's single record and an import of
100,000 rows take the same path, with a constant number of queries per batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, text

from geo.plataforma.errors import NoEncontrado
from geo.registro.esquemas import AlianzaEntrada, errores_de, precision, reglas_de_montos
from geo.territorio.ubicacion_lote import Ubicacion, ubicar_lote
from geo.vocabulario.catalogos import TRANSICIONES

COLUMNAS = (
    "nombre", "comprador", "sector", "modelo", "financiamiento", "convocatoria", "etapa",
    "fecha_etapa", "fecha_solicitud", "familias", "familias_mujeres", "hectareas_riego",
    "monto_par_comprometido_bs", "monto_contraparte_comprometido_bs", "monto_solicitado_bs",
    "monto_transferido_bs", "monto_descargado_bs",
)  # fmt: skip


@dataclass
class Programa:
    id: int
    codigo: str
    cartografia: str
    permite_excesos: bool


def programa(conn: Connection, codigo: str) -> Programa:
    """A program by its code; 404 for an unknown one."""
    r = conn.execute(
        text("SELECT id, codigo, cartografia, permite_excesos FROM programa WHERE codigo = :c"),
        {"c": codigo},
    ).first()
    if r is None:
        raise NoEncontrado(f"programa desconocido '{codigo}'", campo="programa")
    return Programa(*r)


@dataclass
class AlianzaValida:
    fila: int | None
    entrada: AlianzaEntrada
    municipio_codigo: str
    lon: float
    lat: float
    precision: int
    alertas: list[str]


@dataclass
class ErrorFila:
    fila: int | None
    campo: str
    mensaje: str
    codigo: str | None = None


@dataclass
class Lote:
    validas: list[AlianzaValida] = field(default_factory=list)
    errores: list[ErrorFila] = field(default_factory=list)
    duplicadas: list[str] = field(default_factory=list)  # codes that exist (creation only)


Fila = tuple[int | None, dict[str, Any]]  # (row number in the file, or None; raw fields)


def validar(
    conn: Connection,
    prog: Programa,
    filas: Sequence[Fila],
    tolerancia_m: float,
    *,
    solo_nuevas: bool = False,
) -> Lote:
    """Check every row; ``solo_nuevas`` (creation) treats an existing code as a conflict."""
    return validar_esquemas(conn, prog, esquemas(filas), tolerancia_m, solo_nuevas=solo_nuevas)


@dataclass
class Esquemas:
    """Rows read against the schema alone (no database): those that pass, and why the others
    do not. An import reads the next block's while the database locates this one's."""

    entradas: list[tuple[int | None, AlianzaEntrada]]
    errores: list[ErrorFila]


def esquemas(filas: Sequence[Fila]) -> Esquemas:
    lote = Lote()
    return Esquemas(_esquema(filas, lote), lote.errores)


def validar_esquemas(
    conn: Connection,
    prog: Programa,
    leidas: Esquemas,
    tolerancia_m: float,
    *,
    solo_nuevas: bool = False,
    ubicadas: dict[int | None, Ubicacion] | None = None,
) -> Lote:
    """:func:`validar` from rows already read against the schema (:func:`esquemas`).
    ``ubicadas``: the rows' places found beforehand (:func:`ubicar`), by row number (an import
    locates a block on a session of its own while this one writes the block before)."""
    lote = Lote(errores=list(leidas.errores))
    entradas = leidas.entradas
    existentes = _existentes(conn, prog.id, [e.codigo for _, e in entradas])
    entradas = _contra_existentes(entradas, existentes, lote, solo_nuevas)
    entradas = _organizaciones(conn, prog.id, entradas, lote)
    if ubicadas is None:
        ubicaciones = ubicar(conn, prog.cartografia, entradas, tolerancia_m)
    else:
        ubicaciones = [ubicadas[fila] for fila, _ in entradas]
    for (fila, e), u in zip(entradas, ubicaciones, strict=True):
        errores, alertas = reglas_de_montos(e, prog.permite_excesos)
        errores |= u.errores
        if errores:
            lote.errores += [ErrorFila(fila, c, m, e.codigo) for c, m in errores.items()]
            continue
        assert u.municipio_codigo and u.lon is not None and u.lat is not None and u.precision
        lote.validas.append(
            AlianzaValida(
                fila,
                e,
                u.municipio_codigo,
                u.lon,
                u.lat,
                precision(e.precision_ubicacion, u.precision),
                [*u.alertas, *alertas],
            )
        )
    lote.errores.sort(key=lambda x: (x.fila or 0, x.campo))
    return lote


def ubicar(
    conn: Connection,
    cartografia: str,
    entradas: list[tuple[int | None, AlianzaEntrada]],
    tolerancia_m: float,
) -> list[Ubicacion]:
    """The place of each row's alliance (its point, its municipality or both), in one query."""
    puntos = [(e.lon, e.lat, e.municipio_codigo) for _, e in entradas]
    return ubicar_lote(conn, cartografia, puntos, tolerancia_m)


def _esquema(filas: Sequence[Fila], lote: Lote) -> list[tuple[int | None, AlianzaEntrada]]:
    vistas: dict[str, int | None] = {}
    salida = []
    for fila, datos in filas:
        try:
            e = AlianzaEntrada.model_validate(datos)
        except ValidationError as exc:
            codigo = str(datos.get("codigo") or "") or None
            lote.errores += [ErrorFila(fila, c, m, codigo) for c, m in errores_de(exc).items()]
            continue
        if e.codigo in vistas:
            donde = f" (también en la fila {vistas[e.codigo]})" if vistas[e.codigo] else ""
            lote.errores.append(
                ErrorFila(fila, "codigo", f"código {e.codigo} repetido{donde}", e.codigo)
            )
            continue
        vistas[e.codigo] = fila
        salida.append((fila, e))
    return salida


def _existentes(
    conn: Connection, programa_id: int, codigos: list[str]
) -> dict[str, tuple[int, str]]:
    filas = conn.execute(
        text("SELECT codigo, id, etapa FROM alianza WHERE programa_id = :p AND codigo = ANY(:c)"),
        {"p": programa_id, "c": codigos},
    ).all()
    return {c: (i, etapa) for c, i, etapa in filas}


def _contra_existentes(
    entradas: list[tuple[int | None, AlianzaEntrada]],
    existentes: dict[str, tuple[int, str]],
    lote: Lote,
    solo_nuevas: bool,
) -> list[tuple[int | None, AlianzaEntrada]]:
    salida = []
    for fila, e in entradas:
        if e.codigo not in existentes:
            salida.append((fila, e))
        elif solo_nuevas:
            lote.duplicadas.append(e.codigo)
            lote.errores.append(
                ErrorFila(
                    fila,
                    "codigo",
                    f"ya existe una alianza con el código {e.codigo} en este programa",
                    e.codigo,
                )
            )
        elif (mensaje := error_de_etapa(existentes[e.codigo][1], e.etapa)) is not None:
            lote.errores.append(ErrorFila(fila, "etapa", mensaje, e.codigo))
        else:
            salida.append((fila, e))
    return salida


def error_de_etapa(actual: str, nueva: str) -> str | None:
    if actual == nueva or (actual, nueva) in TRANSICIONES:
        return None
    siguientes = sorted(h for d, h in TRANSICIONES if d == actual)
    return (
        f"cambio de etapa no permitido: {actual} → {nueva}; desde {actual} solo se puede "
        f"pasar a {', '.join(siguientes) or '(ninguna: etapa final)'}"
    )


def _organizaciones(
    conn: Connection,
    programa_id: int,
    entradas: list[tuple[int | None, AlianzaEntrada]],
    lote: Lote,
) -> list[tuple[int | None, AlianzaEntrada]]:
    ids = {e.organizacion_id for _, e in entradas if e.organizacion_id is not None}
    if not ids:
        return entradas
    conocidas = set(
        conn.execute(
            text("SELECT id FROM organizacion WHERE programa_id = :p AND id = ANY(:i)"),
            {"p": programa_id, "i": list(ids)},
        ).scalars()
    )
    salida = []
    for fila, e in entradas:
        if e.organizacion_id is not None and e.organizacion_id not in conocidas:
            lote.errores.append(
                ErrorFila(
                    fila,
                    "organizacion_id",
                    f"organización desconocida {e.organizacion_id} en este programa",
                    e.codigo,
                )
            )
        else:
            salida.append((fila, e))
    return salida
