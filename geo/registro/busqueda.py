"""One search box for the staff workspace and the public map: places (departments, provinces,
municipalities, operational units) by name or code, and alliances by code, name or
organization name, accents and case aside.

Both sides of a comparison go through ``sigg_clave`` (migration 0007: lowercase, no accents,
letters and digits only) in the database, so that what is typed and what is stored are reduced
by the same rule. Within a rank, municipalities come first (what a search box on the map is
mostly for), then departments, provinces and operational units. The alliances follow the read
scope of the alliance list (``consultas.filtrar``): the public finds validated records only,
and the buyer (who may be a person) is neither searched nor answered.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Select, Table, and_, case, func, literal, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from geo.acceso.alcance import Alcance
from geo.plataforma.errors import EntradaInvalida
from geo.plataforma.models import (
    Departamento,
    Municipio,
    Organizacion,
    Programa,
    Provincia,
    UnidadOperativa,
    tabla,
)
from geo.registro.consultas import A, Filtros, en_su_municipio, etiqueta, filtrar
from geo.vocabulario.catalogos import ETAPAS, clave

D, P, M, U = tabla(Departamento), tabla(Provincia), tabla(Municipio), tabla(UnidadOperativa)
O, PR = tabla(Organizacion), tabla(Programa)  # noqa: E741

LARGO_MIN, LARGO_MAX = 2, 100
LIMITE_MAX = 50
SEPARADOR = " · "


class _Patrones:
    """The typed text reduced once, as the exact, prefix and contains patterns (LIKE wildcards
    in the text are escaped: a search for "50%" means the characters)."""

    def __init__(self, texto: str) -> None:
        escapado = texto.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        self.exacto = func.sigg_clave(literal(texto))
        self.prefijo = func.sigg_clave(literal(escapado)) + "%"
        self.contiene = "%" + func.sigg_clave(literal(escapado)) + "%"

    def rango(self, nombres: list[Any], codigos: list[Any]) -> ColumnElement[int]:
        """0 for an exact name or code, 1 for a prefix of either, 2 for a part of a name."""
        todos = [func.sigg_clave(c) for c in (*nombres, *codigos)]
        return case(
            (or_(*(c == self.exacto for c in todos)), 0),
            (or_(*(c.like(self.prefijo, escape="\\") for c in todos)), 1),
            else_=2,
        )

    def coincide(self, nombres: list[Any], codigos: list[Any]) -> ColumnElement[bool]:
        """A part of a name, or the start of a code."""
        return or_(
            *(func.sigg_clave(n).like(self.contiene, escape="\\") for n in nombres),
            *(func.sigg_clave(c).like(self.prefijo, escape="\\") for c in codigos),
        )


def _nivel(
    t: Table, nivel: str, orden: int, contexto: Any, pt: _Patrones, cartografia: Any
) -> Select[Any]:
    # A corrected name is found by the source's spelling too ("Ascención", nombres_corregidos).
    nombres = [t.c.nombre] + ([t.c.nombre_fuente] if "nombre_fuente" in t.c else [])
    return select(
        literal(nivel).label("nivel"),
        t.c.codigo,
        t.c.nombre,
        contexto.label("contexto"),
        pt.rango(nombres, [t.c.codigo]).label("rango"),
        literal(orden).label("orden"),
    ).where(t.c.cartografia == cartografia, pt.coincide(nombres, [t.c.codigo]))


def _padre(padre: Table, hijo: Table, codigo: Any) -> ColumnElement[bool]:
    return and_(padre.c.cartografia == hijo.c.cartografia, padre.c.codigo == codigo)


def _lugares(pt: _Patrones, programa: str, limite: int) -> Select[Any]:
    """The four levels in one query, in the program's cartography."""
    cartografia = select(PR.c.cartografia).where(PR.c.codigo == programa).scalar_subquery()
    contexto = func.concat_ws(SEPARADOR, P.c.nombre, D.c.nombre, "Unidad " + U.c.nombre)
    municipios = _nivel(M, "municipio", 0, contexto, pt, cartografia).select_from(
        M.join(P, _padre(P, M, M.c.provincia_codigo))
        .join(D, _padre(D, M, M.c.departamento_codigo))
        .join(U, _padre(U, M, M.c.unidad_operativa_codigo))
    )
    provincias = _nivel(P, "provincia", 2, D.c.nombre, pt, cartografia).select_from(
        P.join(D, _padre(D, P, P.c.departamento_codigo))
    )
    departamentos = _nivel(D, "departamento", 1, literal("Bolivia"), pt, cartografia)
    unidades = _nivel(U, "unidad_operativa", 3, literal("Unidad operativa"), pt, cartografia)
    todos = union_all(municipios, provincias, departamentos, unidades).subquery()
    return (
        select(todos.c.nivel, todos.c.codigo, todos.c.nombre, todos.c.contexto)
        .order_by(todos.c.rango, todos.c.orden, todos.c.nombre, todos.c.codigo)
        .limit(limite)
    )


def _alianzas(pt: _Patrones, alcance: Alcance, programa: str, limite: int) -> Select[Any]:
    """Alliances as the alliance list lets ``alcance`` read them; the buyer is left out."""
    q: Select[Any] = (
        select(
            A.c.id,
            A.c.codigo,
            A.c.nombre,
            M.c.nombre.label("municipio"),
            A.c.etapa,
            etiqueta(A.c.etapa, ETAPAS).label("etapa_nombre"),
            A.c.estado,
            func.ST_X(A.c.geom).label("lon"),
            func.ST_Y(A.c.geom).label("lat"),
        )
        .join_from(A, M, en_su_municipio(A))
        .outerjoin(O, O.c.id == A.c.organizacion_id)
    )
    q = filtrar(q, Filtros(programa=programa, alcance=alcance))
    nombres = [A.c.nombre, O.c.nombre]
    return (
        q.where(pt.coincide([*nombres, A.c.codigo], [A.c.codigo]))
        .order_by(pt.rango(nombres, [A.c.codigo]), A.c.codigo, A.c.id)
        .limit(limite)
    )


def buscar(
    conn: Connection, texto: str, alcance: Alcance, programa: str, limite: int = 10
) -> dict[str, Any]:
    """Places and alliances whose name or code holds ``texto`` (at most ``limite`` of each),
    exact matches first, then those that start with it, then those that contain it."""
    q = texto.strip()
    if not LARGO_MIN <= len(q) <= LARGO_MAX:
        raise EntradaInvalida(
            f"la búsqueda debe tener de {LARGO_MIN} a {LARGO_MAX} caracteres (sin contar los "
            f"espacios de los extremos); tiene {len(q)}",
            campo="q",
        )
    if not clave(q):
        raise EntradaInvalida("la búsqueda debe tener alguna letra o número", campo="q")
    if not 1 <= limite <= LIMITE_MAX:
        raise EntradaInvalida(f"limit va de 1 a {LIMITE_MAX}", campo="limit")
    pt = _Patrones(q)
    lugares = conn.execute(_lugares(pt, programa, limite)).mappings().all()
    alianzas = conn.execute(_alianzas(pt, alcance, programa, limite)).mappings().all()
    return {"q": q, "lugares": [dict(r) for r in lugares], "alianzas": [dict(r) for r in alianzas]}
