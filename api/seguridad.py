"""Sessions and scope: the OAuth2 password flow gives a signed JWT (HS256, short life); every
request is resolved to an ``Alcance`` (a staff user, or the public when it sends no token). A
token that is sent but expired, forged, longer-lived than a session, or whose account is gone,
inactive or holds another role or unit now, is refused (401), never read as the public. Abuse of
the public forms and of the login is bounded per client address, counted in the database so
that every worker shares one count."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_address
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from starlette.concurrency import run_in_threadpool

from api.deps import ConnDep, SettingsDep
from geo.acceso.alcance import PUBLICO, Alcance, exigir_personal
from geo.acceso.cuentas import Usuario, comprobar_vigente
from geo.acceso.limites import ContadorPostgres
from geo.plataforma.config import Settings
from geo.plataforma.errors import DemasiadasSolicitudes, NoAutenticado

EMISOR = "sigg"
ALGORITMO = "HS256"

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/sesion/token", auto_error=False)


def emitir(settings: Settings, u: Usuario) -> tuple[str, int]:
    """A signed token for ``u`` and its life in seconds."""
    ahora = datetime.now(UTC)
    vida = settings.token_minutos * 60
    claims = {
        "sub": u.nombre_usuario,
        "rol": u.rol,
        "uo": u.unidad_operativa_codigo,
        "iss": EMISOR,
        "iat": ahora,
        "exp": ahora + timedelta(seconds=vida),
    }
    return jwt.encode(claims, settings.clave_firma(), ALGORITMO), vida


def leer(settings: Settings, token: str) -> Alcance:
    """Who a token names, from its signature and claims alone (the account is checked apart)."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.clave_firma(),
            algorithms=[ALGORITMO],
            issuer=EMISOR,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError as e:
        raise NoAutenticado("la sesión expiró: vuelva a iniciar sesión") from e
    except jwt.InvalidTokenError as e:
        raise NoAutenticado("token no válido: vuelva a iniciar sesión") from e
    if claims.get("rol") not in ("nacional", "unidad", "tecnico"):
        raise NoAutenticado("token no válido: rol desconocido")
    # Whatever a token claims, it lives no longer than a session of this installation.
    if claims["exp"] - claims["iat"] > settings.token_minutos * 60:
        raise NoAutenticado(
            "token no válido: su vida (exp - iat) supera la de una sesión, "
            f"{settings.token_minutos} minutos"
        )
    return Alcance(claims["sub"], claims["rol"], claims.get("uo"))


async def alcance(
    request: Request,
    settings: SettingsDep,
    conn: ConnDep,
    _: Annotated[str | None, Depends(oauth2)],
) -> Alcance:
    """Who is asking: the public without an Authorization header, the token's user otherwise,
    once the account is checked (one indexed lookup on the request's connection). The OAuth2
    scheme documents the login in OpenAPI; the header is read here by the one rule (any scheme
    but Bearer is a 401, never the public)."""
    quien = alcance_de_cabecera(settings, request.headers.get("authorization"))
    if not quien.publico:  # the one lookup in a worker thread; the public's takes none
        await run_in_threadpool(
            comprobar_vigente, conn, quien.usuario or "", quien.rol or "", quien.unidad
        )
    return quien


def alcance_de_cabecera(settings: Settings, cabecera: str | None) -> Alcance:
    """Who an Authorization header names (none: the public), from the token alone: callers
    check the account (the ``alcance`` dependency does)."""
    if not cabecera:
        return PUBLICO
    esquema, _, token = cabecera.partition(" ")
    if esquema.lower() != "bearer" or not token:
        raise NoAutenticado("cabecera Authorization no válida: use 'Bearer <token>'")
    return leer(settings, token)


async def personal(quien: Annotated[Alcance, Depends(alcance)]) -> Alcance:
    """A staff user; 401 for the public."""
    exigir_personal(quien)
    return quien


AlcanceDep = Annotated[Alcance, Depends(alcance)]
PersonalDep = Annotated[Alcance, Depends(personal)]


Red = IPv4Network | IPv6Network


def direccion_cliente(request: Request, confiables: Sequence[Red]) -> str:
    """The client's address: the socket's, unless the socket is a trusted proxy
    (SIGG_PROXIES_CONFIABLES); only then is X-Forwarded-For read, from the right, and the first
    hop that is not a trusted proxy is the client (what is left of it, the client wrote)."""
    par = request.client.host if request.client else ""  # the other end of the socket
    if not confiables or not _es_confiable(par, confiables):
        return par or "desconocida"
    saltos = [
        salto.strip()
        for valor in request.headers.getlist("x-forwarded-for")
        for salto in valor.split(",")
        if salto.strip()
    ]
    for salto in reversed(saltos):
        if not _es_confiable(salto, confiables):
            return salto[:64]
    return saltos[0][:64] if saltos else par  # proxies all the way: the first one


def _es_confiable(salto: str, confiables: Sequence[Red]) -> bool:
    """Whether ``salto`` ("1.2.3.4", "1.2.3.4:5678", "[::1]:80", "::1") is a trusted proxy."""
    anfitrion = salto
    if salto.startswith("["):
        anfitrion = salto[1:].partition("]")[0]
    elif salto.count(":") == 1:
        anfitrion = salto.partition(":")[0]
    try:
        ip = ip_address(anfitrion)
    except ValueError:
        return False
    return any(ip in red for red in confiables)


class Limitador:
    """Requests per client address in a fixed window, counted in PostgreSQL
    (geo/acceso/limites.py): every worker process and machine on the database shares one
    count, and a restart does not reset it."""

    def __init__(self, regla: str, contador: ContadorPostgres, confiables: Sequence[Red]) -> None:
        self.regla = parse(regla)
        self._limitador = FixedWindowRateLimiter(contador)
        self.confiables = confiables

    def contar(self, request: Request, que: str) -> None:
        direccion = direccion_cliente(request, self.confiables)
        if not self._limitador.hit(self.regla, que, direccion):
            reinicio = self._limitador.get_window_stats(self.regla, que, direccion).reset_time
            espera = max(1, int(reinicio - datetime.now(UTC).timestamp()))
            raise DemasiadasSolicitudes(
                f"demasiadas solicitudes desde su dirección ({self.regla}); intente de nuevo "
                f"en {espera} s",
                reintentar_en=espera,
            )


def limitador(request: Request, nombre: str) -> Limitador:
    """The app's limiter for ``nombre`` (reclamos, ingresos), made on first use; the counts
    live in the primary database, whichever process asks."""
    limitadores: dict[str, Limitador] = request.app.state.limitadores
    if nombre not in limitadores:
        settings: Settings = request.app.state.settings
        contador = ContadorPostgres(request.app.state.engine)
        regla = getattr(settings, f"limite_{nombre}")
        limitadores[nombre] = Limitador(regla, contador, settings.proxies_confiables)
    return limitadores[nombre]
