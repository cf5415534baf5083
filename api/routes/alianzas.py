from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from api.deps import ConnDep, SessionDep, SettingsDep
from api.errors import problema
from api.seguridad import AlcanceDep, PersonalDep
from geo.acceso.alcance import Alcance, bloquear_para_escribir, comprobar_unidad, fijar, unidad_de
from geo.registro import consultas
from geo.registro.alianzas import Lote, Programa, validar
from geo.registro.alianzas import programa as buscar_programa
from geo.registro.escritura import escribir
from geo.registro.esquemas import AlianzaEntrada
from geo.registro.verificacion import historial as verificaciones

router = APIRouter(prefix="/api/v1/alianzas", tags=["alianzas"])

GEOJSON = "application/geo+json"
Formato = Annotated[
    str | None, Query(pattern="^(json|geojson)$", description="json (por defecto) o geojson")
]


def _quiere_geojson(request: Request, formato: str | None) -> bool:
    return formato == "geojson" or (
        formato is None and GEOJSON in request.headers.get("accept", "")
    )


def errores_422(lote: Lote) -> JSONResponse:
    errores = [{"campo": e.campo, "mensaje": e.mensaje} for e in lote.errores]
    if lote.duplicadas:
        return problema(
            409, "Código duplicado", errores[0]["mensaje"], "duplicado", errores=errores
        )
    detalle = "; ".join(f"{e['campo']}: {e['mensaje']}" for e in errores)
    return problema(422, "Registro no válido", detalle, "registro-invalido", errores=errores)


