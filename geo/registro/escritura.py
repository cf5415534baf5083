"""Writing validated alliances: COPY into a staging table, compare it with the alliances it
would change (field by field, so that a refusal can name them), then one UPDATE for the
existing codes that change (so a re-import writes nothing and audits nothing) and one INSERT
for the new ones. Triggers keep the audit trail, the version and the stage history.

An import writes the same statements block by block (each staged row has its place ``n``), all
in the caller's one transaction: still all or nothing.

Money transferred and accounted for (``monto_transferido_bs``, ``monto_descargado_bs``) that a
row carries enters the dated ledger in the same statement (migration 0012): a trigger adds the
difference from the ledger's sum as an ``ajuste`` movement, dated at the row's stage date for a
new alliance and today for a change. Movements themselves go through geo.registro.movimientos.

An import stages its rows block by block as it validates them (:func:`preparar`,
:func:`cargar`), so that it holds one block of validated rows in memory, never the file's, and
compares (:func:`cambios_preparados`) and writes (:func:`escribir_rango`) each block from the
staging table as soon as it is staged, in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

from sqlalchemy import Connection, text

from geo.registro.alianzas import COLUMNAS, AlianzaValida, Programa

_TIPOS = {
    "modelo": "smallint", "fecha_etapa": "date", "fecha_solicitud": "date", "familias": "int",
    "familias_mujeres": "int", "hectareas_riego": "numeric(12, 2)",
}  # fmt: skip
_COLUMNAS_DE = attrgetter(*COLUMNAS)  # an entry's COLUMNAS, as a tuple
_STAGING = (
    "n", "fila", "codigo", "organizacion", "organizacion_id", *COLUMNAS, "municipio_codigo",
    "lon", "lat", "precision", "alertas",
)  # fmt: skip


@dataclass
class Escritura:
    insertadas: int
    actualizadas: int
    sin_cambios: int
    ids: dict[str, int]

    def sumar(self, otra: Escritura) -> None:
        """Add the counts of ``otra`` (a later block's) to these."""
        self.insertadas += otra.insertadas
        self.actualizadas += otra.actualizadas
        self.sin_cambios += otra.sin_cambios


@dataclass(frozen=True)
class Cambio:
    """What writing a row would do to its existing alliance: the alliance's verification state
    and, for each field that would change, its value now and after, as the database shows them
    (None: empty)."""

    estado: str
    campos: dict[str, tuple[str | None, str | None]]
    fila: int | None = None  # the file's row that would change it


def comparar(conn: Connection, prog: Programa, validas: list[AlianzaValida]) -> dict[str, Cambio]:
    """Stage the rows and answer, by code, the existing alliances that writing them would
    change; unchanged ones are absent. :func:`escribir` then writes from the same staging."""
    if not validas:
        return {}
    preparar(conn)
    cargar(conn, validas, 0)
    bloquear(conn, prog)
    return cambios_preparados(conn, prog)


def preparar(conn: Connection) -> None:
    """An empty staging table for this transaction (dropped at its end, or by the write)."""
    cols = ", ".join(
        f"{c} {_TIPOS.get(c, 'numeric(16, 2)' if c.startswith('monto') else 'text')}"
        for c in COLUMNAS
    )
    conn.execute(text("DROP TABLE IF EXISTS _carga_alianza"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE _carga_alianza (n int NOT NULL, fila int, codigo text PRIMARY KEY, "
            f"organizacion text, organizacion_id bigint, {cols}, municipio_codigo text, "
            "lon float8, lat float8, precision smallint, alertas text[]) ON COMMIT DROP"
        )
    )
    # A block is compared and written by its rows' n, while the table holds the blocks before.
    conn.execute(text("CREATE INDEX ON _carga_alianza (n)"))


def bloquear(conn: Connection, prog: Programa) -> None:
    """Take the program's write lock, held to the transaction's end: what is compared
    (:func:`cambios_preparados`, called after it) is what is written."""
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('sigg.alianza'), :p)"), {"p": prog.id})


def cambios_preparados(
    conn: Connection, prog: Programa, desde: int = 0, hasta: int | None = None
) -> dict[str, Cambio]:
    """The changes the staged rows ``desde`` to ``hasta`` (their ``n``; None: all) would make
    to existing alliances (see :func:`comparar`). The caller holds the program's write lock
    (:func:`bloquear`), taken once for the transaction rather than once per block."""
    p = {"p": prog.id, "desde": desde, "hasta": hasta}
    orden = [campo for campo, _, _ in _CAMPOS]
    return {
        codigo: Cambio(
            estado, {c: (campos[c][0], campos[c][1]) for c in orden if c in campos}, fila
        )
        for codigo, fila, estado, campos in conn.execute(_CAMBIOS, p)
    }


def escribir(conn: Connection, prog: Programa, validas: list[AlianzaValida]) -> Escritura:
    """Write the rows, compared first (:func:`comparar`), in one UPDATE and one INSERT, and
    drop the staging table. The answer names each row's id."""
    if not validas:
        return Escritura(0, 0, 0, {})
    escritura = escribir_rango(conn, prog, 0, len(validas), comparar(conn, prog, validas))
    escritura.ids = dict(
        conn.execute(
            text(
                "SELECT a.codigo, a.id FROM alianza a JOIN _carga_alianza s "
                "ON s.codigo = a.codigo WHERE a.programa_id = :p"
            ),
            {"p": prog.id},
        ).all()
    )
    conn.execute(text("DROP TABLE _carga_alianza"))
    return escritura


def escribir_rango(
    conn: Connection, prog: Programa, desde: int, hasta: int, cambios: dict[str, Cambio]
) -> Escritura:
    """Write the staged rows ``desde`` to ``hasta`` (their ``n``, the end excluded): their new
    organizations, one UPDATE of the existing alliances among ``cambios`` (what
    :func:`cambios_preparados` answered for them) and one INSERT of the new ones."""
    rango = {"p": prog.id, "v": prog.cartografia, "desde": desde, "hasta": hasta}
    conn.execute(
        text(
            "INSERT INTO organizacion (programa_id, nombre) SELECT DISTINCT :p, organizacion "
            "FROM _carga_alianza WHERE organizacion IS NOT NULL "
            "AND n >= :desde AND n < :hasta ON CONFLICT DO NOTHING"
        ),
        rango,
    )
    actualizadas = conn.execute(_UPDATE, rango | {"c": list(cambios)}).rowcount if cambios else 0
    insertadas = conn.execute(_INSERT, rango).rowcount
    return Escritura(insertadas, actualizadas, hasta - desde - insertadas - actualizadas, {})


def cargar(conn: Connection, validas: list[AlianzaValida], desde: int) -> None:
    """Append ``validas`` to the staging table (COPY), numbered from ``desde``."""
    raw = conn.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY _carga_alianza ({', '.join(_STAGING)}) FROM STDIN") as copy,
    ):
        for n, v in enumerate(validas, start=desde):
            e = v.entrada
            copy.write_row(
                (
                    n,
                    v.fila,
                    e.codigo,
                    e.organizacion,
                    e.organizacion_id,
                    *_COLUMNAS_DE(e),
                    v.municipio_codigo,
                    v.lon,
                    v.lat,
                    v.precision,
                    v.alertas,
                )
            )


