"""Alliances: the record (as staff and as the public see it), its GeoJSON feature, the page of
a list, and its history (geo/registro/consultas.py ``registro``/``para``, geo/registro/casos.py
``historial_alianza``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.comun import (
    Bolivianos,
    ColeccionPaginada,
    Notas,
    Pagina,
    Punto,
    PuntoGeoJSON,
    Ubicado,
    vocabulario,
)
from api.schemas.verificacion import PasoVerificacion
from geo.vocabulario.catalogos import ETAPAS, FINANCIAMIENTOS, MODELOS, SECTORES


class RefOrganizacion(BaseModel):
    id: int
    nombre: str


class _Alianza(Ubicado):
    """An alliance as the public sees it, without its point."""

    sector: str = Field(description=f"Código del sector: {vocabulario(SECTORES)}")
    modelo: int = Field(description=f"Modelo de alianza: {vocabulario(MODELOS)}")
    financiamiento: str = Field(description=vocabulario(FINANCIAMIENTOS))
    convocatoria: str | None = Field(description="Convocatoria en que se presentó, p. ej. 3")
    etapa: str = Field(description=f"Etapa del ciclo: {vocabulario(ETAPAS)}")
    fecha_etapa: date = Field(description="Desde cuándo está en su etapa")
    fecha_solicitud: date | None = Field(description="Fecha de la solicitud")
    familias_mujeres: int = Field(description="Familias representadas por mujeres")
    hectareas_riego: float = Field(description="Hectáreas con riego")
    monto_par_comprometido_bs: Bolivianos
    monto_contraparte_comprometido_bs: Bolivianos
    monto_solicitado_bs: Bolivianos
    monto_transferido_bs: Bolivianos
    monto_descargado_bs: Bolivianos = Field(description="Monto rendido (descargado), en Bs")
    creado_en: datetime
    actualizado_en: datetime
    organizacion: RefOrganizacion | None = Field(description="Organización de productores (OPP)")


class _Comprador(BaseModel):
    comprador: str | None = Field(
        None,
        description="Empresa o persona compradora (solo personal; no viene para el público: "
        "puede ser una persona)",
    )


class AlianzaPublica(Punto, _Alianza):
    """An alliance as the public sees it: validated, without the buyer nor working notes."""


class Alianza(Punto, Notas, _Comprador, _Alianza):
    """An alliance. Staff get every field; the public, the fields of AlianzaPublica (without
    ``comprador``, ``alertas`` and ``observacion``)."""


class PropiedadesAlianza(Notas, _Comprador, _Alianza):
    """An alliance's fields as GeoJSON properties: all but lon and lat (the geometry)."""


class ListaAlianzas(Pagina[Alianza]):
    pass


class FeatureAlianza(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: PuntoGeoJSON
    properties: PropiedadesAlianza


class ColeccionAlianzas(ColeccionPaginada[FeatureAlianza]):
    pass


# -- History --------------------------------------------------------------------------------


class CampoCambiado(BaseModel):
    antes: Any = Field(description="Valor anterior (null en un alta)")
    despues: Any = Field(description="Valor nuevo (null en una baja)")


class Cambio(BaseModel):
    accion: Literal["alta", "cambio", "baja"]
    usuario: str = Field(description="Quién (usuario del personal, o de la base de datos)")
    momento: datetime
    campos: dict[str, CampoCambiado] = Field(description="Solo los campos que cambiaron")


class EtapaFechada(BaseModel):
    etapa: str = Field(description="Etapa alcanzada")
    fecha: date = Field(description="Fecha de la etapa")
    usuario: str | None = Field(description="Quién la registró")
    registrado_en: datetime


class Historial(BaseModel):
    cambios: list[Cambio] = Field(description="Cada cambio del registro (auditoría)")
    etapas: list[EtapaFechada] = Field(description="Cuándo alcanzó cada etapa")
    verificacion: list[PasoVerificacion] = Field(description="Cada paso de su verificación")
