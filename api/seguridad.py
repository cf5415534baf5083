"""Sessions and scope: the OAuth2 password flow gives a signed JWT (HS256, short life); every
request is resolved to an ``Alcance`` (a staff user, or the public when it sends no token). A
token that is sent but expired or forged is refused (401), never read as the public. Abuse of
the public forms and of the login is bounded per client address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.deps import SettingsDep
from geo.acceso.alcance import PUBLICO, Alcance, exigir_personal
from geo.acceso.cuentas import Usuario
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
    return jwt.encode(claims, settings.clave_secreta.get_secret_value(), ALGORITMO), vida


def leer(settings: Settings, token: str) -> Alcance:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            settings.clave_secreta.get_secret_value(),
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
    return Alcance(claims["sub"], claims["rol"], claims.get("uo"))


def alcance(
    request: Request, settings: SettingsDep, _: Annotated[str | None, Depends(oauth2)]
) -> Alcance:
    """Who is asking: the public without an Authorization header, the token's user otherwise.
    The OAuth2 scheme documents the login in OpenAPI; the header is read here by the one rule
    (any scheme but Bearer is a 401, never the public)."""
    return alcance_de_cabecera(settings, request.headers.get("authorization"))


def alcance_de(request: Request) -> Alcance:
    """The same as the ``alcance`` dependency, for helpers that only hold the request."""
    return alcance_de_cabecera(request.app.state.settings, request.headers.get("authorization"))


def alcance_de_cabecera(settings: Settings, cabecera: str | None) -> Alcance:
    """Who an Authorization header names (none: the public)."""
    if not cabecera:
        return PUBLICO
    esquema, _, token = cabecera.partition(" ")
    if esquema.lower() != "bearer" or not token:
        raise NoAutenticado("cabecera Authorization no válida: use 'Bearer <token>'")
    return leer(settings, token)


def personal(quien: Annotated[Alcance, Depends(alcance)]) -> Alcance:
    """A staff user; 401 for the public."""
    exigir_personal(quien)
    return quien


AlcanceDep = Annotated[Alcance, Depends(alcance)]
PersonalDep = Annotated[Alcance, Depends(personal)]


class Limitador:
    """Requests per client address in a moving window, in this process's memory (one
    process per machine here; behind several workers use a shared storage of ``limits``)."""

    def __init__(self, regla: str) -> None:
        self.regla = parse(regla)
        self._limitador = MovingWindowRateLimiter(MemoryStorage())

    def contar(self, request: Request, que: str) -> None:
        direccion = request.client.host if request.client else "desconocida"
        if not self._limitador.hit(self.regla, que, direccion):
            reinicio = self._limitador.get_window_stats(self.regla, que, direccion).reset_time
            espera = max(1, int(reinicio - datetime.now(UTC).timestamp()))
            raise DemasiadasSolicitudes(
                f"demasiadas solicitudes desde su dirección ({self.regla}); intente de nuevo "
                f"en {espera} s",
                reintentar_en=espera,
            )


def limitador(request: Request, nombre: str) -> Limitador:
    """The app's limiter for ``nombre`` (reclamos, ingresos), made on first use."""
    limitadores: dict[str, Limitador] = request.app.state.limitadores
    if nombre not in limitadores:
        settings: Settings = request.app.state.settings
        limitadores[nombre] = Limitador(getattr(settings, f"limite_{nombre}"))
    return limitadores[nombre]