_ORG = "coalesce(s.organizacion_id, o.id, a.organizacion_id)"
_FECHA = (
    "CASE WHEN s.etapa = a.etapa THEN coalesce(s.fecha_etapa, a.fecha_etapa) "
    "ELSE coalesce(s.fecha_etapa, current_date) END"
)
_NOMBRE_ORG = "(SELECT nombre FROM organizacion WHERE id = {})"
# Every field that writing a row may change, as (field, now, after): the one definition of "what
# changes", for the comparison and the UPDATE alike. The organization is compared by name (unique
# in a program), so that one the file names for the first time counts before it is inserted.
_CAMPOS = (
    *((c, f"a.{c}", _FECHA if c == "fecha_etapa" else f"s.{c}") for c in COLUMNAS),
    (
        "organizacion",
        _NOMBRE_ORG.format("a.organizacion_id"),
        f"coalesce({_NOMBRE_ORG.format('s.organizacion_id')}, s.organizacion, "
        f"{_NOMBRE_ORG.format('a.organizacion_id')})",
    ),
    ("municipio_codigo", "a.municipio_codigo", "s.municipio_codigo"),
    ("lon", "ST_X(a.geom)", "s.lon"),
    ("lat", "ST_Y(a.geom)", "s.lat"),
    ("precision_ubicacion", "a.precision_ubicacion", "s.precision"),
    ("alertas", "a.alertas", "s.alertas"),
)
_ANTES = ", ".join(antes for _, antes, _ in _CAMPOS)
_DESPUES = ", ".join(despues for _, _, despues in _CAMPOS)
_DIFERENCIAS = ", ".join(
    f"'{campo}', CASE WHEN {antes} IS DISTINCT FROM {despues} "
    f"THEN jsonb_build_array(({antes})::text, ({despues})::text) END"
    for campo, antes, despues in _CAMPOS
)

