"""What one run of bench/suite.py measured, for bench/informe.py and bench/objetivos.py to
write out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.carga import Carga
from bench.exportar import Exportacion, mediana
from bench.maquina import Fase
from bench.primeras import Primeras
from bench.respuestas import PorNivel
from bench.resumen import PorFiltro, Precio
from bench.teselas import Caudal, PorZoom

SIGG_EXPORT = "SIGG /api/v1/exportar"
TECHO_CARGA = "/api/v1/mapa/medidas"
MAPA_MUNICIPAL = "/api/v1/mapa/valores?nivel=municipio"
CAPA = "/api/v1/mapa/capa"


@dataclass
class Resultados:
    """Everything one run measured. ``importacion``: where the import was measured (its label,
    e.g. "empty database") -> bench.importacion.comparar's figures there."""

    versiones: dict[str, str]
    opciones: dict[str, object]
    niveles: list[PorNivel] = field(default_factory=list)
    filtros: list[PorFiltro] = field(default_factory=list)
    primeras: list[Primeras] = field(default_factory=list)
    precios: list[Precio] = field(default_factory=list)
    teselas: list[PorZoom] = field(default_factory=list)
    caudales: list[Caudal] = field(default_factory=list)
    # Size -> exporter -> its full exports, in the order they ran (``exportes``: the medians).
    corridas_export: dict[int, dict[str, list[Exportacion]]] = field(default_factory=dict)
    importacion: dict[str, dict[str, float]] = field(default_factory=dict)
    ubicacion: dict[str, tuple[float, int]] = field(default_factory=dict)
    # bench.importacion_trabajo's figures (its --cifras), one per run of the job.
    trabajos: list[dict[str, Any]] = field(default_factory=list)
    cargas: list[tuple[str, Carga]] = field(default_factory=list)
    # Each size's phases with the checkpoints that ran through them (bench.maquina.fase).
    fases: list[Fase] = field(default_factory=list)
    minutos: float = 0.0

    @property
    def exportes(self) -> dict[int, dict[str, Exportacion]]:
        """Size -> exporter -> its median run (by time)."""
        return {
            n: {nombre: mediana(c) for nombre, c in e.items()}
            for n, e in self.corridas_export.items()
        }

    @property
    def mayor(self) -> int:
        """The largest size measured (0 before any)."""
        return max((x.alianzas for x in self.niveles), default=0)
