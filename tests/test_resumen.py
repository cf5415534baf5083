"""The aggregate summary (migrations 0014 and 0017) against the records themselves: after
random writes, imports, validations, reopenings, stage changes, ledger movements and deletes,
every aggregate the summary answers equals a bare GROUP BY over the records, written here
independently of the engine, for the public, a unit and national coordination, at several
levels and filters. And the summary's own rows (per stage combination, and per municipality
with the stages as columns) equal the records grouped by its key, folded or not."""

# ruff: noqa: S608  (the SQL is built from this module's constants only)
from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from geo.analisis.resumen import compactar, rehacer
from geo.vocabulario.catalogos import ETAPAS, ETAPAS_CICLO, ORDEN_ETAPA
from tests.conftest import aplicacion_en, cabeceras

SEMILLAS = (17, 2026, 481)
NIVEL = {
    "municipio": "m.codigo",
    "unidad_operativa": "m.unidad_operativa_codigo",
    "departamento": "m.departamento_codigo",
    "nacional": "'BO'",
}
SUMAS = (
    "familias", "familias_mujeres", "hectareas_riego", "monto_par_comprometido_bs",
    "monto_contraparte_comprometido_bs", "monto_solicitado_bs", "monto_transferido_bs",
    "monto_descargado_bs",
)  # fmt: skip
PAR2 = "(SELECT id FROM programa WHERE codigo = 'PAR2')"  # the demo has a second program
CLAVE = "programa_id, cartografia, municipio_codigo, etapa, etapa_alcanzada, estado"
ENCABEZADO = (
    "Código;Nombre de la alianza;OPP;Comprador;Sector;Modelo;Financiamiento;Etapa;"
    "Familias;Familias (mujeres);Monto PAR comprometido (Bs);Monto transferido (Bs);"
    "Latitud;Longitud;Código INE"
)


