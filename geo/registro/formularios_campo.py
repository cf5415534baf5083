"""The field forms, as XLSForms for KoboToolbox / KoboCollect / ODK Collect: registering an
alliance and a monitoring visit. Generated, never edited by hand: every question, its type,
its label, whether it is required and its constraint come from what the server itself uses
(the vocabulary in geo/vocabulario/catalogos.py and the rules of the record schemas), so a new
sector or a changed limit reaches the forms with ``sigg formularios``, and a test fails while
the shipped files (formularios/*.xlsx) lag behind.

The question names are the field names the importers read (geo/registro/importacion.py and
importacion_seguimiento.py); an export "with labels" heads its columns with the labels, which
the importers read too. The point is a geopoint (``ubicacion``): its municipality is derived
from it on import, as for any imported point.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Union, get_args, get_origin

from annotated_types import Ge, Le, MaxLen
from pydantic import BaseModel

from geo.formatos.xlsform import Formulario, Pregunta
from geo.registro.esquemas import AlianzaEntrada
from geo.registro.organizaciones import SeguimientoEntrada
from geo.vocabulario.catalogos import (
    CAMPOS_ALIANZA,
    CAMPOS_SEGUIMIENTO,
    DIAS_FUTUROS,
    ETAPAS,
    FECHA_MINIMA,
    FINANCIAMIENTOS,
    MODELOS,
    SECTORES,
)

CARPETA = "formularios"  # under the project's root
# Metadata the devices fill in (when the form was opened and saved): exports carry them.
META = ("start", "end")
PUNTO = "ubicacion"
FOTO = "foto"
SI_NO = {"si": "Sí", "no": "No"}
ETIQUETA_PUNTO = "Ubicación"
ETIQUETA_FOTO = "Fotografía"

# (group name, its label, the alliance fields it asks), in the order the form asks them.
GRUPOS_ALIANZA: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("datos_alianza", "Datos de la alianza", (
        "codigo", "nombre", "organizacion", "comprador", "sector", "modelo", "financiamiento",
        "convocatoria", "etapa", "fecha_etapa", "fecha_solicitud",
    )),
    ("beneficiarios", "Beneficiarios", ("familias", "familias_mujeres", "hectareas_riego")),
    ("montos", "Montos (Bs)", (
        "monto_par_comprometido_bs", "monto_contraparte_comprometido_bs", "monto_solicitado_bs",
        "monto_transferido_bs", "monto_descargado_bs",
    )),
)  # fmt: skip
GRUPO_LUGAR = ("lugar", "Lugar y fotografía")
PREGUNTAS_ALIANZA = tuple(c for _, _, campos in GRUPOS_ALIANZA for c in campos)
GRUPO_RESULTADOS = ("resultados", "Resultados del ciclo")
PREGUNTAS_SEGUIMIENTO = tuple(c for c in CAMPOS_SEGUIMIENTO if c != "codigo_alianza")
# Groups' names and labels: an export may prefix them to its column names.
_TODOS_LOS_GRUPOS = (*((n, e) for n, e, _ in GRUPOS_ALIANZA), GRUPO_LUGAR, GRUPO_RESULTADOS)
GRUPOS = tuple(texto for grupo in _TODOS_LOS_GRUPOS for texto in grupo)

_TIPOS = {str: "text", int: "integer", Decimal: "decimal", date: "date", bool: "select_one si_no"}


def registro_alianza() -> Formulario:
    """The alliance registration form: the alliance's fields, its point and a photo."""
    listas = {
        "sector": SECTORES,
        "modelo": {str(k): v for k, v in MODELOS.items()},
        "financiamiento": FINANCIAMIENTOS,
        "etapa": ETAPAS,
    }
    preguntas = [*(Pregunta(m, m) for m in META)]
    for grupo, titulo, campos in GRUPOS_ALIANZA:
        preguntas.append(_grupo(grupo, titulo))
        for campo in campos:
            lista = campo if campo in listas else None
            etiqueta = CAMPOS_ALIANZA[campo]
            preguntas.append(
                _pregunta(AlianzaEntrada, campo, etiqueta, lista=lista, **_extra(campo))
            )
        preguntas.append(Pregunta("end_group"))
    preguntas += [
        _grupo(*GRUPO_LUGAR),
        Pregunta(
            "geopoint",
            PUNTO,
            ETIQUETA_PUNTO,
            pista="Tómela en el lugar de la inversión: de este punto sale el municipio",
            obligatoria=True,
        ),
        _foto("De la inversión o del grupo de productores"),
        Pregunta("end_group"),
    ]
    return Formulario(
        id="sigg_registro_alianza",
        titulo="SIGG · Registro de alianza",
        preguntas=preguntas,
        opciones=listas,
        nombre_instancia="concat(${codigo}, ' · ', ${nombre})",
    )


