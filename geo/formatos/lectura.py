"""Reading the tabular files that field offices upload for bulk import (CSV and XLSX).

Everything here is pure: bytes in (or, for an import job's large CSV, a file on disk read as a
stream of rows: :class:`CsvEnDisco`), plain rows of text out, no database. Headers are normalised
to ``snake_case`` without accents, every cell is stripped text or ``None``, and row numbers are
the ones a person sees in the spreadsheet, so later validation errors can point at them. Helpers
parse Bolivian numbers, dates and the coordinate shapes that KoboToolbox/ODK exports produce.

An upload is untrusted: the limits below are checked before the work they bound (an XLSX's
declared sizes and rows before openpyxl opens it, every row as it streams in), so a hostile
file is refused in about a second and in flat memory, naming the limit.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import IO, Protocol, TypeAlias

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from geo.plataforma.entrada import PROFUNDIDAD_MAX
from geo.plataforma.errors import EntradaInvalida

# Rows below the header, blank ones included (reading them costs too). One import is designed
# for 100,000 rows; a larger file is split.
MAX_FILAS = 100_000
MAX_COLUMNAS = 256
# Rows x columns kept in memory at once: 100,000 rows of 30 columns.
MAX_CELDAS = 3_000_000
# Characters in one cell: Excel's own limit, so no genuine spreadsheet goes past it.
MAX_CELDA = 32_767
# What an XLSX may expand to: about 150,000 rows of 15 columns as openpyxl writes them.
MAX_XLSX_EXPANDIDO = 128 * 1024 * 1024
# Bytes of XML without markup: no cell of MAX_CELDA characters (4 bytes each at most) reaches it.
_TEXTO_XML = 256 * 1024
_TROZO_XML = 1024 * 1024
_FILA_O_CELDA_XML = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)[\s/>]")
_DELIMITADORES = ",;\t"
_LINEAS_MUESTRA = 50
_VACIO = "el archivo está vacío"

Celda: TypeAlias = str | None
Coordenadas: TypeAlias = tuple[float | None, float | None, str | None]


@dataclass(frozen=True)
class Fila:
    numero: int
    valores: dict[str, str | None]


@dataclass(frozen=True)
class Tabla:
    columnas: list[str]
    filas: list[Fila]
    encabezado: int = 1  # the header's row number

    def recorrer(self) -> Iterator[Fila]:
        return iter(self.filas)

    def estimar(self, leidas: int) -> int:
        return len(self.filas)


class Origen(Protocol):
    """Rows an import reads, as often as it needs: a :class:`Tabla` held in memory, or a
    :class:`CsvEnDisco` read from disk each time (an import job's large file)."""

    @property
    def columnas(self) -> list[str]: ...

    @property
    def encabezado(self) -> int: ...

    def recorrer(self) -> Iterator[Fila]:
        """The data rows, in the file's order, from the first."""
        ...

    def estimar(self, leidas: int) -> int:
        """How many data rows the whole file likely holds, while the last :meth:`recorrer`
        has given ``leidas`` of them (exact once it is exhausted)."""
        ...


class ErrorLectura(EntradaInvalida):
    """The file as a whole cannot be read; the message (in Spanish) names the reason."""


# --- headers -------------------------------------------------------------------------------


def normalizar_encabezado(texto: str) -> str:
    """Lowercase ASCII snake_case, last Kobo group segment, Kobo's leading "_" kept."""
    segmentos = [s.strip() for s in texto.split("/") if s.strip()]
    ultimo = segmentos[-1] if segmentos else ""
    sin_acentos = "".join(
        c for c in unicodedata.normalize("NFKD", ultimo) if not unicodedata.combining(c)
    )
    nombre = re.sub(r"[^a-z0-9]+", "_", sin_acentos.lower()).strip("_")
    if nombre and ultimo.startswith("_"):
        return "_" + nombre
    return nombre


def _miles(numero: int) -> str:
    """12345 -> "12.345", as numbers are written in Bolivia."""
    return f"{numero:,}".replace(",", ".")


def _demasiadas_filas(tope: int, columnas: int | None = None) -> ErrorLectura:
    if columnas is None or tope == MAX_FILAS:
        return ErrorLectura(f"el archivo tiene más de {_miles(tope)} filas de datos: divídalo")
    return ErrorLectura(
        f"el archivo tiene más de {_miles(tope)} filas de datos con sus {columnas} columnas "
        f"(el límite es {_miles(MAX_CELDAS)} celdas): divídalo"
    )


# --- reading -------------------------------------------------------------------------------


def leer_tabla(datos: bytes, nombre_archivo: str) -> Tabla:
    """Read a CSV/TXT or XLSX upload (format from the extension) into a :class:`Tabla`."""
    if formato(nombre_archivo) == "csv":
        return _leer_csv(datos)
    return _leer_xlsx(datos)


def formato(nombre_archivo: str) -> str:
    """The format of an upload from its extension: "csv" (.csv, .txt) or "xlsx"; any other is
    refused, naming it, before anything is read."""
    extension = os.path.splitext(nombre_archivo.strip())[1].lower()
    if extension in (".csv", ".txt"):
        return "csv"
    if extension == ".xlsx":
        return "xlsx"
    mostrada = extension or "(sin extensión)"
    raise ErrorLectura(f"formato no soportado: {mostrada} (use CSV o XLSX)")


def _limpiar(texto: str) -> Celda:
    limpio = texto.strip()
    return limpio or None


def _leer_csv(datos: bytes) -> Tabla:
    texto = _decodificar(datos)
    delimitador = _detectar_delimitador(texto)
    lector = csv.reader(io.StringIO(texto, newline=""), delimiter=delimitador, strict=True)
    return _armar_tabla(_registros_csv(lector))


def _registros_csv(lector: Iterator[list[str]]) -> Iterator[list[Celda]]:
    leidos = 0
    try:
        for registro in lector:
            leidos += 1
            yield [_limpiar(celda) for celda in registro]
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):  # the csv module's own cap, 131,072
            mensaje = (
                f"la fila {leidos + 1} tiene una celda de más de {_miles(csv.field_size_limit())} "
                f"caracteres: el límite por celda es {_miles(MAX_CELDA)}"
            )
        else:
            mensaje = f"el CSV está mal formado cerca de la fila {leidos + 1} (revise las comillas)"
        raise ErrorLectura(mensaje) from exc


