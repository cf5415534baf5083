"""Sessions: the token of a login, and who a token names."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from geo.vocabulario.catalogos import ROLES

_ROL = "Rol: " + "; ".join(f"{k}: {v}" for k, v in ROLES.items())
_UNIDAD = "Código de su unidad operativa; null para la coordinación nacional"


class UsuarioSesion(BaseModel):
    nombre_usuario: str
    nombre: str = Field(description="Nombre de la persona")
    rol: str = Field(description=_ROL)
    rol_nombre: str = Field(description="El rol, para leer")
    unidad_operativa: str | None = Field(description=_UNIDAD)


class Token(BaseModel):
    """OAuth2 bearer token (RFC 6749) and who it is for."""

    access_token: str = Field(description="JWT firmado: va en Authorization: Bearer <token>")
    token_type: Literal["bearer"]
    expires_in: int = Field(description="Vida del token en segundos")
    usuario: UsuarioSesion


class Yo(BaseModel):
    nombre_usuario: str
    rol: str = Field(description=_ROL)
    unidad_operativa: str | None = Field(description=_UNIDAD)
