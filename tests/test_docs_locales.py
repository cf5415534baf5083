"""The API documentation (/docs, Swagger UI; /redoc, ReDoc) is served from vendored assets, works
with no internet and runs under the same Content-Security-Policy as the other pages."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page

from api.main import create_app
from geo.plataforma.config import Settings

SWAGGER = "/static/vendor/swagger-ui-dist"
REDOC = "/static/vendor/redoc"
ASSETS = {
    "/docs": {f"{SWAGGER}/swagger-ui.css", f"{SWAGGER}/swagger-ui-bundle.js", "/static/docs.js"},
    "/redoc": {f"{REDOC}/redoc.standalone.js"},
}


@pytest.fixture(scope="module")
def web(settings: Settings) -> Iterator[TestClient]:
    """The application as a browser meets it; these pages read nothing from the database."""
    with TestClient(create_app(settings)) as client:
        yield client


def _referencias(html: str) -> set[str]:
    return set(re.findall(r'\b(?:src|href|spec-url|data-openapi)="([^"]*)"', html))


def _directivas(csp: str) -> dict[str, str]:
    return {d.split()[0]: " ".join(d.split()[1:]) for d in csp.split(";") if d.strip()}


@pytest.mark.parametrize("ruta", ["/docs", "/redoc"])
def test_doc_pages_reference_no_external_url_only_their_vendored_assets(web, ruta):
    r = web.get(ruta)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", r.text, re.I) == []
    assets = {u for u in _referencias(r.text) if u.startswith("/static/")}
    assert assets == ASSETS[ruta]
    assert _referencias(r.text) - assets <= {"/openapi.json", "data:,"}


@pytest.mark.parametrize(
    ("url", "tipo", "contiene"),
    [
        (f"{SWAGGER}/swagger-ui-bundle.js", "javascript", "SwaggerUIBundle"),
        (f"{SWAGGER}/swagger-ui.css", "text/css", ".swagger-ui"),
        ("/static/docs.js", "javascript", "validatorUrl: null"),
        (f"{REDOC}/redoc.standalone.js", "javascript", "spec-url"),
        (f"{SWAGGER}/LICENSE", "", "Apache License"),
        (f"{REDOC}/LICENSE", "", "The MIT License"),
    ],
)
def test_every_asset_of_the_doc_pages_and_its_licence_answer_locally(web, url, tipo, contiene):
    r = web.get(url)
    assert r.status_code == 200
    assert tipo in r.headers["content-type"]
    assert contiene in r.text


@pytest.mark.parametrize("ruta", ["/docs", "/redoc"])
def test_doc_pages_carry_a_csp_that_allows_only_their_own_scripts(web, ruta):
    r = web.get(ruta)
    directivas = _directivas(r.headers["content-security-policy"])
    assert directivas["script-src"] == "'self'"
    assert directivas["default-src"] == "'self'" and directivas["connect-src"] == "'self'"
    assert directivas["frame-ancestors"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    # No inline script for the policy to refuse: everything runs from a file.
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", r.text) == []


def test_redoc_may_start_its_search_worker_but_loads_no_image_from_outside(web):
    directivas = _directivas(web.get("/redoc").headers["content-security-policy"])
    assert directivas["worker-src"] == "'self' blob:"
    assert directivas["img-src"] == "'self' data:"


def _abrir(pagina: Page, servidor: str, ruta: str) -> list[str]:
    consola: list[str] = []
    pagina.on("console", lambda m: consola.append(m.text) if m.type == "error" else None)
    pagina.goto(servidor + ruta)
    return consola


def test_swagger_ui_lists_the_operations_with_no_request_beyond_localhost(pagina, servidor):
    consola = _abrir(pagina, servidor, "/docs")
    ruta = pagina.locator('.opblock-summary-path[data-path="/api/v1/alianzas"]').first
    ruta.wait_for(timeout=15_000)
    assert ruta.inner_text().replace("\u200b", "") == "/api/v1/alianzas"
    assert pagina.locator(".opblock").count() > 30  # every operation, not one
    assert pagina.locator(".info .title").inner_text().startswith("SIGG")
    assert consola == [] and pagina.errores == []  # type: ignore[attr-defined]
    # The ``pagina`` fixture fails the test if any request went beyond 127.0.0.1.


def test_redoc_renders_the_operations_with_no_request_beyond_localhost(pagina, servidor):
    consola = _abrir(pagina, servidor, "/redoc")
    pagina.get_by_text("/api/v1/alianzas").first.wait_for(state="attached", timeout=15_000)
    assert pagina.locator("h1").first.inner_text().startswith("SIGG")
    # The only refusal is the Redocly logo ReDoc asks of its CDN: no script, no worker refused.
    assert [c for c in consola if "cdn.redoc.ly" not in c] == []
    assert pagina.errores == []  # type: ignore[attr-defined]
