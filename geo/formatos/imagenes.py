"""What an uploaded attachment is, judged by its content alone: the name and the Content-Type a
client sends are never trusted (an executable renamed ``foto.jpg`` is still an executable).

- Accepted: JPEG, PNG and HEIC photos, which Pillow must actually open as the format their magic
  bytes announce (each opened by its own plugin only, so no other parser sees the bytes), and
  PDF documents (a ``%PDF-`` header; they are stored and served as they came, never parsed).
- Bounded before the work: at most ``LIMITE_BYTES`` per file (the caller reads one byte more, not
  the whole body), and at most ``MAX_PIXELES`` per image, checked from the header before any
  pixel is decoded (a decompression bomb of a few KB that would expand to gigabytes).
- The thumbnail, and the copy the public is served, are re-encoded here as JPEG, upright (the
  EXIF orientation applied) and without any metadata: no EXIF, so no GPS position, camera serial
  or date leaves with them.
- The EXIF GPS position, when the photo carries one, is read as decimal degrees (WGS84).

Pure: bytes in, bytes and numbers out, no database."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from geo.plataforma.errors import ArchivoDemasiadoGrande, EntradaInvalida, TipoNoAdmitido

LIMITE_BYTES = 20 * 1024 * 1024
MAX_PIXELES = 64_000_000  # 8000 x 8000: above any phone's default, and ~200 MB once decoded
LADO_MINIATURA = 320
LADO_PUBLICO = 1600
CALIDAD_JPEG = 82

PDF = "application/pdf"
JPEG = "image/jpeg"
# Pillow's format name -> the MIME type stored and served.
IMAGENES = {"JPEG": JPEG, "PNG": "image/png", "HEIF": "image/heic"}
EXTENSIONES = {JPEG: "jpg", "image/png": "png", "image/heic": "heic", PDF: "pdf"}
# ISO BMFF brands of HEIC/HEIF stills (what phones write); AVIF and video brands are not photos.
_MARCAS_HEIF = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_GPS = 0x8825  # the EXIF GPS IFD
_CAMPO = "archivo"


@dataclass(frozen=True)
class Contenido:
    """What a file turned out to be: its MIME type, its thumbnail (images only) and the EXIF
    position (None when the photo carries none)."""

    tipo: str
    miniatura: bytes | None = None
    lat: float | None = None
    lon: float | None = None


def examinar(datos: bytes) -> Contenido:
    """The type, thumbnail and position of ``datos``; 413 past the size limit, 415 for anything
    but a JPEG, PNG or HEIC image or a PDF, 422 for a damaged image or one with too many
    pixels."""
    if len(datos) > LIMITE_BYTES:
        raise ArchivoDemasiadoGrande(
            f"el archivo pesa más de {LIMITE_BYTES // (1024 * 1024)} MB: el límite es "
            f"{LIMITE_BYTES // (1024 * 1024)} MB por archivo; reduzca la foto o divida el "
            "documento",
            campo=_CAMPO,
            limite_bytes=LIMITE_BYTES,
        )
    if not datos:
        raise EntradaInvalida("el archivo está vacío", campo=_CAMPO)
    if datos.startswith(b"%PDF-"):
        return Contenido(PDF)
    formato = _formato(datos)
    if formato is None:
        raise TipoNoAdmitido(
            f"el contenido del archivo no es una foto JPEG, PNG o HEIC ni un documento PDF"
            f"{_parece(datos)}; se juzga por el contenido, no por el nombre",
            campo=_CAMPO,
            admitidos=sorted([*IMAGENES.values(), PDF]),
        )
    with _abrir(datos, formato) as imagen:
        lat, lon = posicion(imagen)
        miniatura = _como_jpeg(imagen, LADO_MINIATURA, formato)
    return Contenido(IMAGENES[formato], miniatura, lat, lon)


def version_publica(datos: bytes) -> bytes:
    """An image as the public is served it: a JPEG of at most LADO_PUBLICO pixels a side,
    upright, without metadata."""
    formato = _formato(datos)
    if formato is None:
        raise TipoNoAdmitido("solo las fotos tienen versión pública", campo=_CAMPO)
    with _abrir(datos, formato) as imagen:
        return _como_jpeg(imagen, LADO_PUBLICO, formato)


def _formato(datos: bytes) -> str | None:
    """Pillow's name of the image format the magic bytes announce, if one we accept."""
    if datos.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if datos.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if datos[4:8] == b"ftyp" and datos[8:12] in _MARCAS_HEIF:
        return "HEIF"
    return None