def _decodificar(datos: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel "texto Unicode"), else cp1252/Latin-1."""
    if datos.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return datos.decode("utf-16", errors="replace")
    for codificacion in ("utf-8-sig", "cp1252"):
        try:
            return datos.decode(codificacion)
        except UnicodeDecodeError:
            continue
    return datos.decode("latin-1")


def _detectar_delimitador(texto: str) -> str:
    """Sniff among comma, semicolon and tab; trust the header line when the sniffer disagrees."""
    lineas = list(islice(io.StringIO(texto), _LINEAS_MUESTRA))
    encabezado = next((linea for linea in lineas if linea.strip()), "")
    por_conteo = max(_DELIMITADORES, key=encabezado.count)
    try:
        detectado = csv.Sniffer().sniff("".join(lineas), delimiters=_DELIMITADORES).delimiter
    except csv.Error:
        return por_conteo
    if detectado not in encabezado and por_conteo in encabezado:
        return por_conteo
    return detectado


# --- a CSV streamed from disk (import jobs) ------------------------------------------------

_TROZO = 1024 * 1024


class CsvEnDisco:
    """A CSV file on disk read as a stream of rows, as many times as an import job needs
    (counting, then validating): it holds one row at a time, never the file, so a job's file
    is bound by its size alone (no MAX_FILAS). The same rules as :func:`leer_tabla` otherwise:
    encoding, delimiter, header, limits per cell and column, row numbers."""

    def __init__(self, ruta: Path) -> None:
        self.ruta = ruta
        self.tamano = ruta.stat().st_size
        if self.tamano == 0:
            raise ErrorLectura(_VACIO)
        self.codificacion = _codificacion(ruta)
        with self._texto() as (_, texto):
            muestra = "".join(islice(texto, _LINEAS_MUESTRA))
        self.delimitador = _detectar_delimitador(muestra)
        self._leido = 0
        with self._texto() as (_, texto):
            self.encabezado, self._columnas = _encabezado(self._numerados(texto))
        self.columnas = [nombre for _, nombre in self._columnas]

    def recorrer(self) -> Iterator[Fila]:
        with self._texto() as (binario, texto):
            numerados = self._numerados(texto)
            _encabezado(numerados)
            for fila in _filas(numerados, self._columnas):
                self._leido = binario.tell()
                yield fila

    def estimar(self, leidas: int) -> int:
        """From the share of the file's bytes read so far (the reader's buffer ahead of it)."""
        return max(leidas, leidas * self.tamano // max(self._leido, 1))

    def _numerados(self, texto: IO[str]) -> Iterator[tuple[int, Sequence[Celda]]]:
        lector = csv.reader(texto, delimiter=self.delimitador, strict=True)
        return _vigilados(_registros_csv(lector), con_tope=False)

    @contextlib.contextmanager
    def _texto(self) -> Iterator[tuple[IO[bytes], IO[str]]]:
        errores = "replace" if self.codificacion == "utf-16" else "strict"
        with open(self.ruta, "rb") as binario:
            texto = io.TextIOWrapper(binario, self.codificacion, errores, newline="")
            try:
                yield binario, texto
            finally:
                texto.detach()


def _codificacion(ruta: Path) -> str:
    """As :func:`_decodificar` chooses, reading the file a piece at a time."""
    with open(ruta, "rb") as archivo:
        if archivo.read(2) in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            return "utf-16"
        for codificacion in ("utf-8-sig", "cp1252"):
            archivo.seek(0)
            decodificador = codecs.getincrementaldecoder(codificacion)()
            try:
                while trozo := archivo.read(_TROZO):
                    decodificador.decode(trozo)
                decodificador.decode(b"", final=True)
            except UnicodeDecodeError:
                continue
            return codificacion
    return "latin-1"


_DANADO = "no se pudo abrir el archivo XLSX: está dañado o no es un libro de Excel .xlsx"


def _leer_xlsx(datos: bytes) -> Tabla:
    if not datos:
        raise ErrorLectura(_VACIO)
    _inspeccionar_xlsx(datos)
    try:
        libro = load_workbook(io.BytesIO(datos), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged or non-XLSX content
        raise ErrorLectura(_DANADO) from exc
    try:
        if not libro.worksheets:
            raise ErrorLectura(_VACIO)
        hoja = libro.worksheets[0]
        hoja.reset_dimensions()  # stated dimensions are often wrong in files from other tools
        filas = ([_texto_celda(v) for v in fila] for fila in hoja.iter_rows(values_only=True))
        return _armar_tabla(filas)
    finally:
        libro.close()


def _inspeccionar_xlsx(datos: bytes) -> None:
    """Refuse a decompression bomb before openpyxl reads it. zipfile never inflates an entry
    past the size its directory declares, so the declared sizes bound all later work; then one
    streaming pass over every XML part (sheets, shared texts, which openpyxl loads whole, and
    any other it may parse) counts rows and looks for a text no cell can hold, in flat memory."""
    try:
        with zipfile.ZipFile(io.BytesIO(datos)) as archivo:
            expandido = sum(entrada.file_size for entrada in archivo.infolist())
            if expandido > MAX_XLSX_EXPANDIDO:
                raise ErrorLectura(
                    f"el XLSX ocupa {expandido // 2**20} MB al descomprimirlo: el límite es "
                    f"{MAX_XLSX_EXPANDIDO // 2**20} MB; divida el archivo"
                )
            for entrada in archivo.infolist():
                with archivo.open(entrada) as parte:
                    _recorrer_xml(parte)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ErrorLectura(_DANADO) from exc


def _recorrer_xml(parte: IO[bytes]) -> None:
    """Stream one part, if XML: refuse more rows than MAX_FILAS, more cells than MAX_CELDAS or
    a run of text longer than _TEXTO_XML. Each buffer is cut at its last "<", so no tag or text
    spans two of them; a run of 2 * _TEXTO_XML bytes without "<" always holds an aligned block
    of _TEXTO_XML."""
    trozo = parte.read(_TROZO_XML)
    if not trozo.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return  # an image or other binary part: openpyxl does not parse it
    filas = celdas = 0
    resto = b""
    while trozo:
        bloque = resto + trozo
        corte = max(bloque.rfind(b"<"), 0)
        for inicio in range(0, corte, _TEXTO_XML):
            if bloque.find(b"<", inicio, inicio + _TEXTO_XML) < 0:
                raise _texto_xml_largo()
        elementos = _FILA_O_CELDA_XML.findall(bloque, 0, corte)
        filas += elementos.count(b"row")
        celdas += len(elementos)
        if filas > MAX_FILAS + 1:
            raise _demasiadas_filas(MAX_FILAS)
        if celdas - filas > MAX_CELDAS:
            raise ErrorLectura(f"el archivo tiene más de {_miles(MAX_CELDAS)} celdas: divídalo")
        resto = bloque[corte:]
        if len(resto) > 2 * _TEXTO_XML:
            raise _texto_xml_largo()
        trozo = parte.read(_TROZO_XML)


def _texto_xml_largo() -> ErrorLectura:
    return ErrorLectura(
        f"el XLSX tiene un texto de más de {_TEXTO_XML // 1024} KB en una celda: el límite es "
        f"{_miles(MAX_CELDA)} caracteres por celda"
    )


def _texto_celda(valor: object) -> Celda:
    """A cell value as the text a person sees (without Excel's float artefacts)."""
    if valor is None:
        return None
    if isinstance(valor, bool):
        return "true" if valor else "false"
    if isinstance(valor, int):
        return str(valor)
    if isinstance(valor, float):  # 25.0 -> "25", 1e20 -> "100000000000000000000"
        return "0" if valor == 0 else format(Decimal(repr(valor)).normalize(), "f")
    if isinstance(valor, datetime):
        if valor.time() == time(0) and valor.tzinfo is None:
            return valor.date().isoformat()
        return valor.isoformat()
    if isinstance(valor, date | time):
        return valor.isoformat()
    return _limpiar(str(valor))


# --- assembling rows -----------------------------------------------------------------------


def _armar_tabla(registros: Iterable[Sequence[Celda]]) -> Tabla:
    """Header = first non-empty row; empty rows skipped but counted, so numbers match the sheet."""
    numerados = _vigilados(registros)
    fila_encabezado, columnas = _encabezado(numerados)
    tope = min(MAX_FILAS, MAX_CELDAS // len(columnas))
    filas: list[Fila] = []
    for fila in _filas(numerados, columnas):
        filas.append(fila)
        if len(filas) > tope:
            raise _demasiadas_filas(tope, len(columnas))
    return Tabla(
        columnas=[nombre for _, nombre in columnas], filas=filas, encabezado=fila_encabezado
    )


def _encabezado(
    numerados: Iterator[tuple[int, Sequence[Celda]]],
) -> tuple[int, list[tuple[int, str]]]:
    """The header's row number and its columns: the first non-empty record of ``numerados``."""
    primera = next(((n, celdas) for n, celdas in numerados if any(celdas)), None)
    if primera is None:
        raise ErrorLectura(_VACIO)
    return primera[0], _columnas(primera[1])


def _filas(
    numerados: Iterable[tuple[int, Sequence[Celda]]], columnas: list[tuple[int, str]]
) -> Iterator[Fila]:
    """The data rows under the header, one at a time; empty records skipped."""
    con_nombre = frozenset(indice for indice, _ in columnas)
    for numero, celdas in numerados:
        if not any(celdas):
            continue
        _verificar_sin_encabezado(numero, celdas, con_nombre)
        yield Fila(numero, {n: celdas[i] if i < len(celdas) else None for i, n in columnas})


def _vigilados(
    registros: Iterable[Sequence[Celda]], con_tope: bool = True
) -> Iterator[tuple[int, Sequence[Celda]]]:
    """Records numbered as the sheet numbers them, each refused as it arrives when it passes a
    limit: rows (MAX_FILAS; ``con_tope`` False: a file streamed from disk, bound by its size),
    columns, or the size of a cell. (What a stored value may hold, a NUL for one, is the input
    boundary's rule, geo.plataforma.entrada, applied to each imported field.)"""
    for numero, celdas in enumerate(registros, start=1):
        if con_tope and numero > MAX_FILAS + 1:
            raise _demasiadas_filas(MAX_FILAS)
        for indice, celda in enumerate(celdas):
            if celda is not None and (indice >= MAX_COLUMNAS or len(celda) > MAX_CELDA):
                raise _celda_no_valida(numero, indice, celda)
        yield numero, celdas


def _celda_no_valida(numero: int, indice: int, celda: str) -> ErrorLectura:
    letra = get_column_letter(indice + 1)
    if indice >= MAX_COLUMNAS:
        return ErrorLectura(
            f"la fila {numero} tiene un valor en la columna {letra}: el límite es "
            f"{MAX_COLUMNAS} columnas"
        )
    return ErrorLectura(
        f"la fila {numero}, columna {letra}, tiene {_miles(len(celda))} caracteres: el límite "
        f"por celda es {_miles(MAX_CELDA)}"
    )


def _columnas(encabezado: Sequence[Celda]) -> list[tuple[int, str]]:
    """(position, normalised name) of every non-empty header cell; rejects repeated names."""
    columnas: list[tuple[int, str]] = []
    originales: dict[str, list[str]] = {}
    for indice, texto in enumerate(encabezado):
        if texto is None:
            continue
        nombre = normalizar_encabezado(texto) or f"columna_{get_column_letter(indice + 1).lower()}"
        columnas.append((indice, nombre))
        originales.setdefault(nombre, []).append(texto)
    repetidas = {nombre: textos for nombre, textos in originales.items() if len(textos) > 1}
    if repetidas:
        detalle = "; ".join(
            f"{nombre} ({', '.join(repr(t) for t in textos)})"
            for nombre, textos in repetidas.items()
        )
        raise ErrorLectura(f"columnas repetidas en el encabezado: {detalle}")
    return columnas


def _verificar_sin_encabezado(
    numero: int, celdas: Sequence[Celda], con_nombre: frozenset[int]
) -> None:
    """A value in a column without header (blank header cell or past the last one) is an error."""
    for indice, celda in enumerate(celdas):
        if celda is not None and indice not in con_nombre:
            letra = get_column_letter(indice + 1)
            raise ErrorLectura(
                f"la fila {numero} tiene un valor en la columna {letra}, que no tiene encabezado"
            )


# --- numbers and dates ---------------------------------------------------------------------

_NUMERO = re.compile(
    r"(?P<signo>[+-]?)\s*(?:bs\.?\s*)?(?P<signo2>[+-]?)\s*(?P<cuerpo>[0-9.,]+)\s*(?:bs\.?)?",
    re.IGNORECASE,
)


def parse_decimal(texto: str | None) -> Decimal | None:
    """Bolivian and international notations: "1.234.567,89", "1,234,567.89", "Bs 25,5", "-12,5"."""
    if texto is None or not texto.strip():
        return None
    m = _NUMERO.fullmatch(texto.strip())
    canonico = _canonico(m.group("cuerpo")) if m else None
    if m is None or canonico is None or (m.group("signo") and m.group("signo2")):
        raise ValueError(f"número no válido: '{texto}'")
    return Decimal(f"{m.group('signo') or m.group('signo2')}{canonico}")


def _canonico(cuerpo: str) -> str | None:
    """Digits and separators -> "1234567.89", or None when the grouping makes no sense."""
    puntos, comas = cuerpo.count("."), cuerpo.count(",")
    if puntos and comas:
        decimal_sep = "." if cuerpo.rfind(".") > cuerpo.rfind(",") else ","
        entero, _, fraccion = cuerpo.rpartition(decimal_sep)
        return _unir(entero, fraccion, "," if decimal_sep == "." else ".")
    separador = "." if puntos else ","
    cantidad = puntos or comas
    if cantidad == 0:
        return _unir(cuerpo, None, None)
    if cantidad == 1:  # a single separator is decimal: "1,234" -> 1.234, "25,5" -> 25.5
        entero, _, fraccion = cuerpo.partition(separador)
        return _unir(entero, fraccion, None)
    return _unir(cuerpo, None, separador)  # repeated: grouping only, "1.234.567"


def _unir(entero: str, fraccion: str | None, grupo: str | None) -> str | None:
    if grupo is not None and grupo in entero:
        if not re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(grupo)}[0-9]{{3}})+", entero):
            return None
        entero = entero.replace(grupo, "")
    if not re.fullmatch(r"[0-9]*", entero):
        return None
    if fraccion is None:
        return entero or None
    if not re.fullmatch(r"[0-9]+", fraccion):
        return None
    return f"{entero or '0'}.{fraccion}"


