"""Complaints: the public tracking view (never the contact data, the description nor who
answered) and the staff view (geo/reclamos/atencion.py)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from api.schemas.comun import Lista, Pagina, Ref, vocabulario
from geo.vocabulario.catalogos import CANALES_RECLAMO, ESTADOS_RECLAMO, PLAZO_RECLAMO

_ESTADO = f"Estado: {vocabulario(ESTADOS_RECLAMO)}"
_CANAL = f"Canal por el que llegó: {vocabulario(CANALES_RECLAMO)}"
_CODIGO = "Código de seguimiento, R-XXXX-XXXX-XXXX"


class ReclamoSeguimiento(BaseModel):
    """A complaint as anyone holding its tracking code sees it."""

    codigo: str = Field(description=_CODIGO)
    estado: str = Field(description=_ESTADO)
    estado_nombre: str = Field(description="El estado, para leer")
    recibido: date = Field(description="Fecha de recepción")
    plazo_dias: int = Field(description=f"Días para responder ({PLAZO_RECLAMO})")
    municipio: Ref
    asunto: str
    respuesta: str | None
    respondido: date | None = Field(description="Fecha de la respuesta")


class ReclamoPresentado(ReclamoSeguimiento):
    """A complaint just filed: its tracking view, and its id when staff filed it."""

    id: int | None = Field(None, description="Solo cuando lo registra el personal")


class AlianzaReclamada(BaseModel):
    id: int
    codigo: str
    nombre: str


class Reclamo(BaseModel):
    """A complaint as the staff of its unit see it, with the contact data."""

    id: int
    codigo: str = Field(description=_CODIGO)
    programa: str = Field(description="Código del programa")
    canal: str = Field(description=_CANAL)
    recibido: date = Field(description="Fecha de recepción")
    vence: date = Field(description="Fecha límite de la respuesta")
    estado: str = Field(description=_ESTADO)
    vencido: bool = Field(description="Sin respuesta pasado el plazo")
    dias_vencido: int | None = Field(description="Días de atraso, si está vencido")
    municipio: Ref
    unidad_operativa: Ref
    alianza: AlianzaReclamada | None = Field(description="La alianza reclamada, si es una")
    asunto: str
    descripcion: str
    nombre_contacto: str | None
    contacto: str | None = Field(description="Teléfono o correo")
    respuesta: str | None
    respondido: date | None = Field(description="Fecha de la respuesta")
    respondido_por: str | None = Field(description="Usuario que respondió")
    version: int = Field(description="Versión del registro")
    creado_en: datetime = Field(description="Cuándo se registró en SIGG")


class ListaReclamos(Pagina[Reclamo]):
    pass


class ReclamoVencido(BaseModel):
    id: int
    codigo: str = Field(description=_CODIGO)
    canal: str = Field(description=_CANAL)
    recibido: date = Field(description="Fecha de recepción")
    vence: date = Field(description="Fecha límite de la respuesta")
    dias_vencido: int = Field(description="Días de atraso")
    estado: str = Field(description=_ESTADO)
    asunto: str
    municipio: Ref


class VencidosEnUnidad(BaseModel):
    unidad_operativa: Ref
    count: int = Field(description="Reclamos vencidos de la unidad")
    reclamos: list[ReclamoVencido] = Field(description="Del más antiguo al más reciente")


class Vencidos(Lista[VencidosEnUnidad]):
    programa: str = Field(description="Código del programa")
    count: int = Field(description="Reclamos vencidos en todas las unidades")
