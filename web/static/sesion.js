/* SIGG staff session: login (OAuth2 password flow), the token kept for this tab only
   (sessionStorage), and the verification tray. Without a session the page is the public site:
   validated records only. Every text is written with textContent, never as HTML. */
"use strict";

const SESION_CLAVE = "sigg.sesion";
const ACCIONES_POR_ROL = {
  unidad: [["verificar", "Verificar"], ["observar", "Observar"]],
  nacional: [["validar", "Validar"], ["observar", "Observar"]],
  tecnico: [],
};
const ROL_NOMBRE = { nacional: "Coordinación nacional", unidad: "Unidad operativa", tecnico: "Técnico" };

const sesion = {
  leer() {
    try {
      const s = JSON.parse(sessionStorage.getItem(SESION_CLAVE) || "null");
      return s && s.vence > Date.now() ? s : null;
    } catch (_) { return null; }
  },
  cabeceras() {
    const s = sesion.leer();
    return s ? { Authorization: `Bearer ${s.token}` } : {};
  },
  salir(motivo) {
    sessionStorage.removeItem(SESION_CLAVE);
    mostrarSesion();
    if (motivo) aviso(motivo);
    if (typeof actualizar === "function") actualizar({ geometria: false });
  },
};

window.sesion = sesion;  // for the workspace modules (api.js)

function nodo(tag, texto, clase) {
  const e = document.createElement(tag);
  if (texto !== undefined && texto !== null) e.textContent = String(texto);
  if (clase) e.className = clase;
  return e;
}

async function ingresar(evento) {
  evento.preventDefault();
  const form = evento.target;
  const error = document.getElementById("ingreso-error");
  error.textContent = "";
  const cuerpo = new URLSearchParams({ username: form.usuario.value, password: form.clave.value });
  const r = await fetch("/api/v1/sesion/token", { method: "POST", body: cuerpo });
  const datos = await r.json().catch(() => ({}));
  if (!r.ok) {
    error.textContent = datos.detail || `Error ${r.status}`;
    return;
  }
  sessionStorage.setItem(SESION_CLAVE, JSON.stringify({
    token: datos.access_token, usuario: datos.usuario, vence: Date.now() + datos.expires_in * 1000 }));
  form.reset();
  document.getElementById("ingreso").close();
  mostrarSesion();
  if (typeof actualizar === "function") actualizar({ geometria: false });
}

function mostrarSesion() {
  const s = sesion.leer();
  const quien = document.getElementById("sesion-quien");
  document.getElementById("boton-ingresar").hidden = Boolean(s);
  document.getElementById("boton-salir").hidden = !s;
  document.getElementById("bandeja").hidden = !s;
  document.getElementById("vista-publica").hidden = Boolean(s);
  quien.textContent = s
    ? `${s.usuario.nombre} · ${ROL_NOMBRE[s.usuario.rol]}${s.usuario.unidad_operativa ? " " + s.usuario.unidad_operativa : ""}`
    : "";
  document.getElementById("trabajo").hidden = !s;
  if (s) bandeja();
  // The workspace modules (ficha.js, importar.js) show or hide their parts on this event.
  document.dispatchEvent(new CustomEvent("sigg:sesion", { detail: s }));
}

async function bandeja() {
  const lista = document.getElementById("bandeja-lista");
  const r = await fetch("/api/v1/verificacion/pendientes", { headers: sesion.cabeceras() });
  if (r.status === 401) return sesion.salir("La sesión expiró: vuelva a ingresar.");
  const datos = await r.json();
  document.getElementById("bandeja-cuenta").textContent = String(datos.count);
  lista.replaceChildren(...datos.data.map(itemBandeja));
  if (!datos.data.length) lista.append(nodo("li", "Nada pendiente.", "vacio"));
}

function itemBandeja(p) {
  const li = nodo("li", null, "pendiente");
  li.dataset.codigo = p.codigo;
  const titulo = nodo("button", `${p.codigo} · ${p.nombre}`, "enlace");
  titulo.type = "button";
  titulo.addEventListener("click", () => mapa.setView([p.lat, p.lon], 11));
  li.append(titulo, nodo("div", `${p.recurso === "alianzas" ? "Alianza" : "Subproyecto"} · ${p.municipio} · ${p.estado}`, "meta"));
  if (p.observacion) li.append(nodo("div", `Observación: ${p.observacion}`, "observacion"));
  const rol = (sesion.leer() || { usuario: {} }).usuario.rol;
  const comentario = nodo("input");
  comentario.placeholder = "Comentario (obligatorio para observar)";
  comentario.maxLength = 2000;
  const botones = nodo("div", null, "acciones");
  for (const [accion, etiqueta] of ACCIONES_POR_ROL[rol] || []) {
    const b = nodo("button", etiqueta, "boton");
    b.type = "button";
    b.dataset.accion = accion;
    b.addEventListener("click", () => mover(p, accion, comentario.value));
    botones.append(b);
  }
  if (botones.childElementCount) li.append(comentario, botones);
  return li;
}

async function mover(p, accion, comentario) {
  const r = await fetch(`/api/v1/${p.recurso}/${p.id}/verificacion`, {
    method: "POST",
    headers: { ...sesion.cabeceras(), "Content-Type": "application/json", "If-Match": `"${p.version}"` },
    body: JSON.stringify({ accion, comentario: comentario || null }),
  });
  if (r.status === 401) return sesion.salir("La sesión expiró: vuelva a ingresar.");
  const datos = await r.json().catch(() => ({}));
  aviso(r.ok ? "" : `No se pudo ${accion}: ${datos.detail || r.status}`);
  await bandeja();
  if (r.ok && typeof actualizar === "function") actualizar({ geometria: false });
}

document.getElementById("boton-ingresar").addEventListener("click", () => document.getElementById("ingreso").showModal());
document.getElementById("ingreso-cancelar").addEventListener("click", () => document.getElementById("ingreso").close());
document.getElementById("ingreso-form").addEventListener("submit", ingresar);
document.getElementById("boton-salir").addEventListener("click", () => sesion.salir(""));
