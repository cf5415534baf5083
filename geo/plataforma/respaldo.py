"""Backup and restore: one file holding the database and what a restore needs from outside it,
checked on the way back in.

The file is a plain tar with three kinds of member:

- ``manifiesto.json``: when, from which SIGG version, migration revision, PostgreSQL and PostGIS
  versions, the exact row count of every table and the sha256 of the dump;
- ``base.dump``: ``pg_dump -Fc`` of the database, taken in the same snapshot as the counts, so
  the counts describe exactly what the dump holds even while people keep writing;
- the files of the state folder that the installation cannot rebuild (``ARCHIVOS_DE_ESTADO``).

Nothing that belongs to the server travels: no roles, owners or grants (``pg_restore
--no-owner --no-privileges``) and not the private cluster's password, so a backup restores into
any PostGIS with the credentials of whoever restores it. A restore goes into a database of its
own under a temporary name, is compared with the manifest and only then takes its final name;
taking the place of an existing database needs an explicit ``reemplazar``, and the database it
replaces is set aside under another name, not dropped.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import psycopg
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from psycopg import sql as psql
from psycopg.conninfo import make_conninfo
from sqlalchemy import Connection, create_engine, func, select, table, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from geo.plataforma.cluster import create_database
from geo.plataforma.db import postgis_version
from geo.plataforma.errors import SiggError
from geo.plataforma.migrate import alembic_config, current_revision

FORMATO = "sigg-respaldo"
VERSION_FORMATO = 1
MANIFIESTO = "manifiesto.json"
VOLCADO = "base.dump"
# State-folder files a restore needs, and why. Deliberately absent: the private cluster's
# password (the target server has its own), its data folder (the dump is the data) and the demo
# accounts' passwords (a development convenience; the accounts and their hashes are in the dump).
ARCHIVOS_DE_ESTADO = {
    "clave_secreta": "clave de firma de la instalación: las sesiones y lo firmado con ella "
    "siguen siendo válidos tras restaurar en otra máquina",
}

PASOS_RESPALDO = (
    "Leyendo la base (instantánea, conteos)",
    "Volcando con pg_dump -Fc",
    "Empaquetando el respaldo",
)
PASOS_RESTAURACION = (
    "Comprobando el archivo y su manifiesto",
    "Creando la base nueva",
    "Restaurando con pg_restore",
    "Comparando los conteos con el manifiesto",
    "Dando a la base su nombre",
)

Avance = Callable[[str], None]
_NOMBRE_BASE = re.compile(r"^[a-z_][a-z0-9_]{0,47}$")


class ErrorRespaldo(SiggError):
    codigo = "respaldo"
    titulo = "Respaldo o restauración fallida"


@dataclass(frozen=True)
class Manifiesto:
    fecha: str
    sigg: str
    base: str
    migracion: str | None
    postgresql: str
    postgis: str | None
    pg_dump: str
    tablas: dict[str, int]
    volcado_sha256: str
    volcado_bytes: int
    archivos: dict[str, str] = field(default_factory=dict)
    formato: str = FORMATO
    version_formato: int = VERSION_FORMATO

    @property
    def filas(self) -> int:
        return sum(self.tablas.values())

    def como_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2).encode()

    @classmethod
    def desde_json(cls, datos: bytes) -> Manifiesto:
        try:
            leido: dict[str, Any] = json.loads(datos)
            if leido.get("formato") != FORMATO:
                raise ValueError("no es un respaldo de SIGG")
            if leido.get("version_formato") != VERSION_FORMATO:
                raise ValueError(f"versión de formato {leido.get('version_formato')} desconocida")
            return cls(**leido)
        except (ValueError, TypeError) as exc:
            raise ErrorRespaldo(f"el manifiesto del respaldo no es válido: {exc}") from exc


@dataclass(frozen=True)
class Respaldo:
    archivo: Path
    manifiesto: Manifiesto
    bytes: int
    segundos: float


@dataclass(frozen=True)
class Restauracion:
    base: str
    url: str
    manifiesto: Manifiesto
    segundos: float
    apartada: str | None  # the database that was replaced, kept under this name
    archivos: dict[str, str]  # state file -> what was done with it
    revision_vigente: bool  # False: run the migrations before serving it


# -- backup ------------------------------------------------------------------------------------
def respaldar(
    url: str,
    destino: Path,
    estado: Path,
    *,
    bin_dir: Path | None = None,
    avance: Avance | None = None,
) -> Respaldo:
    """Back up the database at ``url`` (and the state files of ``estado``) into ``destino``, a
    file or a folder (then a dated name is made in it)."""
    paso = avance or (lambda _msg: None)
    inicio = time.monotonic()
    destino = destino / _nombre_por_defecto(make_url(url).database) if destino.is_dir() else destino
    destino.parent.mkdir(parents=True, exist_ok=True)
    paso(PASOS_RESPALDO[0])
    engine = create_engine(url, poolclass=NullPool)
    try:
        with (
            engine.connect().execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            ) as conn,
            conn.begin(),
            tempfile.TemporaryDirectory(dir=destino.parent, prefix=".sigg-respaldo-") as tmp,
        ):
            # Counts and dump read one snapshot: the manifest describes exactly the dump.
            instantanea, momento = conn.execute(text("SELECT pg_export_snapshot(), now()")).one()
            servidor = _version_servidor(conn)
            herramientas = directorio_binarios(servidor[0], bin_dir)
            datos = _describir(conn)
            paso(PASOS_RESPALDO[1])
            volcado = Path(tmp) / VOLCADO
            _pg(
                herramientas,
                "pg_dump",
                ["--format=custom", f"--snapshot={instantanea}", f"--file={volcado}"],
                url,
            )
            paso(PASOS_RESPALDO[2])
            archivos = {n: m for n, m in ARCHIVOS_DE_ESTADO.items() if (estado / n).is_file()}
            manifiesto = Manifiesto(
                fecha=momento.astimezone(UTC).isoformat(timespec="seconds"),
                sigg=_version_sigg(),
                base=str(make_url(url).database),
                postgresql=servidor[1],
                pg_dump=_version_de(herramientas / "pg_dump"),
                volcado_sha256=_sha256(volcado),
                volcado_bytes=volcado.stat().st_size,
                archivos=archivos,
                **datos,
            )
            _empaquetar(destino, manifiesto, volcado, [estado / n for n in archivos])
    finally:
        engine.dispose()
    return Respaldo(destino, manifiesto, destino.stat().st_size, time.monotonic() - inicio)


def _nombre_por_defecto(base: str | None) -> str:
    return f"sigg-respaldo-{base or 'sigg'}-{datetime.now():%Y%m%d-%H%M%S}.tar"


def _describir(conn: Connection) -> dict[str, Any]:
    """Migration revision, PostGIS version and the exact row count of every table of ours."""
    tablas = conn.execute(
        text(
            "SELECT n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND n.nspname NOT LIKE 'pg\\_toast%' "
            # Extension tables (PostGIS's spatial_ref_sys) come back with the extension.
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
            "AND d.objid = c.oid AND d.deptype = 'e') ORDER BY 1, 2"
        )
    ).all()
    return {
        "migracion": current_revision(conn),
        "postgis": postgis_version(conn),
        "tablas": {
            f"{esquema}.{nombre}": conn.execute(
                select(func.count()).select_from(table(nombre, schema=esquema))
            ).scalar_one()
            for esquema, nombre in tablas
        },
    }


def _empaquetar(destino: Path, manifiesto: Manifiesto, volcado: Path, extras: list[Path]) -> None:
    """Write the tar beside ``destino`` and move it in place: a half-written backup never
    carries the final name. Mode 600: it holds personal data and the accounts' hashes."""
    fd, parcial = tempfile.mkstemp(dir=destino.parent, prefix=".sigg-respaldo-", suffix=".tar")
    try:
        with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w") as tar:
            _agregar(tar, MANIFIESTO, io.BytesIO(manifiesto.como_json()))
            tar.add(volcado, arcname=VOLCADO, filter=_solo_propietario)
            for extra in extras:
                tar.add(extra, arcname=extra.name, filter=_solo_propietario)
        os.replace(parcial, destino)
    except BaseException:
        Path(parcial).unlink(missing_ok=True)
        raise


