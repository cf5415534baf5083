"""What SIGG publishes to GIS tools: the feature collections, their attributes (stable names,
money with its unit, ISO dates), how they are filtered, and the SQL that serialises them as
GeoJSON in PostGIS. The OGC API - Features service and the exports both read from here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from geo.acceso.alcance import Alcance
from geo.plataforma.errors import ParametroInvalido


@dataclass(frozen=True)
class Atributo:
    nombre: str
    sql: str  # an expression over the collection's FROM clause (constants only, never input)
    tipo: str  # JSON Schema type: string, integer, number
    descripcion: str = ""
    formato: str | None = None  # e.g. "date"
    privado: bool = False  # personal data: not served to the public


@dataclass(frozen=True)
class Coleccion:
    id: str
    titulo: str
    descripcion: str
    desde: str  # FROM clause; ":v" is the cartography version, ":programa" the program code
    id_sql: str
    geom_sql: str
    atributos: tuple[Atributo, ...]
    orden: str
    temporal: str | None = None  # column for datetime filters
    por_programa: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def atributo(self, nombre: str) -> Atributo | None:
        return next((a for a in self.atributos if a.nombre == nombre), None)

    def para(self, alcance: Alcance | None) -> Coleccion:
        """The collection as ``alcance`` may see it: the public gets no personal attribute
        (neither served nor filterable)."""
        if alcance is None or not alcance.publico:
            return self
        return replace(self, atributos=tuple(a for a in self.atributos if not a.privado))


_MUNICIPIO = (
    "JOIN municipio m ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo "
    "JOIN programa p ON p.id = r.programa_id"
)
_UBICACION = (
    Atributo(
        "precision_ubicacion",
        "r.precision_ubicacion",
        "integer",
        "1 punto exacto, 2 cerca, 3 municipio, 4 departamento (códigos IATI/AidData)",
    ),
    Atributo("municipio_codigo", "r.municipio_codigo", "string", "Código INE de 6 dígitos"),
    Atributo("municipio_nombre", "m.nombre", "string"),
    Atributo("provincia_codigo", "m.provincia_codigo", "string"),
    Atributo("departamento_codigo", "m.departamento_codigo", "string"),
    Atributo("unidad_operativa_codigo", "m.unidad_operativa_codigo", "string"),
    Atributo(
        "estado",
        "r.estado",
        "string",
        "Verificación: registrado, observado, verificado o validado",
    ),
)

ALIANZAS = Coleccion(
    "alianzas",
    "Alianzas productivas",
    "Alianzas entre organizaciones de productores y compradores, con su etapa, familias y montos "
    "en bolivianos.",
    f"alianza r {_MUNICIPIO} LEFT JOIN organizacion o ON o.id = r.organizacion_id",
    "r.id",
    "r.geom",
    (
        Atributo("programa", "p.codigo", "string"),
        Atributo("codigo", "r.codigo", "string", "Código de la alianza en el programa"),
        Atributo("nombre", "r.nombre", "string"),
        Atributo("organizacion", "o.nombre", "string", "Organización de productores (OPP)"),
        Atributo("comprador", "r.comprador", "string", "Puede ser una persona", privado=True),
        Atributo("sector", "r.sector", "string"),
        Atributo(
            "modelo",
            "r.modelo",
            "integer",
            "1 inversión integral, 2 asistencia técnica, 3 acceso a crédito",
        ),
        Atributo("financiamiento", "r.financiamiento", "string"),
        Atributo("convocatoria", "r.convocatoria", "string"),
        Atributo("etapa", "r.etapa", "string"),
        Atributo("fecha_etapa", "r.fecha_etapa", "string", formato="date"),
        Atributo("fecha_solicitud", "r.fecha_solicitud", "string", formato="date"),
        Atributo("familias", "r.familias", "integer"),
        Atributo(
            "familias_mujeres",
            "r.familias_mujeres",
            "integer",
            "Familias representadas por mujeres",
        ),
        Atributo("hectareas_riego", "r.hectareas_riego::float8", "number"),
        Atributo("monto_par_comprometido_bs", "r.monto_par_comprometido_bs::float8", "number"),
        Atributo(
            "monto_contraparte_comprometido_bs",
            "r.monto_contraparte_comprometido_bs::float8",
            "number",
        ),
        Atributo("monto_solicitado_bs", "r.monto_solicitado_bs::float8", "number"),
        Atributo("monto_transferido_bs", "r.monto_transferido_bs::float8", "number"),
        Atributo("monto_descargado_bs", "r.monto_descargado_bs::float8", "number"),
        *_UBICACION,
    ),
    "r.id",
    temporal="r.fecha_solicitud",
)

SUBPROYECTOS = Coleccion(
    "subproyectos",
    "Subproyectos municipales (FPS)",
    "Obras de infraestructura municipal ejecutadas por el FPS, con familias y montos en "
    "bolivianos.",
    f"subproyecto_municipal r {_MUNICIPIO}",
    "r.id",
    "r.geom",
    (
        Atributo("programa", "p.codigo", "string"),
        Atributo("codigo", "r.codigo", "string"),
        Atributo("nombre", "r.nombre", "string"),
        Atributo("tipo_obra", "r.tipo_obra", "string"),
        Atributo("etapa", "r.etapa", "string"),
        Atributo("familias", "r.familias", "integer"),
        Atributo(
            "monto_empoderar_comprometido_bs", "r.monto_empoderar_comprometido_bs::float8", "number"
        ),
        Atributo(
            "monto_contraparte_comprometido_bs",
            "r.monto_contraparte_comprometido_bs::float8",
            "number",
        ),
        Atributo(
            "monto_empoderar_ejecutado_bs", "r.monto_empoderar_ejecutado_bs::float8", "number"
        ),
        Atributo(
            "monto_contraparte_ejecutado_bs", "r.monto_contraparte_ejecutado_bs::float8", "number"
        ),
        *_UBICACION,
    ),
    "r.id",
)


def _territorio(cid: str, tabla: str, titulo: str, padres: tuple[Atributo, ...]) -> Coleccion:
    return Coleccion(
        cid,
        titulo,
        f"{titulo} con su población y las medidas agregadas del programa "
        "(familias, alianzas, montos).",
        f"{tabla} r",
        "r.codigo",
        "r.geom",
        (
            Atributo("codigo", "r.codigo", "string"),
            Atributo("nombre", "r.nombre", "string"),
            *padres,
            Atributo("pob_2012", "r.pob_2012", "integer", "Población CNPV 2012"),
            Atributo("rural_2012", "r.rural_2012", "integer", "Población rural CNPV 2012"),
            Atributo("pob_2024", "r.pob_2024", "integer", "Población CPV 2024"),
            Atributo("area_km2", "round(r.area_km2::numeric, 2)::float8", "number"),
        ),
        "r.codigo",
        por_programa=False,
        extra={"nivel": cid},
    )


TERRITORIO = {
    "municipios": _territorio(
        "municipios",
        "municipio",
        "Municipios",
        (
            Atributo("provincia_codigo", "r.provincia_codigo", "string"),
            Atributo("departamento_codigo", "r.departamento_codigo", "string"),
            Atributo("unidad_operativa_codigo", "r.unidad_operativa_codigo", "string"),
        ),
    ),
    "provincias": _territorio(
        "provincias",
        "provincia",
        "Provincias",
        (Atributo("departamento_codigo", "r.departamento_codigo", "string"),),
    ),
    "departamentos": _territorio("departamentos", "departamento", "Departamentos", ()),
    "unidades-operativas": _territorio(
        "unidades-operativas",
        "unidad_operativa",
        "Unidades operativas",
        (Atributo("tipo", "r.tipo", "string", "departamental o regional"),),
    ),
}
COLECCIONES: dict[str, Coleccion] = {
    "alianzas": ALIANZAS,
    "subproyectos": SUBPROYECTOS,
    **TERRITORIO,
}
# Aggregated measures added to the territorial collections (from the aggregation engine).
MEDIDAS_TERRITORIO = (
    "alianzas",
    "familias",
    "familias_mujeres",
    "pct_mujeres",
    "hectareas_riego",
    "monto_par_comprometido_bs",
    "monto_transferido_bs",
    "monto_descargado_bs",
    "subproyectos",
    "familias_por_mil_rurales",
)
NIVEL_DE = {
    "municipios": "municipio",
    "provincias": "provincia",
    "departamentos": "departamento",
    "unidades-operativas": "unidad_operativa",
}


def coleccion(cid: str) -> Coleccion:
    from geo.plataforma.errors import NoEncontrado

    if cid not in COLECCIONES:
        raise NoEncontrado(
            f"colección desconocida '{cid}'; hay: {', '.join(COLECCIONES)}", campo="coleccion"
        )
    return COLECCIONES[cid]


def leer_bbox(texto: str | None) -> tuple[float, float, float, float] | None:
    if texto is None:
        return None
    partes = texto.split(",")
    if len(partes) != 4:
        raise ParametroInvalido(
            f"bbox necesita 4 números (minLon,minLat,maxLon,maxLat), "
            f"recibió {len(partes)}: '{texto}'",
            campo="bbox",
        )
    try:
        x1, y1, x2, y2 = (float(p) for p in partes)
    except ValueError as exc:
        raise ParametroInvalido(f"bbox no numérico: '{texto}'", campo="bbox") from exc
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise ParametroInvalido("bbox debe tener números finitos", campo="bbox")
    if x1 > x2 or y1 > y2:
        raise ParametroInvalido(f"bbox con mínimo mayor que máximo: '{texto}'", campo="bbox")
    if not (-180 <= x1 <= 180 and -180 <= x2 <= 180 and -90 <= y1 <= 90 and -90 <= y2 <= 90):
        raise ParametroInvalido("bbox fuera de rango (grados WGS 84, lon/lat)", campo="bbox")
    return x1, y1, x2, y2


def leer_datetime(texto: str | None) -> tuple[date | None, date | None] | None:
    """A date or an interval 'a/b' with '..' for an open end (RFC 3339 dates)."""
    if texto is None:
        return None

    def fecha(p: str) -> date | None:
        if p in ("..", ""):
            return None
        try:
            return date.fromisoformat(p[:10])
        except ValueError as exc:
            raise ParametroInvalido(
                f"datetime no válido: '{p}' (use AAAA-MM-DD o un intervalo a/b)", campo="datetime"
            ) from exc

    if "/" in texto:
        a, b = texto.split("/", 1)
        inicio, fin = fecha(a), fecha(b)
        if inicio and fin and inicio > fin:
            raise ParametroInvalido("datetime: el inicio es posterior al fin", campo="datetime")
        return inicio, fin
    d = fecha(texto)
    return d, d
