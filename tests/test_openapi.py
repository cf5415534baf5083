"""/openapi.json describes the answers, not only the inputs: every JSON route declares the body
it answers and every error its problem document; on the demo data, the answers of
representative routes are exactly the models they declare (no field dropped, none invented);
and the document is valid OpenAPI 3.1."""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from pydantic import BaseModel
from sqlalchemy import Connection, Engine

from api.main import create_app
from api.schemas.alianzas import Alianza, AlianzaPublica, FeatureAlianza, ListaAlianzas
from api.schemas.analisis import Estadisticas, ListaIndicadores
from api.schemas.importaciones import InformeImportacion
from api.schemas.reclamos import Reclamo, ReclamoSeguimiento
from api.schemas.sesion import Token
from geo.plataforma.config import Settings
from tests.conftest import cliente_en

# The routes whose success answers no JSON body, each with the reason. Any other route must
# declare a model; this list may only shrink.
SIN_CUERPO_JSON = {
    ("delete", "/api/v1/alianzas/{alianza_id}"): "204: sin cuerpo",
    ("delete", "/api/v1/subproyectos/{sp_id}"): "204: sin cuerpo",
    ("delete", "/api/v1/organizaciones/{org_id}"): "204: sin cuerpo",
    ("delete", "/api/v1/alianzas/{alianza_id}/seguimientos/{ciclo}"): "204: sin cuerpo",
    ("post", "/api/v1/indicadores/{codigo}/valores"): "204: sin cuerpo",
    ("get", "/api/v1/exportar/{cid}"): "un archivo para descargar (GeoJSON, GeoJSON Lines, "
    "CSV, GeoPackage, Shapefile o KML)",
    ("get", "/api/v1/mapa/descarga"): "el mapa en pantalla como archivo (GeoJSON, CSV o HTML)",
    ("get", "/api/v1/alianzas/descarga"): "la lista como archivo para personas (CSV o XLSX)",
    ("get", "/api/v1/importaciones/trabajos/{trabajo_id}/errores.csv"): "la tabla de errores "
    "de un trabajo de importación, como CSV para una planilla",
    ("get", "/api/v1/informes/tablas/{nombre}"): "una tabla oficial como documento (XLSX, "
    "CSV o PDF)",
    ("get", "/api/v1/informes/marco-de-resultados"): "el marco de resultados como documento",
    ("get", "/api/v1/informes/ficha"): "el informe de una página, PDF",
    ("get", "/api/v1/teselas/{tipo}/{z}/{x}/{y}.pbf"): "una tesela vectorial (MVT, binaria)",
}
# Attachments: the same file, thumbnail and delete routes under each record that takes files.
SIN_CUERPO_JSON |= {
    (metodo, f"{registro}/adjuntos/{{adjunto_id}}{sufijo}"): motivo
    for registro in (
        "/api/v1/alianzas/{alianza_id}",
        "/api/v1/subproyectos/{sp_id}",
        "/api/v1/reclamos/{reclamo_id}",
        "/api/v1/alianzas/{alianza_id}/seguimientos/{ciclo}",
    )
    for metodo, sufijo, motivo in (
        ("get", "", "la foto o el documento adjunto (JPEG, PNG, HEIC o PDF)"),
        ("get", "/miniatura", "la miniatura JPEG de una foto adjunta"),
        ("delete", "", "204: sin cuerpo"),
    )
}
EXITO = ("200", "201", "202", "204")
JSON = "application/json"
GEOJSON = "application/geo+json"


@pytest.fixture(scope="module")
def documento(settings: Settings) -> dict[str, Any]:
    return create_app(settings).openapi()


