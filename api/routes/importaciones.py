"""Bulk import of alliances: at once, in the request (all or nothing, for scripts and small
files), or as a job that a worker of the server runs (geo/registro/trabajos.py), for the page:
the upload answers 202 at once, the job's progress and report are read as it goes, and its
error table is downloaded as a CSV."""

from __future__ import annotations

import pathlib
import secrets
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from api.deps import SessionDep, SettingsDep
from api.errors import problema
from api.schemas.comun import Problema
from api.schemas.documento import PROBLEMA, archivos, cuerpo, exito, problemas
from api.schemas.importaciones import InformeImportacion, ListaTrabajos, TrabajoImportacion
from api.seguridad import PersonalDep
from geo.formatos.lectura import formato, leer_tabla
from geo.registro import trabajos
from geo.registro.alianzas import programa
from geo.registro.importacion import importar_alianzas
from geo.vocabulario.parametros import FILTROS

router = APIRouter(
    prefix="/api/v1/importaciones",
    tags=["importaciones"],
    responses=problemas(400, 401, 403, 404, 413, 422),
)

MAX_BYTES = 50 * 1024 * 1024
_TROZO = 1024 * 1024
Archivo = Annotated[UploadFile, File(description="CSV, XLSX o exportación de KoboToolbox")]
ProgramaForm = Annotated[
    str | None,
    Form(alias="programa", pattern=r"^[A-Za-z0-9_-]{1,16}$", description=FILTROS["programa"]),
]
Simulacro = Annotated[bool, Form(description="Solo informa lo que pasaría")]
TrabajoId = Annotated[int, Path(ge=1, le=2**31 - 1, description="El trabajo de importación")]
SIN_CACHE = {"Cache-Control": "no-store"}
_CREAR = threading.Lock()


def trabajador(request: Request) -> trabajos.Trabajador:
    """This process's import worker, started with the app (api/main.py); made here on first
    use when the app runs without its lifespan (a test client outside ``with``)."""
    estado = request.app.state
    with _CREAR:
        if getattr(estado, "trabajos", None) is None:
            estado.trabajos = trabajos.Trabajador.de_ajustes(estado.engine, estado.settings)
    t: trabajos.Trabajador = estado.trabajos
    return t


TrabajadorDep = Annotated[trabajos.Trabajador, Depends(trabajador)]


def _leer_archivo(archivo: UploadFile) -> bytes | JSONResponse:
    """The upload's bytes, or the 413 problem past MAX_BYTES (read no further than that)."""
    datos = archivo.file.read(MAX_BYTES + 1)
    if len(datos) > MAX_BYTES:
        return _grande(MAX_BYTES)
    return datos


def _grande(limite: int, consejo: str = "divida el archivo") -> JSONResponse:
    return problema(
        413,
        "Archivo demasiado grande",
        f"el límite es {limite // 2**20} MB; {consejo}",
        "archivo-grande",
    )


def _guardar_archivo(
    archivo: UploadFile, donde: pathlib.Path, limite: int
) -> pathlib.Path | JSONResponse:
    """A job's upload copied, a megabyte at a time, to a file in ``donde`` (never held whole),
    or the 413 problem past ``limite`` bytes (nothing kept). An XLSX is read whole by the job,
    so it keeps the direct import's limit."""
    xlsx = formato(archivo.filename or "archivo.csv") == "xlsx"
    if xlsx:
        limite = min(limite, MAX_BYTES)
    donde.mkdir(parents=True, exist_ok=True)
    destino = donde / f"subida-{secrets.token_hex(8)}.part"
    escritos = 0
    with destino.open("wb") as salida:
        while trozo := archivo.file.read(_TROZO):
            escritos += len(trozo)
            if escritos > limite:
                break
            salida.write(trozo)
    if escritos > limite:
        destino.unlink()
        consejo = "guárdelo como CSV o divídalo" if xlsx else "divida el archivo"
        return _grande(limite, consejo)
    return destino


# A plain ``def``: FastAPI runs it in its threadpool, so parsing and validating a file of
# 100,000 rows does not hold up the event loop (and every other request of the process).
@router.post(
    "",
    responses={
        200: exito(InformeImportacion, "Lo importado, o lo que se importaría (simulacro)"),
        422: {
            "model": InformeImportacion,
            "description": "Filas con errores: cada fila, columna y motivo; no se escribió nada "
            "(o, como problem+json, un archivo ilegible, sin filas de datos, que pasa un límite, "
            "o un formulario no válido)",
            "content": cuerpo(Problema, PROBLEMA),
        },
    },
)
def importar(
    quien: PersonalDep,
    db: SessionDep,
    settings: SettingsDep,
    archivo: Archivo,
    programa_codigo: ProgramaForm = None,
    simulacro: Simulacro = False,
) -> JSONResponse:
    """Importación masiva de alianzas, todo o nada. Con errores responde 422 con cada fila,
    columna y motivo, y no escribe nada; un archivo sin filas de datos también es un 422. Una
    unidad importa solo filas de sus municipios. Una fila igual a la alianza guardada queda
    "sin cambios" aunque esté validada; cambiar una alianza validada se rechaza nombrando cada
    campo que cambiaría."""
    datos = _leer_archivo(archivo)
    if isinstance(datos, JSONResponse):
        return datos
    tabla = leer_tabla(datos, archivo.filename or "archivo.csv")
    conn = db.connection()
    informe = importar_alianzas(
        conn,
        programa(conn, programa_codigo or settings.programa),
        tabla,
        archivo=archivo.filename or "",
        tolerancia_m=settings.tolerancia_borde_m,
        simulacro=simulacro,
        alcance=quien,
    )
    if informe.errores:
        db.rollback()
        return JSONResponse(informe.como_dict(), status_code=422)
    db.commit()
    return JSONResponse(informe.como_dict())


