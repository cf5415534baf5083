"""What the publication serves at a cut-off date (issue 16): the OGC API items (JSON and HTML, a
page and one feature) and every export of alliances and subprojects publish each record as it
stood at the end of ``corte`` (its stage, stage date and money from the ledger), not only the
records that existed then. One alliance and one subproject whose stage and money changed after
the cut-off date tell the day's values from today's; a record entered after it must be absent."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pyogrio
import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.test_corte import _mover
from tests.test_registro_alianzas import crear

CORTE = date(2021, 1, 31)
# The alliance at the end of CORTE, and today (after a stage step and a transfer since).
ANTES = {"etapa": "convenio_firmado", "fecha_etapa": "2020-06-01", "monto_transferido_bs": 30000}
AHORA = {"etapa": "en_inversion", "fecha_etapa": "2021-03-15", "monto_transferido_bs": 50000}
# The subproject's executed money from the ledger at the end of CORTE, and today.
EJECUTADO_ANTES, EJECUTADO_AHORA = 100000, 150000
EJECUTADO = [(CORTE, EJECUTADO_ANTES), (None, EJECUTADO_AHORA)]


def _version(client, ruta: str) -> int:
    return int(client.get(ruta).json()["version"])


@pytest.fixture
def historia(client, conn) -> dict[str, int]:
    """C-001 applied in January 2020, signed its agreement in June, got 30,000 Bs in July; after
    CORTE it went into investment and got 20,000 Bs more. C-002 applied after CORTE. FPS-01 was
    entered in May 2020 and executed 100,000 Bs before CORTE, 50,000 Bs after; FPS-02 was
    entered today."""
    a = crear(client, codigo="C-001", etapa="convenio_firmado", fecha_etapa="2020-06-01",
              fecha_solicitud="2020-01-10", monto_par_comprometido_bs=100000).json()  # fmt: skip
    r = _mover(client, a["id"], a["version"], fecha="2020-07-01", tipo="transferencia",
               monto_bs="30000")  # fmt: skip
    assert r.status_code == 201, r.text
    ruta = f"/api/v1/alianzas/{a['id']}"
    r = client.patch(ruta, json={"etapa": "en_inversion", "fecha_etapa": "2021-03-15"},
                     headers={"If-Match": f'"{_version(client, ruta)}"'})  # fmt: skip
    assert r.status_code == 200, r.text
    r = _mover(client, a["id"], _version(client, ruta), fecha="2021-04-01",
               tipo="transferencia", monto_bs="20000")  # fmt: skip
    assert r.status_code == 201, r.text
    b = crear(client, codigo="C-002", fecha_solicitud="2021-06-01", fecha_etapa="2021-06-01")
    assert b.status_code == 201, b.text
    sp = [
        client.post("/api/v1/subproyectos", json={
            "codigo": codigo, "nombre": "Riego", "municipio_codigo": "060301",
            "monto_empoderar_comprometido_bs": 500000,
        }).json()["id"]
        for codigo in ("FPS-01", "FPS-02")
    ]  # fmt: skip
    # A subproject exists from the day it was entered: this one, in May 2020.
    conn.execute(
        text("SELECT set_config('sigg.rol', '', true), set_config('sigg.unidad', '', true)")
    )
    conn.execute(
        text("UPDATE subproyecto_municipal SET creado_en = '2020-05-01' WHERE id = :i"),
        {"i": sp[0]},
    )
    ruta_sp = f"/api/v1/subproyectos/{sp[0]}"
    for fecha, monto in (("2020-08-01", "100000"), ("2021-05-01", "50000")):
        r = client.post(
            f"{ruta_sp}/movimientos",
            json={"fecha": fecha, "tipo": "ejecucion_empoderar", "monto_bs": monto},
            headers={"If-Match": f'"{_version(client, ruta_sp)}"'},
        )
        assert r.status_code == 201, r.text
    return {"alianza": a["id"], "nueva": b.json()["id"], "subproyecto": sp[0], "sp_nuevo": sp[1]}


def _valores(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in ANTES}


def _al(corte: date | None) -> dict[str, str]:
    return {} if corte is None else {"corte": corte.isoformat()}


# --- OGC API - Features -----------------------------------------------------------------------


@pytest.mark.parametrize(("corte", "esperado"), [(CORTE, ANTES), (None, AHORA)])
def test_the_ogc_alliance_item_publishes_its_stage_and_money_of_the_cutoff(
    client, historia, corte, esperado
):
    r = client.get(f"/ogc/collections/alianzas/items/{historia['alianza']}", params=_al(corte))
    assert r.status_code == 200, r.text
    assert _valores(r.json()["properties"]) == esperado
    propio = next(e["href"] for e in r.json()["links"] if e["rel"] == "self")
    assert ("corte=2021-01-31" in propio) == (corte is not None)


def test_an_alliance_that_applied_after_the_cutoff_is_no_ogc_item_at_it(client, historia):
    url = f"/ogc/collections/alianzas/items/{historia['nueva']}"
    assert client.get(url, params=_al(CORTE)).status_code == 404
    assert client.get(url).json()["properties"]["codigo"] == "C-002"
    futuro = client.get(url, params={"corte": "2999-01-01"})
    assert futuro.status_code == 400 and futuro.json()["campo"] == "corte"


def test_the_ogc_items_page_at_the_cutoff_has_that_days_records_and_values(client, historia):
    r = client.get("/ogc/collections/alianzas/items", params=_al(CORTE))
    fc = r.json()
    assert (fc["numberMatched"], [f["id"] for f in fc["features"]]) == (1, [historia["alianza"]])
    assert _valores(fc["features"][0]["properties"]) == ANTES
    hoy = client.get("/ogc/collections/alianzas/items").json()
    assert [f["properties"]["codigo"] for f in hoy["features"]] == ["C-001", "C-002"]
    assert _valores(hoy["features"][0]["properties"]) == AHORA


@pytest.mark.parametrize(
    ("filtro", "hay"),
    [
        ({"etapa": "convenio_firmado"}, True),  # the vocabulary's stage, as of the cut-off
        ({"etapa": "en_inversion"}, False),
        ({"fecha_etapa": "2020-06-01"}, True),  # an attribute filter (Part 3), as of it too
        ({"monto_transferido_bs": "50000"}, False),
    ],
)
def test_the_ogc_filters_at_the_cutoff_compare_that_days_values(client, historia, filtro, hay):
    fc = client.get("/ogc/collections/alianzas/items", params=_al(CORTE) | filtro).json()
    assert [f["id"] for f in fc["features"]] == ([historia["alianza"]] if hay else [])


def test_the_ogc_html_pages_at_the_cutoff_show_that_days_values_and_keep_the_date(client, historia):
    aid = historia["alianza"]
    pagina = client.get("/ogc/collections/alianzas/items", params={"f": "html"} | _al(CORTE)).text
    assert "Convenio firmado" in pagina and "30.000" in pagina
    assert "En inversión" not in pagina and "50.000" not in pagina and "C-002" not in pagina
    assert "situación al 31/01/2021" in pagina
    assert f"items/{aid}?f=html&amp;corte=2021-01-31" in pagina  # the feature's link keeps it
    ficha = client.get(f"/ogc/collections/alianzas/items/{aid}", params={"f": "html"} | _al(CORTE))
    assert ficha.status_code == 200, ficha.text
    assert "Convenio firmado" in ficha.text and "01/06/2020" in ficha.text
    assert "30.000" in ficha.text and "En inversión" not in ficha.text
    assert "items?f=html&amp;corte=2021-01-31" in ficha.text  # back to the page of that day
    hoy = client.get(f"/ogc/collections/alianzas/items/{aid}", params={"f": "html"}).text
    assert "En inversión" in hoy and "50.000" in hoy and "corte=" not in hoy


@pytest.mark.parametrize(("corte", "ejecutado"), EJECUTADO)
def test_the_ogc_subprojects_at_the_cutoff_have_that_days_executed_money(
    client, historia, corte, ejecutado
):
    fc = client.get("/ogc/collections/subproyectos/items", params=_al(corte)).json()
    ids = [historia["subproyecto"]] + ([] if corte else [historia["sp_nuevo"]])
    assert [f["id"] for f in fc["features"]] == ids
    assert fc["features"][0]["properties"]["monto_empoderar_ejecutado_bs"] == ejecutado
    uno = client.get(f"/ogc/collections/subproyectos/items/{ids[0]}", params=_al(corte)).json()
    assert uno["properties"]["monto_empoderar_ejecutado_bs"] == ejecutado
    nuevo = f"/ogc/collections/subproyectos/items/{historia['sp_nuevo']}"
    assert client.get(nuevo, params=_al(corte)).status_code == (404 if corte else 200)


# --- exports ------------------------------------------------------------------------------------

EXPORTAR = "/api/v1/exportar"
# Shapefile fields have 10 characters at most (geo.publicacion.exportar.NOMBRES_SHP).
CORTOS = {"monto_transferido_bs": "transf_bs", "monto_empoderar_ejecutado_bs": "emp_eje_bs"}


def _filas(r: Any, formato: str) -> list[dict[str, Any]]:
    """The export's rows as dictionaries, whatever the format."""
    assert r.status_code == 200, r.text
    if formato == "geojson":
        return [f["properties"] | {"id": f["id"]} for f in json.loads(r.content)["features"]]
    if formato == "geojsonl":
        return [
            json.loads(f)["properties"] | {"id": json.loads(f)["id"]}
            for f in r.content.decode().splitlines()
        ]
    if formato == "csv":
        return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    gdf = pyogrio.read_dataframe(io.BytesIO(r.content))
    filas = gdf.drop(columns="geometry").rename(columns={v: k for k, v in CORTOS.items()})
    return filas.to_dict("records")