def visita_seguimiento() -> Formulario:
    """The monitoring visit form: one productive cycle of an alliance, found by its code."""
    codigo = _pregunta(
        AlianzaEntrada,
        "codigo",
        CAMPOS_SEGUIMIENTO["codigo_alianza"],
        nombre="codigo_alianza",
        pista="Como figura en SIGG, p. ej. CH-001",
    )
    preguntas = [*(Pregunta(m, m) for m in META), codigo]
    for campo in PREGUNTAS_SEGUIMIENTO:
        if campo == "volumen_vendido":
            preguntas.append(_grupo(*GRUPO_RESULTADOS))
        preguntas.append(
            _pregunta(SeguimientoEntrada, campo, CAMPOS_SEGUIMIENTO[campo], **_extra(campo))
        )
    preguntas += [Pregunta("end_group"), _foto("De la producción o de la visita")]
    return Formulario(
        id="sigg_visita_seguimiento",
        titulo="SIGG · Visita de seguimiento",
        preguntas=preguntas,
        opciones={"si_no": SI_NO},
        nombre_instancia="concat(${codigo_alianza}, ' · ciclo ', ${ciclo})",
    )


FORMULARIOS: dict[str, Callable[[], Formulario]] = {
    "registro_alianza": registro_alianza,
    "visita_seguimiento": visita_seguimiento,
}


def _grupo(nombre: str, etiqueta: str) -> Pregunta:
    return Pregunta("begin_group", nombre, etiqueta, apariencia="field-list")


def _foto(pista: str) -> Pregunta:
    # A phone's photo of 12 MP is scaled on the device: offices upload over poor connections.
    return Pregunta("image", FOTO, ETIQUETA_FOTO, pista=pista, parametros="max-pixels=1600")


def _extra(campo: str) -> dict[str, Any]:
    """What a field's schema cannot say by itself: rules across fields, defaults, hints."""
    if campo == "familias_mujeres":
        return {"reglas": [(". <= ${familias}", "no puede superar las familias")]}
    if campo == "ciclo":
        return {"pista": "0 es la línea de base (sin proyecto); 1, el primer ciclo productivo"}
    if campo == "fecha":
        return {"obligatoria": True, "defecto": "today()"}
    return {}


def _pregunta(
    modelo: type[BaseModel],
    campo: str,
    etiqueta: str,
    *,
    nombre: str | None = None,
    lista: str | None = None,
    pista: str | None = None,
    obligatoria: bool = False,
    defecto: str | None = None,
    reglas: list[tuple[str, str]] | None = None,
) -> Pregunta:
    """A question for ``modelo``'s field ``campo``: its type, whether it is required, its
    default and the limits of its schema, as XLSForm says them."""
    info = modelo.model_fields[campo]
    tipo = _base(info.annotation)
    # A list is its own constraint: the schema's limits of a coded field (modelo 1-3) are its
    # choices.
    limites = [] if lista else _limites(info.metadata)
    todas = [*limites, *(_FECHA if tipo is date else []), *(reglas or [])]
    por_defecto = info.default if isinstance(info.default, str) else None
    return Pregunta(
        f"select_one {lista}" if lista else _TIPOS[tipo],
        nombre or campo,
        etiqueta,
        pista=pista,
        obligatoria=obligatoria or info.is_required(),
        restriccion=" and ".join(r for r, _ in todas) or None,
        mensaje="; ".join(m for _, m in todas) or None,
        defecto=defecto or por_defecto,
    )


def _base(anotacion: Any) -> type:
    """``int | None`` -> int."""
    if get_origin(anotacion) in (Union, types.UnionType):
        (anotacion,) = [a for a in get_args(anotacion) if a is not type(None)]
    return anotacion  # type: ignore[no-any-return]


# The schema's limits, with the messages the server gives for them (esquemas.traducir).
def _limites(metadatos: list[Any]) -> list[tuple[str, str]]:
    reglas = []
    for m in metadatos:
        if isinstance(m, Ge):
            reglas.append((f". >= {m.ge}", f"no puede ser menor que {m.ge}"))
        elif isinstance(m, Le):
            reglas.append((f". <= {m.le}", f"no puede ser mayor que {m.le}"))
        elif isinstance(m, MaxLen):
            reglas.append(
                (f"string-length(.) <= {m.max_length}", f"máximo {m.max_length} caracteres")
            )
    return reglas


# esquemas.fecha_plausible: from the program's first possible date to a year ahead of today.
_FECHA = [
    (
        f". >= date('{FECHA_MINIMA.isoformat()}') and . <= today() + {DIAS_FUTUROS}",
        f"fecha fuera del período del programa: debe estar entre el {FECHA_MINIMA:%d/%m/%Y} "
        f"y {DIAS_FUTUROS} días después de hoy",
    )
]
