"""Attachments (issue 14): the photos and documents of an alliance, a municipal subproject, a
complaint, or one monitoring cycle of an alliance. The API calls these use cases; each raises
domain errors and leaves the commit to its caller.

- Stored in the database with the record (migration 0008): an upload is in the transaction of
  the request, and a backup carries the files.
- The type is what the content is (geo/formatos/imagenes.py), never the name: an executable
  renamed ``.jpg`` is refused (415); past 20 MB, 413.
- Seeing follows the record: whoever may not see it gets 404 for its attachments too. The
  public sees only the photos of validated alliances and subprojects, re-encoded without
  metadata, and never the documents (agreements and receipts carry personal data), the EXIF
  position, nor who uploaded them. Complaints and monitoring are staff only, as they are.
- Attaching and removing follow the record's writing rules: staff of its unit (national
  coordination: any), a técnico only on drafts, and a validated alliance or subproject is
  locked (409) until national coordination reopens it; monitoring goes on after validation, so
  its cycles are not locked; an answered complaint is closed (409). The database's guard
  trigger holds the unit and the lock whatever path writes.
- An attachment is not a field of its record: attaching or removing one neither bumps the
  record's version nor needs If-Match (a colleague editing the record at the same time loses
  nothing), and no aggregate depends on it. The record's row is locked FOR SHARE for the
  transaction, so it cannot be validated (or deleted) between the check and the insert.
- The EXIF position of a photo is located in the territory: a photo taken outside the record's
  municipality is flagged (``fuera_de_municipio``), not refused; one without GPS is neither."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from geo.acceso.alcance import (
    VERIFICADAS,
    Alcance,
    comprobar_borrador,
    comprobar_unidad,
    exigir_personal,
    fijar,
)
from geo.acceso.alcance import puede_ver as puede_ver_registro
from geo.formatos.imagenes import EXTENSIONES, JPEG, PDF, examinar, version_publica
from geo.plataforma.errors import Conflicto, EntradaInvalida, NoEncontrado
from geo.territorio.ubicacion import ubicar

# recurso -> the owner's table (trusted names: they are written into SQL) and how to name it.
DUENOS = {
    "alianza": ("alianza", "la alianza"),
    "subproyecto_municipal": ("subproyecto_municipal", "el subproyecto"),
    "reclamo": ("reclamo", "el reclamo"),
    "seguimiento_alianza": ("alianza", "el seguimiento de la alianza"),
}
SOLO_PERSONAL = ("reclamo", "seguimiento_alianza")
_LARGO_NOMBRE = 200
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# The owner of attachments: its code, state, municipality (with the cartography its EXIF points
# are located in) and unit; for a monitoring cycle, whether the alliance has that cycle.
_DUENO = """
SELECT r.id, r.codigo, r.estado, r.cartografia, r.municipio_codigo,
       m.nombre AS municipio_nombre, m.unidad_operativa_codigo AS unidad, {ciclo} AS hay_ciclo
FROM {tabla} r
JOIN municipio m ON m.cartografia = r.cartografia AND m.codigo = r.municipio_codigo
WHERE r.id = :i {bloqueo}
"""
_CICLO = "EXISTS (SELECT 1 FROM seguimiento s WHERE s.alianza_id = r.id AND s.ciclo = :c)"

# One record's attachments as staff see them, without reading the files' bytes.
_LISTA = """
SELECT a.id, a.nombre, a.tipo, a.bytes, a.sha256, a.creado_por, a.creado_en,
       a.miniatura IS NOT NULL AS con_miniatura, a.exif_lat, a.exif_lon, a.exif_municipio,
       m.nombre AS exif_municipio_nombre, a.fuera_de_municipio
