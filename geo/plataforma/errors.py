"""Domain errors. The API maps each class to an HTTP status; the CLI prints the message."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class SiggError(Exception):
    """Base class: ``codigo`` is a stable machine name, the message is for a person."""

    codigo = "error"
    titulo = "Error"

    def __init__(self, mensaje: str, **extra: Any) -> None:
        super().__init__(mensaje)
        self.mensaje = mensaje
        self.extra = extra


class NoEncontrado(SiggError):
    codigo = "no-encontrado"
    titulo = "No encontrado"


class EntradaInvalida(SiggError):
    codigo = "entrada-invalida"
    titulo = "Entrada inválida"


class RegistroInvalido(EntradaInvalida):
    """A record that breaks the registry's rules (422): ``errores`` names every field and its
    reason, so that a form can mark each one and an API client gets them all at once."""

    codigo = "registro-invalido"
    titulo = "Registro no válido"

    def __init__(self, errores: Iterable[tuple[str, str]]) -> None:
        lista = [{"campo": c, "mensaje": m} for c, m in errores]
        unico = {"campo": lista[0]["campo"]} if len(lista) == 1 else {}
        super().__init__(
            "; ".join(f"{e['campo']}: {e['mensaje']}" for e in lista), errores=lista, **unico
        )


class ParametroInvalido(EntradaInvalida):
    """A malformed request to a standard service (OGC API): 400, as the standard expects."""

    codigo = "parametro-invalido"
    titulo = "Parámetro no válido"


class ArchivoDemasiadoGrande(EntradaInvalida):
    """A file past its size limit (413): ``campo`` names the form field."""

    codigo = "archivo-grande"
    titulo = "Archivo demasiado grande"


class TipoNoAdmitido(EntradaInvalida):
    """A file whose content is of a type the operation does not take (415), judged by the
    content, never by its name: ``campo`` names the form field."""

    codigo = "tipo-no-admitido"
    titulo = "Tipo de archivo no admitido"


class PuntoFueraDeBolivia(EntradaInvalida):
    codigo = "fuera-de-bolivia"
    titulo = "El punto está fuera de Bolivia"


class PuntoEnCuerpoDeAgua(EntradaInvalida):
    codigo = "cuerpo-de-agua"
    titulo = "El punto cae en un lago o salar"


class TerritorioNoCargado(SiggError):
    codigo = "territorio-no-cargado"
    titulo = "Territorio no cargado"


class ErrorCargaTerritorio(SiggError):
    """A boundary file failed validation; nothing was written."""

    codigo = "carga-territorio"
    titulo = "La carga de territorio no pasó la validación"

    def __init__(self, errores: list[str]) -> None:
        super().__init__("; ".join(errores[:5]) + (" ..." if len(errores) > 5 else ""))
        self.errores = errores


class ErrorCluster(SiggError):
    codigo = "cluster"
    titulo = "Error del PostgreSQL privado"


class Conflicto(SiggError):
    codigo = "conflicto"
    titulo = "Conflicto con los datos"


class CodigoDuplicado(Conflicto):
    """A new record whose code the program already has (409)."""

    codigo = "duplicado"
    titulo = "Código duplicado"

    def __init__(self, mensaje: str) -> None:
        super().__init__(mensaje, errores=[{"campo": "codigo", "mensaje": mensaje}])


class FaltaVersion(SiggError):
    codigo = "falta-if-match"
    titulo = "Falta If-Match"


class VersionObsoleta(SiggError):
    codigo = "version"
    titulo = "El registro cambió"


class NoAutenticado(SiggError):
    """No valid credentials: a missing, expired or forged token (401)."""

    codigo = "no-autenticado"
    titulo = "Inicie sesión"


class Prohibido(SiggError):
    """Authenticated, but this user may not do this to this record (403)."""

    codigo = "prohibido"
    titulo = "No permitido"


class Bloqueado(Conflicto):
    """A validated record: locked until national coordination reopens it (409)."""

    codigo = "registro-bloqueado"
    titulo = "Registro validado"


class DemasiadasSolicitudes(SiggError):
    codigo = "demasiadas-solicitudes"
    titulo = "Demasiadas solicitudes"


class OperacionEnCurso(Conflicto):
    """A request with the same Idempotency-Key is still being processed (409): retried in a
    moment, it gets that request's answer."""

    codigo = "idempotencia-en-curso"
    titulo = "Operación en curso"


class ClaveReutilizada(EntradaInvalida):
    """An Idempotency-Key already used for another request (422): a key names one operation."""

    codigo = "idempotencia-clave-reutilizada"
    titulo = "Idempotency-Key ya usada"
