"""The one-page report of the nation, an operational unit, a department or a municipality, for
a meeting: the territory's municipalities on a map drawn on the server and classified as the
page classifies them, the legend with its unit, the filters and the cut-off date in words, the
key figures against their targets (or, below the nation, against the nation's figure), the
results framework with its bars (nation), the main table and the source.

Every figure comes from the functions that answer the JSON (aggregation engine, map values,
results framework) for the same filters and reader, so the page never says something the API
does not."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import geopandas as gpd
from sqlalchemy import Connection, text

from geo.analisis.agregacion import Consulta, NivelAgregacion, estadisticas, preparar
from geo.analisis.indicadores import indicadores
from geo.analisis.mapa import capa_web, lagos, valores
from geo.formatos import documentos
from geo.formatos.mapa_svg import coropletas
from geo.formatos.numeros import numero_es
from geo.plataforma.errors import EntradaInvalida, NoEncontrado
from geo.publicacion.informes import contexto, hoja_de_estilo, plantilla
from geo.registro.consultas import Filtros
from geo.vocabulario.catalogos import ETAPAS, ETAPAS_CICLO


class NivelFicha(StrEnum):
    nacional = "nacional"
    unidad_operativa = "unidad_operativa"
    departamento = "departamento"
    municipio = "municipio"


@dataclass(frozen=True)
class PedidoFicha:
    nivel: NivelFicha
    codigo: str | None
    filtros: Filtros
    tipo_cambio: float
    medida: str = "familias_por_mil_rurales"
    clasificacion: str = "cuantiles"
    clases: int = 5


@dataclass
class Cifra:
    nombre: str
    valor: Any
    unidad: str = ""
    meta: Any = None
    pct: float | None = None  # the bar: % of the target, or the share of the nation
    texto: str = ""


NOMBRES_NIVEL = {
    NivelFicha.nacional: "Nacional",
    NivelFicha.unidad_operativa: "Unidad operativa",
    NivelFicha.departamento: "Departamento",
    NivelFicha.municipio: "Municipio",
}
TERRITORIO = ("unidad_operativa", "departamento", "provincia", "municipio")
BENEFICIARIAS = ("convenio_firmado", "en_inversion", "en_operacion", "concluida")
# As the page says it: the results framework sets one target for the whole program.
POR_QUE_SIN_META = {
    "territorio": "El marco de resultados fija una meta para todo el programa, no por unidad ni "
    "por lugar: cada cifra se compara con el total nacional.",
    "etapa": "La meta cuenta las alianzas desde el convenio firmado: compárela con «Llegó a la "
    "etapa: Convenio firmado».",
    "filtros": "La meta es del programa completo: no se compara con una parte (sector, modelo, "
    "convocatoria o fechas).",
}
FILAS_TABLA = 16


def _filtros_de_ficha(p: PedidoFicha) -> Filtros:
    """The filters with the report's territory in them; a territorial filter that names
    another unit of the same level is a contradiction, refused naming it."""
    if p.nivel is NivelFicha.nacional:
        if p.codigo:
            raise EntradaInvalida("el nivel nacional no lleva código", campo="codigo")
        return p.filtros
    if not p.codigo:
        raise EntradaInvalida(f"falta el código de {p.nivel.value}", campo="codigo")
    codigo = p.codigo.upper() if p.nivel is NivelFicha.unidad_operativa else p.codigo
    previo = getattr(p.filtros, p.nivel.value)
    if previo is not None and previo.upper() != codigo.upper():
        raise EntradaInvalida(
            f"el filtro {p.nivel.value}={previo} contradice codigo={codigo}", campo=p.nivel.value
        )
    territorio: dict[str, Any] = {p.nivel.value: codigo}
    return replace(p.filtros, **territorio)


def _motivo_sin_meta(p: PedidoFicha, f: Filtros) -> str | None:
    if p.nivel is not NivelFicha.nacional or any(getattr(f, k) for k in TERRITORIO):
        return "territorio"
    if f.etapa_alcanzada != "convenio_firmado":
        return "etapa"
    partes = (f.sector, f.modelo, f.etapa, f.financiamiento, f.convocatoria, f.desde, f.hasta)
    return "filtros" if any(partes) else None


def _familias(f: Filtros) -> str:
    if f.etapa_alcanzada in BENEFICIARIAS:
        return "Familias beneficiarias"
    if not f.etapa_alcanzada:
        return "Familias (todas las etapas)"
    return f"Familias (llegaron a «{ETAPAS.get(f.etapa_alcanzada, f.etapa_alcanzada)}»)"


def _cifras(
    v: dict[str, Any], nacion: dict[str, Any] | None, metas: dict[str, Any], f: Filtros
) -> list[Cifra]:
    """The key figures: against the target where the page shows one (``metas``), else, below
    the nation, against the nation's figure under the same filters (``nacion``)."""
    definidas = [
        ("familias", _familias(f), "", "R5"),
        ("pct_mujeres", "Familias representadas por mujeres", " %", "R5.m"),
        ("hectareas_riego", "Hectáreas con riego", " ha", "2.7"),
        ("alianzas", "Alianzas", "", None),
        ("monto_transferido_bs", "Monto transferido", " Bs", None),
    ]
    salida = []
    for medida, nombre, unidad, indicador in definidas:
        c = Cifra(nombre, v.get(medida), unidad)
        meta = metas.get(indicador) if indicador else None
        if meta and c.valor is not None:
            c.meta, c.pct = meta, 100 * c.valor / meta
            c.texto = f"meta {numero_es(meta)}{unidad} · {numero_es(c.pct, 1)} % de la meta"
        elif nacion is not None and medida == "pct_mujeres":
            c.texto = f"país: {numero_es(nacion.get(medida), 1)} %"
        elif nacion is not None and nacion.get(medida) and c.valor is not None:
            c.pct = 100 * c.valor / nacion[medida]
            c.texto = f"{numero_es(c.pct, 1)} % del total nacional"
        salida.append(c)
    return salida


