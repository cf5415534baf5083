/* SIGG's service worker, served at /sw.js (root scope) by api/instalable.py, which prepends
   self.__SIGG_PRECACHE: [url, hash of its content] of every file of the map page.

   - The application shell (the page, its modules and styles, Leaflet, the icons) is precached
     and answered from the cache: the page starts with no network. A file whose hash changes
     is fetched again when the new service worker installs.
   - Reference data that is the same for everyone (the municipal shapes, light and detailed,
     lakes, measures, vocabulary, territory lists, programs): stale-while-revalidate (refreshed
     at most hourly), always asked of the server as the public (no Authorization), so that one
     shared cache may hold it.
   - Any other GET of the API: network first, the cache after 4 s or with no network, so that
     the last map values, figures and records read are there offline. An answer to a request
     that carries a login goes to a cache of that login only ("sigg-privado-" and a hash of the
     token), which instalar.js empties when the session ends or another begins; only answers
     to the public go to the shared "sigg-datos".
   - The points' vector tiles (/api/v1/teselas/, drawn by teselas.js) as the other API answers,
     but the public's in a cache of their own ("sigg-teselas"), so that a map panned over
     hundreds of tiles never pushes the last map values out of "sigg-datos". An empty tile is a
     204, not kept: offline, a tile never seen is simply not drawn. The tiles' reader and decoder
     (teselas.js's vendored modules, loaded the first time points are asked for) are kept the
     first time they load (stale-while-revalidate), so points work offline once seen online.
   - Never cached: anything but GET, the session, imports, exports and downloads, the search,
     an attachment's original file, and any answer marked no-store.
   Modules come from this server (/static/vendor/workbox), never from Google's CDN. */
"use strict";

importScripts("/static/vendor/workbox/workbox-sw.js");
// Production builds even on localhost (Workbox picks its debug builds there otherwise).
workbox.setConfig({ modulePathPrefix: "/static/vendor/workbox/", debug: false });
// Read now: Workbox loads each module with importScripts, which only the first run allows.
const { core, precaching, routing, strategies, expiration } = workbox;

core.setCacheNameDetails({ prefix: "sigg" });
self.addEventListener("install", () => self.skipWaiting());
core.clientsClaim();

/* ---------- the application shell ---------- */
const shell = new precaching.PrecacheController();
shell.addToCacheList((self.__SIGG_PRECACHE || []).map(([url, revision]) => ({ url, revision })));
// Workbox's own install takes the files one after another: at 2 s a request (Slow 3G) the shell
// would take a minute. Here all at once (the browser opens six connections at most), and each
// revalidated against the copy the page has just loaded (ETag: a 304, no body) rather than
// downloaded again; a file that changed comes whole; one that fails fails the install.
self.addEventListener("install", (event) => {
  event.waitUntil(Promise.all(shell.getCachedURLs().map((url) => Promise.all(shell.strategy.handleAll({
    event,
    request: new Request(url, { cache: "no-cache", credentials: "same-origin" }),
    params: { cacheKey: shell.getCacheKeyForURL(url) },
  })))));
});
self.addEventListener("activate", shell.activate);  // drops the entries of files that changed
routing.registerRoute(new precaching.PrecacheRoute(shell));
precaching.cleanupOutdatedCaches();
// The page keeps its state in the hash: every navigation to / (with a query or not) is the shell.
routing.registerRoute(new routing.NavigationRoute(shell.createHandlerBoundToURL("/"),
  { allowlist: [/^\/(\?.*)?$/] }));

/* ---------- the API ---------- */
const REFERENCIA = /^\/api\/v1\/(mapa\/(capa|capa-ligera|lagos|medidas)|vocabulario|programas|territorio\/(?!ubicar$)[^/]+(\/[^/]+)?)$/;
const NUNCA = /^\/api\/v1\/(sesion\/|health$|buscar$|exportar\/|importaciones(\/|$))|\/descarga$|\/adjuntos\/\d+$/;
const PRIVADO = "sigg-privado-";
const ESPERA_S = 4;
const RENOVAR_MS = 60 * 60 * 1000;

