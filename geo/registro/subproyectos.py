"""Municipal infrastructure subprojects (FPS): located like alliances, linked to them. The
executed amounts written here enter the dated ledger in the same statement (migration 0012,
geo.registro.movimientos), dated today."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, and_, delete, func, insert, select, text, update

from geo.acceso.alcance import (
    Alcance,
    bloquear_para_escribir,
    comprobar_unidad,
    condicion_lectura,
    fijar,
    unidad_de,
)
from geo.plataforma.errors import CodigoDuplicado, NoEncontrado, RegistroInvalido
from geo.plataforma.models import (
    Alianza,
    Departamento,
    Municipio,
    Programa,
    SubproyectoAlianza,
    SubproyectoMunicipal,
    UnidadOperativa,
    tabla,
)
from geo.registro.alianzas import Programa as Prog
from geo.registro.alianzas import programa
from geo.registro.consultas import Filtros, en_su_municipio, filtrar_subproyectos, para
from geo.registro.esquemas import SubproyectoEntrada, errores_de, precision
from geo.territorio.ubicacion_lote import ubicar_lote
from geo.vocabulario.catalogos import TRANSICIONES_SUBPROYECTO

SP = tabla(SubproyectoMunicipal)
SA = tabla(SubproyectoAlianza)
A = tabla(Alianza)
M = tabla(Municipio)
D = tabla(Departamento)
U = tabla(UnidadOperativa)
PR = tabla(Programa)
MONTOS = (
    "monto_empoderar_comprometido_bs",
    "monto_contraparte_comprometido_bs",
    "monto_empoderar_ejecutado_bs",
    "monto_contraparte_ejecutado_bs",
)


def _invalido(errores: dict[str, str]) -> RegistroInvalido:
    return RegistroInvalido(errores.items())


def _validar(
    conn: Connection, prog: Prog, datos: dict[str, Any], tol: float
) -> tuple[SubproyectoEntrada, Any, list[int]]:
    try:
        e = SubproyectoEntrada.model_validate(datos)
    except ValidationError as exc:
        raise _invalido(errores_de(exc)) from exc
    [u] = ubicar_lote(conn, prog.cartografia, [(e.lon, e.lat, e.municipio_codigo)], tol)
    if u.errores:
        raise _invalido(u.errores)
    ids = dict(
        conn.execute(
            select(A.c.codigo, A.c.id).where(A.c.programa_id == prog.id, A.c.codigo.in_(e.alianzas))
        ).all()
    )
    faltan = [c for c in e.alianzas if c not in ids]
    if faltan:
        raise _invalido({"alianzas": f"alianzas desconocidas en el programa: {', '.join(faltan)}"})
    return e, u, [ids[c] for c in e.alianzas]


def _valores(prog: Prog, e: SubproyectoEntrada, u: Any) -> dict[str, Any]:
    campos = e.model_dump(exclude={"lon", "lat", "municipio_codigo", "alianzas"})
    return campos | {
        "programa_id": prog.id,
        "cartografia": prog.cartografia,
        "municipio_codigo": u.municipio_codigo,
        "precision_ubicacion": precision(e.precision_ubicacion, u.precision),
        "alertas": u.alertas,
        "geom": func.ST_SetSRID(func.ST_MakePoint(u.lon, u.lat), 4326),
    }


def crear(
    conn: Connection,
    alcance: Alcance | None,
    programa_codigo: str,
    datos: dict[str, Any],
    *,
    tolerancia_m: float,
) -> dict[str, Any]:
    """Register a subproject and return it; the municipality comes from the point when not
    given, and must be in the user's unit (``alcance`` None: a trusted caller, no check)."""
    prog = programa(conn, programa_codigo)
    e, u, alianzas = _validar(conn, prog, datos, tolerancia_m)
    _en_su_unidad(conn, prog, u.municipio_codigo, alcance)
    existe = conn.execute(
        select(SP.c.id).where(SP.c.programa_id == prog.id, SP.c.codigo == e.codigo)
    ).first()
    if existe:
        raise CodigoDuplicado(f"ya existe un subproyecto con el código {e.codigo} en este programa")
    nuevo = int(
        conn.execute(insert(SP).values(**_valores(prog, e, u)).returning(SP.c.id)).scalar_one()
    )
    _enlazar(conn, nuevo, alianzas)
    return uno(conn, nuevo)


def modificar(
    conn: Connection,
    alcance: Alcance,
    sp_id: int,
    cambios: dict[str, Any],
    *,
    if_match: str | None,
    tolerancia_m: float,
) -> dict[str, Any]:
    """Change a subproject at the version the client read (``if_match``) and return it; its
    stage moves one step at a time and its code does not change."""
    bloquear_para_escribir(conn, alcance, "subproyecto_municipal", sp_id, if_match)
    actual = uno(conn, sp_id)
    if "codigo" in cambios and cambios["codigo"] != actual["codigo"]:
        raise _invalido({"codigo": "el código de un subproyecto no cambia"})
    datos = _como_entrada(actual) | cambios
    if "municipio_codigo" in cambios and not {"lon", "lat"} & cambios.keys():
        datos.pop("lon", None), datos.pop("lat", None), datos.pop("precision_ubicacion", None)
    prog = programa(conn, actual["programa"])
    e, u, alianzas = _validar(conn, prog, datos, tolerancia_m)
    _en_su_unidad(conn, prog, u.municipio_codigo, alcance)
    if e.etapa != actual["etapa"] and (actual["etapa"], e.etapa) not in TRANSICIONES_SUBPROYECTO:
        raise _invalido({"etapa": f"cambio de etapa no permitido: {actual['etapa']} → {e.etapa}"})
    conn.execute(update(SP).where(SP.c.id == sp_id).values(**_valores(prog, e, u)))
    conn.execute(delete(SA).where(SA.c.subproyecto_id == sp_id))
    _enlazar(conn, sp_id, alianzas)
    return uno(conn, sp_id)


