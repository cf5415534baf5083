"""Bulk import as an office does it: a spreadsheet export with a few bad rows gets a row-by-row
report and writes nothing; fixed, it imports, each alliance in its municipality and unit."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import text

ENCABEZADO = (
    "Código;Nombre de la alianza;OPP;Comprador;Sector;Modelo;Financiamiento;Etapa;"
    "Familias;Familias (mujeres);Monto PAR comprometido (Bs);Monto transferido (Bs);"
    "Latitud;Longitud;Código INE"
)
BUENAS = [
    "CH-001;Miel de Yacuiba;Asociación de Apicultores de Macharetí;Miel Sur SRL;Apicultura;1;"
    "Adicional;Convenio firmado;25;10;150.000,00;75.000,50;-22,015;-63,677;",
    "CH-002;Riego Camiri;OPP Camiri;;Riego tecnificado;1;adicional;En inversión;40;12;200000;"
    "100000;;;070706",
    "PT-001;Quinua de Potosí;ANAPQUI;Irupana;Otros productos agropecuarios;2;inicial;"
    "solicitud;30;15;0;0;-19,5836;-65,7531;",
    "LP-001;Truchas;;;Piscicultura;1;adicional;solicitud;12;3;0;0;-16,4957;-68,1336;",
]
MALAS = [
    "LP-002;Truchas del lago;;;Piscicultura;1;adicional;solicitud;12;3;0;0;-16,0;-69,2;",
    "BN-001;Ganado;;;Agua para ganadería;4;adicional;solicitud;10;2;1000;500;-14,83;-64,90;",
    "PT-002;Mujeres;;;Apicultura;1;adicional;solicitud;10;12;0;0;;;051202",
    "PT-003;Sin lugar;;;Apicultura;1;adicional;solicitud;10;2;0;0;;;",
]


def _csv(filas: list[str], encoding: str = "cp1252") -> bytes:
    return ("\r\n".join([ENCABEZADO, *filas]) + "\r\n").encode(encoding)


def _importar(client, datos: bytes, nombre: str = "alianzas.csv", **form):
    return client.post(
        "/api/v1/importaciones",
        files={"archivo": (nombre, datos)},
        data={"programa": "PAR2", **form},
    )


def _cuantas(conn) -> int:
    return conn.execute(text("SELECT count(*) FROM alianza")).scalar_one()


def test_file_with_bad_rows_gets_a_row_by_row_report_and_writes_nothing(client, conn):
    r = _importar(client, _csv(BUENAS + MALAS))
    assert r.status_code == 422
    informe = r.json()
    por_fila = {(e["fila"], e["columna"]): e["mensaje"] for e in informe["errores"]}
    assert "Lago Titicaca" in por_fila[(6, "lon")]
    assert por_fila[(7, "modelo")] == "no puede ser mayor que 3"
    assert por_fila[(8, "familias_mujeres")] == (
        "familias representadas por mujeres (12) no puede superar las familias (10)"
    )
    assert "falta la ubicación" in por_fila[(9, "lon")]
    assert {e["fila"] for e in informe["errores"]} == {6, 7, 8, 9}
    assert informe["escrito"] is False
    assert _cuantas(conn) == 0
    assert conn.execute(text("SELECT count(*) FROM organizacion")).scalar_one() == 0


def test_fixed_file_imports_each_alliance_into_its_municipality_and_unit(client, conn):
    r = _importar(client, _csv(BUENAS))
    assert r.status_code == 200, r.text
    assert (r.json()["insertadas"], r.json()["escrito"]) == (4, True)
    filas = dict(
        conn.execute(
            text(
                "SELECT a.codigo, m.codigo || ' ' || m.unidad_operativa_codigo FROM alianza a "
                "JOIN municipio m ON m.cartografia = a.cartografia "
                "AND m.codigo = a.municipio_codigo"
            )
        ).all()
    )
    assert filas == {
        "CH-001": "060301 CHACO",
        "CH-002": "070706 CHACO",
        "PT-001": "050101 PTS",
        "LP-001": "020101 LPZ",
    }
    montos = conn.execute(
        text(
            "SELECT monto_par_comprometido_bs, monto_transferido_bs, etapa "
            "FROM alianza WHERE codigo = 'CH-001'"
        )
    ).one()
    assert (float(montos[0]), float(montos[1]), montos[2]) == (
        150000.0,
        75000.5,
        "convenio_firmado",
    )


def test_latin1_accents_survive_the_import(client, conn):
    _importar(client, _csv(BUENAS, encoding="latin-1"))
    nombres = set(conn.execute(text("SELECT nombre FROM organizacion")).scalars())
    assert "Asociación de Apicultores de Macharetí" in nombres
    assert (
        conn.execute(text("SELECT nombre FROM alianza WHERE codigo = 'PT-001'")).scalar_one()
        == "Quinua de Potosí"
    )


def test_reimporting_the_same_file_changes_nothing_and_audits_nothing(client, conn):
    assert _importar(client, _csv(BUENAS)).status_code == 200
    auditoria = conn.execute(text("SELECT count(*) FROM auditoria")).scalar_one()
    segunda = _importar(client, _csv(BUENAS)).json()
    assert (segunda["insertadas"], segunda["actualizadas"], segunda["sin_cambios"]) == (0, 0, 4)
    assert _cuantas(conn) == 4
    assert conn.execute(text("SELECT count(*) FROM auditoria")).scalar_one() == auditoria


def test_changed_row_is_updated_in_place_and_an_illegal_stage_jump_is_refused(client, conn):
    _importar(client, _csv(BUENAS))
    cambiadas = [BUENAS[0].replace(";25;10;", ";26;10;"), *BUENAS[1:]]
    r = _importar(client, _csv(cambiadas)).json()
    assert (r["insertadas"], r["actualizadas"]) == (0, 1)
    assert conn.execute(
        text("SELECT familias, version FROM alianza WHERE codigo = 'CH-001'")
    ).one() == (26, 2)
    salto = [BUENAS[2].replace(";solicitud;", ";concluida;"), *BUENAS[:2]]
    r = _importar(client, _csv(salto))
    assert r.status_code == 422
    assert r.json()["errores"][0]["mensaje"].startswith("cambio de etapa no permitido")


def test_dry_run_reports_what_would_happen_and_writes_nothing(client, conn):
    r = _importar(client, _csv(BUENAS), simulacro="true").json()
    assert (r["simulacro"], r["insertadas"], r["escrito"]) == (True, 4, False)
    assert _cuantas(conn) == 0


def test_the_three_kobo_coordinate_shapes_import_to_the_same_points(client, conn):
    comun = "codigo,nombre,sector,modelo,financiamiento"
    formas = {
        "geolocation.csv": f"{comun},_geolocation\n"
        'K-1,A,apicultura,1,adicional,"[-22.015, -63.677]"\n',
        "separadas.csv": f"{comun},_ubicacion_latitude,_ubicacion_longitude,_ubicacion_altitude\n"
        "K-2,B,apicultura,1,adicional,-22.015,-63.677,640\n",
        "odk.csv": f"{comun},ubicacion\nK-3,C,apicultura,1,adicional,-22.015 -63.677 640 5\n",
    }
    for nombre, contenido in formas.items():
        assert _importar(client, contenido.encode(), nombre).status_code == 200, nombre
    puntos = conn.execute(
        text(
            "SELECT DISTINCT round(ST_X(geom)::numeric, 6), round(ST_Y(geom)::numeric, 6), "
            "municipio_codigo FROM alianza"
        )
    ).all()
    assert [(float(x), float(y), m) for x, y, m in puntos] == [(-63.677, -22.015, "060301")]


def test_xlsx_export_imports(client, conn):
    libro = Workbook()
    hoja = libro.active
    hoja.append(
        ["Código", "Nombre", "Sector", "Modelo", "Financiamiento", "Familias", "Código INE"]
    )
    hoja.append(
        [
            "X-1",
            "Cuyes de Macharetí",
            "Otros productos agropecuarios",
            2,
            "adicional",
            18.0,
            "011003",
        ]
    )
    salida = io.BytesIO()
    libro.save(salida)
    r = _importar(client, salida.getvalue(), "alianzas.xlsx")
    assert r.status_code == 200, r.text
    fila = conn.execute(
        text(
            "SELECT familias, municipio_codigo, precision_ubicacion "
            "FROM alianza WHERE codigo = 'X-1'"
        )
    ).one()
    assert fila == (18, "011003", 3)


def test_unreadable_or_oversized_files_are_refused_clearly(client):
    r = _importar(client, b"%PDF-1.4", "alianzas.pdf")
    assert r.status_code == 422 and "formato no soportado" in r.json()["detail"]
    vacio = _importar(client, b"", "vacio.csv")
    assert vacio.status_code == 422 and "vacío" in vacio.json()["detail"]