// Only a complete answer that the server allows to keep (no-store: complaints, import jobs).
const guardable = {
  cacheWillUpdate: async ({ response }) =>
    response.status === 200 && !/no-store/i.test(response.headers.get("Cache-Control") || "") ? response : null,
};

/* Stale-while-revalidate that asks the server again only once an hour (the shapes' own
   max-age): on a slow line, refreshing eight answers on every start would queue the map's values
   behind them. An answer missing from the cache is fetched at once. */
class Referencia extends strategies.Strategy {
  async _handle(request, handler) {
    const guardada = await handler.cacheMatch(request);
    const edad = guardada ? Date.now() - Date.parse(guardada.headers.get("Date")) : NaN;
    if (edad < RENOVAR_MS) return guardada;  // NaN (none, or no Date) is never young
    const nueva = handler.fetchAndCachePut(request);
    if (!guardada) return nueva;
    handler.waitUntil(nueva.catch(() => undefined));  // offline: the cached answer stands
    return guardada;
  }
}
const referencia = new Referencia({
  cacheName: "sigg-referencia",
  plugins: [guardable, new expiration.ExpirationPlugin({ maxEntries: 100 })],
});
const datos = new strategies.NetworkFirst({
  cacheName: "sigg-datos",
  networkTimeoutSeconds: ESPERA_S,
  plugins: [guardable, new expiration.ExpirationPlugin({ maxEntries: 300, purgeOnQuotaError: true })],
});

const teselas = new strategies.NetworkFirst({
  cacheName: "sigg-teselas",
  networkTimeoutSeconds: ESPERA_S,
  plugins: [guardable, new expiration.ExpirationPlugin({ maxEntries: 600, purgeOnQuotaError: true })],
});
const TESELA = /^\/api\/v1\/teselas\//;
const LECTOR_TESELAS = /^\/static\/vendor\/(pbf|mapbox-vector-tile|mapbox-point-geometry)\/index\.js$/;
routing.registerRoute(({ url }) => url.origin === self.location.origin && LECTOR_TESELAS.test(url.pathname),
  new strategies.StaleWhileRevalidate({ cacheName: "sigg-modulos", plugins: [guardable] }));

function delApi(url, patron) {
  return url.origin === self.location.origin && patron.test(url.pathname);
}
// The same request without the login: its answer is the public's, which anyone may read.
function comoPublico(request) {
  if (!request.headers.has("Authorization")) return request;
  return new Request(request.url, { headers: { Accept: request.headers.get("Accept") || "*/*" } });
}
// Must match huella() in instalar.js, which deletes the caches of sessions that ended.
async function cacheDe(autorizacion) {
  const token = autorizacion.replace(/^Bearer\s+/i, "");
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  return PRIVADO + Array.from(bytes.slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

// The caches of sessions that ended (instalar.js says so at the logout): an answer of that
// session still on its way when the cache was deleted must not write it again.
const cerradas = new Set();
self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "SIGG_SESION_CERRADA" && String(event.data.cache).startsWith(PRIVADO)) {
    cerradas.add(event.data.cache);
    event.waitUntil(caches.delete(event.data.cache));
  }
});

routing.registerRoute(({ url }) => delApi(url, REFERENCIA),
  ({ event, request }) => referencia.handle({ event, request: comoPublico(request) }));

routing.registerRoute(
  ({ url }) => url.origin === self.location.origin && url.pathname.startsWith("/api/v1/") && !NUNCA.test(url.pathname),
  async ({ event, request }) => {
    const autorizacion = request.headers.get("Authorization");
    if (!autorizacion) return (TESELA.test(new URL(request.url).pathname) ? teselas : datos).handle({ event, request });
    // No expiration plugin here: the cache lives as long as the session (minutes to hours).
    const nombre = await cacheDe(autorizacion);
    const abierta = { cacheWillUpdate: async ({ response }) => (cerradas.has(nombre) ? null : response) };
    const privada = new strategies.NetworkFirst({
      cacheName: nombre, networkTimeoutSeconds: ESPERA_S, plugins: [guardable, abierta] });
    return privada.handle({ event, request });
  });
