/* The page as an application that starts with no network: registers the service worker
   (/sw.js, which controls the whole site) and keeps the API answers read with a login only as
   long as that session. sw.js keeps them in a cache named after the session's token; here every
   such cache that is not the open session's is deleted: when the session ends (logout, expiry),
   when another begins, and when the page starts with no session. So a person who uses the
   browser next, offline or not, finds no record that only the previous one could read. */

const PRIVADO = "sigg-privado-";

// Must match cacheDe() in sw.js.
async function huella(token) {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)));
  return PRIVADO + Array.from(bytes.slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function limpiarPrivadas(sesion) {
  const mia = sesion ? await huella(sesion.token) : null;
  for (const nombre of await caches.keys()) {
    if (nombre.startsWith(PRIVADO) && nombre !== mia) {
      // the worker also refuses the late answers of that session (sw.js, cerradas)
      if (navigator.serviceWorker && navigator.serviceWorker.controller) {
        navigator.serviceWorker.controller.postMessage({ type: "SIGG_SESION_CERRADA", cache: nombre });
      }
      await caches.delete(nombre);
    }
  }
}

// The service worker's first install downloads the whole shell again: on a slow line that
// must not delay the map, so it waits for the detailed shapes that replace the first, light
// ones (app.js, detallar), or 30 s. Both layers are then among what the page read, which
// guardarLoLeido hands to the worker.
function trasElMapaDetallado(hacer) {
  const mapa = document.getElementById("mapa");
  let hecho = false;
  const una = () => { if (!hecho) { hecho = true; observador.disconnect(); hacer(); } };
  const observador = new MutationObserver(() => { if (mapa.dataset.capa === "detallada") una(); });
  if (mapa.dataset.capa === "detallada") return una();
  observador.observe(mapa, { attributes: true, attributeFilter: ["data-capa"] });
  setTimeout(una, 30000);
}

if (window.isSecureContext && "caches" in window) {
  // sesion.js announced the session before this module ran: read it, then follow it.
  limpiarPrivadas(window.sesion && window.sesion.leer()).catch(() => {});
  document.addEventListener("sigg:sesion", (e) => { limpiarPrivadas(e.detail).catch(() => {}); });
}
// On the visit that installs the service worker the page read the API before it was under its
// control: those answers are asked again through it (Workbox's CACHE_URLS message, with the
// session's login), so that what is on screen is there offline. <html data-sin-red="listo">
// says the page can be reloaded with no network.
function guardarLoLeido() {
  const vistas = new Set();
  for (const e of performance.getEntriesByType("resource")) {
    const url = new URL(e.name);
    // "link": what the page preloads (the shapes, lakes and first values) is read too
    if (["fetch", "link"].includes(e.initiatorType) && url.origin === location.origin && url.pathname.startsWith("/api/v1/")) vistas.add(url.href);
  }
  const headers = window.sesion ? window.sesion.cabeceras() : {};
  const canal = new MessageChannel();
  canal.port1.onmessage = () => { document.documentElement.dataset.sinRed = "listo"; };
  navigator.serviceWorker.controller.postMessage(
    { type: "CACHE_URLS", payload: { urlsToCache: [...vistas].map((u) => [u, { headers }]) } }, [canal.port2]);
}

if ("serviceWorker" in navigator) {
  if (navigator.serviceWorker.controller) document.documentElement.dataset.sinRed = "listo";
  else navigator.serviceWorker.addEventListener("controllerchange", guardarLoLeido, { once: true });
  trasElMapaDetallado(() => {
    // updateViaCache "none": Workbox's modules are checked against the server, not the HTTP cache.
    navigator.serviceWorker.register("/sw.js", { scope: "/", updateViaCache: "none" })
      .catch((e) => console.warn("SIGG: sin trabajo fuera de línea:", e.message));
  });
}
