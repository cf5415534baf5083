"""Municipal subprojects (FPS), as staff and as the public see them (geo/registro/subproyectos.py
``_registro``)."""

from __future__ import annotations

from typing import Literal

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
from geo.vocabulario.catalogos import ETAPAS_SUBPROYECTO


class _Subproyecto(Ubicado):
    tipo_obra: str | None = Field(description="Tipo de obra, p. ej. sistema de riego")
    etapa: str = Field(description=f"Etapa: {vocabulario(ETAPAS_SUBPROYECTO)}")
    monto_empoderar_comprometido_bs: Bolivianos
    monto_contraparte_comprometido_bs: Bolivianos
    monto_empoderar_ejecutado_bs: Bolivianos
    monto_contraparte_ejecutado_bs: Bolivianos
    alianzas: list[str] = Field(description="Códigos de las alianzas que atiende")


class SubproyectoPublico(Punto, _Subproyecto):
    """A subproject as the public sees it (validated, without working notes)."""


class Subproyecto(Punto, Notas, _Subproyecto):
    """A subproject. Staff get every field; the public, those of SubproyectoPublico."""


class PropiedadesSubproyecto(Notas, _Subproyecto):
    """A subproject's fields as GeoJSON properties: all but lon and lat (the geometry)."""


class ListaSubproyectos(Pagina[Subproyecto]):
    pass


class FeatureSubproyecto(BaseModel):
    type: Literal["Feature"]
    id: int
    geometry: PuntoGeoJSON
    properties: PropiedadesSubproyecto


class ColeccionSubproyectos(ColeccionPaginada[FeatureSubproyecto]):
    pass