_FECHA_DMA = re.compile(
    r"([0-9]{1,2})([/.-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?"
)


def parse_fecha(texto: str | None) -> date | None:
    """ISO "2026-03-15" (or ISO date-time) and day-first "15/03/2026", "15-03-2026", "15/03/26"."""
    if texto is None or not texto.strip():
        return None
    limpio = texto.strip()
    mensaje = f"fecha no válida: '{texto}' (use AAAA-MM-DD o DD/MM/AAAA)"
    try:
        if re.match(r"[0-9]{4}-", limpio):
            return datetime.fromisoformat(limpio).date()
        partes = _FECHA_DMA.fullmatch(limpio)
        if partes is None:
            raise ValueError(mensaje)
        anio = int(partes.group(4))
        anio = anio + 2000 if len(partes.group(4)) == 2 else anio
        return date(anio, int(partes.group(3)), int(partes.group(1)))
    except ValueError:
        raise ValueError(mensaje) from None


# --- coordinates ---------------------------------------------------------------------------

_PARES_LON_LAT = (("lon", "lat"), ("longitud", "latitud"), ("longitude", "latitude"), ("x", "y"))
_COLUMNAS_GEOPOINT = ("ubicacion", "geopoint", "gps", "punto", "coordenadas")
_KOBO_SEPARADAS = re.compile(r"_(.+)_(?:latitude|longitude)")
_COORDENADA = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")
_NULOS = ("", "null", "none", "nan")
# Strict shape for the unnamed-column fallback: "lat lon [alt [acc]]", lat/lon with decimals.
_GEOPOINT = re.compile(
    r"[+-]?[0-9]{1,2}[.,][0-9]+\s+[+-]?[0-9]{1,3}[.,][0-9]+(?:\s+[+-]?[0-9]+(?:[.,][0-9]+)?){0,2}"
)