def _tabla_principal(
    conn: Connection, p: PedidoFicha, consulta: Consulta, totales: dict[str, Any]
) -> dict[str, Any]:
    """The nation by unit; a unit or a department by municipality (the largest first, the rest
    in one row); a municipality by stage of the alliance cycle."""
    if p.nivel is NivelFicha.municipio:
        alcanzaron = totales["valores"]["alianzas_alcanzaron"]
        return {
            "titulo": "Alianzas por etapa alcanzada del ciclo",
            "columnas": ["Etapa alcanzada", "Alianzas"],
            "filas": [[ETAPAS[e], numero_es(alcanzaron[e])] for e in ETAPAS_CICLO],
            "total": None,
        }
    nivel = (
        NivelAgregacion.unidad_operativa
        if p.nivel is NivelFicha.nacional
        else NivelAgregacion.municipio
    )
    medidas = ["alianzas", "familias", "pct_mujeres", "hectareas_riego", "monto_transferido_bs"]
    filas = estadisticas(conn, replace(consulta, nivel=nivel), medidas)
    if nivel is NivelAgregacion.municipio:
        filas.sort(key=lambda u: (-(u["valores"]["familias"] or 0), u["nombre"]))
    else:
        filas.sort(key=lambda u: u["nombre"])
    visibles, resto = filas[:FILAS_TABLA], filas[FILAS_TABLA:]

    def fila(codigo: str, nombre: str, v: dict[str, Any]) -> list[str]:
        return [
            codigo,
            nombre,
            *(numero_es(v.get(m), 1 if m == "pct_mujeres" else 0) for m in medidas),
        ]

    salida = [fila(u["codigo"], u["nombre"], u["valores"]) for u in visibles]
    if resto:
        suma = {m: sum(u["valores"][m] or 0 for u in resto) for m in medidas if m != "pct_mujeres"}
        salida.append(fila("", f"Otros {len(resto)} municipios", suma))
    donde = "unidad operativa" if nivel is NivelAgregacion.unidad_operativa else "municipio"
    return {
        "titulo": f"Por {donde}",
        "columnas": [
            "Código",
            "Unidad operativa" if donde == "unidad operativa" else "Municipio",
            "Alianzas",
            "Familias",
            "Mujeres (%)",
            "Hectáreas con riego",
            "Transferido (Bs)",
        ],
        "filas": salida,
        "total": fila("", "Total", totales["valores"]),
    }


