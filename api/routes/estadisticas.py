from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from api.cache import Unidades, cacheada
from api.deps import ConnDep, SessionDep, SettingsDep
from api.parametros import CorteDep, FiltrosDep, ProgramaDep
from api.respuestas import como_se_agrega
from api.schemas.analisis import Estadisticas, IndicadorPorUnidad, ListaIndicadores, Reporte
from api.schemas.documento import archivos, con_cache, problemas
from api.seguridad import AlcanceDep, PersonalDep
from geo.acceso.alcance import PUBLICO
from geo.analisis.agregacion import MEDIDAS, NivelAgregacion, del_programa, preparar, unidades
from geo.analisis.indicadores import indicadores, por_unidad, registrar_valor
from geo.analisis.reportes import como_csv, como_xlsx, reporte
from geo.analisis.series import PERIODOS, marco_por_periodo, serie
from geo.plataforma.entrada import Entrada
from geo.registro.alianzas import programa as buscar_programa

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class Periodo(BaseModel):
    periodo: str = Field(examples=["2022-S2"])
    fin: date = Field(description="Último día del periodo (hoy o el corte si no terminó)")


class SerieUnidad(BaseModel):
    codigo: str
    nombre: str
    valores: list[Any] = Field(description="Un valor por periodo, en el orden de ``periodos``")


class Serie(BaseModel):
    nivel: str
    medida: str
    periodo: str
    acumulado: bool
    programa: str
    datos_sinteticos: bool
    periodos: list[Periodo]
    data: list[SerieUnidad]


class MarcoEnPeriodo(BaseModel):
    periodo: str = Field(examples=["2022-S2"])
    fin: date = Field(description="Último día del periodo (hoy o el corte si no terminó)")
    valores: dict[str, float | int | None] = Field(description="Valor de cada indicador")
    motivos: dict[str, str | None] = Field(description="Por qué no tiene dato, si no lo tiene")


class MarcoPorPeriodo(BaseModel):
    programa: str
    periodo: str
    count: int
    data: list[MarcoEnPeriodo]


_UNIDADES = Unidades()

router = APIRouter(
    prefix="/api/v1",
    tags=["estadísticas, indicadores y reportes"],
    responses=problemas(400, 401, 403, 404, 422),
)


@router.get(
    "/estadisticas",
    response_model=None,
    responses=con_cache(Estadisticas, "Las medidas de cada unidad del nivel", True),
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

    def calcular(programa: list[tuple[Any, ...]] | None) -> dict[str, Any]:
        consulta, sintetico = preparar(conn, f, nivel, settings.tipo_cambio, programa)
        pedidas = [m.strip() for m in medidas.split(",")] if medidas else None
        data = _UNIDADES(*unidades(conn, consulta, pedidas), consulta.tipo_cambio)
        return {
            "nivel": nivel,
            "cartografia": consulta.cartografia,
            "programa": f.programa,
            "corte": f.corte,
            "tipo_cambio": consulta.tipo_cambio,
            "datos_sinteticos": sintetico,
            "count": len(data),
            "data": data,
        }

    quien = f.alcance or PUBLICO
    return cacheada(request, conn, quien, calcular, como_se_agrega(f), del_programa(f.programa))


@router.get("/indicadores", responses=con_cache(ListaIndicadores, "El marco de resultados"))
def marco(
    request: Request, conn: ConnDep, quien: AlcanceDep, programa: ProgramaDep, corte: CorteDep
) -> Response:
    """El marco de resultados: valor, meta, % de la meta, o "sin dato" con su motivo. El público
    lo ve calculado sobre los registros validados. Con ``corte``, como estaba al final de ese
    día (los valores registrados: el último periodo terminado para entonces)."""
    prog = buscar_programa(conn, programa)

    def calcular() -> dict[str, Any]:
        data = indicadores(conn, prog.id, quien, corte)
        return {"programa": programa, "corte": corte, "count": len(data), "data": data}

    return cacheada(request, conn, quien, calcular)


@router.get("/series", responses=con_cache(Serie, "La medida en cada periodo"))
def series(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    f: FiltrosDep,
    medida: Annotated[str, Query(description=f"Una medida: {', '.join(MEDIDAS)}")],
    periodo: Annotated[
        str,
        Query(pattern=f"^({'|'.join(PERIODOS)})$", description="anio, semestre, trimestre o mes"),
    ] = "anio",
    nivel: NivelAgregacion = NivelAgregacion.nacional,
    acumulado: Annotated[
        bool, Query(description="true: el valor al final de cada periodo; false: el cambio en él")
    ] = True,
) -> Response:
    """Una medida por periodo (año, semestre, trimestre o mes), en cada unidad del nivel, con
    los mismos filtros que las estadísticas: el valor al final de cada periodo (etapas según su
    historial, montos según el libro), desde el primer dato del programa hasta hoy o ``corte``.
    El último periodo, si no terminó, va hasta esa fecha."""

    def calcular() -> dict[str, Any]:
        consulta, sintetico = preparar(conn, f, nivel, settings.tipo_cambio)
        datos = serie(conn, consulta, medida, periodo, acumulado)
        return {
            "nivel": nivel,
            "medida": medida,
            "periodo": periodo,
            "acumulado": acumulado,
            "programa": f.programa,
            "datos_sinteticos": sintetico,
            **datos,
        }

    return cacheada(request, conn, f.alcance or PUBLICO, calcular)


@router.get("/indicadores/por-periodo", response_model=MarcoPorPeriodo)
def marco_periodos(
    conn: ConnDep,
    quien: AlcanceDep,
    programa: ProgramaDep,
    corte: CorteDep,
    periodo: Annotated[
        str, Query(pattern="^(anio|semestre)$", description="anio o semestre")
    ] = "anio",
) -> dict[str, Any]:
    """El marco de resultados al final de cada año o semestre (sus periodos de informe), desde
    el primer dato del programa hasta hoy o ``corte``: el valor de cada indicador, y el motivo
    de los que no tienen dato."""
    prog = buscar_programa(conn, programa)
    data = marco_por_periodo(conn, prog.id, programa, quien, periodo, corte or date.today())
    return {"programa": programa, "periodo": periodo, "count": len(data), "data": data}


@router.get("/indicadores/{codigo}/por-unidad", response_model=IndicadorPorUnidad)
def indicador_por_unidad(
    conn: ConnDep, quien: AlcanceDep, codigo: str, programa: ProgramaDep, corte: CorteDep
) -> dict[str, Any]:
    """Un indicador calculable, por unidad operativa (con ``corte``, a esa fecha)."""
    prog = buscar_programa(conn, programa)
    data = por_unidad(conn, prog.id, codigo, quien, corte)
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
        "corte": f.corte,
        "datos_sinteticos": sintetico,
        "notas": r.notas,
        "columnas": r.columnas,
        "filas": r.filas,
    }