def coordenadas(valores: dict[str, str | None]) -> Coordenadas:
    """(lon, lat, error) from lon/lat columns, Kobo ``_geolocation``, Kobo split columns or an
    ODK geopoint, in that order; the first shape with a value decides. No range checks here."""
    for forma in (_de_columnas, _de_geolocation, _de_kobo_separadas, _de_geopoint):
        resultado = forma(valores)
        if resultado is not None:
            return resultado
    return (None, None, None)


def _valor(valores: dict[str, str | None], columna: str) -> str | None:
    texto = valores.get(columna)
    return texto.strip() if texto is not None and texto.strip() else None


def _punto(lon_texto: str | None, lat_texto: str | None) -> Coordenadas:
    if lat_texto is None:
        return (None, None, "falta la latitud")
    if lon_texto is None:
        return (None, None, "falta la longitud")
    for texto in (lon_texto, lat_texto):
        if not _COORDENADA.fullmatch(texto.strip()):
            return (None, None, f"coordenada no numérica: '{texto}'")
    # Both matched _COORDENADA: digits with at most one separator, which is the decimal one
    # whether it is a point or a comma (as parse_decimal reads them); float reads the same
    # number from it with the point (the general parser took a quarter of the time a large
    # import spent converting its rows).
    return (_numero_simple(lon_texto), _numero_simple(lat_texto), None)


