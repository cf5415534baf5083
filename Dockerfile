# The SIGG service. The database is a separate PostGIS (see compose.yaml); the boundary files
# are mounted at /data/bolivia, never baked into the image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    SIGG_BOUNDARIES_DIR=/data/bolivia

# pg_dump/pg_restore of the server's major version for `sigg db respaldar|restaurar`; Pango
# and a font for the PDF documents (WeasyPrint).
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client-15 \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY api ./api
COPY geo ./geo
COPY etl ./etl
COPY web ./web
COPY data ./data
# Editable install keeps data/municipios/ where the loader looks for it (beside the packages).
RUN pip install -e . && useradd --system --uid 10001 --home /app sigg
USER sigg

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/api/v1/health', timeout=4)"
CMD ["sh", "-c", "sigg db upgrade && sigg etl territorio --si-falta && exec sigg serve --host 0.0.0.0 --port 8000"]
