"""Importing what KoboToolbox / ODK Central export from the shipped field forms (issue 15).
The export is built here from the form itself, column by column as Kobo writes it: questions
under their groups ("grupo/campo", or another separator), headers as names or as labels, the
point as one "lat lon alt precision" column, as ``_<q>_latitude``... split columns or as
``_geolocation``, the photo's file name and URL, and Kobo's own columns (``_id``, ``_uuid``,
``_submission_time``, ``_index``, ``__version__``, ``meta/instanceID``, ``_attachments``)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import text
from typer.testing import CliRunner

from etl.cli import app
from geo.acceso.alcance import Alcance
from geo.formatos.kobo import archivos, sin_grupos
from geo.formatos.lectura import leer_tabla
from geo.formatos.xlsform import IDIOMA, Formulario
from geo.registro.alianzas import programa
from geo.registro.formularios_campo import GRUPOS, registro_alianza, visita_seguimiento
from geo.registro.importacion_seguimiento import importar_seguimientos

PARTES = ("latitude", "longitude", "altitude", "precision")
META = (
    "_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
    "_submitted_by", "__version__", "_tags", "_index",
)  # fmt: skip
FOTO = "1712345678901.jpg"
YACUIBA = {
    "codigo": "KB-001", "nombre": "Miel del Chaco", "organizacion": "APICHACO",
    "comprador": "Miel Sur SRL", "sector": "apicultura", "modelo": "1",
    "financiamiento": "adicional", "convocatoria": "2024-1", "etapa": "convenio_firmado",
    "fecha_etapa": "2024-05-02", "fecha_solicitud": "2024-01-15", "familias": 25,
    "familias_mujeres": 10, "hectareas_riego": 0, "monto_par_comprometido_bs": 150000,
    "monto_contraparte_comprometido_bs": 30000, "monto_solicitado_bs": 180000,
    "monto_transferido_bs": 75000.5, "monto_descargado_bs": 20000,
    "ubicacion": (-22.02, -63.68, 620, 4.5), "foto": FOTO,
}  # fmt: skip
CAMIRI = {
    "codigo": "KB-002", "nombre": "Riego Camiri", "sector": "riego_tecnificado",
    "modelo": "2", "financiamiento": "inicial", "etapa": "solicitud", "familias": 40,
    "familias_mujeres": 12, "hectareas_riego": 35.5, "ubicacion": (-20.05, -63.52, 810, 6),
}  # fmt: skip
POTOSI = {
    "codigo": "KB-003", "nombre": "Quinua", "sector": "otros_agropecuarios", "modelo": "2",
    "financiamiento": "inicial", "ubicacion": (-19.5836, -65.7531, 3900, 5),
}  # fmt: skip


def _columnas(f: Formulario, etiquetas: bool, separador: str | None) -> list[tuple[str, Any]]:
    """(header, what fills it) for every column, in Kobo's order (formpack's rules)."""
    survey = f.valores()["survey"]
    i = {c: survey[0].index(c) for c in ("type", "name", f"label::{IDIOMA}")}
    grupos: list[str] = []
    columnas: list[tuple[str, Any]] = []
    for fila in survey[1:]:
        tipo, nombre, etiqueta = (fila[i[c]] for c in i)
        texto = etiqueta if etiquetas and etiqueta else nombre
        if tipo == "begin_group":
            grupos.append(texto or "")
            continue
        if tipo == "end_group":
            grupos.pop()
            continue
        prefijo = separador.join(grupos) + separador if separador and grupos else ""
        columnas.append((prefijo + (texto or ""), (tipo, nombre)))
        if tipo == "geopoint":
            columnas += [
                (f"{prefijo}_{texto}_{p}", ("parte", nombre, n)) for n, p in enumerate(PARTES)
            ]
        if tipo == "image":
            columnas.append((f"{prefijo}{texto}_URL", ("url", nombre)))
    meta = f"meta{separador}instanceID" if separador else "instanceID"
    return [*columnas, (meta, ("uuid",)), *((m, (m,)) for m in META)]


def _celda(f: Formulario, que: tuple[Any, ...], r: dict[str, Any], etiquetas: bool, n: int) -> Any:
    opciones = {(fila[0], fila[1]): fila[2] for fila in f.valores()["choices"][1:]}
    uuid = f"5f0c1a2b-0000-4000-8000-{n:012d}"
    if que[0] == "parte":
        return r[que[1]][que[2]] if que[1] in r else None
    if que[0] == "url":
        return (
            f"https://kf.kobotoolbox.org/media/original?media_file=tecnico%2F{r[que[1]]}"
            if que[1] in r
            else None
        )
    if que[0] == "geopoint":
        return " ".join(str(x) for x in r[que[1]]) if que[1] in r else None
    if que[0] in ("start", "end"):
        return "2024-05-02T09:15:00.000-04:00"
    if que[0].startswith("select_one") and que[1] in r:
        return opciones[(que[0].split()[1], r[que[1]])] if etiquetas else r[que[1]]
    return {
        "uuid": f"uuid:{uuid}", "_id": 1000 + n, "_uuid": uuid, "_index": n,
        "_submission_time": "2024-05-02T14:00:00", "__version__": "vGx7mMkoZp",
        "_status": "submitted_via_web", "_submitted_by": "tecnico.chaco",
    }.get(que[0], r.get(que[1]) if len(que) > 1 else None)  # fmt: skip


def exportacion(
    f: Formulario,
    respuestas: list[dict[str, Any]],
    *,
    formato: str = "xlsx",
    etiquetas: bool = False,
    separador: str | None = "/",
    punto: str = "todas",
) -> tuple[bytes, str]:
    """A Kobo export of ``f`` with one submission per answer set. ``punto``: which of the
    point's shapes it carries ("todas", "geopoint", "separadas" or "geolocation")."""
    columnas = _columnas(f, etiquetas, separador)
    if punto in ("separadas", "geolocation"):
        columnas = [c for c in columnas if c[1][0] != "geopoint"]
    if punto in ("geopoint", "geolocation"):
        columnas = [c for c in columnas if c[1][0] != "parte"]
    filas = [
        [_celda(f, que, r, etiquetas, n) for _, que in columnas]
        for n, r in enumerate(respuestas, start=1)
    ]
    encabezado = [c for c, _ in columnas]
    if punto in ("todas", "geolocation"):  # the legacy CSV's columns
        encabezado += ["_geolocation", "_attachments"]
        for fila, r in zip(filas, respuestas, strict=True):
            lat, lon = r["ubicacion"][:2] if "ubicacion" in r else (None, None)
            adjuntos = (
                [{"filename": f"tecnico/attachments/ab12/{r['foto']}"}] if "foto" in r else []
            )
            fila += [json.dumps([lat, lon]), json.dumps(adjuntos)]
    if formato == "csv":
        salida = io.StringIO()
        escritor = csv.writer(salida, delimiter=";", quoting=csv.QUOTE_ALL)
        escritor.writerows([encabezado, *filas])
        return salida.getvalue().encode(), "exportacion.csv"
    libro = Workbook()
    for fila in [encabezado, *filas]:
        libro.active.append(fila)
    datos = io.BytesIO()
    libro.save(datos)
    return datos.getvalue(), "exportacion.xlsx"