def _numero_simple(texto: str) -> float:
    return float(texto.strip().replace(",", "."))


def _de_columnas(valores: dict[str, str | None]) -> Coordenadas | None:
    for lon, lat in _PARES_LON_LAT:
        lon_texto, lat_texto = _valor(valores, lon), _valor(valores, lat)
        if lon_texto is not None or lat_texto is not None:
            return _punto(lon_texto, lat_texto)
    return None


def _de_geolocation(valores: dict[str, str | None]) -> Coordenadas | None:
    """Kobo's ``_geolocation`` is ``[lat, lon]`` (latitude first), possibly ``[null, null]``."""
    texto = _valor(valores, "_geolocation")
    if texto is None:
        return None
    if _anidamiento(texto) > PROFUNDIDAD_MAX:  # json.loads would recurse until it fails
        return (None, None, f"_geolocation anidado a más de {PROFUNDIDAD_MAX} niveles")
    partes = _partes_lista(texto)
    if len(partes) != 2:
        return (None, None, f"coordenada no numérica: '{texto}'")
    lat_texto, lon_texto = partes
    if lat_texto is None and lon_texto is None:
        return None
    return _punto(lon_texto, lat_texto)


def _partes_lista(texto: str) -> list[str | None]:
    try:
        lista = json.loads(texto)
    except ValueError:
        lista = _separar(texto)
    if not isinstance(lista, list):
        return [texto]
    partes = [None if p is None else str(p).strip() for p in lista]
    return [None if p is None or p.lower() in _NULOS else p for p in partes]