def _num(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def _desnudo(conn, nivel: str, donde: str, valores: dict) -> dict[str, dict[str, Any]]:
    """Per unit of ``nivel``: count, per-stage and reached-stage counts and the sums of the
    alliances matching ``donde``, straight from the records; and the subprojects' count."""
    etapas = ", ".join(f"count(*) FILTER (WHERE a.etapa = '{e}') AS e_{e}" for e in ETAPAS)
    alcanzo = ", ".join(
        f"count(*) FILTER (WHERE a.etapa_alcanzada >= {ORDEN_ETAPA[e]}) AS r_{e}"
        for e in ETAPAS_CICLO
    )
    sumas = ", ".join(f"sum(a.{c}) AS {c}" for c in SUMAS)
    filas = conn.execute(
        text(
            f"SELECT {NIVEL[nivel]} AS clave, count(*) AS n, {etapas}, {alcanzo}, {sumas} "
            "FROM alianza a JOIN municipio m ON m.cartografia = a.cartografia "
            f"AND m.codigo = a.municipio_codigo WHERE a.programa_id = {PAR2} AND {donde} "
            "GROUP BY 1"
        ),
        valores,
    ).mappings()
    res = {}
    for f in filas:
        v = {
            "alianzas": f["n"],
            "alianzas_por_etapa": {e: f[f"e_{e}"] for e in ETAPAS},
            "alianzas_alcanzaron": {e: f[f"r_{e}"] for e in ETAPAS_CICLO},
        }
        v |= {c: _num(f[c]) for c in SUMAS}
        res[f["clave"]] = v
    return res


def _subproyectos(conn, nivel: str, donde: str, valores: dict) -> dict[str, tuple]:
    filas = conn.execute(
        text(
            f"SELECT {NIVEL[nivel]} AS clave, count(*), sum(a.familias), "
            "sum(a.monto_empoderar_comprometido_bs + a.monto_contraparte_comprometido_bs), "
            "sum(a.monto_empoderar_ejecutado_bs + a.monto_contraparte_ejecutado_bs) "
            "FROM subproyecto_municipal a JOIN municipio m ON m.cartografia = a.cartografia "
            f"AND m.codigo = a.municipio_codigo WHERE a.programa_id = {PAR2} AND {donde} "
            "GROUP BY 1"
        ),
        valores,
    ).all()
    return {f[0]: tuple(_num(x) for x in f[1:]) for f in filas}


# (who asks, the API's query string, the bare WHERE over alliances a / municipalities m)
CASOS = (
    (None, "", "a.estado = 'validado'"),
    ("nacional", "", "true"),
    ("unidad:CHACO", "", "(a.estado = 'validado' OR m.unidad_operativa_codigo = 'CHACO')"),
    (None, "&departamento=07", "a.estado = 'validado' AND m.departamento_codigo = '07'"),
    ("nacional", "&unidad_operativa=CHACO", "m.unidad_operativa_codigo = 'CHACO'"),
    (
        "nacional",
        "&etapa_alcanzada=convenio_firmado",
        f"a.etapa_alcanzada >= {ORDEN_ETAPA['convenio_firmado']}",
    ),
    (
        None,
        "&etapa_alcanzada=aprobado&departamento=06",
        f"a.estado = 'validado' AND a.etapa_alcanzada >= {ORDEN_ETAPA['aprobado']} "
        "AND m.departamento_codigo = '06'",
    ),
    ("nacional", "&etapa=solicitud&etapa=abandonada", "a.etapa IN ('solicitud', 'abandonada')"),
)
SUBPROYECTOS = {  # the same readers' limit on subprojects (they take no stage filter)
    None: "a.estado = 'validado'",
    "nacional": "true",
    "unidad:CHACO": "(a.estado = 'validado' OR m.unidad_operativa_codigo = 'CHACO')",
}


@pytest.fixture
def como(demo_engine, demo_conn, settings):
    """``como("unidad", "CHACO")``: a client on the demo acting as that user, in the test's
    transaction."""
    app = aplicacion_en(demo_engine, demo_conn, settings)
    return lambda rol, unidad=None: TestClient(app, headers=cabeceras(settings, rol, unidad))


def _cliente(como, quien: str | None):
    if quien is None:
        return como(None)
    if quien == "nacional":
        return como("nacional")
    return como("unidad", quien.split(":")[1])


def _comparar(conn, como) -> int:
    """Every case at every level, the API against the bare query; the number of values
    compared (so a vacuous comparison cannot pass)."""
    comparados = 0
    for quien, consulta, donde in CASOS:
        cliente = _cliente(como, quien)
        for nivel in NIVEL:
            r = cliente.get(f"/api/v1/estadisticas?nivel={nivel}&programa=PAR2{consulta}")
            assert r.status_code == 200, r.text
            assert r.headers["x-sigg-agregado"] == "resumen", consulta
            esperado = _desnudo(conn, nivel, donde, {})
            sp = {}
            if not any(x in consulta for x in ("etapa", "departamento", "unidad_operativa")):
                sp = _subproyectos(conn, nivel, SUBPROYECTOS[quien], {})
            for u in r.json()["data"]:
                v, e = u["valores"], esperado.get(u["codigo"])
                if e is None:  # no alliance there: zero, not missing
                    assert v["alianzas"] == 0 and v["familias"] == 0, (quien, consulta, u)
                    continue
                for k, valor in e.items():
                    assert v[k] == valor, (quien, consulta, nivel, u["codigo"], k)
                    comparados += 1
                if sp:
                    n, fam, comp, ejec = sp.get(u["codigo"], (0, 0, 0, 0))
                    assert (
                        v["subproyectos"],
                        v["subproyectos_familias"],
                        v["subproyectos_comprometido_bs"],
                        v["subproyectos_ejecutado_bs"],
                    ) == (n, fam or 0, comp or 0, ejec or 0), (quien, nivel, u["codigo"])
            con_alianzas = sum(1 for u in r.json()["data"] if u["valores"]["alianzas"])
            assert con_alianzas == len(esperado), (quien, consulta, nivel)
    return comparados


def _resumen_igual_a_los_registros(conn) -> None:
    """The summary's rows (base plus differences, a zero group left out) are the records
    grouped by its key, exactly: per stage combination (0014), and per municipality and state
    with the stages as columns (0017)."""
    sumas = ", ".join(f"sum({c})" for c in SUMAS)
    pivote = [(f"etapa_{e}", f"etapa = '{e}'") for e in ETAPAS] + [
        (f"alcanzo_{e}", f"etapa_alcanzada >= {ORDEN_ETAPA[e]}") for e in ETAPAS_CICLO
    ]
    por_municipio = "programa_id, cartografia, municipio_codigo, estado"
    columnas = ", ".join(f"sum({c})" for c, _ in pivote)
    cuentas = ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond in pivote)
    # (the summary's view, its key, its sums; the same from the records)
    pares = (
        ("resumen_alianza_vista", CLAVE, f"sum(n), {sumas}", f"count(*), {sumas}"),
        (
            "resumen_alianza_municipio_vista",
            por_municipio,
            f"sum(n), {columnas}, {sumas}",
            f"count(*), {cuentas}, {sumas}",
        ),
    )
    for vista, clave, del_resumen, de_registros in pares:
        resumidas = conn.execute(
            text(
                f"SELECT {clave}, {del_resumen} FROM {vista} GROUP BY {clave} "
                f"HAVING sum(n) <> 0 ORDER BY {clave}"
            )
        ).all()
        contadas = conn.execute(
            text(f"SELECT {clave}, {de_registros} FROM alianza GROUP BY {clave} ORDER BY {clave}")
        ).all()
        assert len(resumidas) > 100, vista
        assert resumidas == contadas, vista


