"""Attachments over HTTP: the same five routes under each kind of record that takes files (an
alliance, a municipal subproject, a complaint, a monitoring cycle of an alliance), made by one
factory; each route reads its parameters, calls one use case of geo.registro.adjuntos and
shapes the answer.

A file is served with the type its content was found to be, ``X-Content-Type-Options: nosniff``,
a sandboxing Content-Security-Policy (a file is never a page of this site), a Content-Disposition
whose name cannot break the header, and its sha256 as ETag (304 on If-None-Match)."""

# No ``from __future__ import annotations``: the routes are made inside a factory, and FastAPI
# must see their annotations evaluated (ClaveDep is local to it).

import re
import unicodedata
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Header, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from api.deps import ConnDep, SessionDep, SettingsDep
from api.errors import problema
from api.idempotencia import IdempotenciaDep
from api.respuestas import no_modificado
from api.schemas.adjuntos import Adjunto, ListaAdjuntos
from api.schemas.comun import Problema
from api.schemas.documento import PROBLEMA, archivos, cuerpo, problemas
from api.seguridad import AlcanceDep, PersonalDep
from geo.formatos.imagenes import EXTENSIONES, LIMITE_BYTES
from geo.registro import adjuntos
from geo.registro.adjuntos import Archivo, Clave

# What a multipart body adds around the file (boundaries, part headers, the file's name).
_MARGEN_MULTIPART = 64 * 1024
_EN_LINEA = ("image/jpeg", "image/png")  # shown by browsers; anything else is downloaded
_CSP_ARCHIVO = "default-src 'none'; sandbox"


