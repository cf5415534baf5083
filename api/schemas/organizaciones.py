"""Producer organizations (OPP) and the monitoring of alliances per productive cycle
(geo/registro/organizaciones.py)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from api.schemas.comun import Lista, Pagina


class Organizacion(BaseModel):
    id: int
    programa: str = Field(description="Código del programa")
    nombre: str
    formalizada: bool | None = Field(description="Con personería jurídica; null: sin dato")
    familias_miembro: int | None = Field(description="Familias socias; null: sin dato")
    version: int = Field(description="Versión del registro: la ETag, que vuelve en If-Match")
    n_alianzas: int = Field(description="Cuántas alianzas tiene")


class ListaOrganizaciones(Pagina[Organizacion]):
    pass


class Seguimiento(BaseModel):
    """One productive cycle of an alliance; cycle 0 is the baseline (sin proyecto). Null is
    "sin dato"."""

    id: int
    alianza_id: int
    ciclo: int = Field(description="Ciclo productivo; 0 es la línea base (sin proyecto)")
    fecha: date | None
    volumen_vendido: float | None = Field(description="En unidad_volumen")
    unidad_volumen: str | None = Field(description="p. ej. kg, t, litros")
    precio_bs: float | None = Field(description="Precio por unidad, en bolivianos")
    ventas_bs: float | None = Field(description="Ventas del ciclo, en bolivianos")
    costos_bs: float | None = Field(description="Costos del ciclo, en bolivianos")
    ingreso_bs: float | None = Field(description="Ventas menos costos, en bolivianos")
    relacion_comercial_mantenida: bool | None = Field(
        description="Mantuvo la relación con el comprador en el ciclo"
    )
    medidas_ambientales: bool | None = Field(description="Aplicó las medidas ambientales")
    version: int = Field(description="Versión del registro: la ETag, que vuelve en If-Match")


class ListaSeguimientos(Lista[Seguimiento]):
    pass
