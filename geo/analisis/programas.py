"""Programs and their results framework, managed by national coordination from the page or
the command line (issue 14): a third program no longer needs SQL.

A program has a code (fixed once created: records, links and reports name it), a name, the
cartography its records are located in, optionally its own exchange rate (Bs per US dollar;
otherwise the installation's) and whether transfers above the committed amount are accepted
and flagged. Its results framework is a list of indicators with baseline, target, unit and
frequency; an indicator that SIGG computes from the records names its computation (one of
``CALCULOS``), any other is entered per period with its source (indicadores.registrar_valor).

Changes use the program's version (If-Match) like the records, and the framework is replaced
as a whole, in one transaction: an indicator that already holds entered values cannot be
dropped (its history would go with it)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ConfigDict, Field, field_validator
from sqlalchemy import Connection, text

from geo.acceso.alcance import Alcance
from geo.analisis.indicadores import CALCULOS
from geo.plataforma.entrada import Entrada
from geo.plataforma.errors import (
    Conflicto,
    NoAutenticado,
    NoEncontrado,
    Prohibido,
    RegistroInvalido,
)
from geo.plataforma.versiones import bloquear
from geo.territorio.consultas import exigir_cartografia


class IndicadorEntrada(Entrada):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    codigo: str = Field(min_length=1, max_length=16, pattern=r"^[0-9A-Za-z.]+$")
    nombre: str = Field(min_length=1, max_length=500)
    unidad: str = Field(min_length=1, max_length=32, description="p. ej. familias, %, ha")
    linea_base: Decimal | None = Field(None, max_digits=16, decimal_places=2)
    meta: Decimal | None = Field(None, max_digits=16, decimal_places=2)
    frecuencia: str | None = Field(None, max_length=32, description="p. ej. anual, semestral")
    como_se_calcula: str | None = Field(None, max_length=2000)
    calculo: str | None = Field(None, description="Cálculo de SIGG a partir de los registros")

    @field_validator("calculo")
    @classmethod
    def _calculo(cls, v: str | None) -> str | None:
        if v is not None and v not in CALCULOS:
            raise ValueError(f"cálculo desconocido '{v}'; use: {', '.join(CALCULOS)}")
        return v


class ProgramaEntrada(Entrada):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    codigo: str = Field(min_length=2, max_length=16, pattern=r"^[A-Za-z0-9_-]+$")
    nombre: str = Field(min_length=3, max_length=300)
    cartografia: str = Field("2012", pattern=r"^[0-9A-Za-z_-]{1,16}$")
    tipo_cambio: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=4)
    permite_excesos: bool = False


class ProgramaCambios(Entrada):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    nombre: str | None = Field(None, min_length=3, max_length=300)
    tipo_cambio: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=4)
    permite_excesos: bool | None = None


_COLUMNAS = "id, codigo, nombre, cartografia, tipo_cambio, permite_excesos, sintetico, version"


def _exigir_nacional(alcance: Alcance) -> None:
    if alcance.publico:
        raise NoAutenticado("esta operación requiere iniciar sesión")
    if not alcance.nacional:
        raise Prohibido("solo la coordinación nacional crea o cambia programas")


def _dict(r: Any) -> dict[str, Any]:
    d = dict(r._mapping)
    d["tipo_cambio"] = float(d["tipo_cambio"]) if d["tipo_cambio"] is not None else None
    return d


def listar(conn: Connection) -> list[dict[str, Any]]:
    filas = conn.execute(text(f"SELECT {_COLUMNAS} FROM programa ORDER BY id"))  # noqa: S608
    return [_dict(r) for r in filas]


def uno(conn: Connection, codigo: str) -> dict[str, Any]:
    r = conn.execute(
        text(f"SELECT {_COLUMNAS} FROM programa WHERE codigo = :c"),  # noqa: S608
        {"c": codigo},
    ).first()
    if r is None:
        raise NoEncontrado(f"programa desconocido '{codigo}'", campo="programa")
    d = _dict(r)
    d["indicadores"] = [
        {k: (float(v) if isinstance(v, Decimal) else v) for k, v in i._mapping.items()}
        for i in conn.execute(
            text(
                "SELECT codigo, nombre, unidad, linea_base, meta, frecuencia, como_se_calcula, "
                "calculo FROM indicador WHERE programa_id = :p ORDER BY orden, id"
            ),
            {"p": d["id"]},
        )
    ]
    return d


def crear(conn: Connection, alcance: Alcance, datos: ProgramaEntrada) -> dict[str, Any]:
    _exigir_nacional(alcance)
    try:
        exigir_cartografia(conn, datos.cartografia)
    except NoEncontrado as e:
        raise RegistroInvalido([("cartografia", str(e))]) from e
    existe = conn.execute(
        text("SELECT 1 FROM programa WHERE lower(codigo) = lower(:c)"), {"c": datos.codigo}
    ).first()
    if existe:
        raise Conflicto(f"ya existe un programa con el código {datos.codigo}")
    conn.execute(
        text(
            "INSERT INTO programa (codigo, nombre, cartografia, tipo_cambio, permite_excesos) "
            "VALUES (:codigo, :nombre, :cartografia, :tipo_cambio, :permite_excesos)"
        ),
        datos.model_dump(),
    )
    return uno(conn, datos.codigo)


def modificar(
    conn: Connection, alcance: Alcance, codigo: str, cambios: ProgramaCambios, if_match: str | None
) -> dict[str, Any]:
    _exigir_nacional(alcance)
    actual = uno(conn, codigo)
    bloquear(conn, "programa", actual["id"], if_match)
    valores = cambios.model_dump(exclude_unset=True)
    if "nombre" in valores and valores["nombre"] is None:
        raise RegistroInvalido([("nombre", "el nombre no puede quedar vacío")])
    if valores:
        asignaciones = ", ".join(f"{k} = :{k}" for k in valores)
        conn.execute(
            text(
                f"UPDATE programa SET {asignaciones}, version = version + 1, "  # noqa: S608
                "actualizado_en = now() WHERE id = :id"
            ),
            valores | {"id": actual["id"]},
        )
    return uno(conn, codigo)


def fijar_marco(
    conn: Connection,
    alcance: Alcance,
    codigo: str,
    indicadores: list[IndicadorEntrada],
    if_match: str | None,
) -> dict[str, Any]:
    """Replace the program's results framework with ``indicadores`` (in that order)."""
    _exigir_nacional(alcance)
    actual = uno(conn, codigo)
    bloquear(conn, "programa", actual["id"], if_match)
    vistos: dict[str, int] = {}
    errores = []
    for i, ind in enumerate(indicadores):
        if ind.codigo in vistos:
            errores.append((f"{i}.codigo", f"código {ind.codigo} repetido"))
        vistos[ind.codigo] = i
    if errores:
        raise RegistroInvalido(errores)
    con_valores = [
        r.codigo
        for r in conn.execute(
            text(
                "SELECT DISTINCT i.codigo FROM indicador i JOIN indicador_valor v "
                "ON v.indicador_id = i.id WHERE i.programa_id = :p"
            ),
            {"p": actual["id"]},
        )
        if r.codigo not in vistos
    ]
    if con_valores:
        raise Conflicto(
            "no se pueden quitar indicadores con valores registrados: " + ", ".join(con_valores)
        )
    conn.execute(
        text("DELETE FROM indicador WHERE programa_id = :p AND NOT (codigo = ANY(:c))"),
        {"p": actual["id"], "c": list(vistos)},
    )
    for orden, ind in enumerate(indicadores):
        conn.execute(
            text(
                "INSERT INTO indicador (programa_id, codigo, nombre, unidad, linea_base, meta, "
                "frecuencia, como_se_calcula, calculo, orden) VALUES (:p, :codigo, :nombre, "
                ":unidad, :linea_base, :meta, :frecuencia, :como_se_calcula, :calculo, :orden) "
                "ON CONFLICT (programa_id, codigo) DO UPDATE SET nombre = excluded.nombre, "
                "unidad = excluded.unidad, linea_base = excluded.linea_base, "
                "meta = excluded.meta, frecuencia = excluded.frecuencia, "
                "como_se_calcula = excluded.como_se_calcula, calculo = excluded.calculo, "
                "orden = excluded.orden"
            ),
            ind.model_dump() | {"p": actual["id"], "orden": orden},
        )
    conn.execute(
        text("UPDATE programa SET version = version + 1, actualizado_en = now() WHERE id = :p"),
        {"p": actual["id"]},
    )
    return uno(conn, codigo)
