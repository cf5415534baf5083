"""The vocabulary the forms of the page are built from."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Opcion(BaseModel):
    codigo: str
    nombre: str


class Etapa(Opcion):
    siguientes: list[str] = Field(description="Etapas a las que puede pasar desde esta")
    final: bool


class Vocabulario(BaseModel):
    sectores: list[Opcion]
    modelos: list[Opcion]
    financiamientos: list[Opcion]
    etapas: list[Etapa]
    etapas_subproyecto: list[Etapa]
    estados: list[Opcion]
    precisiones: list[Opcion]
    campos_alianza: dict[str, str] = Field(description="Etiqueta de cada campo de una alianza")
    campos_subproyecto: dict[str, str] = Field(
        description="Etiqueta de cada campo de un subproyecto"
    )
