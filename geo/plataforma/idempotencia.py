"""Idempotency keys (issue 15): a phone queues its writes while offline and sends them in order
when the network returns, each with a key made on the phone, so that a retried or interrupted
sync never writes twice (after the IETF draft "The Idempotency-Key HTTP Header Field").

The key and the answer are stored in the transaction of the write they protect. A request cut
before its commit leaves neither the record nor the key, and its retry performs the write once;
a request that committed leaves both, and its retry gets the stored answer, whatever happened to
the record since (a later change by someone else is the next read's business, not the retry's).

A second request with the same key while the first is still running is refused at once (409),
not made to wait: :func:`reservar` takes an advisory lock that the first holds until its
transaction ends, and only then is its key (or its absence) visible. Only successes are stored:
a refused request rolls back with its key, so the client corrects it and retries with the same
key. Keys belong to an account (another's same key is another operation), are kept at least
:data:`DIAS` days, and an account's older keys are deleted when it stores a new one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from geo.plataforma.errors import ClaveReutilizada, OperacionEnCurso
from geo.plataforma.models import OperacionIdempotente, tabla

# Long enough for a phone that lost the answer when the network dropped, then spent weeks in
# the field before it could retry.
DIAS = 30
CABECERA = "Idempotency-Key"

_T = tabla(OperacionIdempotente)


@dataclass(frozen=True)
class Operacion:
    """One request under a key: whose key, and the request it names (``huella``: the sha256 of
    its method, path, query and canonical body, made by the caller)."""

    usuario: str
    clave: str
    metodo: str
    ruta: str
    huella: str


@dataclass(frozen=True)
class Respuesta:
    """An answer as stored: its status, its JSON body and the headers a retry needs again."""

    status: int
    cuerpo: Any
    cabeceras: dict[str, str]


def reservar(conn: Connection, op: Operacion) -> Respuesta | None:
    """Hold ``op``'s key for this transaction. None: the key is new, so the caller performs the
    operation and calls :func:`guardar` before committing. Otherwise the stored answer of the
    same request. OperacionEnCurso (409) while another transaction holds the key;
    ClaveReutilizada (422) when the key was stored for another request."""
    libre = conn.execute(
        select(
            func.pg_try_advisory_xact_lock(
                func.hashtext("sigg.idempotencia"), func.hashtext(f"{op.usuario} {op.clave}")
            )
        )
    ).scalar_one()
    if not libre:
        raise OperacionEnCurso(
            f"otra solicitud con esta {CABECERA} está en curso: reintente en un momento y "
            "recibirá su respuesta",
            campo=CABECERA,
            reintentar_en=1,
        )
    guardada = _T.c.metodo, _T.c.ruta, _T.c.huella, _T.c.status, _T.c.cuerpo, _T.c.cabeceras
    fila = conn.execute(
        select(*guardada).where(_T.c.usuario == op.usuario, _T.c.clave == op.clave)
    ).first()
    if fila is None:
        return None
    if fila.huella != op.huella:
        raise ClaveReutilizada(
            f"la {CABECERA} {op.clave} ya se usó para otra solicitud ({fila.metodo} "
            f"{fila.ruta}, con otro contenido): cada operación lleva una clave nueva",
            campo=CABECERA,
        )
    return Respuesta(fila.status, fila.cuerpo, dict(fila.cabeceras))


def guardar(conn: Connection, op: Operacion, respuesta: Respuesta) -> None:
    """Store ``respuesta`` under ``op``'s key, in the caller's transaction (which must have
    reserved it), and delete the account's keys older than DIAS days."""
    conn.execute(
        delete(_T).where(
            _T.c.usuario == op.usuario, _T.c.creado_en < func.now() - timedelta(days=DIAS)
        )
    )
    conn.execute(
        insert(_T).values(
            usuario=op.usuario,
            clave=op.clave,
            metodo=op.metodo,
            ruta=op.ruta,
            huella=op.huella,
            status=respuesta.status,
            cuerpo=respuesta.cuerpo,
            cabeceras=respuesta.cabeceras,
        )
    )
