"""A large import does not stall the server: while an office's 40,000-row dry run is parsed,
validated and written (then rolled back), a map page asking for the departments is still
answered at once. The real app runs in its own uvicorn process (the shared ``servidor``)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from geo.plataforma.config import Settings
from tests.conftest import cabeceras

FILAS = 40_000
# Yacuiba (Chaco), well inside its municipality: every row is valid.
ENCABEZADO = "codigo,nombre,sector,modelo,financiamiento,familias,familias_mujeres,lat,lon"


def _csv_grande(filas: int) -> bytes:
    lineas = [ENCABEZADO] + [
        f"CONC-{i:06d},Alianza de prueba {i},apicultura,1,adicional,12,5,-22.015,-63.677"
        for i in range(filas)
    ]
    return ("\n".join(lineas) + "\n").encode()


def _importar(servidor: str, datos: bytes) -> tuple[httpx.Response, float, float]:
    """A national user's dry run of ``datos``: the answer, and when it started and ended."""
    with httpx.Client(base_url=servidor, timeout=300) as api:
        inicio = time.perf_counter()
        r = api.post(
            "/api/v1/importaciones",
            files={"archivo": ("alianzas.csv", datos)},
            data={"programa": "PAR2", "simulacro": "true"},
            headers=cabeceras(Settings(), "nacional"),
        )
        return r, inicio, time.perf_counter()


def test_a_listing_is_answered_at_once_while_a_large_dry_run_import_runs(servidor: str) -> None:
    with ThreadPoolExecutor(max_workers=1) as hilo:
        importacion = hilo.submit(_importar, servidor, _csv_grande(FILAS))
        time.sleep(1.5)  # the upload is in, the server is busy parsing and validating
        inicio = time.perf_counter()
        listado = httpx.get(servidor + "/api/v1/territorio/departamentos", timeout=300)
        respondido = time.perf_counter()
        seguia = not importacion.done()
        r, empezo, termino = importacion.result(timeout=300)

    assert r.status_code == 200, r.text
    informe = r.json()
    assert (informe["simulacro"], informe["insertadas"], informe["escrito"]) == (True, FILAS, False)
    assert listado.status_code == 200 and listado.json()["count"] == 9
    espera, duracion = respondido - inicio, termino - empezo
    print(f"listing {espera:.3f} s during an import of {duracion:.1f} s")
    assert espera < 1, f"the listing waited {espera:.1f} s for the import"
    assert duracion > 3, f"the import took only {duracion:.1f} s: too small to prove anything"
    assert seguia and respondido < termino, "the listing did not overlap the import"