def _anidamiento(texto: str) -> int:
    """How deep the brackets of a JSON text go, strings aside, without parsing it."""
    nivel = maximo = 0
    en_cadena = escapado = False
    for c in texto:
        if en_cadena:
            escapado, en_cadena = (False, True) if escapado else (c == "\\", c != '"')
        elif c == '"':
            en_cadena = True
        elif c in "[{":
            nivel += 1
            maximo = max(maximo, nivel)
        elif c in "]}":
            nivel -= 1
    return maximo


def _separar(texto: str) -> list[str]:
    """Split "a b c", "a, b", "a;b" or "a.b,c.d" (a lone comma between dotted numbers)."""
    limpio = texto.strip().strip("[]()").strip()
    if ";" in limpio:
        partes = limpio.split(";")
    elif re.search(r",\s", limpio) or ("." in limpio and "," in limpio):
        partes = limpio.split(",")
    else:
        partes = limpio.split()
    return [parte.strip() for parte in partes]


def _de_kobo_separadas(valores: dict[str, str | None]) -> Coordenadas | None:
    """Kobo split columns ``_<q>_latitude`` / ``_<q>_longitude`` for any question ``<q>``."""
    preguntas = dict.fromkeys(
        m.group(1) for columna in valores if (m := _KOBO_SEPARADAS.fullmatch(columna))
    )
    for pregunta in preguntas:
        lat_texto = _valor(valores, f"_{pregunta}_latitude")
        lon_texto = _valor(valores, f"_{pregunta}_longitude")
        if lon_texto is not None or lat_texto is not None:
            return _punto(lon_texto, lat_texto)
    return None


def _de_geopoint(valores: dict[str, str | None]) -> Coordenadas | None:
    """ODK geopoint "lat lon [alt [acc]]" in a named column; else in the single column that
    holds one (strict shape), so free-text "ubicacion" values are not taken for points."""
    for columna in _COLUMNAS_GEOPOINT:
        texto = _valor(valores, columna)
        if texto is not None and re.match(r"[\[(]?\s*[+-]?[0-9]", texto):
            return _geopoint(texto)
    candidatos = [t for t in valores.values() if t is not None and _GEOPOINT.fullmatch(t.strip())]
    return _geopoint(candidatos[0]) if len(candidatos) == 1 else None


def _geopoint(texto: str) -> Coordenadas:
    partes = _separar(texto)
    if not 2 <= len(partes) <= 4:
        return (None, None, f"coordenada no numérica: '{texto}'")
    return _punto(partes[1], partes[0])
