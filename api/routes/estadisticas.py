from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Connection, text

from api.cache import cacheada
from api.deps import ConnDep, SessionDep, SettingsDep
from api.seguridad import AlcanceDep, PersonalDep
from geo.acceso.alcance import PUBLICO, fijar
from geo.analisis.agregacion import MEDIDAS, Consulta, NivelAgregacion, estadisticas
from geo.analisis.indicadores import indicadores, por_unidad, registrar_valor
from geo.analisis.reportes import como_csv, como_xlsx, reporte
from geo.plataforma.config import Settings
from geo.plataforma.errors import Prohibido
from geo.registro.alianzas import programa as buscar_programa
from geo.registro.consultas import Filtros

router = APIRouter(prefix="/api/v1", tags=["estadísticas, indicadores y reportes"])

Codigo2 = Annotated[str | None, Query(pattern=r"^[0-9]{2}$")]


def filtros(
    programa: Annotated[str, Query(description="Código del programa")] = "PAR2",
    departamento: Codigo2 = None,
    provincia: Annotated[str | None, Query(pattern=r"^[0-9]{4}$")] = None,
    unidad_operativa: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2,16}$")] = None,
    municipio: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    sector: Annotated[list[str] | None, Query()] = None,
    modelo: Annotated[list[int] | None, Query()] = None,
    etapa: Annotated[list[str] | None, Query(description="Etapa actual")] = None,
    etapa_alcanzada: Annotated[
        str | None, Query(description="Llegó a esta etapa del ciclo, p. ej. convenio_firmado")
    ] = None,
    financiamiento: str | None = None,
    convocatoria: str | None = None,
    desde: Annotated[date | None, Query(description="Fecha de solicitud desde")] = None,
    hasta: date | None = None,
    validados: Annotated[
        bool, Query(description="Solo registros validados (el público ve siempre solo esos)")
    ] = False,
    quien: AlcanceDep = PUBLICO,
) -> Filtros:
    return Filtros(
        alcance=quien,
        solo_validados=validados,
        programa=programa,
        departamento=departamento,
        provincia=provincia,
        unidad_operativa=unidad_operativa and unidad_operativa.upper(),
        municipio=municipio,
        sector=sector,
        modelo=modelo,
        etapa=etapa,
        financiamiento=financiamiento,
        convocatoria=convocatoria,
        desde=desde,
        hasta=hasta,
        etapa_alcanzada=etapa_alcanzada,
    )


FiltrosDep = Annotated[Filtros, Depends(filtros)]


def contexto(
    conn: Connection, settings: Settings, f: Filtros, nivel: NivelAgregacion
) -> tuple[Consulta, bool]:
    fila = conn.execute(
        text("SELECT cartografia, sintetico FROM programa WHERE codigo = :c"), {"c": f.programa}
    ).first()
    if fila is None:
        buscar_programa(conn, f.programa or "")  # raises the 404 naming it
    assert fila is not None
    return Consulta(nivel, fila.cartografia, f, settings.tipo_cambio), bool(fila.sintetico)


@router.get("/estadisticas", response_model=None)
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
        consulta, sintetico = contexto(conn, settings, f, nivel)
        pedidas = [m.strip() for m in medidas.split(",")] if medidas else None
        data = estadisticas(conn, consulta, pedidas)
        return {
            "nivel": nivel,
            "cartografia": consulta.cartografia,
            "programa": f.programa,
            "tipo_cambio": settings.tipo_cambio,
            "datos_sinteticos": sintetico,
            "count": len(data),
            "data": data,
        }

    return cacheada(request, conn, f.alcance or PUBLICO, calcular)


@router.get("/indicadores")
def marco(request: Request, conn: ConnDep, quien: AlcanceDep, programa: str = "PAR2") -> Response:
    """El marco de resultados: valor, meta, % de la meta, o "sin dato" con su motivo. El público
    lo ve calculado sobre los registros validados."""
    prog = buscar_programa(conn, programa)

    def calcular() -> dict[str, Any]:
        data = indicadores(conn, prog.id, quien)
        return {"programa": programa, "count": len(data), "data": data}

    return cacheada(request, conn, quien, calcular)


@router.get("/indicadores/{codigo}/por-unidad")
def indicador_por_unidad(
    conn: ConnDep, quien: AlcanceDep, codigo: str, programa: str = "PAR2"
) -> dict[str, Any]:
    """Un indicador calculable, por unidad operativa."""
    prog = buscar_programa(conn, programa)
    data = por_unidad(conn, prog.id, codigo, quien)
    return {"programa": programa, "codigo": codigo, "data": data}


class ValorIndicador(BaseModel):
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
    programa: str = "PAR2",
) -> Response:
    """Registra el valor de un indicador que no se calcula de los registros, con su fuente
    (solo la coordinación nacional)."""
    if not quien.nacional:
        raise Prohibido("solo la coordinación nacional registra valores de indicadores")
    conn = db.connection()
    fijar(conn, quien)
    prog = buscar_programa(conn, programa)
    registrar_valor(
        conn, prog.id, codigo, entrada.periodo, entrada.valor, entrada.fuente, entrada.nota
    )
    db.commit()
    return Response(status_code=204)


@router.get(
    "/reportes/{nombre}",
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
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
    consulta, sintetico = contexto(conn, settings, f, NivelAgregacion.unidad_operativa)
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
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
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
