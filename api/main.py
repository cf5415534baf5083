"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.docs import get_redoc_html
from fastapi.responses import FileResponse, HTMLResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from xstatic.pkg import leaflet as xleaflet

from api import errors, idempotencia, instalable
from api.cache import ESPERA_MAXIMA, VIDA_CAPA, AtajoCache, CacheRespuestas
from api.compresion import EstaticosComprimidos
from api.frescura import CuerposFijos
from api.pagina import Pagina
from api.parametros import documentar, solo_conocidos
from api.routes import (
    adjuntos,
    alianzas,
    buscar,
    estadisticas,
    exportar,
    importaciones,
    informes,
    mapa,
    movimientos,
    ogc,
    organizaciones,
    programas,
    reclamos,
    salud,
    sesion,
    subproyectos,
    territorio,
    teselas,
    verificacion,
    vocabulario,
)
from api.routes.mapa import capa_ligera_en_la_pagina
from api.schemas.documento import completar
from geo.analisis.resumen import Compactador
from geo.plataforma.config import Settings
from geo.plataforma.db import database_url, make_engine
from geo.registro.trabajos import Trabajador

WEB = Path(__file__).resolve().parents[1] / "web" / "static"


# The pages load only their own scripts and styles (Leaflet sets inline styles on its panes);
# text entered by the public can never run as script, even if a page forgot to escape it.
# Images may be blob: URLs: an attachment's thumbnail is fetched with the login and shown so.
# The service worker and the web app manifest come from this server only (api/instalable.py).
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob: https:; connect-src 'self'; worker-src 'self'; "
    "manifest-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)

