/* The offline queue (issue 15): what a field user saves with no network is kept in this browser
   (IndexedDB, through idb-keyval), survives a reload and a browser restart, is shown as
   "3 por enviar" with each item's state, and is sent in order when the network returns.

   - Every operation carries a key made here (a UUID) as its Idempotency-Key: a sync cut
     half-way and retried never creates a record twice (the server replays its first answer).
   - A record created offline has a local id ("local:…"); the visits and photos entered for it
     name that id and are sent after it, with the server's id put in its place.
   - A record that changed or was validated meanwhile (412, 409) comes back as a conflict: both
     versions are kept until the user chooses; nothing is overwritten.
   - A login that expired while offline: the queue waits, the login dialog asks for the password,
     and sending resumes after it. The queue belongs to the user who filled it. */

import { createStore, del, get, set, setMany, values } from "/static/vendor/idb-keyval/index.js";

const almacen = createStore("sigg-cola", "operaciones");
const ids = createStore("sigg-ids", "locales");  // local id -> server id, once created
const numero = new Intl.NumberFormat("es-BO");
const CAMBIO = "sigg:cola";  // dispatched on document whenever the queue changes

export const ESTADOS_COLA = {
  pendiente: "Por enviar",
  enviando: "Enviando…",
  conflicto: "Conflicto: elija qué versión queda",
  error: "Rechazada por el servidor",
  espera: "Espera a que se envíe el registro del que depende",
};

function uuid() {
  return crypto.randomUUID ? crypto.randomUUID()
    : "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}
function usuarioActual() {
  const s = window.sesion && window.sesion.leer();
  if (s) { localStorage.setItem("sigg.ultimo_usuario", s.usuario.nombre_usuario); return s.usuario.nombre_usuario; }
  return localStorage.getItem("sigg.ultimo_usuario");
}
function avisarCambio() { document.dispatchEvent(new CustomEvent(CAMBIO)); }

/* Keep an operation; returns it (with its id, the Idempotency-Key, and the local id of a
   record it creates). ``archivo`` is a File/Blob for an attachment. */
export async function encolar({ metodo, ruta, cuerpo, version, archivo, descripcion, recurso, crea }) {
  const op = {
    id: uuid(),
    orden: Date.now() + Math.random(),
    usuario: usuarioActual(),
    metodo, ruta, cuerpo: cuerpo ?? null, version: version ?? null, descripcion, recurso: recurso || null,
    archivo: archivo ? { blob: archivo, nombre: archivo.name || "foto.jpg" } : null,
    local: crea ? `local:${uuid()}` : null,
    estado: "pendiente",
    problema: null,
    creado_en: new Date().toISOString(),
  };
  await set(op.id, op, almacen);
  avisarCambio();
  return op;
}

export async function operaciones(usuario = usuarioActual()) {
  const todas = await values(almacen);
  return todas.filter((o) => !usuario || o.usuario === usuario).sort((a, b) => a.orden - b.orden);
}
export async function quitar(id) { await del(id, almacen); avisarCambio(); }
export async function idServidor(local) { return get(local, ids); }

async function guardar(op) { await set(op.id, op, almacen); }

/* The route with the server's ids in place of the local ones; null while one is unknown. */
async function resolver(ruta) {
  const locales = ruta.match(/local:[0-9a-f-]+/g) || [];
  let final = ruta;
  for (const l of locales) {
    const real = await get(l, ids);
    if (real === undefined) return null;
    final = final.replace(l, String(real));
  }
  return final;
}

let enviando = false;
/* Send what is queued, in order. Returns {enviadas, quedan, motivo}. Never throws. */
export async function enviar() {
  if (enviando) return { enviadas: 0, quedan: (await operaciones()).length, motivo: "ya se está enviando" };
  enviando = true;
  let enviadas = 0;
  let motivo = null;
  try {
    const s = window.sesion && window.sesion.leer();
    const lista = await operaciones();
    if (!lista.length) return { enviadas, quedan: 0, motivo };
    if (!s) { motivo = "sesion"; return { enviadas, quedan: lista.length, motivo }; }
    for (const op of lista) {
      if (op.estado === "conflicto" || op.estado === "error") continue;  // waits for the user
      const ruta = await resolver(op.ruta);
      if (ruta === null) {
        if (op.estado !== "espera") { op.estado = "espera"; await guardar(op); }
        continue;
      }
      op.estado = "enviando";
      await guardar(op);
      avisarCambio();
      const h = { Authorization: `Bearer ${s.token}`, "Idempotency-Key": op.id, Accept: "application/json" };
      if (op.version !== null && op.version !== undefined) h["If-Match"] = `"${op.version}"`;
      let body;
      if (op.archivo) {
        body = new FormData();
        body.append("archivo", op.archivo.blob, op.archivo.nombre);
      } else if (op.cuerpo !== null) {
        body = JSON.stringify(op.cuerpo);
        h["Content-Type"] = "application/json";
      }
      let r;
      try {
        r = await fetch("/api/v1" + ruta, { method: op.metodo, headers: h, body });
      } catch (_) {
        // no network (or the answer was lost): the same key goes again next time
        op.estado = "pendiente";
        await guardar(op);
        motivo = "red";
        break;
      }
      const datos = r.status === 204 ? null : await r.json().catch(() => null);
      if (r.status === 401) {
        op.estado = "pendiente";
        await guardar(op);
        motivo = "sesion";
        window.sesion.salir("Su sesión expiró sin conexión: ingrese de nuevo para enviar lo guardado en este teléfono.");
        break;
      }
      if (r.ok) {
        if (op.local && datos && datos.id !== undefined) await set(op.local, datos.id, ids);
        await del(op.id, almacen);
        enviadas += 1;
        continue;
      }
      if (r.status === 409 && datos && String(datos.type || "").endsWith("idempotencia-en-curso")) {
        op.estado = "pendiente";  // the same operation is still being done: its answer comes next time
        await guardar(op);
        motivo = "en curso";
        break;
      }
      op.estado = r.status === 409 || r.status === 412 ? "conflicto" : "error";
      op.problema = { status: r.status, ...(datos || {}) };
      await guardar(op);
    }
  } finally {
    enviando = false;
    avisarCambio();
  }
  if (enviadas) document.dispatchEvent(new CustomEvent("sigg:registro-cambiado"));
  return { enviadas, quedan: (await operaciones()).length, motivo };
}

/* A conflict resolved by the user by keeping theirs: send it again over the record as it is
   now (its current version, read from the server), with a new key: it is a new decision. */
export async function reintentarSobre(op, version) {
  await del(op.id, almacen);
  Object.assign(op, { id: uuid(), version, estado: "pendiente", problema: null });
  await set(op.id, op, almacen);
  avisarCambio();
}

/* The records of the user's unit, kept for reading them with no network. */
const registros = createStore("sigg-registros", "alianzas");
export async function guardarRegistros(lista) {
  const cuando = new Date().toISOString();
  const quien = usuarioActual();
  // one IndexedDB transaction for the whole unit, not one per alliance
  await setMany(lista.map((a) => [`${quien}:${a.id}`, { ...a, _guardado_en: cuando }]), registros);
}
export async function registroGuardado(id) { return get(`${usuarioActual()}:${id}`, registros); }

export function resumen(lista) {
  const n = lista.length;
  return n ? `${numero.format(n)} por enviar` : "Nada por enviar";
}

// Send when the network comes back, when someone logs in, and at start.
window.addEventListener("online", () => { enviar(); });
document.addEventListener("sigg:sesion", (e) => { if (e.detail && navigator.onLine) enviar(); });