class _RutaConLimite(APIRoute):
    """Refuses a body whose declared length is past the file limit (413) before it is parsed:
    the multipart parser would otherwise spool all of it to disk first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        manejar = super().get_route_handler()

        async def con_limite(request: Request) -> Response:
            largo = request.headers.get("content-length", "")
            if largo.isdigit() and int(largo) > LIMITE_BYTES + _MARGEN_MULTIPART:
                return _demasiado_grande()
            return await manejar(request)

        return con_limite


def _demasiado_grande() -> Response:
    mb = LIMITE_BYTES // (1024 * 1024)
    return problema(
        413,
        "Archivo demasiado grande",
        f"el límite es {mb} MB por archivo; reduzca la foto o divida el documento",
        "archivo-grande",
        campo="archivo",
        limite_bytes=LIMITE_BYTES,
    )


_415: dict[int | str, dict[str, Any]] = {
    415: {
        "description": "El contenido no es una foto JPEG, PNG o HEIC ni un PDF (se juzga por el "
        "contenido, no por el nombre)",
        "content": cuerpo(Problema, PROBLEMA),
    }
}

router = APIRouter(
    tags=["adjuntos"],
    route_class=_RutaConLimite,
    responses=problemas(400, 401, 403, 404, 409, 413, 422),
)


def _alianza(alianza_id: int) -> Clave:
    return Clave("alianza", alianza_id)


def _subproyecto(sp_id: int) -> Clave:
    return Clave("subproyecto_municipal", sp_id)


def _reclamo(reclamo_id: int) -> Clave:
    return Clave("reclamo", reclamo_id)


def _seguimiento(alianza_id: int, ciclo: int) -> Clave:
    return Clave("seguimiento_alianza", alianza_id, ciclo)


IfNoneMatch = Annotated[
    str | None, Header(description="La ETag que el cliente ya tiene: 304 si no cambió")
]


def _rutas(prefijo: str, clave: Callable[..., Clave], que: str) -> None:
    """The list, upload, file, thumbnail and delete routes of the attachments of ``que``."""
    ClaveDep = Annotated[Clave, Depends(clave)]
    lista = f"{prefijo}/adjuntos"

    @router.get(
        lista,
        response_model=ListaAdjuntos,
        response_model_exclude_unset=True,
        summary=f"Adjuntos de {que}",
    )
    def listar(request: Request, conn: ConnDep, quien: AlcanceDep, k: ClaveDep) -> dict[str, Any]:
        """Fotos y documentos del registro, del más antiguo al más reciente. El personal que
        puede ver el registro los ve todos, con la posición GPS de cada foto y un aviso si se
        tomó fuera del municipio del registro; el público, solo las fotos de registros
        validados, sin posición ni autor. 404 si quien pregunta no puede ver el registro."""
        data = [_con_urls(request.url.path, a) for a in adjuntos.listar(conn, quien, k)]
        return {"data": data, "count": len(data)}

    @router.post(
        lista,
        status_code=201,
        response_model=Adjunto,
        responses=_415,
        summary=f"Adjuntar a {que}",
    )
    def subir(
        request: Request,
        db: SessionDep,
        quien: PersonalDep,
        settings: SettingsDep,
        k: ClaveDep,
        archivo: Annotated[
            UploadFile,
            File(description="Foto JPEG, PNG o HEIC, o documento PDF; a lo sumo 20 MB"),
        ],
        idem: IdempotenciaDep,
    ) -> JSONResponse:
        """Adjunta un archivo (campo multipart `archivo`). El tipo se decide por el contenido,
        no por el nombre: otro tipo es 415; más de 20 MB, 413. Quien puede cambiar el registro
        puede adjuntar: su unidad (o la coordinación nacional), un técnico solo en borradores;
        un registro validado está bloqueado (409). No cambia la versión del registro."""
        datos = archivo.file.read(LIMITE_BYTES + 1)
        a = adjuntos.subir(
            db.connection(),
            quien,
            k,
            archivo.filename,
            datos,
            tolerancia_m=settings.tolerancia_borde_m,
        )
        # Serialised here, as response_model would, so that the answer can be kept for a retry.
        adjunto = Adjunto.model_validate(_con_urls(request.url.path, a))
        return idem.confirmar(JSONResponse(adjunto.model_dump(mode="json"), status_code=201))

    @router.get(
        f"{lista}/{{adjunto_id}}",
        response_class=Response,
        responses={200: archivos("El archivo", *EXTENSIONES)},
        summary=f"Un adjunto de {que}",
    )
    def archivo(
        conn: ConnDep,
        quien: AlcanceDep,
        k: ClaveDep,
        adjunto_id: int,
        if_none_match: IfNoneMatch = None,
    ) -> Response:
        """El archivo tal como se subió (el público recibe una copia JPEG sin metadatos, y
        nunca un PDF). ETag: su sha256."""
        return _servir(adjuntos.uno(conn, quien, k, adjunto_id), if_none_match, quien.publico)

    @router.get(
        f"{lista}/{{adjunto_id}}/miniatura",
        response_class=Response,
        responses={200: archivos("La miniatura JPEG, sin metadatos", "image/jpeg")},
        summary=f"Miniatura de un adjunto de {que}",
    )
    def miniatura(
        conn: ConnDep,
        quien: AlcanceDep,
        k: ClaveDep,
        adjunto_id: int,
        if_none_match: IfNoneMatch = None,
    ) -> Response:
        """La miniatura JPEG (320 px, orientada, sin metadatos) de una foto; 404 para un PDF."""
        a = adjuntos.uno(conn, quien, k, adjunto_id, miniatura=True)
        return _servir(a, if_none_match, quien.publico)

    @router.delete(
        f"{lista}/{{adjunto_id}}", status_code=204, summary=f"Quitar un adjunto de {que}"
    )
    def borrar(db: SessionDep, quien: PersonalDep, k: ClaveDep, adjunto_id: int) -> Response:
        """Quita un adjunto (queda en la auditoría quién, cuándo y su huella), con las mismas
        reglas que adjuntar."""
        adjuntos.borrar(db.connection(), quien, k, adjunto_id)
        db.commit()
        return Response(status_code=204)


_rutas("/api/v1/alianzas/{alianza_id}", _alianza, "una alianza")
_rutas("/api/v1/subproyectos/{sp_id}", _subproyecto, "un subproyecto")
_rutas("/api/v1/reclamos/{reclamo_id}", _reclamo, "un reclamo")
_rutas(
    "/api/v1/alianzas/{alianza_id}/seguimientos/{ciclo}", _seguimiento, "un ciclo de seguimiento"
)


def _con_urls(lista: str, a: dict[str, Any]) -> dict[str, Any]:
    """An attachment with the URLs of its file and thumbnail, under the list's path."""
    base = f"{lista.rstrip('/')}/{a['id']}"
    con_miniatura = a.pop("con_miniatura")
    return a | {"url": base, "miniatura_url": f"{base}/miniatura" if con_miniatura else None}


def _servir(a: Archivo, if_none_match: str | None, publico: bool) -> Response:
    cabeceras = {
        "ETag": f'"{a.etag}"',
        "Cache-Control": "public, no-cache" if publico else "private, no-cache",
        "Content-Disposition": disposicion(a.nombre, en_linea=a.tipo in _EN_LINEA),
        "Content-Security-Policy": _CSP_ARCHIVO,
        "X-Content-Type-Options": "nosniff",
        # One URL, two bodies: the original for staff, a metadata-free copy for the public.
        "Vary": "Authorization",
    }
    if (igual := no_modificado(if_none_match, cabeceras)) is not None:
        return igual
    return Response(a.datos, media_type=a.tipo, headers=cabeceras)


def disposicion(nombre: str, *, en_linea: bool) -> str:
    """Content-Disposition for ``nombre`` (RFC 6266): an ASCII fallback that cannot break out
    of its quotes, and the exact name percent-encoded in ``filename*``."""
    plano = unicodedata.normalize("NFKD", nombre).encode("ascii", "ignore").decode()
    plano = re.sub(r"[^A-Za-z0-9._ -]+", "_", plano).strip(" ._")[:150] or "adjunto"
    modo = "inline" if en_linea else "attachment"
    return f"{modo}; filename=\"{plano}\"; filename*=UTF-8''{quote(nombre, safe='')}"
