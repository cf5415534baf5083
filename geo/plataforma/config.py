"""Settings for every part of SIGG, read from the environment (prefix ``SIGG_``).

Settings are built by whoever starts the program (the CLI or the app factory) and passed in;
nothing reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The repository root, for a source checkout (editable install). The private cluster and the
# default boundary folder are found relative to it.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Published in the source: good for development only, refused anywhere else.
CLAVE_DESARROLLO = "desarrollo-no-usar-en-produccion"


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
        default="development",
        description="development, or anything else (production): then a real signing key is "
        "required",
    )
    clave_secreta: SecretStr = Field(
        default=SecretStr(CLAVE_DESARROLLO),
        description="Signs the session tokens (JWT HS256); at least 32 characters in production",
    )
    token_minutos: int = Field(default=30, ge=1, le=24 * 60, description="Session token life")
    limite_reclamos: str = Field(
        default="5/10 minutes", description="Complaints one address may file (limits notation)"
    )
    limite_ingresos: str = Field(
        default="10/minute", description="Login attempts one address may make"
    )

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
        """Outside development, refuse to run with the published development key."""
        if self.environment == "development":
            return
        clave = self.clave_secreta.get_secret_value()
        if clave == CLAVE_DESARROLLO or len(clave) < 32:
            raise ValueError(
                "SIGG_CLAVE_SECRETA no está definida (o tiene menos de 32 caracteres) y "
                f"SIGG_ENVIRONMENT={self.environment}: defina una clave propia, p. ej. con "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )

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