def borrar(conn: Connection, alcance: Alcance, sp_id: int, *, if_match: str | None) -> None:
    """Delete a subproject that is not validated, at the version the client read; the audit
    trail keeps what it was."""
    bloquear_para_escribir(conn, alcance, "subproyecto_municipal", sp_id, if_match)
    conn.execute(delete(SP).where(SP.c.id == sp_id))


def _en_su_unidad(
    conn: Connection, prog: Prog, municipio_codigo: str, alcance: Alcance | None
) -> None:
    if alcance is not None:
        unidad = unidad_de(conn, prog.cartografia, municipio_codigo)
        comprobar_unidad(alcance, unidad, f"el municipio {municipio_codigo}")
        fijar(conn, alcance)


def _enlazar(conn: Connection, sp_id: int, alianzas: list[int]) -> None:
    if alianzas:
        conn.execute(insert(SA), [{"subproyecto_id": sp_id, "alianza_id": a} for a in alianzas])


def _como_entrada(d: dict[str, Any]) -> dict[str, Any]:
    campos = set(SubproyectoEntrada.model_fields) - {"municipio_codigo"}
    datos = {k: v for k, v in d.items() if k in campos and v is not None}
    datos["municipio_codigo"] = d["municipio"]["codigo"]
    if d["precision_ubicacion"] not in (1, 2):
        datos.pop("lon", None), datos.pop("lat", None), datos.pop("precision_ubicacion", None)
    return datos


def _base() -> Any:
    enlazadas = (
        select(func.coalesce(func.array_agg(A.c.codigo), text("'{}'::text[]")))
        .join_from(SA, A, A.c.id == SA.c.alianza_id)
        .where(SA.c.subproyecto_id == SP.c.id)
        .scalar_subquery()
    )
    return (
        select(
            SP.c.id,
            PR.c.codigo.label("programa"),
            SP.c.codigo,
            SP.c.nombre,
            SP.c.tipo_obra,
            SP.c.etapa,
            SP.c.familias,
            *(SP.c[m] for m in MONTOS),
            func.ST_X(SP.c.geom).label("lon"),
            func.ST_Y(SP.c.geom).label("lat"),
            SP.c.precision_ubicacion,
            SP.c.municipio_codigo,
            M.c.nombre.label("mun_nombre"),
            M.c.departamento_codigo,
            D.c.nombre.label("dep_nombre"),
            M.c.unidad_operativa_codigo,
            U.c.nombre.label("uo_nombre"),
            SP.c.alertas,
            SP.c.estado,
            SP.c.observacion,
            SP.c.version,
            enlazadas.label("alianzas"),
        )
        .join_from(SP, PR, PR.c.id == SP.c.programa_id)
        .join(M, en_su_municipio(SP))
        .join(D, and_(D.c.cartografia == M.c.cartografia, D.c.codigo == M.c.departamento_codigo))
        .join(
            U, and_(U.c.cartografia == M.c.cartografia, U.c.codigo == M.c.unidad_operativa_codigo)
        )
    )


def _registro(r: Any) -> dict[str, Any]:
    d = {k: float(v) if isinstance(v, Decimal) else v for k, v in r._mapping.items()}
    d["municipio"] = {"codigo": d.pop("municipio_codigo"), "nombre": d.pop("mun_nombre")}
    d["departamento"] = {"codigo": d.pop("departamento_codigo"), "nombre": d.pop("dep_nombre")}
    d["unidad_operativa"] = {
        "codigo": d.pop("unidad_operativa_codigo"),
        "nombre": d.pop("uo_nombre"),
    }
    d["alianzas"] = sorted(r.alianzas or [])
    return d


def uno(conn: Connection, sp_id: int, alcance: Alcance | None = None) -> dict[str, Any]:
    """One subproject as ``alcance`` may see it; 404 as well when it may not read it."""
    q = _base().where(SP.c.id == sp_id)
    limite = condicion_lectura(SP, alcance)
    if limite is not None:
        q = q.where(limite)
    r = conn.execute(q).first()
    if r is None:
        raise NoEncontrado(f"subproyecto {sp_id} no existe", campo="id")
    return para(alcance, _registro(r))


def listar(
    conn: Connection, f: Filtros, *, limite: int = 100, desplazamiento: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """Subprojects as ``f.alcance`` may see them, filtered with the shared vocabulary, by code;
    and how many match in all."""
    q = filtrar_subproyectos(_base(), f)
    total = conn.execute(select(func.count()).select_from(q.subquery())).scalar_one()
    filas = conn.execute(q.order_by(SP.c.codigo, SP.c.id).limit(limite).offset(desplazamiento))
    return [para(f.alcance, _registro(r)) for r in filas], int(total)