_CAMBIOS = text(f"""
SELECT codigo, fila, estado, campos FROM (
    SELECT s.codigo, s.fila, a.estado,
           jsonb_strip_nulls(jsonb_build_object({_DIFERENCIAS})) AS campos
    FROM _carga_alianza s
    JOIN alianza a ON a.programa_id = :p AND a.codigo = s.codigo
    WHERE s.n >= :desde AND (s.n < :hasta OR CAST(:hasta AS int) IS NULL)
) c
WHERE campos <> '{{}}'::jsonb
""")  # noqa: S608  (column names are this module's constants)

_UPDATE = text(f"""
UPDATE alianza a SET
    {", ".join(f"{c} = s.{c}" for c in COLUMNAS if c != "fecha_etapa")},
    fecha_etapa = {_FECHA},
    organizacion_id = {_ORG},
    cartografia = :v, municipio_codigo = s.municipio_codigo,
    geom = ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326),
    precision_ubicacion = s.precision, alertas = s.alertas
FROM _carga_alianza s
LEFT JOIN organizacion o ON o.programa_id = :p AND o.nombre = s.organizacion
WHERE a.programa_id = :p AND a.codigo = s.codigo AND a.codigo = ANY(:c)
  AND s.n >= :desde AND s.n < :hasta
  AND ({_ANTES}) IS DISTINCT FROM ({_DESPUES})
""")  # noqa: S608

# The existing codes were updated above; ON CONFLICT skips them through the unique index
# (a NOT EXISTS subquery became a full scan per row when the table's statistics said it was
# empty: a quadratic import, bench/RESULTS.md).
_INSERT = text(f"""
INSERT INTO alianza (programa_id, codigo, organizacion_id, {", ".join(COLUMNAS)}, cartografia,
                     municipio_codigo, geom, precision_ubicacion, alertas)
SELECT :p, s.codigo, coalesce(s.organizacion_id, o.id),
       {
    ", ".join(
        f"coalesce(s.{c}, current_date)" if c == "fecha_etapa" else f"s.{c}" for c in COLUMNAS
    )
},
       :v, s.municipio_codigo, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326), s.precision,
       s.alertas
FROM _carga_alianza s
LEFT JOIN organizacion o ON o.programa_id = :p AND o.nombre = s.organizacion
WHERE s.n >= :desde AND s.n < :hasta
ON CONFLICT (programa_id, codigo) DO NOTHING
""")  # noqa: S608
