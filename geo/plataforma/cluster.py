"""The private PostgreSQL/PostGIS cluster that SIGG runs for itself when no external
database is configured: initdb under a git-ignored folder, its own port on loopback and its own
socket folder, password authentication with a generated password kept beside it.

PostgreSQL refuses to run as root, so when we are root every server command runs as the
``postgres`` system user (created by Debian's postgresql-common) and the data folder belongs to it.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from geo.plataforma.errors import ErrorCluster

DEBIAN_BIN = Path("/usr/lib/postgresql/15/bin")
SUPERUSER = "sigg"
DATABASE = "sigg"


def _find_bin_dir(configured: Path | None) -> Path:
    if configured is not None:
        return configured
    if (DEBIAN_BIN / "initdb").exists():
        return DEBIAN_BIN
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ErrorCluster(
        "No se encontró PostgreSQL 15 (initdb). Instale los paquetes de Debian: "
        "apt-get install postgresql-15 postgresql-15-postgis-3"
    )


@dataclass(frozen=True)
class PrivateCluster:
    state_dir: Path
    port: int
    bin_dir: Path

    @classmethod
    def from_settings(cls, settings) -> PrivateCluster:  # type: ignore[no-untyped-def]
        return cls(
            state_dir=Path(settings.state_dir).resolve(),
            port=settings.pg_port,
            bin_dir=_find_bin_dir(settings.pg_bin_dir),
        )

    @property
    def data_dir(self) -> Path:
        return self.state_dir / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.state_dir / "run"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.state_dir / "password"

    # -- state ---------------------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialized():
            return False
        result = self._run(["pg_ctl", "status", "-D", str(self.data_dir)], check=False)
        return result.returncode == 0

    def password(self) -> str:
        try:
            return self.password_file.read_text().strip()
        except FileNotFoundError as exc:
            raise ErrorCluster(
                f"El clúster privado no está inicializado ({self.state_dir}): "
                "ejecute 'sigg db start'"
            ) from exc

    def url(self, database: str = DATABASE) -> str:
        return (
            f"postgresql+psycopg://{SUPERUSER}:{quote(self.password(), safe='')}"
            f"@127.0.0.1:{self.port}/{database}"
        )

    # -- commands ------------------------------------------------------------------------
    def init(self) -> None:
        if self.initialized():
            return
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if not self.password_file.exists():
            self.password_file.write_text(secrets.token_urlsafe(24) + "\n")
        self.password_file.chmod(0o600)
        self._hand_over(self.state_dir, self.socket_dir, self.password_file)
        self._check_reachable_by_server_user()
        self._run(
            [
                "initdb",
                "-D", str(self.data_dir),
                "--username", SUPERUSER,
                "--pwfile", str(self.password_file),
                "--auth", "scram-sha-256",
                "--encoding", "UTF8",
                "--locale", "C.UTF-8",
            ]
        )  # fmt: skip
        conf = self.data_dir / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write(
                "\n# SIGG private cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "fsync = on\n"
                "shared_buffers = 256MB\n"
                # Aggregations over a million records hash in memory instead of sorting on disk.
                "work_mem = 32MB\n"
                "max_connections = 200\n"
            )

    def start(self) -> bool:
        """Start the cluster (initialising it the first time). Returns False if already up."""
        self.init()
        if self.running():
            return False
        self._hand_over(self.socket_dir)
        self._check_port_free()
        result = self._run(
            [
                "pg_ctl", "start", "-w", "-t", "60",
                "-D", str(self.data_dir),
                "-l", str(self.log_file),
                "-o", f"-p {self.port}",
            ],
            check=False,
        )  # fmt: skip
        if result.returncode != 0:
            tail = self._log_tail()
            raise ErrorCluster(
                f"PostgreSQL no arrancó en el puerto {self.port}: {result.stderr.strip()}\n{tail}"
            )
        self.ensure_database(DATABASE)
        return True

    def stop(self) -> bool:
        if not self.running():
            return False
        self._run(["pg_ctl", "stop", "-w", "-m", "fast", "-D", str(self.data_dir)])
        return True

    def ensure_database(self, name: str, *, recreate: bool = False) -> None:
        """Create ``name`` on the cluster (dropping it first when ``recreate``)."""
        import psycopg

        admin = f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"
        with psycopg.connect(admin, password=self.password(), autocommit=True) as conn:
            create_database(conn, name, recreate=recreate)

    # -- helpers -------------------------------------------------------------------------
    def _server_user(self) -> pwd.struct_passwd | None:
        """The user the server runs as: ``postgres`` when we are root, else ourselves."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam("postgres")
        except KeyError as exc:
            raise ErrorCluster(
                "Como root, PostgreSQL debe correr como el usuario 'postgres', que no existe: "
                "instale postgresql-15 (crea ese usuario)"
            ) from exc

    def _hand_over(self, *paths: Path) -> None:
        user = self._server_user()
        if user is None:
            return
        for path in paths:
            os.chown(path, user.pw_uid, user.pw_gid)

    def _check_reachable_by_server_user(self) -> None:
        if self._server_user() is None:
            return
        probe = subprocess.run(
            ["runuser", "-u", "postgres", "--", "test", "-w", str(self.state_dir)],
            capture_output=True,
        )
        if probe.returncode != 0:
            raise ErrorCluster(
                f"El usuario 'postgres' no puede escribir en {self.state_dir} (¿una carpeta padre "
                "sin permiso de paso?). Use SIGG_STATE_DIR=/var/tmp/sigg u otra carpeta accesible."
            )

    def _check_port_free(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", self.port))
            except OSError as exc:
                raise ErrorCluster(
                    f"El puerto {self.port} de 127.0.0.1 está ocupado por otro programa "
                    "(¿otro clúster de SIGG?). Elija otro con SIGG_PG_PORT."
                ) from exc

    def _run(self, args: list[str], *, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin_dir / args[0]), *args[1:]]
        if self._server_user() is not None:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, cwd="/")
        if check and result.returncode != 0:
            raise ErrorCluster(f"{args[0]} falló: {result.stderr.strip() or result.stdout.strip()}")
        return result

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def create_database(conn, name: str, *, recreate: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Create a database on an autocommit psycopg connection to a maintenance database."""
    from psycopg import sql

    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    if exists and recreate:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        exists = None
    if not exists:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