def _agregar(tar: tarfile.TarFile, nombre: str, contenido: io.BytesIO) -> None:
    info = tarfile.TarInfo(nombre)
    info.size, info.mtime, info.mode = len(contenido.getbuffer()), int(time.time()), 0o600
    tar.addfile(info, contenido)


def _solo_propietario(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


# -- restore -----------------------------------------------------------------------------------
def restaurar(
    archivo: Path,
    servidor_url: str,
    base: str | None,
    estado: Path,
    *,
    reemplazar: bool = False,
    bin_dir: Path | None = None,
    avance: Avance | None = None,
) -> Restauracion:
    """Restore ``archivo`` into database ``base`` (default: a new name from the backup's) of the
    server of ``servidor_url``. An existing ``base`` is refused unless ``reemplazar``; then it is
    set aside under another name once the restored copy has passed its checks."""
    paso = avance or (lambda _msg: None)
    inicio = time.monotonic()
    paso(PASOS_RESTAURACION[0])
    with _abrir(archivo) as tar, tempfile.TemporaryDirectory(prefix="sigg-restaurar-") as tmp:
        manifiesto = _manifiesto_de(tar)
        vigente = _comprobar_revision(manifiesto.migracion)
        volcado = _extraer_volcado(tar, manifiesto, Path(tmp))
        nombre = _nombre_destino(base, manifiesto)
        with _admin(servidor_url) as admin:
            existe = _existe(admin, nombre)
            if existe and not reemplazar:
                raise ErrorRespaldo(
                    f"la base '{nombre}' ya existe: elija otro nombre con --base, o use "
                    "--reemplazar para que la restaurada ocupe su lugar (la actual se conserva "
                    "con otro nombre)"
                )
            paso(PASOS_RESTAURACION[1])
            temporal = f"{nombre}__restaurando"
            create_database(admin, temporal, recreate=True)
            url_temporal = _url(servidor_url, temporal)
            try:
                paso(PASOS_RESTAURACION[2])
                herramientas = directorio_binarios(admin.info.server_version // 10000, bin_dir)
                _pg(herramientas, "pg_restore", _opciones_restauracion(volcado), url_temporal)
                paso(PASOS_RESTAURACION[3])
                _verificar(url_temporal, manifiesto)
                paso(PASOS_RESTAURACION[4])
                apartada = _apartar(admin, nombre) if existe else None
                _renombrar(admin, temporal, nombre)
            except BaseException:
                admin.execute(
                    psql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        psql.Identifier(temporal)
                    )
                )
                raise
        archivos = _restaurar_archivos(tar, manifiesto, estado)
    return Restauracion(
        base=nombre,
        url=_url(servidor_url, nombre).render_as_string(hide_password=False),
        manifiesto=manifiesto,
        segundos=time.monotonic() - inicio,
        apartada=apartada,
        archivos=archivos,
        revision_vigente=vigente,
    )


@contextmanager
def _abrir(archivo: Path) -> Iterator[tarfile.TarFile]:
    try:
        with tarfile.open(archivo, mode="r:") as tar:
            yield tar
    except FileNotFoundError as exc:
        raise ErrorRespaldo(f"el archivo {archivo} no existe") from exc
    except tarfile.TarError as exc:
        raise ErrorRespaldo(f"{archivo} no es un respaldo de SIGG (tar ilegible: {exc})") from exc


def _miembro(tar: tarfile.TarFile, nombre: str) -> IO[bytes]:
    """A member read by its exact name, never extracted by path: nothing lands outside."""
    try:
        contenido = tar.extractfile(nombre)
    except KeyError:
        contenido = None
    if contenido is None:
        raise ErrorRespaldo(f"al respaldo le falta '{nombre}'")
    return contenido


def _manifiesto_de(tar: tarfile.TarFile) -> Manifiesto:
    return Manifiesto.desde_json(_miembro(tar, MANIFIESTO).read())


def _comprobar_revision(revision: str | None) -> bool:
    """Refuse a database from a newer SIGG; True when it is at this code's latest revision."""
    scripts = ScriptDirectory.from_config(alembic_config())
    if revision is None:
        raise ErrorRespaldo("el respaldo no tiene revisión de migración: no es una base de SIGG")
    try:
        scripts.get_revision(revision)
    except CommandError as exc:
        raise ErrorRespaldo(
            f"el respaldo está en la migración '{revision}', que esta versión de SIGG no conoce "
            f"(la última que conoce es '{scripts.get_current_head()}'): actualice SIGG antes de "
            "restaurarlo"
        ) from exc
    return revision == scripts.get_current_head()


def _extraer_volcado(tar: tarfile.TarFile, manifiesto: Manifiesto, carpeta: Path) -> Path:
    volcado = carpeta / VOLCADO
    resumen = hashlib.sha256()
    with _miembro(tar, VOLCADO) as origen, volcado.open("wb") as copia:
        while bloque := origen.read(1 << 20):
            resumen.update(bloque)
            copia.write(bloque)
    if resumen.hexdigest() != manifiesto.volcado_sha256:
        raise ErrorRespaldo(
            "el volcado del respaldo no coincide con su manifiesto (sha256 distinto): el archivo "
            "está dañado o fue modificado; no se restauró nada"
        )
    return volcado


def _nombre_destino(base: str | None, manifiesto: Manifiesto) -> str:
    if base is None:
        fecha = datetime.fromisoformat(manifiesto.fecha).astimezone()
        origen = re.sub(r"[^a-z0-9_]", "_", manifiesto.base.lower())[:30]
        base = f"{origen}_{fecha:%Y%m%d_%H%M%S}"
    if not _NOMBRE_BASE.match(base):
        raise ErrorRespaldo(
            f"'{base}' no sirve como nombre de base: use minúsculas, cifras y '_' "
            "(hasta 48 caracteres, sin empezar por cifra)"
        )
    return base


def _opciones_restauracion(volcado: Path) -> list[str]:
    # Owners and grants belong to the server the backup came from, not to this one.
    trabajos = max(1, min(4, os.cpu_count() or 1))
    return ["--no-owner", "--no-privileges", "--exit-on-error", f"--jobs={trabajos}", str(volcado)]


def _verificar(url: str | URL, manifiesto: Manifiesto) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            datos = _describir(conn)
    finally:
        engine.dispose()
    diferencias = [
        f"{t}: {manifiesto.tablas.get(t, 'ninguna')} en el respaldo, "
        f"{datos['tablas'].get(t, 'ninguna')} restauradas"
        for t in sorted(set(manifiesto.tablas) | set(datos["tablas"]))
        if manifiesto.tablas.get(t) != datos["tablas"].get(t)
    ]
    if datos["migracion"] != manifiesto.migracion:
        diferencias.append(
            f"migración {datos['migracion']} restaurada, {manifiesto.migracion} en el respaldo"
        )
    if diferencias:
        raise ErrorRespaldo(
            "la base restaurada no es igual al respaldo; se descartó: " + "; ".join(diferencias)
        )


def _restaurar_archivos(
    tar: tarfile.TarFile, manifiesto: Manifiesto, estado: Path
) -> dict[str, str]:
    """Put the state files back, never over a different one already there."""
    hecho: dict[str, str] = {}
    for nombre in manifiesto.archivos:
        contenido = _miembro(tar, nombre).read()
        destino = estado / nombre
        if destino.exists() and destino.read_bytes() == contenido:
            hecho[nombre] = f"igual al de {destino}"
            continue
        if destino.exists():
            destino = estado / f"{nombre}.restaurada"
        estado.mkdir(parents=True, exist_ok=True)
        fd = os.open(destino, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(contenido)
        os.chmod(destino, 0o600)
        hecho[nombre] = (
            f"escrito en {destino}"
            if destino.name == nombre
            else f"la instalación ya tiene otra: la del respaldo quedó en {destino}"
        )
    return hecho


# -- the server --------------------------------------------------------------------------------
@contextmanager
def _admin(servidor_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the server's maintenance database."""
    url = _url(servidor_url, "postgres").set(drivername="postgresql")
    try:
        conn = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
    except psycopg.OperationalError as exc:
        raise ErrorRespaldo(
            f"no se pudo conectar al servidor {url.render_as_string(hide_password=True)}: {exc}"
        ) from exc
    with conn:
        yield conn


def _existe(admin: psycopg.Connection, nombre: str) -> bool:
    fila = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (nombre,)).fetchone()
    return fila is not None


def _apartar(admin: psycopg.Connection, nombre: str) -> str:
    """Set the replaced database aside under a dated name (its sessions are ended)."""
    apartada = f"{nombre[:30]}_anterior_{datetime.now():%Y%m%d_%H%M%S}"
    admin.execute(
        psql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS false").format(psql.Identifier(nombre))
    )
    admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        (nombre,),
    )
    _renombrar(admin, nombre, apartada)
    admin.execute(
        psql.SQL("ALTER DATABASE {} WITH ALLOW_CONNECTIONS true").format(psql.Identifier(apartada))
    )
    return apartada


def _renombrar(admin: psycopg.Connection, de: str, a: str) -> None:
    admin.execute(
        psql.SQL("ALTER DATABASE {} RENAME TO {}").format(psql.Identifier(de), psql.Identifier(a))
    )


def _url(servidor_url: str, base: str) -> URL:
    return make_url(servidor_url).set(database=base)


def _version_servidor(conn: Connection) -> tuple[int, str]:
    numero = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    return numero // 10000, str(conn.execute(text("SHOW server_version")).scalar_one())


def directorio_binarios(mayor: int, configurado: Path | None = None) -> Path:
    """pg_dump/pg_restore able to read a server of major version ``mayor``: those of the
    configured folder, Debian's of that version (``/usr/lib/postgresql/N/bin``) or the PATH's,
    the first that is not older than the server."""
    candidatos = [configurado] if configurado else []
    candidatos.append(Path(f"/usr/lib/postgresql/{mayor}/bin"))
    if en_path := shutil.which("pg_dump"):
        candidatos.append(Path(en_path).resolve().parent)
    for carpeta in candidatos:
        herramienta = carpeta / "pg_dump"
        if herramienta.exists() and _mayor_de(herramienta) >= mayor:
            return carpeta
    raise ErrorRespaldo(
        f"no se encontró pg_dump/pg_restore de PostgreSQL {mayor} o posterior (el servidor es "
        f"{mayor}): instale el paquete de Debian postgresql-client-{mayor}"
    )


def _version_de(herramienta: Path) -> str:
    salida = subprocess.run([str(herramienta), "--version"], capture_output=True, text=True)
    return salida.stdout.strip()


def _mayor_de(herramienta: Path) -> int:
    encontrado = re.search(r"\)\s*(\d+)", _version_de(herramienta))
    return int(encontrado.group(1)) if encontrado else 0


def _pg(bin_dir: Path, programa: str, argumentos: list[str], url: str | URL) -> None:
    """Run a PostgreSQL client against ``url``; the password goes through the environment,
    never on the command line where ``ps`` would show it."""
    destino = make_url(url)
    conninfo = make_conninfo(
        host=destino.host,
        port=destino.port,
        user=destino.username,
        dbname=destino.database,
        **{k: str(v) for k, v in destino.query.items()},
    )
    entorno = os.environ | {"PGCONNECT_TIMEOUT": "10"}
    if destino.password:
        entorno["PGPASSWORD"] = destino.password
    resultado = subprocess.run(
        [str(bin_dir / programa), f"--dbname={conninfo}", *argumentos],
        capture_output=True,
        text=True,
        env=entorno,
    )
    if resultado.returncode != 0:
        detalle = (resultado.stderr or resultado.stdout).strip().splitlines()[-5:]
        raise ErrorRespaldo(f"{programa} falló: " + " | ".join(detalle))


def _sha256(archivo: Path) -> str:
    resumen = hashlib.sha256()
    with archivo.open("rb") as fh:
        while bloque := fh.read(1 << 20):
            resumen.update(bloque)
    return resumen.hexdigest()


def _version_sigg() -> str:
    try:
        return metadata.version("sigg")
    except metadata.PackageNotFoundError:
        return "desconocida"
