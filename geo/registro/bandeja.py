"""Each staff user's tray: the records that wait for them (to verify, to validate, to correct),
a page at a time, found by part of their code, name or municipality, with what a reviewer
needs to decide without opening each one: the last move (who, when, with what comment) and
what changed in the data since the record was last looked at.

"Since it was last looked at" is read from the audit trail, where every change of a record
is kept whole (before and after). A verification step changes only the state (and the
observation); a data change is anything else. The reference is the last step when data
changed after it (the unit sees what the técnico changed since it verified or observed); when
nothing changed after the last step, which is how a record reaches national coordination, it
is the step before (national coordination sees what was corrected after its observation). A
record never moved before has no reference: it is new to the reviewer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, func, literal, select, tuple_, union_all

from geo.acceso.alcance import Alcance, exigir_personal
from geo.plataforma.models import Auditoria, Organizacion, UnidadOperativa, Usuario, tabla
from geo.plataforma.models import Verificacion as VerificacionModelo
from geo.registro.consultas import SP, A, M, en_su_municipio
from geo.vocabulario.catalogos import (
    CAMPOS_ALIANZA,
    CAMPOS_SUBPROYECTO,
    ESTADOS,
    ETAPAS,
    ETAPAS_SUBPROYECTO,
    FINANCIAMIENTOS,
    MODELOS,
    PRECISIONES,
    SECTORES,
)

AU, V, US = tabla(Auditoria), tabla(VerificacionModelo), tabla(Usuario)
U, O = tabla(UnidadOperativa), tabla(Organizacion)  # noqa: E741

# What waits for whom: the unit verifies what was registered (or corrected after an
# observation); national coordination validates what the units verified; a técnico fixes what
# was sent back.
PENDIENTES = {"unidad": ("registrado",), "nacional": ("verificado",), "tecnico": ("observado",)}
_TABLAS: dict[str, Table] = {"alianza": A, "subproyecto_municipal": SP}
# Bookkeeping, the verification itself, and what is derived from other fields: not a change
# a reviewer has to look at.
_NO_DATOS = frozenset(
    {"estado", "observacion", "version", "actualizado_en", "creado_en", "id", "cartografia",
     "programa_id", "etapa_alcanzada", "alertas"}
)  # fmt: skip
_UBICACION = "geom"
# Field -> the labels of its codes, per table ("etapa" means a different cycle for each).
_CODIGOS: dict[str, dict[str, dict[Any, str]]] = {
    "alianza": {"sector": SECTORES, "modelo": MODELOS, "financiamiento": FINANCIAMIENTOS,
                "etapa": ETAPAS, "precision_ubicacion": PRECISIONES},
    "subproyecto_municipal": {"etapa": ETAPAS_SUBPROYECTO, "precision_ubicacion": PRECISIONES},
}  # fmt: skip
_CAMPOS_PASO = ("accion", "desde", "hacia", "usuario", "nombre", "momento", "comentario")
_ETIQUETAS = {"alianza": CAMPOS_ALIANZA, "subproyecto_municipal": CAMPOS_SUBPROYECTO}


@dataclass(frozen=True)
class FiltroBandeja:
    q: str | None = None
    unidad_operativa: str | None = None
    municipio: str | None = None
    limite: int = 20
    desplazamiento: int = 0


def bandeja(
    conn: Connection, alcance: Alcance, f: FiltroBandeja
) -> tuple[int, list[dict[str, Any]]]:
    """How many records wait for ``alcance`` under ``f``, and one page of them (oldest change
    first), each with its last move and its changes since it was last looked at."""
    exigir_personal(alcance)
    if alcance.rol not in PENDIENTES:
        return 0, []
    todas = union_all(*(_de(nombre, t, alcance, f) for nombre, t in _TABLAS.items())).subquery()
    total = conn.execute(select(func.count()).select_from(todas)).scalar_one()
    pagina = conn.execute(
        select(todas)
        .order_by(todas.c.actualizado_en, todas.c.tabla, todas.c.id)
        .limit(f.limite)
        .offset(f.desplazamiento)
    ).mappings()
    filas = [dict(p) | {"estado_nombre": ESTADOS[p["estado"]]} for p in pagina]
    if filas:
        _completar(conn, filas)
    return total, filas


def _de(nombre: str, t: Table, alcance: Alcance, f: FiltroBandeja) -> Any:
    q = (
        select(
            literal(nombre).label("tabla"),
            t.c.id,
            t.c.codigo,
            t.c.nombre,
            t.c.estado,
            t.c.observacion,
            t.c.version,
            t.c.actualizado_en,
            t.c.municipio_codigo,
            M.c.nombre.label("municipio"),
            M.c.unidad_operativa_codigo.label("unidad_operativa"),
            U.c.nombre.label("unidad_operativa_nombre"),
            func.ST_X(t.c.geom).label("lon"),
            func.ST_Y(t.c.geom).label("lat"),
        )
        .join_from(t, M, en_su_municipio(t))
        .join(U, (U.c.cartografia == M.c.cartografia) & (U.c.codigo == M.c.unidad_operativa_codigo))
        .where(t.c.estado.in_(PENDIENTES[alcance.rol or ""]))
    )
    if not alcance.nacional:
        q = q.where(M.c.unidad_operativa_codigo == alcance.unidad)
    if f.unidad_operativa:
        q = q.where(M.c.unidad_operativa_codigo == f.unidad_operativa.upper())
    if f.municipio:
        q = q.where(t.c.municipio_codigo == f.municipio)
    if f.q and f.q.strip():
        # sigg_clave keeps letters and digits only: no LIKE wildcard of the text survives it.
        texto = func.concat_ws(" ", t.c.codigo, t.c.nombre, M.c.nombre)
        q = q.where(func.sigg_clave(texto).like("%" + func.sigg_clave(f.q) + "%"))
    return q


def _completar(conn: Connection, filas: list[dict[str, Any]]) -> None:
    """Add each record's last step and its changes since the reference (two queries for the
    whole page)."""
    claves = [(p["tabla"], p["id"]) for p in filas]
    pasos: dict[tuple[str, int], list[dict[str, Any]]] = {k: [] for k in claves}
    for paso in conn.execute(
        select(
            V.c.tabla,
            V.c.registro_id,
            *(V.c[k] for k in _CAMPOS_PASO if k != "nombre"),
            func.coalesce(US.c.nombre, V.c.usuario).label("nombre"),
        )
        .outerjoin(US, US.c.nombre_usuario == V.c.usuario)
        .where(tuple_(V.c.tabla, V.c.registro_id).in_(claves))
        .order_by(V.c.id)
    ).mappings():
        pasos[(paso["tabla"], paso["registro_id"])].append({k: paso[k] for k in _CAMPOS_PASO})
    auditoria: dict[tuple[str, int], list[dict[str, Any]]] = {k: [] for k in claves}
    for fila in conn.execute(
        select(AU.c.tabla, AU.c.registro_id, AU.c.antes, AU.c.despues)
        .where(AU.c.accion == "cambio", tuple_(AU.c.tabla, AU.c.registro_id).in_(claves))
        .order_by(AU.c.id)
    ).mappings():
        auditoria[(fila["tabla"], fila["registro_id"])].append(dict(fila))
    for p in filas:
        clave = (p["tabla"], p["id"])
        p["ultimo_paso"] = pasos[clave][-1] if pasos[clave] else None
        p["referencia"], p["cambios"] = _desde_la_referencia(auditoria[clave], pasos[clave])
    _nombrar(conn, filas)


def _datos(entrada: dict[str, Any]) -> set[str]:
    """The data fields an audit entry changed (the verification and bookkeeping aside)."""
    antes, despues = entrada["antes"] or {}, entrada["despues"] or {}
    return {
        k
        for k in set(antes) | set(despues)
        if k not in _NO_DATOS and antes.get(k) != despues.get(k)
    }


def _desde_la_referencia(
    auditoria: list[dict[str, Any]], pasos: list[dict[str, Any]]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The reference step (see the module's docstring) and the net change of each data field
    since it: the value then and the value now (or at the last step)."""
    es_paso = [
        not _datos(e) and (e["antes"] or {}).get("estado") != (e["despues"] or {}).get("estado")
        for e in auditoria
    ]
    indices = [i for i, paso in enumerate(es_paso) if paso]
    if not indices or not pasos:
        return None, []
    ultimo = indices[-1]
    if any(_datos(e) for e in auditoria[ultimo + 1 :]):
        desde, hasta, referencia = ultimo, len(auditoria), pasos[-1]
    elif len(indices) > 1 and len(pasos) > 1:
        desde, hasta, referencia = indices[-2], ultimo, pasos[-2]
    else:
        return None, []
    ediciones = [e for e in auditoria[desde + 1 : hasta] if _datos(e)]
    if not ediciones:
        return referencia, []
    antes, despues = ediciones[0]["antes"], ediciones[-1]["despues"]
    campos = sorted(_datos({"antes": antes, "despues": despues}))
    return referencia, [
        {"campo": k, "antes": antes.get(k), "despues": despues.get(k)} for k in campos
    ]


