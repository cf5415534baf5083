"""Bulk import of alliances (for the CLI and the API) from what offices export: CSV (UTF-8
or Latin-1, comma or semicolon), XLSX, and KoboToolbox/ODK exports. All or nothing: one bad
row and nothing is written; the report names every bad row, its column and the reason. A file
without data rows is refused, never reported as written. Re-importing the same file changes
nothing (upsert by program + code, only where a value differs): offices re-send their master
spreadsheet every month, so an unchanged row is "sin cambios" whatever its verification state,
and only a real change to a validated (or, for a técnico, verified) alliance is refused, naming
each field it would change.

An export of the field form (geo/registro/formularios_campo.py) reads as KoboToolbox or ODK
Central give it: headers as the questions' names or labels, under their groups or not (see
geo/formatos/kobo.py), choices as codes or labels. Its photos are not imported (they stay on
the Kobo server): the report lists each row's file names.

How it scales (issue 17): the rows are read twice, as a stream when the file is an import
job's CSV on disk (geo/formatos/lectura.py ``CsvEnDisco``). The first pass counts them and
finds the codes the file repeats (keeping a hash per row, not the row); the second converts,
validates, locates and stages them into a temporary table one block at a time (the rows of a
repeated code together in a last block, so that the repeat is named), and compares and writes
each block with a few set-based statements as soon as it is staged, until a row is wrong (then
the rest is only checked, for the report, and what was written is rolled back). While the
database stages and writes a block, a worker thread reads and converts the next one and
locates its points on a second session, so that Python's work, the locating and the writing
overlap. JIT compilation is off for the import's
statements (:func:`geo.plataforma.db.sin_jit`). All of it happens in the caller's one
transaction: all or nothing. Python holds one block, never the file's rows; the report
keeps the bad rows' errors only (at most ``max_errores``); the numbers, dates and models a file
repeats are parsed once (:class:`Conversor`)."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Connection, text

from geo.acceso.alcance import Alcance, fijar
from geo.formatos import kobo
from geo.formatos.lectura import Fila as FilaLeida
from geo.formatos.lectura import (
    Origen,
    coordenadas,
    normalizar_encabezado,
    parse_decimal,
    parse_fecha,
)
from geo.plataforma.db import lectura, sin_jit
from geo.plataforma.errors import EntradaInvalida
from geo.registro.alianzas import (
    AlianzaValida,
    ErrorFila,
    Esquemas,
    Fila,
    Programa,
    esquemas,
    ubicar,
    validar_esquemas,
)
from geo.registro.escritura import (
    Cambio,
    Escritura,
    bloquear,
    cambios_preparados,
    cargar,
    escribir_rango,
    preparar,
)
from geo.registro.formularios_campo import (
    ETIQUETA_FOTO,
    FOTO,
    GRUPOS,
    PREGUNTAS_ALIANZA,
)
from geo.territorio.ubicacion_lote import Ubicacion
from geo.vocabulario.catalogos import CAMPOS_ALIANZA, MODELOS, resolver

# Field -> the header names (normalised) an office may use for it.
_ALIAS: dict[str, tuple[str, ...]] = {
    "codigo": ("codigo", "codigo_alianza", "cod_alianza", "id_alianza"),
    "nombre": ("nombre", "nombre_alianza", "alianza", "nombre_de_la_alianza"),
    "organizacion": ("organizacion", "opp", "organizacion_de_productores", "nombre_opp"),
    "comprador": ("comprador", "empresa_compradora"),
    "sector": ("sector", "rubro_sector"),
    "modelo": ("modelo", "modelo_alianza"),
    "financiamiento": ("financiamiento", "fuente_financiamiento"),
    "convocatoria": ("convocatoria",),
    "etapa": ("etapa", "estado", "etapa_ciclo"),
    "fecha_etapa": ("fecha_etapa", "fecha_estado"),
    "fecha_solicitud": ("fecha_solicitud",),
    "familias": ("familias", "n_familias", "nro_familias", "familias_beneficiarias"),
    "familias_mujeres": ("familias_mujeres", "familias_representadas_por_mujeres", "mujeres"),
    "hectareas_riego": ("hectareas_riego", "ha_riego", "hectareas", "superficie_riego_ha"),
    "monto_par_comprometido_bs": (
        "monto_par_comprometido_bs",
        "par_comprometido_bs",
        "monto_comprometido_bs",
        "comprometido_bs",
    ),
    "monto_contraparte_comprometido_bs": (
        "monto_contraparte_comprometido_bs",
        "contraparte_comprometido_bs",
        "contraparte_bs",
    ),
    "monto_solicitado_bs": ("monto_solicitado_bs", "solicitado_bs"),
    "monto_transferido_bs": ("monto_transferido_bs", "transferido_bs"),
    "monto_descargado_bs": ("monto_descargado_bs", "descargado_bs", "monto_rendido_bs"),
    "municipio_codigo": (
        "municipio_codigo",
        "codigo_municipio",
        "cod_municipio",
        "cod_ine",
        "codigo_ine",
    ),
}
# ... and the labels of the field form's questions, which head an export "with labels".
ALIAS = {
    campo: tuple(dict.fromkeys((*nombres, normalizar_encabezado(CAMPOS_ALIANZA[campo]))))
    if campo in PREGUNTAS_ALIANZA
    else nombres
    for campo, nombres in _ALIAS.items()
}
# The form's photo, by its name and by its label.
FOTOS = (FOTO, normalizar_encabezado(ETIQUETA_FOTO))
MODELOS_TEXTO = {str(codigo): nombre for codigo, nombre in MODELOS.items()}
ENTEROS = ("familias", "familias_mujeres", "modelo")
DECIMALES = ("hectareas_riego", *(c for c in ALIAS if c.startswith("monto_")))
FECHAS = ("fecha_etapa", "fecha_solicitud")
COORDENADAS = (
    "lon",
    "lat",
    "longitud",
    "latitud",
    "longitude",
    "latitude",
    "x",
    "y",
    "ubicacion",
    "geopoint",
    "gps",
    "punto",
    "coordenadas",
)

PASOS = ("Leyendo filas", "Validando, ubicando y escribiendo")
Avance = Callable[[str], None]
# progreso(hechas, filas): the rows done in the current step (PASOS) out of the file's rows, told
# every CADA rows while grouping them, and after each block checked and written.
Progreso = Callable[[int, int], None]
CADA = 1000
# Rows converted, validated, located and staged at a time (what Python holds of a file).
BLOQUE = 10_000


class ArchivoSinFilas(EntradaInvalida):
    """A file with a header and nothing under it: an import that would do nothing (422)."""

    codigo = "sin-filas"
    titulo = "El archivo no tiene filas de datos"


@dataclass
class Informe:
    archivo: str
    programa: str
    simulacro: bool
    filas: int = 0
    insertadas: int = 0
    actualizadas: int = 0
    sin_cambios: int = 0
    escrito: bool = False
    errores: list[dict[str, Any]] = field(default_factory=list)
    avisos: list[str] = field(default_factory=list)
    # Per row with files (a Kobo export's photos): {"fila", "codigo", "archivos": [names]}.
    adjuntos: list[dict[str, Any]] = field(default_factory=list)

    def anotar_adjuntos(self) -> None:
        """Say that the files a Kobo export names were not brought in, and why."""
        if self.adjuntos:
            n = sum(len(a["archivos"]) for a in self.adjuntos)
            self.avisos.append(
                f"{len(self.adjuntos)} filas nombran {n} archivos adjuntos (fotos): quedan en "
                "el servidor de KoboToolbox, que la importación no consulta; descárguelos de "
                "allí y súbalos en la ficha de cada registro"
            )

    def como_dict(self) -> dict[str, Any]:
        return asdict(self)


def mapa_columnas(columnas: list[str]) -> tuple[dict[str, str], list[str]]:
    """Field -> file column, and the columns nothing reads (reported, Kobo metadata aside)."""
    mapa: dict[str, str] = {}
    for campo, alias in ALIAS.items():
        hallada = next((c for c in alias if c in columnas), None)
        if hallada:
            mapa[campo] = hallada
    usadas = set(mapa.values()) | set(COORDENADAS)
    sobrantes = [
        c
        for c in columnas
        if c not in usadas and not c.startswith("_") and not kobo.es_de_kobo(c, FOTOS)
    ]
    return mapa, sobrantes


class Conversor:
    """Converts file rows (:func:`convertir`), remembering each number, date and model it has
    parsed: an office's file repeats them (stages, models, family counts, amounts), and a
    parse is pure (a date is checked against today, the same for the whole import)."""

    TOPE = 100_000  # values remembered at most (memory stays flat on any file)

    def __init__(self, mapa: dict[str, str]) -> None:
        self.mapa = mapa
        self._vistos: dict[tuple[str, str], Any] = {}

    def __call__(self, valores: dict[str, str | None]) -> tuple[dict[str, Any], dict[str, str]]:
        return convertir(valores, self.mapa, self._valor)

    def _valor(self, campo: str, texto: str) -> Any:
        if campo not in _PARSEADOS:
            return texto
        clave = (campo, texto)
        hallado = self._vistos.get(clave, _NADA)
        if hallado is _NADA:
            try:
                hallado = _valor(campo, texto)
            except ValueError as exc:
                hallado = _Rechazo(str(exc))
            if len(self._vistos) >= self.TOPE:
                self._vistos.clear()
            self._vistos[clave] = hallado
        if isinstance(hallado, _Rechazo):
            raise ValueError(hallado.mensaje)  # a new one: a raised exception keeps its frames
        return hallado


@dataclass(frozen=True)
class _Rechazo:
    """Why a value does not parse, as the :class:`Conversor` remembers it."""

    mensaje: str


def convertir(
    valores: dict[str, str | None],
    mapa: dict[str, str],
    valor: Callable[[str, str], Any] | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """A file row as the fields of an alliance, parsing Bolivian numbers and dates."""
    leer = valor or _valor
    datos: dict[str, Any] = {}
    errores: dict[str, str] = {}
    for campo, columna in mapa.items():
        texto = valores.get(columna)
        if texto is None:
            continue
        try:
            datos[campo] = leer(campo, texto)
        except ValueError as exc:
            errores[campo] = str(exc)
    lon, lat, error = coordenadas(valores)
    if error:
        errores["lon"] = error
    elif lon is not None:
        datos["lon"], datos["lat"] = lon, lat
    return datos, errores


def _valor(campo: str, texto: str) -> Any:
    if campo == "modelo" and (codigo := resolver(texto, MODELOS_TEXTO)) is not None:
        return int(codigo)  # by its label, as a Kobo export "with labels" gives it
    if campo in FECHAS:
        return parse_fecha(texto)
    if campo in ENTEROS or campo in DECIMALES:
        numero = parse_decimal(texto)
        if campo in ENTEROS and numero is not None:
            if numero != numero.to_integral_value():
                raise ValueError(f"debe ser un número entero: '{texto}'")
            return int(numero)
        return numero if numero is None else Decimal(numero)
    return texto


_PARSEADOS = frozenset((*ENTEROS, *DECIMALES, *FECHAS))
_NADA = object()


def importar_alianzas(
    conn: Connection,
    prog: Programa,
    tabla: Origen,
    *,
    archivo: str,
    tolerancia_m: float,
    simulacro: bool = False,
    usuario: str = "importacion",
    avance: Avance | None = None,
    alcance: Alcance | None = None,
    progreso: Progreso | None = None,
    max_errores: int | None = None,
) -> Informe:
    """Import ``tabla`` (see the module's docstring): a :class:`Tabla` in memory or a file read
    from disk as a stream (an import job's). ``avance`` is told each step's name, ``progreso``
    the rows done within it. A first pass counts the rows and finds the codes the file
    repeats; a second converts, validates, locates, stages, compares and writes them in blocks
    of BLOQUE: Python holds one block at a time, and everything happens in the caller's one
    transaction. ``max_errores``: the report lists at most that many errors (and says how many
    there are)."""
    paso = avance or (lambda _m: None)
    paso(PASOS[0])
    origen = _sin_grupos(tabla)
    mapa, sobrantes = mapa_columnas(origen.columnas)
    filas, repetidos = _contar(origen, mapa.get("codigo"), progreso)
    if not filas:
        raise ArchivoSinFilas(sin_filas(tabla))
    informe = Informe(archivo=archivo, programa=prog.codigo, simulacro=simulacro, filas=filas)
    if sobrantes:
        informe.avisos.append(f"columnas no usadas: {', '.join(sobrantes)}")
    paso(PASOS[1])
    with conn.begin_nested() as punto:
        fijar(conn, alcance or Alcance(usuario))
        sin_jit(conn)
        errores = _Errores(mapa, max_errores)
        bloques = por_codigo(origen.recorrer(), mapa.get("codigo"), repetidos)
        conversor = Conversor(mapa)
        with lectura(conn.engine) as aparte:  # where the blocks are located (see Lector)
            sin_jit(aparte)
            adjuntos = kobo.con_archivos(origen.columnas, FOTOS)
            leer = Lector(conversor, informe, aparte, prog.cartografia, tolerancia_m, adjuntos)
            escritura = _validar_y_escribir(
                conn, prog, map(leer, bloques), informe, tolerancia_m, alcance, progreso, errores
            )
        if errores.total:
            errores.informar(informe)
            punto.rollback()
            return informe
        if simulacro:
            punto.rollback()
    informe.insertadas, informe.actualizadas = escritura.insertadas, escritura.actualizadas
    informe.sin_cambios = escritura.sin_cambios
    informe.escrito = not simulacro
    return informe


def sin_filas(tabla: Origen) -> str:
    return (
        f"el archivo no tiene filas de datos debajo del encabezado (fila {tabla.encabezado})"
        ": no se importó nada"
    )


class _SinGrupos:
    """A file's rows with the form's group names taken off their columns (kobo.sin_grupos),
    renamed one row at a time as they are read."""

    def __init__(self, origen: Origen, nuevos: dict[str, str]) -> None:
        self.origen = origen
        self.nuevos = nuevos
        self.columnas = [nuevos[c] for c in origen.columnas]
        self.encabezado = origen.encabezado

    def recorrer(self) -> Iterator[FilaLeida]:
        for f in self.origen.recorrer():
            yield FilaLeida(f.numero, {self.nuevos[c]: v for c, v in f.valores.items()})

    def estimar(self, leidas: int) -> int:
        return self.origen.estimar(leidas)


def _sin_grupos(origen: Origen) -> Origen:
    nuevos = kobo.nombres_sin_grupos(origen.columnas, GRUPOS)
    return origen if all(c == n for c, n in nuevos.items()) else _SinGrupos(origen, nuevos)


def _codigo(fila: FilaLeida, columna: str | None) -> str:
    """The row's code as the schema reads it (trimmed); "" for none."""
    return (fila.valores.get(columna) or "").strip() if columna else ""


def _contar(
    origen: Origen, columna: str | None, progreso: Progreso | None
) -> tuple[int, frozenset[int]]:
    """The first pass: the file's data rows, and the hashes of the codes that more than one
    row holds. It keeps 8 bytes per row with a code (the code's hash), never the rows."""
    hashes = array("q")
    n = 0
    for n, f in enumerate(origen.recorrer(), start=1):
        if texto := _codigo(f, columna):
            hashes.append(hash(texto))
        if progreso and n % CADA == 0:
            progreso(n, origen.estimar(n))
    if progreso:
        progreso(n, n)
    valores, veces = np.unique(np.frombuffer(hashes, dtype=np.int64), return_counts=True)
    return n, frozenset(valores[veces > 1].tolist())


def por_codigo(
    filas: Iterable[FilaLeida], columna: str | None, repetidos: frozenset[int]
) -> Iterator[list[FilaLeida]]:
    """The file's rows in blocks of BLOQUE, in the file's order, as they are read; the rows of
    a code the file repeats (``repetidos``: hashes, see :func:`_contar`) held back and given
    together in a last block, so that the repeat is found (such a file writes nothing)."""
    bloque: list[FilaLeida] = []
    aparte: list[FilaLeida] = []
    for f in filas:
        texto = _codigo(f, columna)
        if texto and hash(texto) in repetidos:
            aparte.append(f)
            continue
        bloque.append(f)
        if len(bloque) >= BLOQUE:
            yield bloque
            bloque = []
    if bloque:
        yield bloque
    if aparte:
        yield aparte


class _Errores:
    """The report's errors as they are found, each with what its row holds (taken while the
    row's block is in memory); past ``tope`` they are only counted."""

    def __init__(self, mapa: dict[str, str], tope: int | None) -> None:
        self.mapa = mapa
        self.tope = tope
        self.total = 0
        self.filas: list[tuple[int, str, dict[str, Any]]] = []

    def anotar(self, errores: list[ErrorFila], celdas: dict[int, dict[str, str | None]]) -> None:
        for e in errores:
            self.total += 1
            if self.tope is None or len(self.filas) < self.tope:
                valores = celdas.get(e.fila or 0, {})
                self.filas.append((e.fila or 0, e.campo, fila_del_informe(e, self.mapa, valores)))

    def informar(self, informe: Informe) -> None:
        self.filas.sort(key=lambda x: (x[0], x[1]))
        informe.errores = [d for _, _, d in self.filas]
        if self.total > len(self.filas):
            informe.avisos.append(
                f"el archivo tiene {self.total} errores: el informe muestra {len(self.filas)}; "
                "corríjalos y envíe el archivo de nuevo para ver los demás"
            )


def _validar_y_escribir(
    conn: Connection,
    prog: Programa,
    leidos: Iterator[Leido],
    informe: Informe,
    tolerancia_m: float,
    alcance: Alcance | None,
    progreso: Progreso | None,
    errores: _Errores,
) -> Escritura:
    """Validate, stage, compare and write each block (see :func:`importar_alianzas`), read,
    converted and located ahead (``leidos``, :class:`Lector`), its errors to ``errores`` with
    the cells of their rows. A block is written as soon as it is checked, while the next one is
    read, converted and located, so that the database's writing overlaps Python's reading and
    the other session's locating instead of following them; once a row is wrong nothing more
    is written (the caller rolls back what was). Answers what was written."""
    preparar(conn)
    bloquear(conn, prog)  # what each block is compared with stays as compared until it is written
    escritura = Escritura(0, 0, 0, {})
    preparadas = hechas = 0
    for bloque, malas, leidas, ubicadas in _por_delante(leidos):
        lote = validar_esquemas(conn, prog, leidas, tolerancia_m, ubicadas=ubicadas)
        malas += lote.errores
        if alcance:
            malas += fuera_de_unidad(conn, prog, alcance, lote.validas)
        # Staged and compared even once a row is wrong (then nothing is written), so that the
        # report also names the refused changes of the rows after it.
        desde, preparadas = preparadas, preparadas + len(lote.validas)
        cargar(conn, lote.validas, desde)
        cambios = cambios_preparados(conn, prog, desde, preparadas)
        malas += cambios_rechazados(alcance, cambios)
        if malas:
            numeros = {e.fila for e in malas}
            errores.anotar(malas, {f.numero: f.valores for f in bloque if f.numero in numeros})
        if not errores.total:
            escritura.sumar(escribir_rango(conn, prog, desde, preparadas, cambios))
        hechas += len(bloque)
        if progreso:
            progreso(hechas, informe.filas)
    conn.execute(text("DROP TABLE _carga_alianza"))
    informe.anotar_adjuntos()
    return escritura


# A block as read ahead: its rows, their conversion errors, the rows as the schema reads them and
# their places by row number.
Leido = tuple[list[FilaLeida], list[ErrorFila], Esquemas, dict[int | None, Ubicacion]]


@dataclass
class Lector:
    """Reads a block ahead (on the worker thread of :func:`_por_delante`): converts it, checks
    it against the schema (all that needs no database) and locates its rows' points on
    ``aparte``, a session of its own (the boundaries are the same for every session), while
    the import's session writes the block before."""

    conversor: Conversor
    informe: Informe
    aparte: Connection
    cartografia: str
    tolerancia_m: float
    adjuntos: bool  # False: the file has no column that names files (kobo.con_archivos)

    def __call__(self, bloque: list[FilaLeida]) -> Leido:
        malas: list[ErrorFila] = []
        filas = _convertir(bloque, self.conversor, self.informe, malas, self.adjuntos)
        leidas = esquemas(filas)
        lugares = ubicar(self.aparte, self.cartografia, leidas.entradas, self.tolerancia_m)
        ubicadas = {fila: u for (fila, _), u in zip(leidas.entradas, lugares, strict=True)}
        return bloque, malas, leidas, ubicadas


T = TypeVar("T")
_FIN = object()  # the end of the items (``next``'s default)


def _por_delante(pasos: Iterator[T]) -> Iterator[T]:
    """The items of ``pasos``, each computed on a worker thread while the caller works on the
    one before: the next block is read and converted (Python) while the database locates and
    stages this one, so the two overlap instead of adding up (bench/RESULTS.md, section 7).
    One thread calls ``next``, one call at a time; leaving early waits for the one item under
    way."""
    with ThreadPoolExecutor(1, thread_name_prefix="sigg-importacion") as hilo:
        futuro = hilo.submit(next, pasos, _FIN)
        while (item := futuro.result()) is not _FIN:
            futuro = hilo.submit(next, pasos, _FIN)
            yield item  # type: ignore[misc]


def _convertir(
    bloque: list[FilaLeida],
    conversor: Conversor,
    informe: Informe,
    errores: list[ErrorFila],
    adjuntos: bool,
) -> list[Fila]:
    """A block's rows as alliance fields (those that read well); the errors of the others go
    to ``errores``, the files each row names to ``informe`` (``adjuntos`` False: the file has
    no column that could name one, so no row is looked at for them)."""
    filas: list[Fila] = []
    for f in sorted(bloque, key=lambda f: f.numero):
        datos, errs = conversor(f.valores)
        errores += [ErrorFila(f.numero, c, m, datos.get("codigo")) for c, m in errs.items()]
        if not errs:
            filas.append((f.numero, datos))
        if adjuntos and (nombres := kobo.archivos(f.valores, FOTOS)):
            informe.adjuntos.append(
                {"fila": f.numero, "codigo": datos.get("codigo"), "archivos": nombres}
            )
    return filas


def cambios_rechazados(alcance: Alcance | None, cambios: dict[str, Cambio]) -> list[ErrorFila]:
    """Rows this caller may not write although they are valid: a real change to a validated
    alliance (anyone: the database would refuse it) or, for a técnico, to a verified one. An
    unchanged row writes nothing, so its alliance's state does not matter. (Rows outside the
    user's unit: :func:`fuera_de_unidad`.)"""
    errores: list[ErrorFila] = []
    for codigo, cambio in cambios.items():
        if cambio.estado == "validado":
            motivo = (
                "la alianza está validada: la coordinación nacional debe reabrirla antes de "
                "cambiarla"
            )
        elif alcance is not None and alcance.rol == "tecnico" and cambio.estado == "verificado":
            motivo = "la alianza ya fue verificada: un técnico cambia solo borradores"
        else:
            continue
        errores += [
            ErrorFila(
                cambio.fila, campo, f"{motivo} (cambiaría {_o_vacio(a)} → {_o_vacio(d)})", codigo
            )
            for campo, (a, d) in cambio.campos.items()
        ]
    return errores


def fuera_de_unidad(
    conn: Connection, prog: Programa, alcance: Alcance, validas: list[AlianzaValida]
) -> list[ErrorFila]:
    """Rows in a municipality of another unit than the user's (national coordination: none).
    One query for the whole batch."""
    if alcance.nacional:
        return []
    unidades: dict[str, str] = dict(
        conn.execute(
            text(
                "SELECT codigo, unidad_operativa_codigo FROM municipio "
                "WHERE cartografia = :v AND codigo = ANY(:c)"
            ),
            {"v": prog.cartografia, "c": list({v.municipio_codigo for v in validas})},
        ).all()
    )
    return [
        ErrorFila(
            v.fila,
            "municipio_codigo",
            f"el municipio {v.municipio_codigo} es de la unidad {unidad}; "
            f"su unidad es {alcance.unidad}",
            v.entrada.codigo,
        )
        for v in validas
        if (unidad := unidades.get(v.municipio_codigo)) != alcance.unidad
    ]


def _o_vacio(valor: str | None) -> str:
    return "(vacío)" if valor is None else valor


def fila_del_informe(
    e: ErrorFila, mapa: dict[str, str], valores: dict[str, str | None]
) -> dict[str, Any]:
    """An error as the report shows it: the row, the file's column, what the row holds there."""
    columna = mapa.get(e.campo, e.campo)
    return {
        "fila": e.fila,
        "columna": columna,
        "valor": _valor_en(valores, columna),
        "mensaje": e.mensaje,
        "codigo": e.codigo,
    }


def _valor_en(valores: dict[str, str | None], columna: str) -> str | None:
    """What the row holds in ``columna``; for a point, what its coordinate columns hold (a
    Kobo ``_geolocation``, an ODK geopoint or a lat/lon pair), so the person sees the point."""
    if columna not in ("lon", "lat"):
        return valores.get(columna)
    de_kobo = ("_geolocation", "_latitude", "_longitude")
    puntos = [
        f"{c}: {v}" for c, v in valores.items() if v and (c in COORDENADAS or c.endswith(de_kobo))
    ]
    return "; ".join(puntos) or valores.get(columna)