FORMATOS = ["geojson", "geojsonl", "csv", "gpkg", "shp", "kml"]


@pytest.mark.parametrize("formato", FORMATOS)
@pytest.mark.parametrize(("corte", "esperado"), [(CORTE, ANTES), (None, AHORA)])
def test_every_alliance_export_at_the_cutoff_has_that_days_stage_and_money(
    client, historia, formato, corte, esperado
):
    r = client.get(f"{EXPORTAR}/alianzas", params={"formato": formato} | _al(corte))
    filas = _filas(r, formato)
    assert sorted(f["codigo"] for f in filas) == (["C-001"] if corte else ["C-001", "C-002"])
    fila = next(f for f in filas if f["codigo"] == "C-001")
    assert fila["etapa"] == esperado["etapa"]
    assert float(fila["monto_transferido_bs"]) == esperado["monto_transferido_bs"]
    if formato in ("geojson", "geojsonl", "csv"):
        assert fila["fecha_etapa"] == esperado["fecha_etapa"]
        assert r.headers["X-Total-Count"] == str(len(filas))


@pytest.mark.parametrize("formato", FORMATOS)
@pytest.mark.parametrize(("corte", "ejecutado"), EJECUTADO)
def test_every_subproject_export_at_the_cutoff_has_that_days_executed_money(
    client, historia, formato, corte, ejecutado
):
    r = client.get(f"{EXPORTAR}/subproyectos", params={"formato": formato} | _al(corte))
    filas = _filas(r, formato)
    assert sorted(f["codigo"] for f in filas) == (["FPS-01"] if corte else ["FPS-01", "FPS-02"])
    fila = next(f for f in filas if f["codigo"] == "FPS-01")
    assert float(fila["monto_empoderar_ejecutado_bs"]) == ejecutado