def _mapa(conn: Connection, p: PedidoFicha, consulta: Consulta) -> dict[str, Any]:
    """The territory's municipalities classified as the page classifies them (a municipality
    is shown among those of its department, outlined)."""
    f = consulta.filtros
    if p.nivel is NivelFicha.municipio:
        f = replace(f, municipio=None, departamento=(p.codigo or "")[:2])
    datos = valores(
        conn,
        replace(consulta, nivel=NivelAgregacion.municipio, filtros=f),
        p.medida,
        p.clasificacion,
        p.clases,
    )
    clases, sin_dato = datos["clases"], datos["sin_dato"]
    colores = {
        codigo: sin_dato["color"] if u["clase"] is None else clases[u["clase"]]["color"]
        for codigo, u in datos["unidades"].items()
    }
    municipios = capa_web(conn, consulta.cartografia).municipios
    formas = municipios[municipios["codigo"].isin(list(colores))]
    agua = gpd.GeoDataFrame.from_features(json.loads(lagos(conn, consulta.cartografia)), crs=4326)
    unidad = datos.get("unidad", "")
    leyenda = [
        (c["color"], c.get("etiqueta") or _rango(c["desde"], c["hasta"]), c["n"]) for c in clases
    ]
    if sin_dato["n"]:
        leyenda.append((sin_dato["color"], "Sin dato", sin_dato["n"]))
    return {
        "svg": coropletas(
            formas,
            colores,
            destacado=p.codigo if p.nivel is NivelFicha.municipio else None,
            lagos=agua,
            titulo=datos["etiqueta"],
        ),
        "titulo": datos["etiqueta"],
        "unidad": unidad,
        "leyenda": leyenda,
        "clasificacion": datos["clasificacion"],
    }


def _rango(desde: float, hasta: float) -> str:
    return numero_es(desde) if desde == hasta else f"{numero_es(desde)} – {numero_es(hasta)}"


def _titulo(conn: Connection, p: PedidoFicha, consulta: Consulta) -> str:
    if p.nivel is not NivelFicha.municipio:
        return NOMBRES_NIVEL[p.nivel]
    departamento = conn.execute(
        text("SELECT nombre FROM departamento WHERE cartografia = :v AND codigo = :c"),
        {"v": consulta.cartografia, "c": (p.codigo or "")[:2]},
    ).scalar_one()
    return f"Municipio ({p.codigo}) · Departamento de {departamento}"


def ficha(conn: Connection, p: PedidoFicha) -> dict[str, Any]:
    """Everything the one-page report shows, computed as the JSON statistics, map values and
    results framework compute it, for the same filters and reader."""
    f = _filtros_de_ficha(p)
    nivel = NivelAgregacion(p.nivel.value)
    consulta, sintetico = preparar(conn, f, nivel, p.tipo_cambio)
    filas = estadisticas(conn, consulta)
    if not filas:
        raise NoEncontrado(
            f"{p.nivel.value} '{p.codigo}' no existe en la cartografía {consulta.cartografia}",
            campo="codigo",
        )
    totales = filas[0]
    motivo = _motivo_sin_meta(p, f)
    marco: list[dict[str, Any]] = []
    nacion = None
    if p.nivel is NivelFicha.nacional:
        programa_id = conn.execute(
            text("SELECT id FROM programa WHERE codigo = :c"), {"c": f.programa}
        ).scalar_one()
        marco = [
            i
            for i in indicadores(conn, programa_id, f.alcance, corte=f.corte)
            if i["valor"] is not None
        ]
    else:
        ninguno: dict[str, Any] = dict.fromkeys(TERRITORIO)
        sin_territorio = replace(f, **ninguno)
        nacional = replace(consulta, nivel=NivelAgregacion.nacional, filtros=sin_territorio)
        nacion = estadisticas(conn, nacional)[0]
    metas = {} if motivo else {i["codigo"]: i["meta"] for i in marco}
    ctx = contexto(conn, f, sintetico)
    return {
        "titulo": totales["nombre"],
        "subtitulo": _titulo(conn, p, consulta),
        "ctx": ctx,
        "mapa": _mapa(conn, p, consulta),
        "cifras": _cifras(totales["valores"], nacion and nacion["valores"], metas, f),
        "sin_meta": POR_QUE_SIN_META.get(motivo or "", ""),
        "marco": marco,
        "tabla": _tabla_principal(conn, p, consulta, totales),
    }


def ficha_pdf(datos: dict[str, Any]) -> bytes:
    html = plantilla("ficha.html").render(
        **datos, numero=numero_es, fecha=documentos.fecha_es, ancho=_ancho_barra
    )
    return documentos.pdf(html, hoja_de_estilo())


def _ancho_barra(pct: float | None) -> str:
    return f"{max(0.0, min(100.0, pct or 0.0)):.1f}%"
