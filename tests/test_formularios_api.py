"""What the page's forms take from the server (issue 14): the vocabulary with labels and the
moves of the cycle, the locator's "¿quiso decir…?" as data a form can apply, and the precision a
GPS reading may give a point (never more than the point allows)."""

from __future__ import annotations

import pytest

from geo.vocabulario.catalogos import SECTORES
from tests.test_registro_alianzas import YACUIBA, crear


def test_the_vocabulary_gives_labels_and_only_the_moves_the_cycle_allows(client):
    r = client.get("/api/v1/vocabulario")
    assert r.status_code == 200
    v = r.json()
    assert {s["codigo"]: s["nombre"] for s in v["sectores"]} == SECTORES
    etapas = {e["codigo"]: e for e in v["etapas"]}
    assert etapas["aprobado"]["siguientes"] == ["convenio_firmado", "abandonada"]
    assert etapas["solicitud"]["siguientes"] == [
        "evaluacion_aprobada", "evaluacion_rechazada", "abandonada"
    ]  # fmt: skip
    assert (etapas["concluida"]["siguientes"], etapas["concluida"]["final"]) == ([], True)
    assert v["campos_alianza"]["familias_mujeres"] == "Familias representadas por mujeres"
    assert client.get("/api/v1/vocabulario", params={"x": "1"}).status_code == 400


def test_swapped_coordinates_come_back_with_a_suggestion_the_form_can_apply(client):
    lon, lat = YACUIBA
    r = client.get("/api/v1/territorio/ubicar", params={"lon": lat, "lat": lon})
    assert r.status_code == 422
    s = r.json()["sugerencia"]
    assert (s["lon"], s["lat"]) == (lon, lat)
    assert s["municipio"] == {"codigo": "060301", "nombre": "Yacuiba"}
    # a point in the ocean with no sensible swap gets no suggestion
    lejos = client.get("/api/v1/territorio/ubicar", params={"lon": -30.0, "lat": -40.0})
    assert lejos.status_code == 422 and "sugerencia" not in lejos.json()


def test_a_gps_reading_of_25_km_keeps_precision_2(client):
    r = crear(client, precision_ubicacion=2)
    assert r.status_code == 201, r.text
    assert r.json()["precision_ubicacion"] == 2


def test_a_claimed_precision_never_beats_a_point_derived_from_the_municipality(client):
    r = crear(client, lon=None, lat=None, municipio_codigo="070706", precision_ubicacion=1)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["precision_ubicacion"] == 3
    # and such a record can still be changed (its stored precision 3 is not sent back as input)
    c = client.patch(
        f"/api/v1/alianzas/{a['id']}", json={"familias": 30}, headers={"If-Match": '"1"'}
    )
    assert c.status_code == 200, c.text
    assert (c.json()["familias"], c.json()["precision_ubicacion"]) == (30, 3)


@pytest.mark.parametrize("valor", [0, 3, "exacto"])
def test_a_precision_outside_1_or_2_is_refused_at_its_field(client, valor):
    r = crear(client, precision_ubicacion=valor)
    assert r.status_code == 422
    assert r.json()["errores"][0]["campo"] == "precision_ubicacion"