def test_an_export_filtered_at_the_cutoff_filters_on_that_days_values(client, historia):
    def codigos(**params: str) -> list[str]:
        r = client.get(f"{EXPORTAR}/alianzas", params={"formato": "geojson"} | params)
        return [f["properties"]["codigo"] for f in json.loads(r.content)["features"]]

    corte = CORTE.isoformat()
    assert codigos(corte=corte, etapa_alcanzada="convenio_firmado") == ["C-001"]
    assert codigos(corte=corte, etapa_alcanzada="en_inversion") == []
    assert codigos(etapa_alcanzada="en_inversion") == ["C-001"]
    assert codigos(corte=corte, monto_transferido_bs="30000") == ["C-001"]
    assert codigos(monto_transferido_bs="30000") == []


# --- the list as a file for people (CSV for Excel, XLSX) ----------------------------------------


@pytest.mark.parametrize(
    ("corte", "etapa", "transferido", "fecha"),
    [(CORTE, "Convenio firmado", "30000", "01/06/2020"),
     (None, "En inversión", "50000", "15/03/2021")],
)  # fmt: skip
def test_the_list_csv_for_excel_at_the_cutoff_has_that_days_values(
    client, historia, corte, etapa, transferido, fecha
):
    r = client.get("/api/v1/alianzas/descarga", params={"formato": "csv"} | _al(corte))
    filas = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    assert [f["Código"] for f in filas] == (["C-001"] if corte else ["C-001", "C-002"])
    fila = filas[0]
    columnas = {k for k in fila if "transferido" in k.lower()}
    assert len(columnas) == 1
    assert fila[columnas.pop()] == transferido
    assert etapa in fila.values() and fecha in fila.values()


@pytest.mark.parametrize(
    ("corte", "etapa", "transferido", "fecha"),
    [(CORTE, "Convenio firmado", 30000, date(2020, 6, 1)),
     (None, "En inversión", 50000, date(2021, 3, 15))],
)  # fmt: skip
def test_the_list_xlsx_at_the_cutoff_has_that_days_values(
    client, historia, corte, etapa, transferido, fecha
):
    r = client.get("/api/v1/alianzas/descarga", params={"formato": "xlsx"} | _al(corte))
    hoja = load_workbook(io.BytesIO(r.content)).active
    cabeza = [c.value for c in hoja[1]]
    filas = [dict(zip(cabeza, (c.value for c in fila), strict=True)) for fila in hoja.iter_rows(2)]
    assert [f[cabeza[0]] for f in filas] == (["C-001"] if corte else ["C-001", "C-002"])
    fila = filas[0]
    transferida = next(k for k in cabeza if "transferido" in k.lower())
    assert fila[transferida] == transferido
    assert etapa in fila.values()
    assert fecha in {v.date() for v in fila.values() if hasattr(v, "date")}
