#!/usr/bin/env bash
# One command for the whole set-up on a Debian machine, then either the server or the tests.
#   scripts/dev.sh run    install what is missing, start the private PostGIS, migrate, load the
#                         territory, serve on http://127.0.0.1:8000 (SIGG_HOST / SIGG_PORT)
#   scripts/dev.sh test   the same set-up, then lint, types and the test suite (args go to pytest)
# With SIGG_DATABASE_URL set, the external PostGIS is used and no private cluster is started.
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
case "$mode" in
  run|test) shift ;;
  *) echo "uso: $0 run|test [argumentos de pytest]" >&2; exit 2 ;;
esac

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_missing=()
need_apt() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || apt_missing+=("$1"); }
if [ -z "${SIGG_DATABASE_URL:-}" ]; then
  need_apt postgresql-15
  need_apt postgresql-15-postgis-3
fi
# WeasyPrint lays out the PDF documents with Pango, in DejaVu Sans.
need_apt libpango-1.0-0
need_apt libpangoft2-1.0-0
need_apt fonts-dejavu-core
# The browser tests drive Debian's Chromium (never a downloaded one).
if [ "$mode" = test ]; then need_apt chromium; fi
python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
  || need_apt python3-venv
if [ "${#apt_missing[@]}" -gt 0 ]; then
  log "Instalando paquetes de Debian: ${apt_missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  log "Creando el entorno virtual .venv"
  python3 -m venv .venv
fi
stamp=".venv/.sigg-instalado"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "Instalando SIGG y sus dependencias en .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[dev]"
  echo "$want" > "$stamp"
fi
export PATH="$PWD/.venv/bin:$PATH"

log "Base de datos"
sigg db start
sigg db upgrade
sigg etl territorio --si-falta
sigg etl demo --si-falta

if [ "$mode" = run ]; then
  sigg usuarios demo
  log "Sirviendo en http://${SIGG_HOST:-127.0.0.1}:${SIGG_PORT:-8000}"
  exec sigg serve --host "${SIGG_HOST:-127.0.0.1}" --port "${SIGG_PORT:-8000}"
fi

log "ruff"
ruff check .
log "mypy"
mypy
log "pytest"
exec pytest "$@"