FROM adjunto a
LEFT JOIN municipio m ON m.cartografia = :cart AND m.codigo = a.exif_municipio
WHERE a.recurso = :r AND a.registro_id = :i AND a.ciclo IS NOT DISTINCT FROM :c {solo_fotos}
ORDER BY a.id
"""


@dataclass(frozen=True)
class Clave:
    """Which record the attachments hang from: its kind, id and (monitoring) cycle."""

    recurso: str
    registro_id: int
    ciclo: int | None = None

    def __post_init__(self) -> None:
        if self.recurso not in DUENOS:
            raise KeyError(self.recurso)
        if (self.recurso == "seguimiento_alianza") != (self.ciclo is not None):
            raise ValueError("a monitoring cycle's attachments, and only those, name a cycle")

    @property
    def nombre(self) -> str:
        que = DUENOS[self.recurso][1]
        ciclo = "" if self.ciclo is None else f" (ciclo {self.ciclo})"
        return f"{que} {self.registro_id}{ciclo}"

    def como_parametros(self) -> dict[str, Any]:
        return {"r": self.recurso, "i": self.registro_id, "c": self.ciclo}


@dataclass(frozen=True)
class Archivo:
    """A file to serve: its bytes, MIME type, a name to save it under and its entity tag."""

    datos: bytes
    tipo: str
    nombre: str
    etag: str


def listar(conn: Connection, alcance: Alcance, clave: Clave) -> list[dict[str, Any]]:
    """The attachments of a record ``alcance`` may see (404 otherwise), oldest first: every one
    with its EXIF position for staff; for the public, only the photos and nothing about them
    but when they were attached."""
    dueno = _visible(conn, alcance, clave)
    sql = _LISTA.format(solo_fotos=f"AND a.tipo <> '{PDF}'" if alcance.publico else "")
    filas = conn.execute(text(sql), clave.como_parametros() | {"cart": dueno["cartografia"]})
    return [_presentar(f._mapping, dueno, alcance) for f in filas]


def uno(
    conn: Connection, alcance: Alcance, clave: Clave, adjunto_id: int, *, miniatura: bool = False
) -> Archivo:
    """One attachment's file (or its thumbnail), if ``alcance`` may see it: 404 otherwise, and
    for the public a document, or the original of a photo (it gets a copy without metadata)."""
    _visible(conn, alcance, clave)
    columna = "miniatura" if miniatura else "contenido"
    fila = conn.execute(
        text(
            f"SELECT nombre, tipo, sha256, {columna} AS datos FROM adjunto "  # noqa: S608
            "WHERE id = :a AND recurso = :r AND registro_id = :i "
            "AND ciclo IS NOT DISTINCT FROM :c"
        ),
        clave.como_parametros() | {"a": adjunto_id},
    ).first()
    if fila is None or (alcance.publico and fila.tipo == PDF):
        raise NoEncontrado(f"{clave.nombre} no tiene el adjunto {adjunto_id}", campo="adjunto_id")
    if miniatura:
        if fila.datos is None:
            raise NoEncontrado(
                f"el adjunto {adjunto_id} es un documento PDF: no tiene miniatura",
                campo="adjunto_id",
            )
        return Archivo(
            fila.datos, JPEG, _descarga(fila.nombre, JPEG, "-miniatura"), f"{fila.sha256}-m"
        )
    if alcance.publico:
        return Archivo(
            version_publica(fila.datos), JPEG, f"foto-{adjunto_id}.jpg", f"{fila.sha256}-p"
        )
    return Archivo(fila.datos, fila.tipo, _descarga(fila.nombre, fila.tipo), fila.sha256)


def subir(
    conn: Connection,
    alcance: Alcance,
    clave: Clave,
    nombre: str | None,
    datos: bytes,
    *,
    tolerancia_m: float = 100.0,
) -> dict[str, Any]:
    """Attach ``datos`` (its original name kept for display) to the record, if ``alcance`` may
    change it, and return it as listed. The caller reads at most LIMITE_BYTES + 1 bytes."""
    dueno = _para_escribir(conn, alcance, clave)
    contenido = examinar(datos)
    municipio, fuera = None, None
    if contenido.lat is not None and contenido.lon is not None:
        municipio = _municipio_de(conn, contenido.lon, contenido.lat, dueno, tolerancia_m)
        fuera = municipio != dueno["municipio_codigo"]
    fila = conn.execute(
        text(
            "WITH nuevo AS (INSERT INTO adjunto (recurso, registro_id, ciclo, nombre, tipo, "
            "bytes, sha256, contenido, miniatura, exif_lat, exif_lon, exif_municipio, "
            "fuera_de_municipio, creado_por) VALUES (:r, :i, :c, :nombre, :tipo, :bytes, :sha, "
            ":contenido, :miniatura, :lat, :lon, :mun, :fuera, :por) RETURNING *) "
            "SELECT a.id, a.nombre, a.tipo, a.bytes, a.sha256, a.creado_por, a.creado_en, "
            "a.miniatura IS NOT NULL AS con_miniatura, a.exif_lat, a.exif_lon, "
            "a.exif_municipio, m.nombre AS exif_municipio_nombre, a.fuera_de_municipio "
            "FROM nuevo a LEFT JOIN municipio m ON m.cartografia = :cart "
            "AND m.codigo = a.exif_municipio"
        ),
        clave.como_parametros()
        | {
            "nombre": limpiar_nombre(nombre, contenido.tipo),
            "tipo": contenido.tipo,
            "bytes": len(datos),
            "sha": hashlib.sha256(datos).hexdigest(),
            "contenido": datos,
            "miniatura": contenido.miniatura,
            "lat": contenido.lat,
            "lon": contenido.lon,
            "mun": municipio,
            "fuera": fuera,
            "por": alcance.usuario,
            "cart": dueno["cartografia"],
        },
    ).one()
    return _presentar(fila._mapping, dueno, alcance)


def borrar(conn: Connection, alcance: Alcance, clave: Clave, adjunto_id: int) -> None:
    """Remove an attachment, if ``alcance`` may change its record (the audit trail keeps who,
    when, and the file's name and sha256)."""
    _para_escribir(conn, alcance, clave)
    borrado = conn.execute(
        text(
            "DELETE FROM adjunto WHERE id = :a AND recurso = :r AND registro_id = :i "
            "AND ciclo IS NOT DISTINCT FROM :c RETURNING id"
        ),
        clave.como_parametros() | {"a": adjunto_id},
    ).first()
    if borrado is None:
        raise NoEncontrado(f"{clave.nombre} no tiene el adjunto {adjunto_id}", campo="adjunto_id")


def limpiar_nombre(nombre: str | None, tipo: str) -> str:
    """The original name, for display only: without folders or control characters, at most
    _LARGO_NOMBRE characters; a generic one when nothing is left."""
    base = _CONTROL.sub("", re.split(r"[\\/]", nombre or "")[-1]).strip()
    base = unicodedata.normalize("NFC", base)[:_LARGO_NOMBRE].strip()
    return base or f"adjunto.{EXTENSIONES[tipo]}"


# --- who may see and change --------------------------------------------------------------


def _dueno(conn: Connection, clave: Clave, *, bloquear: bool = False) -> dict[str, Any] | None:
    tabla, _ = DUENOS[clave.recurso]
    sql = _DUENO.format(
        tabla=tabla,
        ciclo=_CICLO if clave.ciclo is not None else "NULL",
        bloqueo="FOR SHARE OF r" if bloquear else "",
    )
    fila = conn.execute(text(sql), {"i": clave.registro_id, "c": clave.ciclo}).mappings().first()
    return dict(fila) if fila else None


def _puede_ver(alcance: Alcance, clave: Clave, dueno: dict[str, Any]) -> bool:
    if clave.recurso == "reclamo":  # as geo/reclamos/atencion.py: the unit's staff, or national
        return alcance.nacional or dueno["unidad"] == alcance.unidad
    return puede_ver_registro(alcance, dueno)


def _visible(
    conn: Connection, alcance: Alcance, clave: Clave, *, bloquear: bool = False
) -> dict[str, Any]:
    """The owner, if ``alcance`` may see it; 401 for the public on staff-only records, 404 if
    it does not exist or may not be seen (never 403: that would tell that it exists)."""
    if clave.recurso in SOLO_PERSONAL:
        exigir_personal(alcance)
    dueno = _dueno(conn, clave, bloquear=bloquear)
    if dueno is None or not _puede_ver(alcance, clave, dueno):
        raise NoEncontrado(f"{clave.nombre} no existe", campo="id")
    if clave.ciclo is not None and not dueno["hay_ciclo"]:
        raise NoEncontrado(
            f"la alianza {clave.registro_id} no tiene seguimiento del ciclo {clave.ciclo}",
            campo="ciclo",
        )
    return dueno


def _para_escribir(conn: Connection, alcance: Alcance, clave: Clave) -> dict[str, Any]:
    """The owner, locked FOR SHARE, if ``alcance`` may change it (geo.acceso.alcance's
    ``bloquear_para_escribir`` without the version: attachments are not the record's fields);
    the user named to the database."""
    exigir_personal(alcance)
    dueno = _visible(conn, alcance, clave, bloquear=True)
    que = f"{DUENOS[clave.recurso][1]} {dueno['codigo']}"
    comprobar_unidad(alcance, dueno["unidad"], que)
    if clave.recurso in VERIFICADAS:
        comprobar_borrador(
            alcance,
            dueno["estado"],
            que,
            cambio="cambiar sus adjuntos",
            tecnico_cambia="cambia los adjuntos solo de registros en borrador",
        )
    if clave.recurso == "reclamo" and dueno["estado"] == "respondido":
        raise Conflicto(f"{que} ya fue respondido: sus adjuntos no cambian")
    fijar(conn, alcance)
    return dueno


# --- where a photo was taken -------------------------------------------------------------


def _municipio_de(
    conn: Connection, lon: float, lat: float, dueno: dict[str, Any], tolerancia_m: float
) -> str | None:
    """The municipality (of the owner's cartography) the point falls in; None outside Bolivia
    or on a lake or salt flat."""
    try:
        lugar = ubicar(conn, lon, lat, dueno["cartografia"], tolerancia_m)
    except EntradaInvalida:
        return None
    return str(lugar["municipio"]["codigo"])


def _presentar(f: Any, dueno: dict[str, Any], alcance: Alcance) -> dict[str, Any]:
    """An attachment as ``alcance`` may see it: the public gets only what a metadata-free copy
    of a photo tells (not the original name: it may name a person)."""
    if alcance.publico:
        return {
            "id": f["id"],
            "nombre": f"foto-{f['id']}.jpg",
            "tipo": JPEG,
            "creado_en": f["creado_en"],
            "con_miniatura": True,
        }
    municipio = None
    if f["exif_municipio"] is not None:
        municipio = {"codigo": f["exif_municipio"], "nombre": f["exif_municipio_nombre"]}
    return {
        "id": f["id"],
        "nombre": f["nombre"],
        "tipo": f["tipo"],
        "bytes": f["bytes"],
        "sha256": f["sha256"],
        "creado_en": f["creado_en"],
        "creado_por": f["creado_por"],
        "con_miniatura": f["con_miniatura"],
        "exif_lat": f["exif_lat"],
        "exif_lon": f["exif_lon"],
        "exif_municipio": municipio,
        "fuera_de_municipio": f["fuera_de_municipio"],
        "aviso": _aviso(f, dueno),
    }


def _aviso(f: Any, dueno: dict[str, Any]) -> str | None:
    if not f["fuera_de_municipio"]:
        return None
    donde = f"en {f['exif_municipio_nombre']}" if f["exif_municipio"] else "fuera de Bolivia"
    return f"Foto tomada fuera de {dueno['municipio_nombre']} ({donde})"


def _descarga(nombre: str, tipo: str, sufijo: str = "") -> str:
    """The name to save a file under: its original stem with the extension of what it is."""
    tallo = nombre.rsplit(".", 1)[0] if "." in nombre.lstrip(".") else nombre
    return f"{tallo or 'adjunto'}{sufijo}.{EXTENSIONES[tipo]}"
