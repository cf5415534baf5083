"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from xstatic.pkg import leaflet as xleaflet
from xstatic.pkg import leaflet_markercluster as xcluster

from api import errors
from api.cache import AtajoCache, CacheRespuestas
from api.parametros import solo_conocidos
from api.routes import (
    alianzas,
    estadisticas,
    exportar,
    importaciones,
    mapa,
    ogc,
    organizaciones,
    reclamos,
    salud,
    sesion,
    subproyectos,
    territorio,
    verificacion,
)
from api.schemas.documento import completar
from api.seguridad import alcance_de_cabecera
from geo.plataforma.config import Settings
from geo.plataforma.db import database_url, make_engine

WEB = Path(__file__).resolve().parents[1] / "web" / "static"


# The pages load only their own scripts and styles (Leaflet sets inline styles on its panes);
# text entered by the public can never run as script, even if a page forgot to escape it.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https:; connect-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)


async def _cabeceras_de_seguridad(request: Request, call_next: Any) -> Response:
    respuesta: Response = await call_next(request)
    respuesta.headers.setdefault("X-Content-Type-Options", "nosniff")
    respuesta.headers.setdefault("Referrer-Policy", "same-origin")
    # Not on /docs (Swagger UI runs inline scripts) nor on downloaded maps (opened from disk).
    if (
        respuesta.headers.get("content-type", "").startswith("text/html")
        and not request.url.path.startswith(("/docs", "/redoc"))
        and "attachment" not in respuesta.headers.get("content-disposition", "")
    ):
        respuesta.headers.setdefault("Content-Security-Policy", _CSP)
    return respuesta


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
        yield
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
    )
    app.state.settings = settings
    app.state.limitadores = {}
    app.state.cache = CacheRespuestas()
    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.middleware("http")(_cabeceras_de_seguridad)
    # Outermost: a cached aggregate is answered before anything else runs.
    app.add_middleware(AtajoCache, leer_alcance=partial(alcance_de_cabecera, settings))
    errors.install(app)
    # Every route refuses a query parameter it does not read (400 naming it).
    for modulo in (
        salud, sesion, territorio, verificacion, alianzas, importaciones, organizaciones,
        subproyectos, estadisticas, mapa, ogc, exportar, reclamos,
    ):  # fmt: skip
        app.include_router(modulo.router, dependencies=[Depends(solo_conocidos)])
    # The problem+json and GeoJSON bodies the routes declare, in the OpenAPI components.
    completar(app)
    app.mount("/static", StaticFiles(directory=WEB), name="static")
    # Leaflet and its marker clusters come from their xstatic packages: no CDN, works offline.
    app.mount("/vendor/leaflet", StaticFiles(directory=xleaflet.BASE_DIR), name="leaflet")
    app.mount("/vendor/markercluster", StaticFiles(directory=xcluster.BASE_DIR), name="cluster")

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html")

    @app.get("/reclamos", include_in_schema=False)
    def reclamo() -> FileResponse:
        return FileResponse(WEB / "reclamo.html")

    return app
