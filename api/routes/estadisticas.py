from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import Field

from api.cache import cacheada
from api.deps import ConnDep, SessionDep, SettingsDep
from api.parametros import FiltrosDep, ProgramaDep
from api.schemas.analisis import Estadisticas, IndicadorPorUnidad, ListaIndicadores, Reporte
from api.schemas.documento import archivos, con_cache, problemas
from api.seguridad import AlcanceDep, PersonalDep
from geo.acceso.alcance import PUBLICO
from geo.analisis.agregacion import MEDIDAS, NivelAgregacion, estadisticas, preparar
from geo.analisis.indicadores import indicadores, por_unidad, registrar_valor
from geo.analisis.reportes import como_csv, como_xlsx, reporte
from geo.plataforma.entrada import Entrada
from geo.registro.alianzas import programa as buscar_programa

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(
    prefix="/api/v1",
    tags=["estadísticas, indicadores y reportes"],
    responses=problemas(400, 401, 403, 404, 422),
)


@router.get(
    "/estadisticas",
    response_model=None,
    responses=con_cache(Estadisticas, "Las medidas de cada unidad del nivel"),
)
def agregados(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    f: FiltrosDep,
    nivel: NivelAgregacion = NivelAgregacion.unidad_operativa,
    medidas: Annotated[
        str | None,
        Query(description=f"Medidas separadas por coma; todas si se omite: {', '.join(MEDIDAS)}"),
    ] = None,
) -> Response:
    """Medidas agregadas por municipio, provincia, departamento, unidad operativa o país, con
    los filtros del registro. Lo que falta no es cero: va null con su motivo en ``sin_dato``.
    Se calcula una vez por versión de los datos (ETag; 304 si no cambió)."""

    def calcular() -> dict[str, Any]:
        consulta, sintetico = preparar(conn, f, nivel, settings.tipo_cambio)
        pedidas = [m.strip() for m in medidas.split(",")] if medidas else None
        data = estadisticas(conn, consulta, pedidas)
        return {
            "nivel": nivel,
            "cartografia": consulta.cartografia,
            "programa": f.programa,
            "tipo_cambio": consulta.tipo_cambio,
            "datos_sinteticos": sintetico,
            "count": len(data),
            "data": data,
        }

    return cacheada(request, conn, f.alcance or PUBLICO, calcular)


@router.get("/indicadores", responses=con_cache(ListaIndicadores, "El marco de resultados"))
def marco(request: Request, conn: ConnDep, quien: AlcanceDep, programa: ProgramaDep) -> Response:
    """El marco de resultados: valor, meta, % de la meta, o "sin dato" con su motivo. El público
    lo ve calculado sobre los registros validados."""
    prog = buscar_programa(conn, programa)

    def calcular() -> dict[str, Any]:
        data = indicadores(conn, prog.id, quien)
        return {"programa": programa, "count": len(data), "data": data}

    return cacheada(request, conn, quien, calcular)


@router.get("/indicadores/{codigo}/por-unidad", response_model=IndicadorPorUnidad)
def indicador_por_unidad(
    conn: ConnDep, quien: AlcanceDep, codigo: str, programa: ProgramaDep
) -> dict[str, Any]:
    """Un indicador calculable, por unidad operativa."""
    prog = buscar_programa(conn, programa)
    data = por_unidad(conn, prog.id, codigo, quien)
    return {"programa": programa, "codigo": codigo, "data": data}


class ValorIndicador(Entrada):
    periodo: str = Field(min_length=1, max_length=16, examples=["2023"])
    valor: Decimal | None = Field(None, description="null: la fuente no tiene el dato")
    fuente: str = Field(min_length=3, max_length=500)
    nota: str | None = Field(None, max_length=2000)


@router.post("/indicadores/{codigo}/valores", status_code=204)
def registrar(
    db: SessionDep,
    quien: PersonalDep,
    codigo: str,
    entrada: ValorIndicador,
    programa: ProgramaDep,
) -> Response:
    """Registra el valor de un indicador que no se calcula de los registros, con su fuente
    (solo la coordinación nacional)."""
    registrar_valor(
        db.connection(),
        quien,
        programa,
        codigo,
        entrada.periodo,
        entrada.valor,
        entrada.fuente,
        entrada.nota,
    )
    db.commit()
    return Response(status_code=204)


@router.get(
    "/reportes/{nombre}",
    response_model=Reporte,
    responses={200: archivos("La tabla, en JSON o como archivo CSV o XLSX", "text/csv", XLSX)},
)
def un_reporte(
    conn: ConnDep,
    settings: SettingsDep,
    f: FiltrosDep,
    nombre: str,
    formato: Annotated[str, Query(pattern="^(json|csv|xlsx)$")] = "json",
) -> Any:
    """Las tablas del programa calculadas de los registros (solicitudes-por-unidad,
    solicitudes-por-sector, planes-por-unidad, convenios-por-unidad, subproyectos-por-etapa,
    marco-de-resultados), en JSON, CSV o XLSX."""
    consulta, sintetico = preparar(conn, f, NivelAgregacion.unidad_operativa, settings.tipo_cambio)
    r = reporte(conn, nombre, consulta)
    if sintetico:
        r.notas.append("Datos SINTÉTICOS de demostración, calibrados a las tablas publicadas")
    if formato == "csv":
        return Response(
            como_csv(r),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{r.nombre}.csv"'},
        )
    if formato == "xlsx":
        return Response(
            como_xlsx(r),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{r.nombre}.xlsx"'},
        )
    return {
        "reporte": r.nombre,
        "titulo": r.titulo,
        "programa": f.programa,
        "datos_sinteticos": sintetico,
        "notas": r.notas,
        "columnas": r.columnas,
        "filas": r.filas,
    }
