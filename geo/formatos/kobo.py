"""What a KoboToolbox / ODK export puts around the answers, and how the importers read past it.
Pure, like geo.formatos.lectura: a :class:`Tabla` in, a :class:`Tabla` or plain values out.

An export of a form (XLSX or CSV; headers as the questions' names, "XML values and headers", or
as their labels) holds, besides one column per question:

- the groups the question is in, before its name, when "include groups in headers" is chosen:
  joined by "/" (Kobo's default; lectura keeps the last segment) or by whatever separator the
  person typed ("-", ".", ...), which only the form's own group names can tell from the name:
  :func:`sin_grupos`;
- a point three ways: the question's column "lat lon alt precision", the split columns
  ``_<q>_latitude``, ``_<q>_longitude``, ``_<q>_altitude``, ``_<q>_precision``, and
  ``_geolocation`` "[lat, lon]" (all read by lectura.coordenadas);
- metadata: ``_id``, ``_uuid``, ``_submission_time``, ``_index``, ``_status``, ``__version__``
  and the like (a leading "_": no importer reads those), and the questions the device fills in,
  ``start``, ``end``, ``meta/instanceID`` (:data:`META`);
- media: the question's column holds the file's name, ``<q>_URL`` its address on the Kobo
  server and ``_attachments`` every file of the submission. The files themselves stay on that
  server (downloading them needs its account and a connection): :func:`archivos` gives their
  names, for the import report.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from geo.formatos.lectura import Fila, Tabla, normalizar_encabezado

META = frozenset(
    {
        "start", "end", "today", "deviceid", "username", "phonenumber", "simserial",
        "subscriberid", "instanceid", "instancename", "deprecatedid", "rootuuid", "uuid", "audit",
    }
)  # fmt: skip
# Groups every form has (the submission's identity), whatever its questions.
GRUPOS_KOBO = ("meta", "formhub")
_PARTE_DEL_PUNTO = re.compile(r"[a-z0-9][a-z0-9_]*_(?:latitude|longitude|altitude|precision)")
# In _attachments, as JSON ("filename": "...") or as Python's repr ('filename': '...').
_NOMBRE_ADJUNTO = re.compile(r"""["']filename["']\s*:\s*["']([^"']+)["']""")


def sin_grupos(tabla: Tabla, grupos: Iterable[str]) -> Tabla:
    """``tabla`` with the form's group names (or labels) taken off the front of its columns:
    "beneficiarios-familias" -> "familias", "Lugar y fotografía-_Ubicación_latitude" ->
    "_ubicacion_latitude". A column whose short name another column already has keeps its own."""
    nuevos = nombres_sin_grupos(tabla.columnas, grupos)
    if all(c == n for c, n in nuevos.items()):
        return tabla
    filas = [Fila(f.numero, {nuevos[c]: v for c, v in f.valores.items()}) for f in tabla.filas]
    return Tabla([nuevos[c] for c in tabla.columnas], filas, tabla.encabezado)


def nombres_sin_grupos(columnas: list[str], grupos: Iterable[str]) -> dict[str, str]:
    """Each column -> its name without the groups (see :func:`sin_grupos`), for a reader that
    renames its rows one at a time."""
    todos = (*grupos, *GRUPOS_KOBO)
    prefijos = sorted({p for g in todos if (p := normalizar_encabezado(g))}, key=len, reverse=True)
    nuevos = {c: _sin_prefijos(c, prefijos) for c in columnas}
    cuantos: dict[str, int] = {}
    for nombre in nuevos.values():
        cuantos[nombre] = cuantos.get(nombre, 0) + 1
    return {c: n if cuantos[n] == 1 else c for c, n in nuevos.items()}


def _sin_prefijos(columna: str, prefijos: list[str]) -> str:
    nombre = columna
    while p := next((p for p in prefijos if nombre.startswith(p + "_")), None):
        nombre = nombre[len(p) + 1 :]
    if nombre != columna and _PARTE_DEL_PUNTO.fullmatch(nombre):
        return "_" + nombre  # the split columns' leading "_" was lost joining the group's name
    return nombre or columna


def es_de_kobo(columna: str, fotos: Iterable[str]) -> bool:
    """A column the export adds that no importer reads (metadata, a photo, a photo's URL)."""
    medios = set(fotos)
    return columna in META or columna in medios or columna.removesuffix("_url") in medios


def con_archivos(columnas: Iterable[str], fotos: Iterable[str]) -> bool:
    """Whether a file with these columns can name files at all (:func:`archivos` finds none
    in any row of a file without a photo column or ``_attachments``)."""
    return not {*fotos, "_attachments"}.isdisjoint(columnas)


def archivos(valores: dict[str, str | None], fotos: Iterable[str]) -> list[str]:
    """The names of the files a row refers to: its photo columns' and ``_attachments``'s, each
    once, without the folders Kobo keeps them in."""
    nombres = [v for c in fotos if (v := valores.get(c))]
    nombres += _NOMBRE_ADJUNTO.findall(valores.get("_attachments") or "")
    return list(dict.fromkeys(n.replace("\\", "/").rsplit("/", 1)[-1] for n in nombres))