def _parece(datos: bytes) -> str:
    """What a refused file looks like, when it is worth telling."""
    if datos.startswith(b"MZ"):
        return " (es un programa ejecutable de Windows)"
    if datos.startswith(b"\x7fELF"):
        return " (es un programa ejecutable)"
    if datos.startswith((b"PK\x03\x04", b"Rar!", b"7z\xbc\xaf")):
        return " (es un archivo comprimido)"
    return ""


@cache
def _heif() -> None:
    """Teach Pillow to open HEIC, once per process (pillow-heif registers a plugin)."""
    from pillow_heif import register_heif_opener

    register_heif_opener()


def _abrir(datos: bytes, formato: str) -> Image.Image:
    """The image, opened by the plugin of ``formato`` only, its size checked before decoding."""
    if formato == "HEIF":
        _heif()
    try:
        imagen = Image.open(io.BytesIO(datos), formats=[formato])
    except Image.DecompressionBombError as exc:
        raise _demasiados_pixeles(str(exc)) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _danada(formato) from exc
    ancho, alto = imagen.size
    if ancho * alto > MAX_PIXELES:
        imagen.close()
        raise _demasiados_pixeles(f"{ancho} × {alto} píxeles")
    return imagen


def _demasiados_pixeles(medida: str) -> EntradaInvalida:
    return EntradaInvalida(
        f"la imagen es demasiado grande para procesarla ({medida}); el máximo es "
        f"{MAX_PIXELES // 1_000_000} millones de píxeles: redúzcala antes de adjuntarla",
        campo=_CAMPO,
    )


def _danada(formato: str) -> EntradaInvalida:
    return EntradaInvalida(
        f"el archivo empieza como una imagen {formato} pero está dañado o incompleto",
        campo=_CAMPO,
    )


def _como_jpeg(imagen: Image.Image, lado: int, formato: str) -> bytes:
    """``imagen`` upright, at most ``lado`` pixels a side, as a JPEG without metadata (Pillow
    writes EXIF or an ICC profile only when asked to)."""
    try:
        if formato == "JPEG":
            imagen.draft("RGB", (lado, lado))  # decode at 1/2, 1/4 or 1/8: fast, little memory
        recta = ImageOps.exif_transpose(imagen)
        recta.thumbnail((lado, lado), Image.Resampling.LANCZOS)
        salida = io.BytesIO()
        _en_rgb(recta).save(salida, "JPEG", quality=CALIDAD_JPEG, optimize=True)
    except (OSError, SyntaxError, ValueError) as exc:  # truncated or corrupt pixel data
        raise _danada(formato) from exc
    return salida.getvalue()


def _en_rgb(imagen: Image.Image) -> Image.Image:
    """RGB for JPEG; transparency laid on white, as a page would show it."""
    if imagen.mode in ("RGBA", "LA", "PA") or "transparency" in imagen.info:
        rgba = imagen.convert("RGBA")
        fondo = Image.new("RGB", rgba.size, "white")
        fondo.paste(rgba, mask=rgba.getchannel("A"))
        return fondo
    return imagen.convert("RGB")


def posicion(imagen: Image.Image) -> tuple[float | None, float | None]:
    """The EXIF GPS latitude and longitude in decimal degrees, or (None, None). A damaged EXIF
    block, an impossible value, or (0, 0) (what cameras write with no fix) count as none: a
    photo is never refused for its metadata."""
    try:
        gps = imagen.getexif().get_ifd(_GPS)
    except Exception:  # noqa: BLE001 - any malformed EXIF is simply no position
        return None, None
    lat = _grados(gps.get(2), gps.get(1), "S")
    lon = _grados(gps.get(4), gps.get(3), "W")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180 or lat == lon == 0:
        return None, None
    return round(lat, 7), round(lon, 7)


def _grados(valor: Any, referencia: Any, negativa: str) -> float | None:
    """Degrees, minutes and seconds (EXIF rationals) as signed decimal degrees."""
    try:
        g, m, s = (float(x) for x in valor)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not all(math.isfinite(x) for x in (g, m, s)):
        return None
    if isinstance(referencia, bytes):
        referencia = referencia.decode("ascii", "ignore")
    signo = -1 if str(referencia or "").strip().upper().startswith(negativa) else 1
    return signo * (abs(g) + m / 60 + s / 3600)