def _importar(client, datos: bytes, nombre: str):
    return client.post(
        "/api/v1/importaciones", files={"archivo": (nombre, datos)}, data={"programa": "PAR2"}
    )


CASOS = {
    "xlsx, nombres, grupo/campo, las tres formas del punto": dict(formato="xlsx"),
    "csv, etiquetas, grupo-campo, columnas separadas": dict(
        formato="csv", etiquetas=True, separador="-", punto="separadas"
    ),
    "csv, nombres, sin grupos, _geolocation": dict(
        formato="csv", separador=None, punto="geolocation"
    ),
    "xlsx, etiquetas, sin grupos, geopoint": dict(etiquetas=True, separador=None, punto="geopoint"),
}


@pytest.mark.parametrize("caso", CASOS)
def test_an_export_of_the_alliance_form_imports_each_row_into_its_municipality(caso, client, conn):
    datos, nombre = exportacion(registro_alianza(), [YACUIBA, CAMIRI], **CASOS[caso])
    r = _importar(client, datos, nombre)
    assert r.status_code == 200, r.text
    informe = r.json()
    assert (informe["insertadas"], informe["escrito"]) == (2, True)
    filas = conn.execute(
        text(
            "SELECT codigo, municipio_codigo, round(ST_X(geom)::numeric, 4), "
            "round(ST_Y(geom)::numeric, 4), sector, modelo, etapa, familias_mujeres, "
            "monto_transferido_bs FROM alianza ORDER BY codigo"
        )
    ).all()
    assert [(c, m, float(x), float(y)) for c, m, x, y, *_ in filas] == [
        ("KB-001", "060301", -63.68, -22.02),
        ("KB-002", "070706", -63.52, -20.05),
    ]
    assert tuple(filas[0][4:8]) == ("apicultura", 1, "convenio_firmado", 10)
    assert float(filas[0][8]) == 75000.5
    assert tuple(filas[1][4:7]) == ("riego_tecnificado", 2, "solicitud")
    assert informe["adjuntos"] == [{"fila": 2, "codigo": "KB-001", "archivos": [FOTO]}]
    (aviso,) = informe["avisos"]  # no column left unread: Kobo's own are known
    assert "1 filas nombran 1 archivos adjuntos" in aviso and "KoboToolbox" in aviso


