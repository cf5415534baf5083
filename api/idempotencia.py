"""``Idempotency-Key`` on the write routes (issue 15: the phones' offline queue), after the IETF
draft "The Idempotency-Key HTTP Header Field"; the rule and its table are in
geo/plataforma/idempotencia.py.

A route takes ``idem: IdempotenciaDep`` and ends with ``return idem.confirmar(respuesta)``
where it used to call ``db.commit()``: when the request sent a key, the answer is stored under
it in the write's own transaction and committed with it, so there is no moment when one exists
without the other.

Before the route runs, the dependency reads the key: a request already performed gets its
stored answer again (same status, body, ETag) with ``Idempotency-Replayed: true``, and the
route does not run (a PATCH whose record changed since is not refused 412 for its own earlier
success); a key held by a request still running is a 409 (Retry-After: 1); a key used for
another request, a 422; a malformed key, a 400. Without the header nothing changes."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Annotated, TypeVar

from fastapi import Depends, FastAPI, Header, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from api.deps import SessionDep
from api.seguridad import PersonalDep
from geo.plataforma.errors import ParametroInvalido
from geo.plataforma.idempotencia import CABECERA, DIAS, Operacion, Respuesta, guardar, reservar

REPETIDA = "Idempotency-Replayed"
# What a replay needs of the first answer besides its status and body.
_GUARDADAS = ("etag", "location", "content-type")
# A UUID fits, and nothing that could break out of a log line or a header.
_CLAVE = re.compile(r"[A-Za-z0-9._:-]{1,100}")
R = TypeVar("R", bound=Response)

ClaveCabecera = Annotated[
    str | None,
    Header(
        alias=CABECERA,
        description="Clave de la operación, hecha por el cliente (p. ej. un UUID; 1 a 100 "
        'letras, dígitos o . _ : -, como "cadena" o sin comillas) para reintentar sin '
        "duplicar: la misma clave con la misma solicitud recibe la respuesta guardada, con "
        f"{REPETIDA}: true; con otra solicitud, 422; mientras la primera sigue en curso, 409. "
        f"Solo se guardan los éxitos, al menos {DIAS} días, por usuario.",
    ),
]


class Idempotencia:
    """What a route needs of its request's key: :meth:`confirmar`, in place of the commit."""

    def __init__(self, db: Session, op: Operacion | None) -> None:
        self.db = db
        self.op = op

    def confirmar(self, respuesta: R) -> R:
        """Commit the route's work and, when the request sent a key, its answer under the key:
        both or neither."""
        if self.op is not None:
            guardar(self.db.connection(), self.op, _guardable(respuesta))
        self.db.commit()
        return respuesta


class _Repetida(Exception):
    """The stored answer of a request already performed: answered instead of the route."""

    def __init__(self, respuesta: Respuesta) -> None:
        super().__init__(respuesta.status)
        self.respuesta = respuesta


def _clave(valores: list[str]) -> str | None:
    """The key of the header (an RFC 8941 String, or the bare value); 400 when malformed."""
    if not valores:
        return None
    valor = valores[0].strip()
    if len(valor) >= 2 and valor[0] == valor[-1] == '"':
        valor = valor[1:-1]
    if len(valores) > 1 or not _CLAVE.fullmatch(valor):
        raise ParametroInvalido(
            f"cabecera {CABECERA} no válida: una sola, de 1 a 100 letras, dígitos o . _ : - "
            '(p. ej. un UUID, "8e03978e-40d5-43e8-bc93-6894a57f9324")',
            campo=CABECERA,
        )
    return valor


async def _huella(request: Request) -> str:
    """The sha256 of the request a key names: method, path, query and body, the body in a
    canonical form (JSON with sorted keys; a form's fields and each file's name and sha256), so
    that a client re-encoding the same request is not taken for another one."""
    if CABECERA.lower() not in request.headers:
        return ""  # no key: nothing to compare, and a 20 MB file is not read twice
    consulta = sorted(request.query_params.multi_items())
    h = hashlib.sha256(f"{request.method} {request.url.path} {consulta}\n".encode())
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        h.update(await _formulario(await request.form()))  # parsed once: Starlette keeps it
    else:
        h.update(_canonico(await request.body()))
    return h.hexdigest()


def _canonico(cuerpo: bytes) -> bytes:
    try:
        valor = json.loads(cuerpo)
    except ValueError:  # empty, or not JSON (the route refuses it anyway)
        return cuerpo
    return json.dumps(valor, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


async def _formulario(formulario: FormData) -> bytes:
    partes: list[list[str]] = []
    for nombre, valor in formulario.multi_items():
        if isinstance(valor, UploadFile):
            h = hashlib.sha256()
            while bloque := await valor.read(1 << 20):
                h.update(bloque)
            await valor.seek(0)  # the route reads it next
            partes.append([nombre, valor.filename or "", h.hexdigest()])
        else:
            partes.append([nombre, valor])
    return json.dumps(sorted(partes), ensure_ascii=False).encode()


def _guardable(respuesta: Response) -> Respuesta:
    cabeceras = {k: v for k, v in respuesta.headers.items() if k in _GUARDADAS}
    cuerpo = json.loads(bytes(respuesta.body)) if respuesta.body else None
    return Respuesta(respuesta.status_code, cuerpo, cabeceras)


def _idempotencia(
    request: Request,
    db: SessionDep,
    quien: PersonalDep,
    huella: Annotated[str, Depends(_huella)],
    _cabecera: ClaveCabecera = None,  # declared for OpenAPI; read below, every copy of it
) -> Idempotencia:
    clave = _clave(request.headers.getlist(CABECERA))
    if clave is None:
        return Idempotencia(db, None)
    op = Operacion(quien.usuario or "", clave, request.method, request.url.path, huella)
    if (guardada := reservar(db.connection(), op)) is not None:
        raise _Repetida(guardada)
    return Idempotencia(db, op)


IdempotenciaDep = Annotated[Idempotencia, Depends(_idempotencia)]


async def _repetir(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, _Repetida)
    r = exc.respuesta
    cabeceras = {k: v for k, v in r.cabeceras.items() if k != "content-type"} | {REPETIDA: "true"}
    tipo = r.cabeceras.get("content-type", "application/json")
    if r.cuerpo is None:
        return Response(status_code=r.status, headers=cabeceras)
    return JSONResponse(r.cuerpo, status_code=r.status, headers=cabeceras, media_type=tipo)


def instalar(app: FastAPI) -> None:
    """Answer a replayed request with its stored answer."""
    app.add_exception_handler(_Repetida, _repetir)