# ReDoc builds its search index in a worker made from its own code (a blob: URL), and its menu
# shows the Redocly logo from the vendor's CDN: refused here, so that nothing leaves the machine
# (ReDoc hides the image when it does not load).
_CSP_REDOC = (
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class CabecerasDeSeguridad:
    """Security headers on every response. Pure ASGI, not ``@app.middleware("http")``:
    Starlette's BaseHTTPMiddleware ends a streamed body cleanly when the app fails midway, so
    an export cut by a database failure would reach the client as a complete, short file."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def con_cabeceras(mensaje: Message) -> None:
            if mensaje["type"] == "http.response.start":
                cabeceras = MutableHeaders(scope=mensaje)
                cabeceras.setdefault("X-Content-Type-Options", "nosniff")
                cabeceras.setdefault("Referrer-Policy", "same-origin")
                # Every page, the API documentation included; not downloaded maps.
                pagina = cabeceras.get("content-type", "").startswith("text/html")
                if pagina and "attachment" not in cabeceras.get("content-disposition", ""):
                    cabeceras.setdefault("Content-Security-Policy", _CSP)
            await send(mensaje)

        await self.app(scope, receive, con_cabeceras)


def recuperar_trabajos(trabajador: Trabajador) -> None:
    """Fail the import jobs a dead process left running and queue the waiting ones. A database
    that is down or not migrated yet must not stop the server from starting: the health route
    says what is wrong, and the next start recovers the jobs."""
    try:
        trabajador.recuperar()
    except SQLAlchemyError as exc:
        logging.getLogger("sigg.trabajos").warning("no se recuperaron los trabajos: %s", exc)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.comprobar_secretos()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Tests set app.state.engine themselves, bound to their own database.
        owned = getattr(app.state, "engine", None) is None
        if owned:
            app.state.engine = make_engine(database_url(settings))
        # Read-only requests may go to a streaming replica (docs/scale.md).
        replica = settings.database_url_lectura
        app.state.engine_lectura = make_engine(replica) if replica else app.state.engine
        # Import jobs run on this process's own pool, on connections of the primary.
        app.state.trabajos = Trabajador.de_ajustes(app.state.engine, settings)
        recuperar_trabajos(app.state.trabajos)
        # The aggregate summary's pending differences folded into its base (migration 0014).
        compactador = Compactador(app.state.engine)
        compactador.iniciar()
        if owned:
            # What the process holds from here on (modules, the app) is never garbage, and a
            # full collection walks all of it: ~190 ms of CPU over 352,000 objects, a pause
            # every request in flight waits out (the p99 at 256 connections). Frozen, the
            # collector walks only what came later. Not in tests' in-process apps, made by the
            # hundred: what a frozen app leaves in cycles would never be freed.
            gc.collect()
            gc.freeze()
        yield
        compactador.parar()
        app.state.trabajos.cerrar()
        if replica:
            app.state.engine_lectura.dispose()
        if owned:
            app.state.engine.dispose()

    app = FastAPI(
        title="SIGG",
        description="Sistema de Información Gerencial Georreferenciado: alianzas productivas, "
        "subproyectos y territorio de Bolivia sobre PostGIS.",
        version="0.1.0",
        lifespan=lifespan,
        # Served below from vendored assets, under the pages' CSP: FastAPI's own pages load
        # Swagger UI and ReDoc from a CDN and start Swagger UI with an inline script.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.limitadores = {}
    app.state.cache = CacheRespuestas()
    app.state.capas = CuerposFijos(VIDA_CAPA, ESPERA_MAXIMA)  # the map layer
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(CabecerasDeSeguridad)
    # Outermost: a cached aggregate is answered before anything else runs.
    app.add_middleware(AtajoCache)
    errors.install(app)
    idempotencia.instalar(app)  # a retried write gets its stored answer
    # Every route refuses a query parameter it does not read (400 naming it). The map's routes
    # first: a request is matched against the routes in this order, one after another. A tile
    # at the end of the list made 270 matching calls; first, 9 (a cached tile's request went
    # from 8,132 Python calls on the event loop to 5,642).
    for modulo in (
        teselas, mapa, estadisticas, salud, sesion, territorio, verificacion, alianzas,
        importaciones, organizaciones, subproyectos, ogc, exportar, reclamos, buscar, vocabulario,
        programas, adjuntos, movimientos, informes,
    ):  # fmt: skip
        app.include_router(modulo.router, dependencies=[Depends(solo_conocidos)])
    # The problem+json and GeoJSON bodies the routes declare, in the OpenAPI components.
    completar(app)
    documentar(app)
    # Brotli-compressed once when the browser accepts it (api/compresion.py), else gzip.
    estaticos = EstaticosComprimidos(directory=WEB)
    app.mount("/static", estaticos, name="static")
    # Leaflet comes from its xstatic package: no CDN, works offline. (The points are vector
    # tiles drawn by web/static/teselas.js, with the decoders vendored in web/static/vendor.)
    app.mount("/vendor/leaflet", EstaticosComprimidos(directory=xleaflet.BASE_DIR), name="leaflet")
    # The map page with its stylesheets and the light layer written into it (api/pagina.py).
    pagina = Pagina(
        WEB / "index.html",
        {
            "/vendor/leaflet/leaflet.css": Path(xleaflet.BASE_DIR) / "leaflet.css",
            "/static/app.css": WEB / "app.css",
        },
    )
    # The service worker (root scope) and the manifest: the page installs and starts offline.
    app.include_router(
        instalable.router(WEB, Path(xleaflet.BASE_DIR), pagina, capa_ligera_en_la_pagina)
    )

    @app.get("/", include_in_schema=False)
    def index(request: Request) -> Response:
        return pagina.responder(request.headers, capa_ligera_en_la_pagina(request))

    @app.get("/reclamos", include_in_schema=False)
    def reclamo() -> FileResponse:
        return FileResponse(WEB / "reclamo.html")

    @app.get("/docs", include_in_schema=False)
    def documentacion() -> FileResponse:
        return FileResponse(WEB / "docs.html")

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        pagina = get_redoc_html(
            openapi_url="/openapi.json",
            title="SIGG · API (ReDoc)",
            redoc_js_url="/static/vendor/redoc/redoc.standalone.js",
            redoc_favicon_url="data:,",
            with_google_fonts=False,
        )
        pagina.headers["Content-Security-Policy"] = _CSP_REDOC
        return pagina

    return app