def test_a_swapped_point_is_refused_at_its_row_and_nothing_is_written(client, conn):
    lat, lon, alt, acc = CAMIRI["ubicacion"]
    invertido = CAMIRI | {"codigo": "KB-009", "ubicacion": (lon, lat, alt, acc)}
    datos, nombre = exportacion(
        registro_alianza(), [YACUIBA, CAMIRI, invertido], formato="csv", punto="geopoint"
    )
    r = _importar(client, datos, nombre)
    assert r.status_code == 422
    (error,) = r.json()["errores"]
    assert (error["fila"], error["columna"], error["codigo"]) == (4, "lon", "KB-009")
    assert "¿latitud y longitud invertidas?" in error["mensaje"]
    assert "Camiri" in error["mensaje"]
    assert error["valor"] == "ubicacion: -63.52 -20.05 810 6"
    assert conn.execute(text("SELECT count(*) FROM alianza")).scalar_one() == 0


VISITAS = [
    {
        "codigo_alianza": "KB-001", "ciclo": 0, "fecha": "2024-03-10", "volumen_vendido": 800,
        "unidad_volumen": "kg", "precio_bs": 40, "ventas_bs": 32000, "costos_bs": 12000,
        "relacion_comercial_mantenida": "si", "medidas_ambientales": "no",
        "foto": "visita-1.jpg",
    },
    {
        "codigo_alianza": "KB-001", "ciclo": 1, "fecha": "2025-03-12", "volumen_vendido": 950,
        "unidad_volumen": "kg", "ventas_bs": 39900, "costos_bs": 13000, "ingreso_bs": 25000,
        "relacion_comercial_mantenida": "no",
    },
    {
        "codigo_alianza": "KB-002", "ciclo": 0, "fecha": "2024-06-01", "ventas_bs": 5000,
        "costos_bs": 7000, "medidas_ambientales": "si",
    },
]  # fmt: skip


def _alianzas(client, *respuestas) -> None:
    datos, nombre = exportacion(registro_alianza(), list(respuestas))
    assert _importar(client, datos, nombre).status_code == 200


def _seguimientos(conn, visitas, alcance=None, **forma):
    datos, nombre = exportacion(visita_seguimiento(), visitas, punto="ninguno", **forma)
    tabla = leer_tabla(datos, nombre)
    return importar_seguimientos(
        conn, programa(conn, "PAR2"), tabla, archivo=nombre, alcance=alcance
    )


def _ciclos(conn) -> list[tuple[Any, ...]]:
    filas = conn.execute(
        text(
            "SELECT a.codigo, s.ciclo, s.fecha::text, s.ventas_bs, s.ingreso_bs, "
            "s.relacion_comercial_mantenida, s.medidas_ambientales FROM seguimiento s "
            "JOIN alianza a ON a.id = s.alianza_id ORDER BY a.codigo, s.ciclo"
        )
    ).all()
    return [(c, n, f, v and float(v), i and float(i), r, m) for c, n, f, v, i, r, m in filas]


@pytest.mark.parametrize("etiquetas", [False, True], ids=["nombres", "etiquetas"])
def test_an_export_of_the_visit_form_imports_cycles_and_again_changes_nothing(
    etiquetas, client, conn
):
    _alianzas(client, YACUIBA, CAMIRI)
    informe = _seguimientos(conn, VISITAS, etiquetas=etiquetas, formato="csv")
    assert informe.errores == []
    assert (informe.insertadas, informe.escrito) == (3, True)
    (aviso,) = informe.avisos  # Kobo's columns and the photo's are known: none left unread
    assert aviso.startswith("1 filas nombran 1 archivos adjuntos")
    assert _ciclos(conn) == [
        ("KB-001", 0, "2024-03-10", 32000.0, 20000.0, True, False),  # income: sales - costs
        ("KB-001", 1, "2025-03-12", 39900.0, 25000.0, False, None),  # income as given
        ("KB-002", 0, "2024-06-01", 5000.0, -2000.0, None, True),
    ]
    assert informe.adjuntos == [{"fila": 2, "codigo": "KB-001", "archivos": ["visita-1.jpg"]}]
    otra_vez = _seguimientos(conn, VISITAS, etiquetas=etiquetas, formato="csv")
    assert (otra_vez.insertadas, otra_vez.actualizadas, otra_vez.sin_cambios) == (0, 0, 3)
    corregida = [VISITAS[0] | {"ventas_bs": 33000}, *VISITAS[1:]]
    cambio = _seguimientos(conn, corregida, etiquetas=etiquetas)
    assert (cambio.insertadas, cambio.actualizadas, cambio.sin_cambios) == (0, 1, 2)
    assert _ciclos(conn)[0][3:5] == (33000.0, 21000.0)