def _ids(conn, donde: str, n: int, azar: random.Random) -> list[int]:
    ids = conn.execute(text(f"SELECT id FROM alianza WHERE {donde} ORDER BY id")).scalars().all()
    return azar.sample(list(ids), min(n, len(ids)))


def _escrituras(conn, demo_client, azar: random.Random, ronda: int) -> None:
    """One round of random writes of every kind, each its own statement(s)."""
    # Reopen some validated records, then change them (the lock only lets reopened ones).
    reabiertas = _ids(conn, "estado = 'validado'", 40, azar)
    conn.execute(
        text("UPDATE alianza SET estado = 'registrado' WHERE id = ANY(:ids)"), {"ids": reabiertas}
    )
    for i in azar.sample(reabiertas, 15):
        conn.execute(
            text(
                "UPDATE alianza SET familias = familias + :f, hectareas_riego = "
                "hectareas_riego + :h, monto_par_comprometido_bs = monto_par_comprometido_bs "
                "+ :m, monto_solicitado_bs = monto_solicitado_bs + :m WHERE id = :id"
            ),
            {"f": azar.randint(0, 9), "h": Decimal(azar.randint(0, 500)) / 100, "m": 1000, "id": i},
        )
    # Stage changes along the cycle (the trigger keeps the furthest stage).
    for i in azar.sample(reabiertas, 15):
        etapa = conn.execute(text("SELECT etapa FROM alianza WHERE id = :i"), {"i": i}).scalar()
        hacia = conn.execute(
            text("SELECT hacia FROM transicion_etapa WHERE desde = :d ORDER BY hacia"), {"d": etapa}
        ).scalars()
        opciones = list(hacia)
        if opciones:
            conn.execute(
                text("UPDATE alianza SET etapa = :e WHERE id = :i"),
                {"e": azar.choice(opciones), "i": i},
            )
    # Money through the ledger: transfers within what was committed.
    for i in azar.sample(reabiertas, 10):
        conn.execute(
            text(
                "INSERT INTO movimiento (alianza_id, fecha, tipo, monto_bs) SELECT id, "
                "current_date, 'transferencia', least(10, monto_par_comprometido_bs - "
                "monto_transferido_bs) FROM alianza WHERE id = :i AND monto_par_comprometido_bs "
                "- monto_transferido_bs >= 10"
            ),
            {"i": i},
        )
    # A move to another municipality, and new records copied with new codes.
    municipios = conn.execute(
        text("SELECT codigo FROM municipio WHERE cartografia = '2012' ORDER BY codigo")
    ).scalars()
    lista = list(municipios)
    for i in azar.sample(reabiertas, 5):
        conn.execute(
            text("UPDATE alianza SET municipio_codigo = :m WHERE id = :i"),
            {"m": azar.choice(lista), "i": i},
        )
    conn.execute(
        text(
            "INSERT INTO alianza (programa_id, codigo, nombre, sector, modelo, financiamiento, "
            "etapa, fecha_etapa, familias, familias_mujeres, hectareas_riego, "
            "monto_par_comprometido_bs, cartografia, municipio_codigo, geom, "
            "precision_ubicacion, estado) SELECT programa_id, codigo || :sufijo, nombre, sector, "
            "modelo, financiamiento, etapa, fecha_etapa, familias, familias_mujeres, "
            "hectareas_riego, monto_par_comprometido_bs, cartografia, municipio_codigo, geom, "
            "precision_ubicacion, CASE WHEN id % 3 = 0 THEN 'validado' ELSE 'registrado' END "
            "FROM alianza WHERE id = ANY(:ids)"
        ),
        {"sufijo": f"-r{ronda}", "ids": _ids(conn, "true", 60, azar)},
    )
    # Validations, and deletes of unvalidated records with nothing hanging from them.
    conn.execute(
        text("UPDATE alianza SET estado = 'validado' WHERE id = ANY(:ids)"),
        {"ids": _ids(conn, "estado <> 'validado'", 30, azar)},
    )
    sueltas = _ids(
        conn,
        "estado <> 'validado' AND NOT EXISTS (SELECT 1 FROM seguimiento s WHERE "
        "s.alianza_id = alianza.id) AND NOT EXISTS (SELECT 1 FROM movimiento v WHERE "
        "v.alianza_id = alianza.id AND v.origen = 'libro')",
        25,
        azar,
    )
    conn.execute(text("DELETE FROM alianza WHERE id = ANY(:ids)"), {"ids": sueltas})
    # An import through the API, then the same codes again with other values (the upsert's
    # update path), and subprojects reopened and changed.
    for familias in (25, 31):
        filas = [
            f"RS{ronda}-1;Miel;Apicultores;;Apicultura;1;Adicional;Convenio firmado;{familias};"
            "10;150.000,00;75.000,50;-22,015;-63,677;",
            f"RS{ronda}-2;Riego;OPP Camiri;;Riego tecnificado;1;adicional;En inversión;40;12;"
            f"200000;100000;;;070706",
        ]
        datos = ("\r\n".join([ENCABEZADO, *filas]) + "\r\n").encode("cp1252")
        r = demo_client.post(
            "/api/v1/importaciones",
            files={"archivo": ("a.csv", datos)},
            data={"programa": "PAR2"},
        )
        assert r.status_code == 200, r.text
    conn.execute(
        text(
            "UPDATE subproyecto_municipal SET estado = 'registrado' WHERE id IN (SELECT id FROM "
            "subproyecto_municipal WHERE estado = 'validado' ORDER BY id LIMIT 3 OFFSET :o)"
        ),
        {"o": ronda * 3},
    )
    conn.execute(
        text("UPDATE subproyecto_municipal SET familias = familias + 7 WHERE estado <> 'validado'")
    )


