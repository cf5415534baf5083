from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse

from api.deps import SessionDep, SettingsDep
from api.errors import problema
from api.schemas.comun import Problema
from api.schemas.documento import PROBLEMA, cuerpo, exito, problemas
from api.schemas.importaciones import InformeImportacion
from api.seguridad import PersonalDep
from geo.formatos.lectura import leer_tabla
from geo.registro.alianzas import programa
from geo.registro.importacion import importar_alianzas
from geo.vocabulario.parametros import FILTROS

router = APIRouter(
    prefix="/api/v1/importaciones",
    tags=["importaciones"],
    responses=problemas(400, 401, 403, 404, 413),
)

MAX_BYTES = 50 * 1024 * 1024


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
    archivo: Annotated[UploadFile, File(description="CSV, XLSX o exportación de KoboToolbox")],
    programa_codigo: Annotated[
        str | None,
        Form(alias="programa", pattern=r"^[A-Za-z0-9_-]{1,16}$", description=FILTROS["programa"]),
    ] = None,
    simulacro: Annotated[bool, Form(description="Solo informa lo que pasaría")] = False,
) -> JSONResponse:
    """Importación masiva de alianzas, todo o nada. Con errores responde 422 con cada fila,
    columna y motivo, y no escribe nada; un archivo sin filas de datos también es un 422. Una
    unidad importa solo filas de sus municipios. Una fila igual a la alianza guardada queda
    "sin cambios" aunque esté validada; cambiar una alianza validada se rechaza nombrando cada
    campo que cambiaría."""
    datos = archivo.file.read(MAX_BYTES + 1)
    if len(datos) > MAX_BYTES:
        return problema(
            413,
            "Archivo demasiado grande",
            "el límite es 50 MB; divida el archivo",
            "archivo-grande",
        )
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