@router.get("")
def listar(
    request: Request,
    conn: ConnDep,
    quien: AlcanceDep,
    programa: str | None = None,
    departamento: Annotated[str | None, Query(pattern=r"^[0-9]{2}$")] = None,
    provincia: Annotated[str | None, Query(pattern=r"^[0-9]{4}$")] = None,
    unidad_operativa: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,16}$")] = None,
    municipio: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    sector: Annotated[list[str] | None, Query()] = None,
    modelo: Annotated[list[int] | None, Query()] = None,
    etapa: Annotated[list[str] | None, Query()] = None,
    financiamiento: str | None = None,
    convocatoria: str | None = None,
    desde: date | None = None,
    hasta: date | None = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="Texto en código, nombre, comprador u organización"),
    ] = None,
    orden: Annotated[
        str | None,
        Query(description="Campos separados por coma; '-' descendente, p. ej. -familias,codigo"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    formato: Formato = None,
    validados: bool = False,
) -> Any:
    """Alianzas filtradas, ordenadas y paginadas, en JSON o como GeoJSON FeatureCollection.
    El público ve solo las validadas y sin datos personales; una unidad, además, las suyas."""
    filtros = consultas.Filtros(
        programa,
        departamento,
        provincia,
        unidad_operativa,
        municipio,
        sector,
        modelo,
        etapa,
        financiamiento,
        convocatoria,
        desde,
        hasta,
        q,
        alcance=quien,
        solo_validados=validados,
    )
    data, total = consultas.listar(
        conn, filtros, ordenar=orden, limite=limit, desplazamiento=offset
    )
    data = [consultas.para(quien, d) for d in data]
    if _quiere_geojson(request, formato):
        cuerpo = {
            "type": "FeatureCollection",
            "numberMatched": total,
            "numberReturned": len(data),
            "features": [consultas.como_feature(d) for d in data],
        }
        return JSONResponse(_json(cuerpo), media_type=GEOJSON)
    return {"data": data, "count": total, "limit": limit, "offset": offset}


def _con_etag(d: dict[str, Any], geojson: bool, status: int = 200) -> JSONResponse:
    cuerpo = consultas.como_feature(d) if geojson else d
    return JSONResponse(
        _json(cuerpo),
        status_code=status,
        headers={"ETag": f'"{d["version"]}"'},
        media_type=GEOJSON if geojson else "application/json",
    )


def _json(d: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(d)


@router.get("/{alianza_id}")
def una(
    request: Request, conn: ConnDep, quien: AlcanceDep, alianza_id: int, formato: Formato = None
) -> JSONResponse:
    """Una alianza; la cabecera ETag lleva su versión (para If-Match al modificarla). 404 si
    quien pregunta no puede verla."""
    d = consultas.para(quien, consultas.una(conn, alianza_id, alcance=quien))
    return _con_etag(d, _quiere_geojson(request, formato))


@router.post("", status_code=201)
def crear(
    db: SessionDep,
    quien: PersonalDep,
    settings: SettingsDep,
    alianza: Annotated[AlianzaEntrada, Body()],
    programa_codigo: Annotated[str, Query(alias="programa")] = "PAR2",
) -> JSONResponse:
    """Registra una alianza (queda "registrada", a verificar por su unidad). El municipio sale
    del punto si no se indica; la unidad operativa sale siempre del municipio, y debe ser la
    del usuario salvo para la coordinación nacional."""
    conn = db.connection()
    prog = buscar_programa(conn, programa_codigo)
    datos = alianza.model_dump(exclude_unset=True)
    lote = validar(conn, prog, [(None, datos)], settings.tolerancia_borde_m, solo_nuevas=True)
    if lote.errores:
        return errores_422(lote)
    _en_su_unidad(conn, quien, prog, lote)
    escrito = escribir(conn, prog, lote.validas)
    db.commit()
    d = consultas.una(db.connection(), escrito.ids[alianza.codigo])
    return _con_etag(d, False, status=201)


@router.patch("/{alianza_id}")
def modificar(
    db: SessionDep,
    quien: PersonalDep,
    settings: SettingsDep,
    alianza_id: int,
    cambios: Annotated[
        dict[str, Any], Body(examples=[{"etapa": "en_inversion", "monto_transferido_bs": 50000}])
    ],
    if_match: Annotated[str | None, Header(description="La versión leída (ETag)")] = None,
) -> JSONResponse:
    """Cambia campos de una alianza. Exige If-Match con la versión leída: si otro la cambió
    entretanto, responde 412 y no sobrescribe nada. Una alianza validada está bloqueada (409);
    una verificada vuelve a "registrado" al cambiar."""
    conn = db.connection()
    bloquear_para_escribir(conn, quien, "alianza", alianza_id, if_match)
    actual = consultas.una(conn, alianza_id)
    if "codigo" in cambios and cambios["codigo"] != actual["codigo"]:
        return problema(
            422,
            "Registro no válido",
            "el código de una alianza no cambia",
            "registro-invalido",
            errores=[{"campo": "codigo", "mensaje": "el código no cambia"}],
        )
    prog = buscar_programa(conn, actual["programa"])
    datos = _como_entrada(actual) | cambios
    if "municipio_codigo" in cambios and not {"lon", "lat"} & cambios.keys():
        datos.pop("lon", None), datos.pop("lat", None)
    lote = validar(conn, prog, [(None, datos)], settings.tolerancia_borde_m)
    if lote.errores:
        return errores_422(lote)
    _en_su_unidad(conn, quien, prog, lote)
    escribir(conn, prog, lote.validas)
    db.commit()
    return _con_etag(consultas.una(db.connection(), alianza_id), False)


@router.delete("/{alianza_id}", status_code=204)
def borrar(
    db: SessionDep,
    quien: PersonalDep,
    alianza_id: int,
    if_match: Annotated[str | None, Header()] = None,
) -> Response:
    """Borra una alianza no validada (queda en la auditoría). Exige If-Match."""
    from sqlalchemy import text

    conn = db.connection()
    bloquear_para_escribir(conn, quien, "alianza", alianza_id, if_match)
    conn.execute(text("DELETE FROM alianza WHERE id = :i"), {"i": alianza_id})
    db.commit()
    return Response(status_code=204)


@router.get("/{alianza_id}/historial")
def historial(conn: ConnDep, quien: PersonalDep, alianza_id: int) -> dict[str, Any]:
    """Cada cambio de la alianza (quién, cuándo, antes, después), las fechas de sus etapas y su
    verificación (solo personal: nombra a los usuarios)."""
    from sqlalchemy import text

    consultas.una(conn, alianza_id, alcance=quien)
    cambios = conn.execute(
        text(
            "SELECT accion, usuario, momento, antes, despues FROM auditoria "
            "WHERE tabla = 'alianza' AND registro_id = :i ORDER BY id"
        ),
        {"i": alianza_id},
    ).mappings()
    etapas = conn.execute(
        text(
            "SELECT etapa, fecha, usuario, registrado_en FROM alianza_etapa WHERE alianza_id = :i "
            "ORDER BY id"
        ),
        {"i": alianza_id},
    ).mappings()
    return {
        "cambios": [_cambio(dict(c)) for c in cambios],
        "etapas": [dict(e) for e in etapas],
        "verificacion": verificaciones(conn, "alianza", alianza_id),
    }


def _cambio(c: dict[str, Any]) -> dict[str, Any]:
    """Only the fields that changed, for an update."""
    antes, despues = c.pop("antes") or {}, c.pop("despues") or {}
    claves = [
        k
        for k in sorted(set(antes) | set(despues))
        if antes.get(k) != despues.get(k) and k not in ("version", "actualizado_en")
    ]
    c["campos"] = {k: {"antes": antes.get(k), "despues": despues.get(k)} for k in claves}
    return c


def _en_su_unidad(conn: Any, quien: Alcance, prog: Programa, lote: Lote) -> None:
    """403 unless the (derived) municipality is in the user's unit; then name the user."""
    for v in lote.validas:
        unidad = unidad_de(conn, prog.cartografia, v.municipio_codigo)
        comprobar_unidad(quien, unidad, f"el municipio {v.municipio_codigo}")
    fijar(conn, quien)


def _como_entrada(d: dict[str, Any]) -> dict[str, Any]:
    campos = set(AlianzaEntrada.model_fields) - {"organizacion", "municipio_codigo"}
    datos = {k: v for k, v in d.items() if k in campos and v is not None}
    datos["municipio_codigo"] = d["municipio"]["codigo"]
    if d["organizacion"]:
        datos["organizacion_id"] = d["organizacion"]["id"]
    if d["precision_ubicacion"] not in (1, 2):
        datos.pop("lon", None), datos.pop("lat", None)
    return datos
