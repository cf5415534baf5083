/* The one way the workspace modules (ficha, formulario, importar, adjuntos) talk to the API:
   JSON in and out, the login carried, the record's version as If-Match, and a problem+json
   turned into an error that keeps its fields (status, detail, errors) for the screen to show
   at the right place. A 401 with a session open ends it and says so. */

export class ErrorApi extends Error {
  constructor(status, problema) {
    super((problema && (problema.detail || problema.title)) || `Error ${status}`);
    this.status = status;
    this.problema = problema || {};
  }
}

export function cabeceras() {
  return window.sesion ? window.sesion.cabeceras() : {};
}

export function usuario() {
  const s = window.sesion && window.sesion.leer();
  return s ? s.usuario : null;
}

/* llamar("GET", "/alianzas/12") -> {datos, version, status}. ``cuerpo`` is sent as JSON, or
   as is when it is a FormData; ``version`` becomes If-Match. Every write carries an
   Idempotency-Key, so that resending it after a lost answer never writes twice.
   ``encolable`` ({descripcion, recurso, crea, archivo}): with no network the operation is kept
   in this browser's queue (cola.js) instead of failing, and the answer says so
   ({encolado: true, op, datos: what was sent, with the record's local id}). */
export async function llamar(metodo, ruta, { cuerpo, version, signal, encolable } = {}) {
  const h = { ...cabeceras(), Accept: "application/json" };
  let body;
  if (cuerpo instanceof FormData) body = cuerpo;
  else if (cuerpo !== undefined) { body = JSON.stringify(cuerpo); h["Content-Type"] = "application/json"; }
  if (version !== undefined && version !== null) h["If-Match"] = `"${version}"`;
  if (metodo !== "GET" && crypto.randomUUID) h["Idempotency-Key"] = crypto.randomUUID();
  const aLaCola = async () => {
    const { encolar } = await import("/static/cola.js");
    const op = await encolar({ metodo, ruta, cuerpo: cuerpo instanceof FormData ? null : cuerpo, version,
      archivo: encolable.archivo, descripcion: encolable.descripcion, recurso: encolable.recurso, crea: encolable.crea });
    return { encolado: true, op, status: 202, version: null,
      datos: { ...(cuerpo instanceof FormData ? {} : cuerpo), id: op.local, _cola: op.id } };
  };
  if (encolable && navigator.onLine === false) return aLaCola();
  let r;
  try {
    r = await fetch("/api/v1" + ruta, { method: metodo, headers: h, body, signal });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    if (encolable) return aLaCola();
    throw new ErrorApi(0, { detail: "No se pudo contactar el servidor del SIGG. Revise la conexión." });
  }
  const etag = r.headers.get("ETag");
  let datos = null;
  if (r.status !== 204) datos = await r.json().catch(() => null);
  if (r.status === 401 && window.sesion && window.sesion.leer()) {
    window.sesion.salir("La sesión expiró: vuelva a ingresar.");
  }
  if (!r.ok) throw new ErrorApi(r.status, datos);
  return { datos, status: r.status, version: etag ? etag.replace(/^W\//, "").replace(/"/g, "") : null };
}

export function nodo(tag, texto, clase) {
  const e = document.createElement(tag);
  if (texto !== undefined && texto !== null) e.textContent = String(texto);
  if (clase) e.className = clase;
  return e;
}
