"""Writing validated alliances: COPY into a staging table, then one UPDATE for the existing
codes (only where something changed, so a re-import writes nothing and audits nothing) and one
INSERT for the new ones. Triggers keep the audit trail, the version and the stage history."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, text

from geo.registro.alianzas import COLUMNAS, AlianzaValida, Programa

_TIPOS = {
    "modelo": "smallint", "fecha_etapa": "date", "fecha_solicitud": "date", "familias": "int",
    "familias_mujeres": "int", "hectareas_riego": "numeric",
}  # fmt: skip
_STAGING = (
    "codigo", "organizacion", "organizacion_id", *COLUMNAS, "municipio_codigo", "lon", "lat",
    "precision", "alertas",
)  # fmt: skip


@dataclass
class Escritura:
    insertadas: int
    actualizadas: int
    sin_cambios: int
    ids: dict[str, int]


def escribir(conn: Connection, prog: Programa, validas: list[AlianzaValida]) -> Escritura:
    if not validas:
        return Escritura(0, 0, 0, {})
    p = {"p": prog.id, "v": prog.cartografia}
    conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('sigg.alianza'), :p)"), p)
    _staging(conn, validas)
    conn.execute(
        text(
            "INSERT INTO organizacion (programa_id, nombre) SELECT DISTINCT :p, organizacion "
            "FROM _carga_alianza WHERE organizacion IS NOT NULL ON CONFLICT DO NOTHING"
        ),
        p,
    )
    actualizadas = conn.execute(_UPDATE, p).rowcount
    insertadas = conn.execute(_INSERT, p).rowcount
    ids: dict[str, int] = dict(
        conn.execute(
            text(
                "SELECT a.codigo, a.id FROM alianza a JOIN _carga_alianza s ON s.codigo = a.codigo "
                "WHERE a.programa_id = :p"
            ),
            p,
        ).all()
    )
    conn.execute(text("DROP TABLE _carga_alianza"))
    return Escritura(insertadas, actualizadas, len(validas) - insertadas - actualizadas, ids)


def _staging(conn: Connection, validas: list[AlianzaValida]) -> None:
    cols = ", ".join(
        f"{c} {_TIPOS.get(c, 'numeric' if c.startswith('monto') else 'text')}" for c in COLUMNAS
    )
    conn.execute(text("DROP TABLE IF EXISTS _carga_alianza"))
    conn.execute(
        text(
            f"CREATE TEMP TABLE _carga_alianza (codigo text PRIMARY KEY, organizacion text, "
            f"organizacion_id bigint, {cols}, municipio_codigo text, lon float8, lat float8, "
            "precision smallint, alertas text[]) ON COMMIT DROP"
        )
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    with (
        raw.cursor() as cur,
        cur.copy(f"COPY _carga_alianza ({', '.join(_STAGING)}) FROM STDIN") as copy,
    ):
        for v in validas:
            e = v.entrada
            copy.write_row(
                (
                    e.codigo,
                    e.organizacion,
                    e.organizacion_id,
                    *(getattr(e, c) for c in COLUMNAS),
                    v.municipio_codigo,
                    v.lon,
                    v.lat,
                    v.precision,
                    v.alertas,
                )
            )


_NUEVO = ", ".join(f"s.{c}" for c in COLUMNAS if c != "fecha_etapa")
_ACTUAL = ", ".join(f"a.{c}" for c in COLUMNAS if c != "fecha_etapa")
_ORG = "coalesce(s.organizacion_id, o.id, a.organizacion_id)"
_FECHA = (
    "CASE WHEN s.etapa = a.etapa THEN coalesce(s.fecha_etapa, a.fecha_etapa) "
    "ELSE coalesce(s.fecha_etapa, current_date) END"
)

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
WHERE a.programa_id = :p AND a.codigo = s.codigo
  AND ({_ACTUAL}, a.fecha_etapa, a.organizacion_id, a.municipio_codigo, ST_X(a.geom),
       ST_Y(a.geom), a.precision_ubicacion, a.alertas)
      IS DISTINCT FROM
      ({_NUEVO}, {_FECHA}, {_ORG}, s.municipio_codigo, s.lon, s.lat, s.precision, s.alertas)
""")  # noqa: S608  (column names are this module's constants)

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
WHERE NOT EXISTS (SELECT 1 FROM alianza a WHERE a.programa_id = :p AND a.codigo = s.codigo)
""")  # noqa: S608