def _operaciones(documento: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for ruta, operaciones in documento["paths"].items():
        if ruta.startswith(("/api/v1", "/ogc")):
            for metodo, operacion in operaciones.items():
                yield metodo, ruta, operacion


def test_every_route_declares_the_body_of_its_success_answer(documento):
    sin_modelo, vacios = [], []
    for metodo, ruta, operacion in _operaciones(documento):
        [codigo] = [c for c in EXITO if c in operacion["responses"]]
        contenido = operacion["responses"][codigo].get("content", {})
        vacios += [
            f"{metodo} {ruta} {tipo}"
            for tipo, cuerpo in contenido.items()
            if not {"$ref", "type"} & set(cuerpo.get("schema", {}))
        ]
        con_modelo = any("$ref" in c.get("schema", {}) for c in contenido.values())
        if con_modelo == ((metodo, ruta) in SIN_CUERPO_JSON):
            sin_modelo.append(f"{metodo} {ruta} ({codigo})")
    assert vacios == [], "content without a schema"
    # Either a route without a model that is not listed, or a listed one that now has one.
    assert sin_modelo == []
    operaciones = {(m, r) for m, r, _ in _operaciones(documento)}
    assert set(SIN_CUERPO_JSON) <= operaciones


def test_every_error_is_declared_as_the_problem_document(documento):
    mal = []
    for metodo, ruta, operacion in _operaciones(documento):
        errores = {c: r for c, r in operacion["responses"].items() if c.startswith("4")}
        if "400" not in errores:  # every route refuses an unknown query parameter
            mal.append(f"{metodo} {ruta}: sin 400")
        for codigo, respuesta in errores.items():
            problema = respuesta.get("content", {}).get("application/problem+json", {})
            if problema.get("schema") != {"$ref": "#/components/schemas/Problema"}:
                mal.append(f"{metodo} {ruta}: {codigo}")
    assert mal == []
    # FastAPI's own 422 shape is never answered: errors.py turns it into a problem.
    assert "HTTPValidationError" not in documento["components"]["schemas"]
    assert {"type", "title", "status", "detail", "campo", "errores", "aceptados"} <= set(
        documento["components"]["schemas"]["Problema"]["properties"]
    )


def test_the_document_is_valid_openapi_3_1(documento):
    assert documento["openapi"].startswith("3.1")
    validate(documento)


# -- The answers are exactly the declared models ------------------------------------------


def _modelos(tipo: Any) -> list[type[BaseModel]]:
    """The models a field's annotation holds (through Optional, list, dict values)."""
    if isinstance(tipo, type) and issubclass(tipo, BaseModel):
        return [tipo]
    origen, argumentos = typing.get_origin(tipo), typing.get_args(tipo)
    if origen is typing.Annotated:
        return _modelos(argumentos[0])
    if origen is dict:
        return _modelos(argumentos[1])
    return [m for a in argumentos for m in _modelos(a)]  # list, Optional, Union


def diferencias(modelo: type[BaseModel], valor: Any, ruta: str = "") -> list[str]:
    """Where the keys of ``valor`` differ from the fields of ``modelo``, at every depth."""
    if isinstance(valor, list):
        return [d for v in valor for d in diferencias(modelo, v, ruta + "[]")]
    if not isinstance(valor, dict):
        return []
    campos = {c.alias or n: c for n, c in modelo.model_fields.items()}
    salida = []
    if set(campos) != set(valor):
        faltan, sobran = sorted(set(campos) - set(valor)), sorted(set(valor) - set(campos))
        salida.append(f"{ruta or modelo.__name__}: faltan {faltan}, sobran {sobran}")
    for clave, campo in campos.items():
        if clave not in valor:
            continue
        anidados = _modelos(campo.annotation)
        dentro = valor[clave]
        if typing.get_origin(campo.annotation) is dict and isinstance(dentro, dict):
            dentro = list(dentro.values())
        for m in anidados[:1]:
            salida += diferencias(m, dentro, f"{ruta}.{clave}")
    return salida


def declarado(documento: dict[str, Any], metodo: str, ruta: str, tipo: str) -> str:
    respuestas = documento["paths"][ruta][metodo]["responses"]
    [codigo] = [c for c in EXITO if c in respuestas]
    return str(respuestas[codigo]["content"][tipo]["schema"]["$ref"]).rsplit("/", 1)[-1]


@pytest.fixture
def demo_publico(
    demo_engine: Engine, demo_conn: Connection, settings: Settings
) -> Iterator[TestClient]:
    yield from cliente_en(demo_engine, demo_conn, settings, rol=None)


def _una_alianza(c: TestClient, _: TestClient, __: Connection) -> Any:
    primera = c.get("/api/v1/alianzas", params={"limit": 1}).json()["data"][0]
    return c.get(f"/api/v1/alianzas/{primera['id']}")


def _una_alianza_publica(_: TestClient, p: TestClient, __: Connection) -> Any:
    primera = p.get("/api/v1/alianzas", params={"limit": 1}).json()["data"][0]
    return p.get(f"/api/v1/alianzas/{primera['id']}")


def _feature(c: TestClient, _: TestClient, __: Connection) -> Any:
    primera = c.get("/api/v1/alianzas", params={"limit": 1}).json()["data"][0]
    return c.get(f"/api/v1/alianzas/{primera['id']}", params={"formato": "geojson"})


def _presentar(p: TestClient) -> dict[str, Any]:
    r = p.post(
        "/api/v1/reclamos",
        json={"municipio_codigo": "060301", "asunto": "Pozo", "descripcion": "No hay agua"},
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def _seguimiento(_: TestClient, p: TestClient, __: Connection) -> Any:
    return p.get(f"/api/v1/reclamos/seguimiento/{_presentar(p)['codigo']}")


def _reclamo(c: TestClient, p: TestClient, __: Connection) -> Any:
    codigo = _presentar(p)["codigo"]
    [uno] = [r for r in c.get("/api/v1/reclamos").json()["data"] if r["codigo"] == codigo]
    return c.get(f"/api/v1/reclamos/{uno['id']}")


def _simulacro(c: TestClient, _: TestClient, __: Connection) -> Any:
    csv = "codigo;nombre;sector;modelo;financiamiento;familias;cod_ine\r\n"
    csv += "IMP-1;Miel;Apicultura;1;adicional;10;060301\r\n"
    archivo = {"archivo": ("alianzas.csv", csv.encode())}
    return c.post("/api/v1/importaciones", files=archivo, data={"simulacro": "true"})


def _token(_: TestClient, p: TestClient, conn: Connection) -> Any:
    from geo.acceso.cuentas import crear

    crear(conn, "chaco", "Unidad Chaco", "unidad", "CHACO", "una clave larga")
    return p.post("/api/v1/sesion/token", data={"username": "chaco", "password": "una clave larga"})


Pedido = Callable[[TestClient, TestClient, Connection], Any]
CASOS: list[tuple[str, str, str, type[BaseModel], Pedido]] = [
    ("get", "/api/v1/alianzas", JSON, ListaAlianzas,
     lambda c, _, __: c.get("/api/v1/alianzas", params={"limit": 5})),
    ("get", "/api/v1/alianzas/{alianza_id}", JSON, Alianza, _una_alianza),
    ("get", "/api/v1/alianzas/{alianza_id}", GEOJSON, FeatureAlianza, _feature),
    ("get", "/api/v1/estadisticas", JSON, Estadisticas,
     lambda c, _, __: c.get("/api/v1/estadisticas", params={"nivel": "departamento"})),
    ("get", "/api/v1/indicadores", JSON, ListaIndicadores,
     lambda c, _, __: c.get("/api/v1/indicadores")),
    ("get", "/api/v1/reclamos/seguimiento/{codigo}", JSON, ReclamoSeguimiento, _seguimiento),
    ("get", "/api/v1/reclamos/{reclamo_id}", JSON, Reclamo, _reclamo),
    ("post", "/api/v1/importaciones", JSON, InformeImportacion, _simulacro),
    ("post", "/api/v1/sesion/token", JSON, Token, _token),
]  # fmt: skip


@pytest.mark.parametrize(
    "metodo,ruta,tipo,modelo,pedir", CASOS, ids=[f"{m.__name__}" for *_, m, _ in CASOS]
)
def test_the_answer_is_exactly_the_declared_model(
    documento, demo_client, demo_publico, demo_conn, metodo, ruta, tipo, modelo, pedir
):
    assert declarado(documento, metodo, ruta, tipo) == modelo.__name__
    r = pedir(demo_client, demo_publico, demo_conn)
    assert r.status_code in (200, 201), r.text
    assert r.headers["content-type"].startswith(tipo)
    cuerpo = r.json()
    modelo.model_validate(cuerpo)
    assert diferencias(modelo, cuerpo) == []


def test_the_public_sees_the_public_variant_of_an_alliance(demo_client, demo_publico, demo_conn):
    cuerpo = _una_alianza_publica(demo_client, demo_publico, demo_conn).json()
    AlianzaPublica.model_validate(cuerpo)
    assert diferencias(AlianzaPublica, cuerpo) == []
    # The staff model validates it too: its private fields are optional, and absent here.
    assert diferencias(Alianza, cuerpo) == [
        "Alianza: faltan ['alertas', 'comprador', 'observacion'], sobran []"
    ]
    Alianza.model_validate(cuerpo)