def _nombrar(conn: Connection, filas: list[dict[str, Any]]) -> None:
    """Each change with its field's label and its values as people read them: catalogue
    labels, municipality and organization names, a point as lon/lat (one query per kind of
    name for the whole page)."""
    codigos = {v for p in filas for c in p["cambios"] if c["campo"] == "municipio_codigo"
               for v in (c["antes"], c["despues"]) if v}  # fmt: skip
    ids = {v for p in filas for c in p["cambios"] if c["campo"] == "organizacion_id"
           for v in (c["antes"], c["despues"]) if v}  # fmt: skip
    municipios = dict(conn.execute(
        select(M.c.codigo, M.c.nombre).where(M.c.codigo.in_(codigos)).distinct()
    ).all()) if codigos else {}  # fmt: skip
    organizaciones = dict(conn.execute(
        select(O.c.id, O.c.nombre).where(O.c.id.in_(ids))
    ).all()) if ids else {}  # fmt: skip
    nombres: dict[str, dict[Any, str]] = {
        "municipio_codigo": municipios,
        "organizacion_id": organizaciones,
    }
    for p in filas:
        catalogos = _CODIGOS[p["tabla"]] | nombres
        etiquetas = _ETIQUETAS[p["tabla"]]
        for c in p["cambios"]:
            campo = c["campo"]
            c["etiqueta"] = "Ubicación" if campo == _UBICACION else etiquetas.get(campo, campo)
            for lado in ("antes", "despues"):
                c[lado] = _legible(campo, c[lado], catalogos.get(campo))


def _legible(campo: str, valor: Any, catalogo: dict[Any, str] | None) -> Any:
    if valor is None:
        return None
    if campo == _UBICACION:
        return _punto(valor)
    if catalogo is not None:
        return catalogo.get(valor, str(valor))
    return valor


def _punto(geometria: Any) -> list[float] | None:
    """lon, lat of a point as the audit keeps it (PostGIS writes a geometry into JSON as
    GeoJSON)."""
    if not isinstance(geometria, dict) or geometria.get("type") != "Point":
        return None
    coordenadas = geometria.get("coordinates") or []
    if len(coordenadas) < 2:
        return None
    return [round(float(coordenadas[0]), 5), round(float(coordenadas[1]), 5)]
