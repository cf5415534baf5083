#!/usr/bin/env bash
# Vendors the browser libraries of the offline application from the npm registry into
# web/static/vendor/ (no CDN at run time: field offices work with poor or no connectivity):
#   workbox/      the workbox-sw loader and the production builds of the modules it loads
#   idb-keyval/   the ES module build (import { get, set } from "/static/vendor/idb-keyval/index.js")
# Each with its licence and the package.json of the release. Run again after changing a version.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKBOX=7.4.1
IDB_KEYVAL=6.3.0

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
sacar() {  # sacar PACKAGE VERSION: the package's files in $tmp/PACKAGE
  (cd "$tmp" && npm pack --silent "$1@$2" >/dev/null)
  mkdir -p "$tmp/$1"
  tar xzf "$tmp/$1-$2.tgz" -C "$tmp/$1" --strip-components=1
}

destino=web/static/vendor/workbox
rm -rf "$destino" && mkdir -p "$destino"
sacar workbox-sw "$WORKBOX"
cp "$tmp/workbox-sw/build/workbox-sw.js" "$tmp/workbox-sw/LICENSE" "$destino/"
: > "$destino/VERSIONS"
for modulo in core routing strategies precaching expiration; do
  sacar "workbox-$modulo" "$WORKBOX"
  cp "$tmp/workbox-$modulo/build/workbox-$modulo.prod.js" "$destino/"
  # One MIT licence for the whole Workbox release: refuse a module that says otherwise.
  cmp -s "$tmp/workbox-$modulo/LICENSE" "$destino/LICENSE" \
    || { echo "workbox-$modulo trae otra licencia" >&2; exit 1; }
done
for paquete in sw core routing strategies precaching expiration; do
  echo "workbox-$paquete $WORKBOX" >> "$destino/VERSIONS"
done
# Source maps point at files not vendored: drop the comment so the browser asks for none.
sed -i '/^\/\/# sourceMappingURL=/d' "$destino"/*.js

destino=web/static/vendor/idb-keyval
rm -rf "$destino" && mkdir -p "$destino"
sacar idb-keyval "$IDB_KEYVAL"
cp "$tmp/idb-keyval/dist/index.js" "$tmp/idb-keyval/LICENCE" "$tmp/idb-keyval/package.json" \
  "$destino/"
sed -i '/^\/\/# sourceMappingURL=/d' "$destino/index.js"
echo "vendorizados: workbox $WORKBOX, idb-keyval $IDB_KEYVAL"
