"""The program's vocabulary: sectors, models, financing, the alliance cycle and the subproject
stages. Codes are what the database stores; labels are what people read and type."""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache

SECTORES = {
    "riego_tecnificado": "Riego tecnificado",
    "agua_para_ganaderia": "Agua para ganadería",
    "apicultura": "Apicultura",
    "piscicultura": "Piscicultura",
    "otros_agropecuarios": "Otros productos agropecuarios",
    "no_agropecuarios": "Productos no agropecuarios",
}

MODELOS = {
    1: "Inversión integral",
    2: "Asistencia técnica productiva",
    3: "Acceso a crédito",
}

FINANCIAMIENTOS = {"inicial": "Financiamiento inicial", "adicional": "Financiamiento adicional"}

# The alliance cycle, in order. A record may be created at any stage (historical data), but a
# change of stage moves one step along the cycle, or to "abandonada" from any open stage.
ETAPAS = {
    "solicitud": "Solicitud",
    "evaluacion_aprobada": "Evaluación de oportunidad aprobada",
    "evaluacion_rechazada": "Evaluación de oportunidad rechazada",
    "plan_formulado": "Plan de alianza formulado",
    "plan_viable": "Plan evaluado viable",
    "aprobado": "Aprobado para financiamiento",
    "convenio_firmado": "Convenio firmado",
    "en_inversion": "En inversión",
    "en_operacion": "En operación",
    "concluida": "Concluida",
    "abandonada": "Abandonada",
}
_SIGUIENTE = {
    "solicitud": ("evaluacion_aprobada", "evaluacion_rechazada"),
    "evaluacion_aprobada": ("plan_formulado",),
    "plan_formulado": ("plan_viable",),
    "plan_viable": ("aprobado",),
    "aprobado": ("convenio_firmado",),
    "convenio_firmado": ("en_inversion",),
    "en_inversion": ("en_operacion",),
    "en_operacion": ("concluida",),
}
ETAPAS_FINALES = ("evaluacion_rechazada", "concluida", "abandonada")
# Position of each stage (etapa_alianza.orden). "Reached stage X" means the furthest stage of the
# main cycle (rejection and abandonment aside) is at or after X.
ORDEN_ETAPA = {codigo: i for i, codigo in enumerate(ETAPAS)}
ETAPAS_CICLO = tuple(e for e in ETAPAS if e not in ("evaluacion_rechazada", "abandonada"))
TRANSICIONES: frozenset[tuple[str, str]] = frozenset(
    {(desde, hacia) for desde, hacias in _SIGUIENTE.items() for hacia in hacias}
    | {(desde, "abandonada") for desde in ETAPAS if desde not in ETAPAS_FINALES}
)

# The plausible dates of a record (application, stage). ``programa`` has no start date of its
# own; the programs SIGG follows (the Rural Alliances Projects, from the mid-2000s on) hold
# nothing older than 2000. A date may run up to a year ahead of today (a stage planned for the
# next season); beyond that it is a typing error (0001-01-01, 2099).
FECHA_MINIMA = date(2000, 1, 1)
DIAS_FUTUROS = 365

ETAPAS_SUBPROYECTO = {
    "evaluacion_fps": "Evaluación FPS",
    "licitacion": "Licitación",
    "ejecucion": "Ejecución",
    "recepcion_provisional": "Recepción provisional",
    "recepcion_definitiva": "Recepción definitiva",
}
TRANSICIONES_SUBPROYECTO: frozenset[tuple[str, str]] = frozenset(
    zip(list(ETAPAS_SUBPROYECTO)[:-1], list(ETAPAS_SUBPROYECTO)[1:], strict=True)
)

# Location precision, after the IATI / AidData geocoding precision codes.
PRECISIONES = {
    1: "Punto exacto",
    2: "Cerca del punto (dentro de 25 km)",
    3: "Municipio (punto interior del municipio)",
    4: "Departamento",
}


@lru_cache(maxsize=8192)
def clave(texto: str) -> str:
    """A label reduced for matching: lowercase, no accents, single underscores."""
    sin_tildes = unicodedata.normalize("NFKD", texto).encode("ascii", "ignore").decode()
    partes = "".join(c if c.isalnum() else " " for c in sin_tildes.lower()).split()
    return "_".join(partes)


def resolver(valor: str, opciones: dict[str, str]) -> str | None:
    """The code for ``valor``, given as a code or as its label, accents and case aside."""
    return Vocabulario(opciones).codigo(valor)


class Vocabulario:
    """A vocabulary's codes by the :func:`clave` of each code and label (the earlier option
    first where two share one): :func:`resolver`'s answer in one lookup, for the values every
    row of a large import carries."""

    def __init__(self, opciones: dict[str, str]) -> None:
        self.opciones = opciones
        self._codigos: dict[str, str] = {}
        for codigo, etiqueta in opciones.items():
            self._codigos.setdefault(clave(codigo), codigo)
            self._codigos.setdefault(clave(etiqueta), codigo)

    def codigo(self, valor: str) -> str | None:
        return self._codigos.get(clave(valor))