@pytest.mark.parametrize("semilla", SEMILLAS)
def test_the_summary_equals_the_bare_query_after_random_writes(demo_conn, como, semilla):
    azar = random.Random(semilla)
    demo = como("nacional")
    assert _comparar(demo_conn, como) > 1000  # before any write
    for ronda in range(3):
        _escrituras(demo_conn, demo, azar, ronda)
        pendientes = demo_conn.execute(text("SELECT count(*) FROM resumen_alianza_delta"))
        assert pendientes.scalar_one() > 0  # the writes left differences to add
        _resumen_igual_a_los_registros(demo_conn)
        assert _comparar(demo_conn, como) > 1000
        if azar.random() < 0.7:  # folded or not, the answer is the same
            assert compactar(demo_conn)
            vacias = demo_conn.execute(text("SELECT count(*) FROM resumen_alianza_delta"))
            assert vacias.scalar_one() == 0
            # A municipality and state whose records all went is dropped, not kept at zero.
            ceros = demo_conn.execute(
                text("SELECT count(*) FROM resumen_alianza_municipio WHERE n = 0")
            )
            assert ceros.scalar_one() == 0
            _resumen_igual_a_los_registros(demo_conn)
            assert _comparar(demo_conn, como) > 1000
    # Recomputing from the records changes nothing.
    antes = demo_conn.execute(text("SELECT * FROM resumen_alianza_vista")).all()
    rehacer(demo_conn)
    _resumen_igual_a_los_registros(demo_conn)
    assert sum(r.n for r in antes) == sum(
        demo_conn.execute(text("SELECT n FROM resumen_alianza_vista")).scalars()
    )


def test_readers_see_only_committed_writes_and_a_rollback_leaves_nothing(demo_engine):
    """A reader in another transaction sees a write's difference only once it commits, and a
    write rolled back leaves nothing in the summary, folded or not."""
    copia = (
        "INSERT INTO alianza (programa_id, codigo, nombre, sector, modelo, financiamiento, etapa,"
        " fecha_etapa, familias, familias_mujeres, cartografia, municipio_codigo, geom, "
        "precision_ubicacion) SELECT programa_id, codigo || :s, nombre, sector, modelo, "
        "financiamiento, etapa, fecha_etapa, 1000, 0, cartografia, municipio_codigo, geom, "
        "precision_ubicacion FROM alianza WHERE id = (SELECT min(id) FROM alianza)"
    )
    grupo = (
        "SELECT coalesce(sum(v.n), 0), coalesce(sum(v.familias), 0) FROM resumen_alianza_vista "
        "v JOIN alianza a ON a.id = (SELECT min(id) FROM alianza) AND v.programa_id = "
        "a.programa_id AND v.municipio_codigo = a.municipio_codigo AND v.etapa = a.etapa "
        "AND v.estado = 'registrado'"
    )
    with demo_engine.connect() as a, demo_engine.connect() as c:
        antes = c.execute(text(grupo)).one()
        c.commit()
        try:
            with a.begin():
                a.execute(text(copia), {"s": "-escritor-a"})
                assert a.execute(text(grupo)).one() == (antes[0] + 1, antes[1] + 1000)
                assert c.execute(text(grupo)).one() == antes  # not committed yet
                c.commit()
            assert c.execute(text(grupo)).one() == (antes[0] + 1, antes[1] + 1000)
            c.commit()
            deshecha = a.begin()
            a.execute(text(copia), {"s": "-escritor-b"})
            compactar(a)
            deshecha.rollback()
            with a.begin():
                compactar(a)
            assert c.execute(text(grupo)).one() == (antes[0] + 1, antes[1] + 1000)
            c.commit()
        finally:
            with demo_engine.begin() as limpiar:
                limpiar.execute(text("DELETE FROM alianza WHERE codigo LIKE '%-escritor-_'"))
                compactar(limpiar)
        assert c.execute(text(grupo)).one() == antes
