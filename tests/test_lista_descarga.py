"""The record list as a file for people (GET /api/v1/alianzas/descarga): the list's filters,
text and order, the reader's scope, labels instead of codes, and the conventions of a
Spanish-language spreadsheet (';', decimal comma, dd/mm/aaaa, codes kept as text)."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.test_registro_alianzas import YACUIBA

CAMIRI = (-63.52, -20.05)


def _nueva(cliente, codigo, punto, **campos):
    cuerpo = {"codigo": codigo, "nombre": f"Alianza {codigo}", "sector": "apicultura",
              "modelo": 1, "financiamiento": "inicial", "familias": 10, "familias_mujeres": 4,
              "comprador": "Comprador Privado SRL", "lon": punto[0], "lat": punto[1]}  # fmt: skip
    cuerpo |= campos
    r = cliente.post("/api/v1/alianzas", json=cuerpo)
    assert r.status_code == 201, r.text
    return r.json()


def _validar(unidad, nacional, a):
    v = unidad.post(f"/api/v1/alianzas/{a['id']}/verificacion", json={"accion": "verificar"},
                    headers={"If-Match": f'"{a["version"]}"'})  # fmt: skip
    assert v.status_code == 200, v.text
    r = nacional.post(f"/api/v1/alianzas/{a['id']}/verificacion", json={"accion": "validar"},
                      headers={"If-Match": v.headers["etag"]})  # fmt: skip
    assert r.json()["estado"] == "validado"


def _filas(r):
    assert r.status_code == 200, r.text
    assert r.content.startswith("\ufeff".encode())  # Excel reads the accents
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))


def test_csv_for_people_labels_decimal_comma_dates_and_ine_codes_as_text(como):
    nacional = como("nacional")
    _nueva(nacional, "L-1", YACUIBA, hectareas_riego=7.39, fecha_solicitud="2024-03-05",
           sector="riego_tecnificado", familias=30)  # fmt: skip
    _nueva(nacional, "L-2", YACUIBA, familias=12)
    filas = _filas(nacional.get("/api/v1/alianzas/descarga", params={"orden": "-familias"}))
    cab = filas[0]
    assert cab[:3] == ["Código", "Nombre de la alianza", "Organización de productores (OPP)"]
    assert [f[0] for f in filas[1:]] == ["L-1", "L-2"]  # the list's order
    l1 = dict(zip(cab, filas[1], strict=True))
    assert l1["Sector"] == "Riego tecnificado"  # a label, never the code
    assert l1["Hectáreas con riego"] == "7,39"
    assert l1["Fecha de solicitud"] == "05/03/2024"
    assert l1["Código INE del municipio"] == "060301"
    assert l1["Latitud"] == "-22,015"  # a negative number is a number: no quote before it
    assert l1["Verificación"] == "Registrado"
    assert l1["Comprador"] == "Comprador Privado SRL"


def test_the_file_follows_the_filters_the_text_and_the_readers_scope(como):
    nacional, chaco, tarija, publico = (
        como("nacional"), como("unidad", "CHACO"), como("unidad", "TJA"), como(None)
    )  # fmt: skip
    a = _nueva(chaco, "L-3", YACUIBA)
    _nueva(chaco, "L-4", CAMIRI)
    _validar(chaco, nacional, a)
    assert [f[0] for f in _filas(nacional.get("/api/v1/alianzas/descarga"))[1:]] == ["L-3", "L-4"]
    solo = _filas(nacional.get("/api/v1/alianzas/descarga", params={"municipio": "060301"}))
    assert [f[0] for f in solo[1:]] == ["L-3"]
    assert [
        f[0] for f in _filas(nacional.get("/api/v1/alianzas/descarga", params={"q": "l-4"}))[1:]
    ] == ["L-4"]
    # the public: validated only, and no column for what it may not read
    pub = _filas(publico.get("/api/v1/alianzas/descarga"))
    assert [f[0] for f in pub[1:]] == ["L-3"]
    assert "Comprador" not in pub[0]
    # a unit of another department: Tarija's unit does not hold Yacuiba (Chaco's)
    assert [f[0] for f in _filas(tarija.get("/api/v1/alianzas/descarga"))[1:]] == ["L-3"]


def test_xlsx_has_typed_numbers_and_dates_and_a_bold_frozen_header(como):
    nacional = como("nacional")
    _nueva(nacional, "L-5", YACUIBA, hectareas_riego=2.5, fecha_solicitud="2023-11-02")
    r = nacional.get("/api/v1/alianzas/descarga", params={"formato": "xlsx"})
    assert r.status_code == 200
    assert r.headers["content-disposition"] == 'attachment; filename="sigg_alianzas.xlsx"'
    hoja = load_workbook(io.BytesIO(r.content)).active
    cab = [c.value for c in hoja[1]]
    fila = dict(zip(cab, [c.value for c in hoja[2]], strict=True))
    assert fila["Hectáreas con riego"] == 2.5
    assert fila["Fecha de solicitud"].date().isoformat() == "2023-11-02"
    assert fila["Código INE del municipio"] == "060301"
    assert hoja["A1"].font.b and hoja.freeze_panes == "A2"


def test_unknown_format_or_parameter_is_refused_by_name(como):
    nacional = como("nacional")
    r = nacional.get("/api/v1/alianzas/descarga", params={"formato": "pdf"})
    assert r.status_code == 422 and r.json()["errores"][0]["campo"] == "formato"
    r = nacional.get("/api/v1/alianzas/descarga", params={"formatto": "csv"})
    assert r.status_code == 400 and "formatto" in r.json()["detail"]
    r = nacional.get("/api/v1/alianzas/descarga", params={"orden": "comprador"})
    assert r.status_code == 422 and "orden" in r.text
