"""What every resource shares: a code with its name, a list and a page of records, GeoJSON
features, the place of a located record, and the problem (error) document."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from geo.vocabulario.catalogos import ESTADOS, PRECISIONES

T = TypeVar("T")
F = TypeVar("F")

# A measure as the analysis computes it: an integer when it is exact, else a decimal number.
Numero = Annotated[int | float, Field(description="Entero cuando es exacto")]
Bolivianos = Annotated[float, Field(description="Monto en bolivianos (Bs)")]


def vocabulario(opciones: dict[Any, str]) -> str:
    """The codes of a vocabulary with their labels, for a field's description."""
    return "; ".join(f"{k}: {v}" for k, v in opciones.items())


class Ref(BaseModel):
    """A unit of the territory (or of the program) by its code and its name."""

    codigo: str = Field(
        description="Código INE (departamento 2 dígitos, provincia 4, municipio 6) o código de "
        "la unidad operativa (p. ej. CHACO)"
    )
    nombre: str


class Lista(BaseModel, Generic[T]):
    data: list[T]
    count: int = Field(description="Cuántos elementos trae data")


class Pagina(BaseModel, Generic[T]):
    data: list[T]
    count: int = Field(description="Cuántos registros cumplen los filtros, en todas las páginas")
    limit: int = Field(description="Registros por página pedidos")
    offset: int = Field(description="Registros saltados")


# -- A located record (alliance, subproject): what both share -----------------------------------


class Punto(BaseModel):
    lon: float = Field(description="Longitud WGS 84 (grados, negativa en Bolivia)")
    lat: float = Field(description="Latitud WGS 84 (grados, negativa en Bolivia)")


class Ubicado(BaseModel):
    """The fields every located record has, as the public sees them (no point: the point is
    ``lon``/``lat`` in JSON and the geometry in GeoJSON)."""

    id: int
    programa: str = Field(description="Código del programa, p. ej. PAR2")
    codigo: str = Field(description="Código del registro, único en su programa")
    nombre: str
    familias: int = Field(description="Familias beneficiarias")
    precision_ubicacion: int = Field(
        description=f"Precisión del punto (códigos IATI/AidData): {vocabulario(PRECISIONES)}"
    )
    estado: str = Field(description=f"Estado de la verificación: {vocabulario(ESTADOS)}")
    version: int = Field(description="Versión del registro: la ETag, que vuelve en If-Match")
    municipio: Ref = Field(description="Municipio donde está el punto")
    departamento: Ref = Field(description="Departamento del municipio")
    unidad_operativa: Ref = Field(description="Unidad operativa del municipio")


class Notas(BaseModel):
    """Internal working notes: staff only (absent for the public)."""

    alertas: list[str] | None = Field(
        None,
        description="Reglas excedidas que el programa acepta con aviso, p. ej. "
        "transferido_excede_comprometido (solo personal; no viene para el público)",
    )
    observacion: str | None = Field(
        None,
        description="La última observación de la verificación (solo personal; no viene para el "
        "público)",
    )


# -- GeoJSON (RFC 7946) ----------------------------------------------------------------------


class PuntoGeoJSON(BaseModel):
    type: Literal["Point"]
    coordinates: list[float] = Field(description="[longitud, latitud] WGS 84")


Geometria = Annotated[
    dict[str, Any], Field(description="Geometría GeoJSON (RFC 7946, WGS 84), armada en PostGIS")
]


class ColeccionGeoJSON(BaseModel, Generic[F]):
    type: Literal["FeatureCollection"]
    features: list[F]


class ColeccionPaginada(ColeccionGeoJSON[F], Generic[F]):
    numberMatched: int = Field(description="Cuántos cumplen los filtros, en todas las páginas")
    numberReturned: int = Field(description="Cuántos trae esta página")


# -- Errors: RFC 9457 problem details --------------------------------------------------------


class ErrorDeCampo(BaseModel):
    campo: str = Field(description="Campo, parámetro o columna; 'cuerpo' si es el cuerpo entero")
    mensaje: str = Field(description="El motivo, para una persona")
    valor: Any = Field(None, description="El valor recibido (no viene si el campo falta)")


class MunicipioCercano(Ref):
    distancia_km: float = Field(description="Distancia del punto al municipio, en km")


class Problema(BaseModel):
    """An error, as application/problem+json (RFC 9457); api/errors.py builds it. Besides the
    four standard members, what helps to act on it: the field, every field's reason, the
    parameters a route accepts, the current version of a record..."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(
        description="Nombre estable del error: urn:sigg:problema:<código>, p. ej. "
        "urn:sigg:problema:no-encontrado"
    )
    title: str = Field(description="Título corto, en castellano")
    status: int = Field(description="El código HTTP")
    detail: str = Field(description="Qué pasó y qué hacer, para una persona")
    campo: str | None = Field(None, description="El campo o parámetro causante, si es uno")
    errores: list[ErrorDeCampo] | None = Field(
        None, description="Cada campo con su motivo, cuando son varios"
    )
    aceptados: list[str] | None = Field(
        None, description="Los parámetros que la ruta acepta (ante uno desconocido)"
    )
    version_actual: int | None = Field(
        None, description="La versión vigente del registro (412: otro lo cambió)"
    )
    reintentar_en: int | None = Field(None, description="Segundos a esperar (429)")
    municipio_cercano: MunicipioCercano | None = Field(
        None, description="El municipio más cercano a un punto rechazado"
    )
    cuerpo_agua: str | None = Field(None, description="El lago o salar donde cae el punto")