# --- import jobs ------------------------------------------------------------------------------


@router.post(
    "/trabajos",
    status_code=202,
    responses={
        202: exito(TrabajoImportacion, "El trabajo, en cola; la cabecera Location lo sigue")
        | {"headers": {"Location": {"description": "El trabajo", "schema": {"type": "string"}}}},
        409: {
            "description": "Ya tiene una importación en cola o en curso (la nombra)",
            "content": cuerpo(Problema, PROBLEMA),
        },
    },
)
def crear_trabajo(
    quien: PersonalDep,
    settings: SettingsDep,
    trabajador: TrabajadorDep,
    archivo: Archivo,
    programa_codigo: ProgramaForm = None,
    simulacro: Simulacro = False,
) -> JSONResponse:
    """Importación como trabajo del servidor, para archivos grandes y para la página: responde
    202 enseguida; el trabajo lee, valida, ubica y escribe el archivo todo o nada, como la
    importación directa, y su avance y su informe se leen en la dirección de Location. Sigue
    aunque se cierre la página. Una importación pendiente por usuario. Un CSV puede pasar el
    límite de la importación directa (SIGG_IMPORTACION_MAX_MB); un XLSX, no."""
    nombre = archivo.filename or "archivo.csv"
    donde = trabajos.carpeta(trabajador.directorio, trabajador.engine)
    datos = _guardar_archivo(archivo, donde, settings.importacion_max_mb * 2**20)
    if isinstance(datos, JSONResponse):
        return datos
    with trabajador.engine.begin() as conn:
        try:
            programa_codigo = programa_codigo or settings.programa
            trabajo_id = trabajos.crear(
                conn, quien, programa_codigo, nombre, datos, simulacro=simulacro
            )
        finally:
            datos.unlink(missing_ok=True)  # renamed as the job's file when it was created
        trabajo = trabajos.leer(conn, quien, trabajo_id)
    trabajador.encolar(trabajo_id)
    ruta = f"{router.prefix}/trabajos/{trabajo_id}"
    return JSONResponse(
        jsonable_encoder(trabajo.como_dict()), status_code=202, headers={"Location": ruta}
    )


@router.get(
    "/trabajos", responses={200: exito(ListaTrabajos, "Los trabajos recientes, el último primero")}
)
def listar_trabajos(quien: PersonalDep, trabajador: TrabajadorDep) -> JSONResponse:
    """Los trabajos de importación recientes de quien pregunta (la coordinación nacional ve
    los de todos), sin las filas de sus informes."""
    with trabajador.engine.connect() as conn:
        lista = trabajos.listar(conn, quien)
    data = [_resumen(t) for t in lista]
    return JSONResponse(jsonable_encoder({"data": data, "count": len(data)}), headers=SIN_CACHE)


@router.get(
    "/trabajos/{trabajo_id}",
    responses={200: exito(TrabajoImportacion, "El trabajo: su estado, avance e informe")},
)
def leer_trabajo(
    quien: PersonalDep, trabajador: TrabajadorDep, trabajo_id: TrabajoId
) -> JSONResponse:
    """Un trabajo de importación: estado, paso, filas hechas de total, porcentaje y, al
    terminar, el informe (o por qué falló). Solo quien lo envió lo ve (y la coordinación
    nacional); para otro es 404."""
    with trabajador.engine.begin() as conn:
        trabajo = trabajos.leer(conn, quien, trabajo_id)
    return JSONResponse(jsonable_encoder(trabajo.como_dict()), headers=SIN_CACHE)


@router.get(
    "/trabajos/{trabajo_id}/errores.csv",
    response_class=Response,
    responses={200: archivos("La tabla de errores: fila, columna, valor, motivo", "text/csv")},
)
def errores_trabajo(
    quien: PersonalDep, trabajador: TrabajadorDep, trabajo_id: TrabajoId
) -> Response:
    """Los errores del informe como CSV para abrir en una planilla (separado por punto y coma,
    UTF-8 con BOM): fila, columna, valor, motivo y código de la alianza. Sin errores (o sin
    terminar), solo el encabezado."""
    with trabajador.engine.begin() as conn:
        trabajo = trabajos.leer(conn, quien, trabajo_id)
    nombre = f"errores_importacion_{trabajo_id}.csv"
    return Response(
        trabajos.errores_csv(trabajo),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{nombre}"'} | SIN_CACHE,
    )


def _resumen(t: trabajos.Trabajo) -> dict[str, Any]:
    d = t.como_dict()
    informe = d.pop("informe")
    return d | {"errores": None if informe is None else len(informe.get("errores", []))}