# Who may do what (see geo/acceso.py). A unit user and a técnico belong to one operational unit.
ROLES = {
    "nacional": "Coordinación nacional",
    "unidad": "Unidad operativa",
    "tecnico": "Técnico de campo",
}

# The three-level verification: field staff register, the unit verifies, national coordination
# validates. "observado" is a record sent back with observations.
ESTADOS = {
    "registrado": "Registrado",
    "observado": "Observado",
    "verificado": "Verificado por la unidad",
    "validado": "Validado por coordinación nacional",
}
# action -> (states it starts from, state it leads to, roles allowed)
ACCIONES_VERIFICACION: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "verificar": (("registrado", "observado"), "verificado", ("unidad", "nacional")),
    "observar": (("registrado", "verificado"), "observado", ("unidad", "nacional")),
    "validar": (("verificado",), "validado", ("nacional",)),
    "reabrir": (("validado",), "observado", ("nacional",)),
}

# Complaints (reclamos) of the public information system, answered within PLAZO_RECLAMO days.
CANALES_RECLAMO = {
    "web": "Sitio web",
    "telefono": "Teléfono",
    "presencial": "Presencial",
    "buzon": "Buzón",
    "correo": "Correo",
}
ESTADOS_RECLAMO = {
    "recibido": "Recibido",
    "en_atencion": "En atención",
    "respondido": "Respondido",
}
PLAZO_RECLAMO = 30

# What people read for each field of an alliance (forms, record screen, history, tables).
CAMPOS_ALIANZA = {
    "codigo": "Código",
    "nombre": "Nombre de la alianza",
    "organizacion": "Organización de productores (OPP)",
    "organizacion_id": "Organización de productores (OPP)",
    "comprador": "Comprador",
    "sector": "Sector",
    "modelo": "Modelo",
    "financiamiento": "Financiamiento",
    "convocatoria": "Convocatoria",
    "etapa": "Etapa del ciclo",
    "fecha_etapa": "Fecha de la etapa",
    "fecha_solicitud": "Fecha de solicitud",
    "familias": "Familias",
    "familias_mujeres": "Familias representadas por mujeres",
    "hectareas_riego": "Hectáreas con riego",
    "monto_par_comprometido_bs": "Aporte PAR comprometido (Bs)",
    "monto_contraparte_comprometido_bs": "Contraparte comprometida (Bs)",
    "monto_solicitado_bs": "Monto solicitado (Bs)",
    "monto_transferido_bs": "Monto transferido (Bs)",
    "monto_descargado_bs": "Monto descargado (Bs)",
    "lon": "Longitud",
    "lat": "Latitud",
    "precision_ubicacion": "Precisión de la ubicación",
    "municipio_codigo": "Municipio",
    "estado": "Verificación",
    "observacion": "Observación",
}


# What people read for each field of a monitoring visit (one productive cycle of an alliance).
CAMPOS_SEGUIMIENTO = {
    "codigo_alianza": "Código de la alianza",
    "ciclo": "Ciclo productivo",
    "fecha": "Fecha de la visita",
    "volumen_vendido": "Volumen vendido",
    "unidad_volumen": "Unidad del volumen (kg, litros, cabezas…)",
    "precio_bs": "Precio por unidad (Bs)",
    "ventas_bs": "Ventas (Bs)",
    "costos_bs": "Costos (Bs)",
    "ingreso_bs": "Ingreso (Bs; vacío: ventas menos costos)",
    "relacion_comercial_mantenida": "¿Se mantiene la relación comercial con el comprador?",
    "medidas_ambientales": "¿Aplica las medidas ambientales?",
}


def siguientes(etapa: str) -> list[str]:
    """The stages an alliance at ``etapa`` may move to (the cycle's next step or abandonment)."""
    return [h for h in ETAPAS if (etapa, h) in TRANSICIONES]


# What people read for each field of a municipal subproject (the tray's changes, tables).
CAMPOS_SUBPROYECTO = {
    "codigo": "Código",
    "nombre": "Nombre del subproyecto",
    "tipo_obra": "Tipo de obra",
    "etapa": "Etapa",
    "familias": "Familias",
    "monto_empoderar_comprometido_bs": "Aporte EMPODERAR comprometido (Bs)",
    "monto_contraparte_comprometido_bs": "Contraparte comprometida (Bs)",
    "monto_empoderar_ejecutado_bs": "Aporte EMPODERAR ejecutado (Bs)",
    "monto_contraparte_ejecutado_bs": "Contraparte ejecutada (Bs)",
    "precision_ubicacion": "Precisión de la ubicación",
    "municipio_codigo": "Municipio",
}

# The money ledger (migration 0012): what an alliance's movements are (its transfers and their
# accounting, the descargo or rendición de cuentas) and what a subproject's are (the amounts
# executed, by who contributes them). A record's totals are their sums.
TIPOS_MOVIMIENTO = {
    "transferencia": "Transferencia",
    "descargo": "Descargo (rendición de cuentas)",
    "ejecucion_empoderar": "Ejecución del aporte EMPODERAR",
    "ejecucion_contraparte": "Ejecución de la contraparte",
}
