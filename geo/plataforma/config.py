"""Settings for every part of SIGG, read from the environment (prefix ``SIGG_``).

Settings are built by whoever starts the program (the CLI or the app factory) and passed in;
nothing reads the environment at import time.
"""

from __future__ import annotations

import os
import secrets
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The repository root, for a source checkout (editable install). The private cluster and the
# default boundary folder are found relative to it.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Once the default signing key, so published in the source (and in this repository's history):
# anyone can sign a token with it. Refused in every mode, never a usable value.
CLAVE_PUBLICADA = "desarrollo-no-usar-en-produccion"
LARGO_MINIMO_CLAVE = 32
ARCHIVO_CLAVE = "clave_secreta"  # in the state folder, beside the private cluster's password


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIGG_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="External PostGIS (postgresql+psycopg://...). Unset: the private cluster.",
    )
    database_url_lectura: str | None = Field(
        default=None,
        description="A read replica for the read-only requests (maps, aggregates, OGC, "
        "exports); writes always go to SIGG_DATABASE_URL",
    )
    state_dir: Path = Field(
        default=PROJECT_ROOT / ".sigg",
        description="Where the private cluster keeps its data, socket, log and password.",
    )
    pg_port: int = Field(default=54320, ge=1024, le=65535)
    pg_bin_dir: Path | None = Field(
        default=None,
        description="PostgreSQL binaries; default: Debian's /usr/lib/postgresql/15/bin",
    )
    boundaries_dir: Path | None = Field(
        default=None,
        description="Boundary files; default: ../shared/data/bolivia beside the project",
    )
    reference_dir: Path | None = Field(
        default=None, description="Published tables; default: ../shared/reference beside it"
    )
    tipo_cambio: float = Field(
        default=6.86, gt=0, description="Bolivianos per US dollar used in the program's reports"
    )
    cartografia: str = Field(default="2012", description="Cartography version used by default")
    programa: str = Field(
        default="PAR2",
        pattern=r"^[A-Za-z0-9_-]{1,16}$",
        description="Program answered when a request names none",
    )
    tolerancia_borde_m: float = Field(
        default=100.0,
        ge=0,
        description="A point this close to a municipality but in no polygon is still placed in it",
    )
    mapa_teselas: str | None = Field(
        default=None,
        description="Optional basemap tile URL ({z}/{x}/{y}); off by default: the map reads "
        "well without one and field offices may have no internet",
    )
    environment: str = Field(
        default="development", description="development, or anything else (production)"
    )
    clave_secreta: SecretStr | None = Field(
        default=None,
        description="Signs the session tokens (JWT HS256), at least 32 characters. Unset: this "
        "installation's own key, generated once in the state folder (mode 600); set it when "
        "several machines must accept each other's tokens",
    )
    proxies_confiables: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="Addresses or networks of the reverse proxies in front of the API, comma "
        "separated. Only a request from one of them has its X-Forwarded-For read (its "
        "right-most untrusted hop is the client); otherwise the client is the socket's address",
    )
    token_minutos: int = Field(default=30, ge=1, le=24 * 60, description="Session token life")
    limite_reclamos: str = Field(
        default="5/10 minutes", description="Complaints one address may file (limits notation)"
    )
    limite_ingresos: str = Field(
        default="10/minute", description="Login attempts one address may make"
    )
    importacion_hilos: int = Field(
        default=1,
        ge=1,
        le=8,
        description="Import jobs each server process runs at once (the others wait their turn, "
        "queued): one leaves the other core of a small server to the people using the map",
    )
    importacion_aparte: bool = Field(
        default=True,
        description="Each import job in a process of its own, at a lower priority (false: in "
        "the server's worker thread, sharing its interpreter with the requests)",
    )
    importacion_max_mb: int = Field(
        default=400,
        ge=1,
        le=4096,
        description="Largest file an import job takes, in MB (streamed to the state folder; a "
        "CSV of 1,000,000 alliances is about 150 MB). The direct import keeps its 50 MB",
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Worker processes of `sigg serve` (uvicorn's own multi-process mode). Unset: "
        "one per core this process may run on",
    )

    _clave: str | None = PrivateAttr(default=None)

    @field_validator("clave_secreta", mode="before")
    @classmethod
    def _vacia_es_ninguna(cls, value: Any) -> Any:
        return None if value == "" else value  # SIGG_CLAVE_SECRETA= (empty): the generated key

    @field_validator("proxies_confiables", mode="before")
    @classmethod
    def _lista_de_redes(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [parte.strip() for parte in value.split(",") if parte.strip()]
        if isinstance(value, list | tuple):
            # A bare address is a network of one; host bits are tolerated ("10.0.0.5/8").
            return [ip_network(str(v).strip(), strict=False) for v in value]
        return value

    @field_validator("database_url", "database_url_lectura")
    @classmethod
    def _normalise_driver(cls, value: str | None) -> str | None:
        if not value:
            return None
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    def comprobar_secretos(self) -> None:
        """Refuse to start with a signing key anyone may know, in every mode (see clave_firma)."""
        self.clave_firma()

    def clave_firma(self) -> str:
        """The key that signs session tokens: SIGG_CLAVE_SECRETA, or this installation's own,
        generated on first use and kept in the state folder with mode 600 (as the private
        cluster's password is), so that every worker and every restart signs with the same one.
        The key once published in the source, or any shorter than 32 characters, is refused."""
        if self._clave is None:
            if self.clave_secreta is not None:
                clave, origen = self.clave_secreta.get_secret_value(), "SIGG_CLAVE_SECRETA"
            else:
                archivo = self.state_dir / ARCHIVO_CLAVE
                try:
                    clave, origen = _clave_de_instalacion(archivo), str(archivo)
                except OSError as e:
                    raise ValueError(
                        f"{archivo}: no se pudo leer ni crear la clave de firma ({e.strerror}); "
                        "defina SIGG_CLAVE_SECRETA o permita escribir en SIGG_STATE_DIR"
                    ) from e
            if clave == CLAVE_PUBLICADA:
                raise ValueError(
                    f"{origen}: es la clave publicada en el código fuente, que cualquiera puede "
                    "usar para firmar tokens; quítela (SIGG genera una propia) o defina otra, "
                    "p. ej. con `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
                )
            if len(clave) < LARGO_MINIMO_CLAVE:
                raise ValueError(
                    f"{origen}: la clave de firma tiene {len(clave)} caracteres y necesita al "
                    f"menos {LARGO_MINIMO_CLAVE} caracteres"
                )
            self._clave = clave
        return self._clave

    def procesos(self) -> int:
        """How many worker processes `sigg serve` starts: SIGG_WORKERS, or one per core."""
        if self.workers is not None:
            return self.workers
        try:
            return len(os.sched_getaffinity(0))  # the cores this process may use (Linux)
        except AttributeError:
            return os.cpu_count() or 1

    @property
    def usa_cluster_privado(self) -> bool:
        return self.database_url is None

    def directorio_limites(self) -> Path:
        """The folder the territory loader reads by default."""
        if self.boundaries_dir is not None:
            return self.boundaries_dir
        return PROJECT_ROOT.parent / "shared" / "data" / "bolivia"

    def directorio_referencia(self) -> Path:
        """The program's published tables, which the demo data is calibrated to."""
        return self.reference_dir or PROJECT_ROOT.parent / "shared" / "reference"


def _clave_de_instalacion(archivo: Path) -> str:
    """The key in ``archivo``, made first if missing. It is written to a private temporary file
    and linked into place, so two workers starting together end up with one key, never a
    half-written one."""
    if not archivo.exists():
        archivo.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
        temporal = archivo.with_name(f".{archivo.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporal, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(temporal, archivo)
        except FileExistsError:
            pass  # another worker was first: use its key
        finally:
            temporal.unlink()
    if archivo.stat().st_mode & 0o077:
        archivo.chmod(0o600)
    return archivo.read_text().strip()
