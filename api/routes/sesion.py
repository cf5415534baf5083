"""Login: the OAuth2 password flow (form fields username, password) gives a bearer token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from api.deps import ConnDep, SettingsDep
from api.schemas.documento import problemas
from api.schemas.sesion import Token, Yo
from api.seguridad import PersonalDep, emitir, limitador
from geo.acceso.cuentas import autenticar
from geo.plataforma.errors import NoAutenticado
from geo.vocabulario.catalogos import ROLES

router = APIRouter(prefix="/api/v1/sesion", tags=["sesión"], responses=problemas(400, 401))


@router.post("/token", response_model=Token, responses=problemas(422, 429))
def token(
    request: Request,
    conn: ConnDep,
    settings: SettingsDep,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> dict[str, Any]:
    """Inicia sesión: devuelve un token firmado de vida corta (cabecera Authorization: Bearer)."""
    limitador(request, "ingresos").contar(request, "ingreso")
    u = autenticar(conn, form.username, form.password)
    if u is None:
        raise NoAutenticado("usuario o contraseña incorrectos")
    token, vida = emitir(settings, u)
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": vida,
        "usuario": {
            "nombre_usuario": u.nombre_usuario,
            "nombre": u.nombre,
            "rol": u.rol,
            "rol_nombre": ROLES[u.rol],
            "unidad_operativa": u.unidad_operativa_codigo,
        },
    }


@router.get("/yo", response_model=Yo)
def yo(quien: PersonalDep) -> dict[str, Any]:
    """Quién es el usuario del token."""
    return {"nombre_usuario": quien.usuario, "rol": quien.rol, "unidad_operativa": quien.unidad}
