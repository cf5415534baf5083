"""The health of the installation."""

from __future__ import annotations

from pydantic import BaseModel, Field


class BaseDeDatos(BaseModel):
    alcanzable: bool
    postgis: str | None = Field(None, description="Versión de PostGIS")
    migracion: str | None = Field(None, description="Revisión del esquema aplicada")
    migracion_esperada: str | None = Field(None, description="Revisión que este código espera")


class Salud(BaseModel):
    estado: str = Field(description="ok, incompleto (falta migrar o cargar) o sin_base")
    base_de_datos: BaseDeDatos
    territorio: dict[str, dict[str, int]] = Field(
        {}, description="Unidades cargadas por cartografía y nivel, p. ej. 2012 -> municipios"
    )
    tipo_cambio: float = Field(description="Bolivianos por dólar usados en los montos en US$")