def test_an_unknown_alliance_code_is_refused_at_its_row_and_nothing_is_written(client, conn):
    _alianzas(client, YACUIBA)
    visitas = [
        VISITAS[0],
        VISITAS[2] | {"codigo_alianza": "XX-999"},
        VISITAS[0] | {"ciclo": 5, "fecha": "1999-12-31"},
    ]
    informe = _seguimientos(conn, visitas)
    assert [(e["fila"], e["columna"], e["valor"], e["codigo"]) for e in informe.errores] == [
        (3, "codigo_alianza", "XX-999", "XX-999"),
        (4, "fecha", "1999-12-31", "KB-001"),
    ]
    assert (
        informe.errores[0]["mensaje"] == "no hay una alianza con el código XX-999 en este programa"
    )
    assert "fuera del período del programa" in informe.errores[1]["mensaje"]
    assert informe.escrito is False
    assert conn.execute(text("SELECT count(*) FROM seguimiento")).scalar_one() == 0


def test_a_cycle_twice_in_the_file_names_the_first_row(client, conn):
    _alianzas(client, YACUIBA)
    informe = _seguimientos(conn, [VISITAS[0], VISITAS[0] | {"ventas_bs": 1}])
    assert [(e["fila"], e["columna"], e["mensaje"]) for e in informe.errores] == [
        (3, "ciclo", "el ciclo 0 de la alianza KB-001 ya está en la fila 2"),
    ]


def test_a_unit_writes_the_monitoring_of_its_own_alliances_only(client, conn):
    _alianzas(client, YACUIBA, POTOSI)
    chaco = Alcance("unidad.chaco", "unidad", "CHACO")
    visitas = [VISITAS[0], {"codigo_alianza": "KB-003", "ciclo": 0, "fecha": "2024-06-01"}]
    informe = _seguimientos(conn, visitas, alcance=chaco)
    assert [(e["fila"], e["columna"], e["mensaje"]) for e in informe.errores] == [
        (3, "codigo_alianza", "la alianza KB-003 es de la unidad PTS; su unidad es CHACO"),
    ]
    assert _seguimientos(conn, visitas[:1], alcance=chaco).insertadas == 1
    autor = conn.execute(
        text("SELECT usuario FROM auditoria WHERE tabla = 'seguimiento' ORDER BY id DESC LIMIT 1")
    ).scalar_one()
    assert autor == "unidad.chaco"


def test_the_command_line_refuses_an_unknown_import_kind(tmp_path):
    archivo = tmp_path / "visitas.csv"
    archivo.write_text("codigo_alianza;ciclo\nKB-001;0\n")
    r = CliRunner().invoke(app, ["etl", "importar", str(archivo), "--tipo", "ciclos"])
    assert r.exit_code == 2
    assert "alianzas o seguimientos" in r.output


def test_attachment_names_come_from_the_photo_column_and_the_attachments_once_each():
    valores = {
        "foto": "a.jpg",
        "_attachments": json.dumps(
            [{"filename": "u/attachments/x/a.jpg"}, {"filename": "u/attachments/x/b.m4a"}]
        ),
    }
    assert archivos(valores, ("foto",)) == ["a.jpg", "b.m4a"]
    assert archivos({"_attachments": "[{'filename': 'u\\\\x\\\\c.jpg'}]"}, ("foto",)) == ["c.jpg"]
    assert archivos({"foto": None, "_attachments": "[]"}, ("foto",)) == []


def test_a_group_prefix_is_kept_where_taking_it_off_would_repeat_a_column():
    tabla = leer_tabla(
        b"beneficiarios-familias;familias;montos (bs).monto_solicitado_bs\n3;4;5\n",
        "x.csv",
    )
    sin = sin_grupos(tabla, GRUPOS)
    assert sin.columnas == ["beneficiarios_familias", "familias", "monto_solicitado_bs"]
    assert sin.filas[0].valores == {
        "beneficiarios_familias": "3",
        "familias": "4",
        "monto_solicitado_bs": "5",
    }
