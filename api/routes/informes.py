"""Documents for people: the official tables as XLSX, CSV (for programs, and for
Spanish-language Excel) and PDF, and the one-page report (PDF) of the nation, an operational
unit, a department or a municipality. Same filters and scope as the JSON reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import ConnDep, SettingsDep
from api.parametros import FiltrosDep
from api.schemas.documento import archivos, problemas
from geo.analisis.agregacion import NivelAgregacion, preparar
from geo.analisis.reportes import reporte
from geo.formatos.documentos import PDF, XLSX
from geo.publicacion.ficha import NivelFicha, PedidoFicha, ficha, ficha_pdf
from geo.publicacion.informes import Documento, FormatoTabla, contexto, tabla

router = APIRouter(
    prefix="/api/v1/informes", tags=["informes"], responses=problemas(400, 401, 404, 422)
)

Formato = Annotated[
    FormatoTabla,
    Query(
        description="xlsx (números con formato), csv (para programas), csv-excel (Excel en "
        "español: `;`, coma decimal, códigos como texto) o pdf"
    ),
]
_TABLAS = archivos("La tabla como archivo: XLSX, CSV o PDF", XLSX, "text/csv", PDF)


def _archivo(d: Documento) -> Response:
    return Response(
        d.contenido,
        media_type=d.tipo,
        headers={"Content-Disposition": f'attachment; filename="{d.archivo}"'},
    )


@router.get("/tablas/{nombre}", response_class=Response, responses={200: _TABLAS})
def una_tabla(
    conn: ConnDep, settings: SettingsDep, f: FiltrosDep, nombre: str, formato: Formato
) -> Response:
    """Una tabla oficial del programa como documento, con los mismos filtros y alcance que
    /api/v1/reportes/{nombre}: solicitudes-por-unidad, solicitudes-por-sector,
    planes-por-unidad, convenios-por-unidad, subproyectos-por-etapa, marco-de-resultados."""
    consulta, sintetico = preparar(conn, f, NivelAgregacion.unidad_operativa, settings.tipo_cambio)
    r = reporte(conn, nombre, consulta)
    return _archivo(tabla(r, formato, contexto(conn, f, sintetico)))


@router.get("/marco-de-resultados", response_class=Response, responses={200: _TABLAS})
def marco_de_resultados(
    conn: ConnDep, settings: SettingsDep, f: FiltrosDep, formato: Formato
) -> Response:
    """El marco de resultados (valor, meta, % de la meta, o "sin dato" con su motivo) como
    documento; el público lo recibe calculado sobre los registros validados."""
    return una_tabla(conn, settings, f, "marco-de-resultados", formato)


@router.get(
    "/ficha",
    response_class=Response,
    responses={200: archivos("El informe de una página, PDF A4", PDF)},
)
def informe_de_una_pagina(
    conn: ConnDep,
    settings: SettingsDep,
    f: FiltrosDep,
    nivel: NivelFicha = NivelFicha.nacional,
    codigo: Annotated[
        str | None,
        Query(
            pattern=r"^[A-Za-z0-9]{2,16}$",
            description="Código de la unidad operativa (CHACO), del departamento (06) o del "
            "municipio (060301); sin código en el nivel nacional",
        ),
    ] = None,
    medida: Annotated[
        str, Query(description="La medida del mapa (una de /api/v1/mapa/medidas)")
    ] = ("familias_por_mil_rurales"),
    clasificacion: Annotated[str, Query(pattern="^(cuantiles|jenks|intervalos)$")] = "cuantiles",
    clases: Annotated[int, Query(ge=3, le=7)] = 5,
) -> Response:
    """Una página A4 en PDF para una reunión: el mapa de los municipios del territorio
    clasificado como en la página, la leyenda con su unidad, los filtros y la fecha de corte,
    las cifras clave frente a sus metas, la tabla principal y la fuente."""
    pedido = PedidoFicha(nivel, codigo, f, settings.tipo_cambio, medida, clasificacion, clases)
    datos = ficha(conn, pedido)
    nombre = f"sigg_{nivel.value}_{codigo.lower() if codigo else 'bolivia'}.pdf"
    return _archivo(Documento(ficha_pdf(datos), PDF, nombre))
