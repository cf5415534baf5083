"""The one vocabulary of the parameters that choose records. Every endpoint that filters
alliances or subprojects (lists, statistics, map values and points, reports, indicators, exports,
OGC items) reads these names with these meanings; an endpoint refuses any name it does not know.

OGC API - Features Part 3 filters by the attribute names a collection publishes
(``municipio_codigo``...). The OGC service and the exports accept those too, as synonyms of the
vocabulary's names, and say so in their OpenAPI description."""

from __future__ import annotations

FILTROS: dict[str, str] = {
    "programa": "Código del programa; si se omite, el de esta instalación (SIGG_PROGRAMA)",
    "departamento": "Código INE del departamento (2 dígitos), p. ej. 06 (Tarija)",
    "provincia": "Código INE de la provincia (4 dígitos), p. ej. 0603 (Gran Chaco)",
    "unidad_operativa": "Código de la unidad operativa, p. ej. CHACO o TJA",
    "municipio": "Código INE del municipio (6 dígitos), p. ej. 060301 (Yacuiba)",
    "sector": "Sector productivo; se puede repetir",
    "modelo": "Modelo de alianza (1, 2 o 3); se puede repetir",
    "etapa": "Etapa actual del ciclo; se puede repetir",
    "etapa_alcanzada": "Llegó a esta etapa del ciclo (sea cual sea la actual), p. ej. "
    "convenio_firmado",
    "financiamiento": "Fuente de financiamiento",
    "convocatoria": "Convocatoria",
    "desde": "Fecha de solicitud desde (AAAA-MM-DD)",
    "hasta": "Fecha de solicitud hasta (AAAA-MM-DD)",
    "validados": "Solo registros validados (el público ve siempre solo esos)",
    "corte": "Fecha de corte (AAAA-MM-DD, no futura): el programa como estaba al final de ese "
    "día; etapas según su historial, montos según el libro de movimientos",
}

# Attribute names of the published collections that mean the same as a vocabulary name.
SINONIMOS_OGC: dict[str, str] = {
    "municipio_codigo": "municipio",
    "departamento_codigo": "departamento",
    "unidad_operativa_codigo": "unidad_operativa",
    "provincia_codigo": "provincia",
}
