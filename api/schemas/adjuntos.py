"""Attachments of a record (geo/registro/adjuntos.py): what the public sees of a photo, and what
staff see of every file, with where the photo says it was taken."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.schemas.comun import Lista, Ref


class AdjuntoPublico(BaseModel):
    """A photo of a validated record as the public sees it: a copy without metadata."""

    id: int
    nombre: str = Field(
        description="Nombre original del archivo, solo para mostrar (para el público, uno "
        "genérico: el original puede nombrar a una persona)"
    )
    tipo: str = Field(
        description="Tipo MIME según el contenido: image/jpeg, image/png, image/heic o "
        "application/pdf (el público recibe siempre image/jpeg)"
    )
    creado_en: datetime = Field(description="Cuándo se adjuntó")
    url: str = Field(description="El archivo (para el público, una copia JPEG sin metadatos)")
    miniatura_url: str | None = Field(
        description="Miniatura JPEG de 320 px sin metadatos; null para un PDF"
    )


class Adjunto(AdjuntoPublico):
    """An attachment as staff see it; the public's answer has none of the fields below."""

    bytes: int | None = Field(None, description="Tamaño del archivo original")
    sha256: str | None = Field(None, description="Huella del archivo original (su ETag)")
    creado_por: str | None = Field(None, description="Usuario que lo adjuntó")
    exif_lat: float | None = Field(None, description="Latitud del GPS de la foto (EXIF)")
    exif_lon: float | None = Field(None, description="Longitud del GPS de la foto (EXIF)")
    exif_municipio: Ref | None = Field(
        None, description="Municipio donde cae el punto de la foto; null sin GPS o fuera de Bolivia"
    )
    fuera_de_municipio: bool | None = Field(
        None,
        description="true: la foto se tomó fuera del municipio del registro (se marca, no se "
        "rechaza); null: la foto no tiene GPS",
    )
    aviso: str | None = Field(
        None, description="p. ej. «Foto tomada fuera de Yacuiba (en Nuestra Señora de La Paz)»"
    )


class ListaAdjuntos(Lista[Adjunto]):
    pass
