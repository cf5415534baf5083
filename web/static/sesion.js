/* SIGG staff session: login (OAuth2 password flow), the token kept for this tab only
   (sessionStorage), the keyboard way into the work panels, and the verification tray
   (bandeja.js, loaded when a session opens). Without a session the page is the public site:
   validated records only. Every text is written with textContent, never as HTML. */
"use strict";

const SESION_CLAVE = "sigg.sesion";
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
  let r;
  try {
    r = await fetch("/api/v1/sesion/token", { method: "POST", body: cuerpo });
  } catch (_) {
    error.textContent = "No se pudo contactar el servidor del SIGG. Revise la conexión.";
    return;
  }
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
  // Once per login: a unit's user lands on the unit (app.js keeps a shared link's place);
  // otherwise the same view, now with what the user may read.
  const aterrizado = typeof aterrizar === "function" && aterrizar(datos.usuario);
  if (!aterrizado && typeof actualizar === "function") actualizar({ geometria: false });
}

// Who is logged in, with the unit's name once the page has loaded the units (its code before).
function textoQuien(u) {
  const codigo = u.unidad_operativa;
  const opcion = codigo && document.querySelector(`#unidad_operativa option[value="${CSS.escape(codigo)}"]`);
  return `${u.nombre} · ${ROL_NOMBRE[u.rol]}${codigo ? ` (${opcion ? opcion.textContent : codigo})` : ""}`;
}
function nombrarSesion() {
  const s = sesion.leer();
  if (s) document.getElementById("sesion-quien").textContent = textoQuien(s.usuario);
}

function mostrarSesion() {
  const s = sesion.leer();
  const quien = document.getElementById("sesion-quien");
  document.getElementById("boton-ingresar").hidden = Boolean(s);
  document.getElementById("boton-salir").hidden = !s;
  document.getElementById("bandeja").hidden = !s;
  document.getElementById("vista-publica").hidden = Boolean(s);
  quien.textContent = s ? textoQuien(s.usuario) : "";
  document.getElementById("trabajo").hidden = !s;
  if (s) import("/static/bandeja.js").then((m) => m.abrir()).catch(() => {
    document.getElementById("bandeja-rango").textContent = "La bandeja no se pudo cargar.";
  });
  // The workspace modules (ficha.js, importar.js, bandeja.js) and app.js show or hide their
  // parts on this event.
  document.dispatchEvent(new CustomEvent("sigg:sesion", { detail: s }));
}

/* ---------- keyboard ---------- */
// The first stop of the tab order jumps over the header, the filters and the map to the work:
// the tray when a session is open, the figures otherwise.
function saltoAlTrabajo() {
  const enlace = nodo("a", "Saltar al contenido de trabajo", "saltar");
  enlace.href = "#lateral";
  enlace.addEventListener("click", (e) => {
    e.preventDefault();
    const bandeja = document.getElementById("bandeja");
    const destino = bandeja.hidden ? document.getElementById("lateral") : document.getElementById("bandeja-plegar");
    if (destino.tabIndex < 0 && !destino.hasAttribute("tabindex")) destino.setAttribute("tabindex", "-1");
    destino.focus();
    destino.scrollIntoView({ block: "start" });
  });
  document.body.prepend(enlace);
}
// Focus goes back where the dialog was opened from, or to who is now logged in when the
// button that opened it is gone.
function alCerrarIngreso() {
  const s = sesion.leer();
  const quien = document.getElementById("sesion-quien");
  if (s) {
    quien.setAttribute("tabindex", "-1");
    quien.focus();
  } else {
    document.getElementById("boton-ingresar").focus();
  }
}

saltoAlTrabajo();
document.getElementById("boton-ingresar").addEventListener("click", () => document.getElementById("ingreso").showModal());
document.getElementById("ingreso-cancelar").addEventListener("click", () => document.getElementById("ingreso").close());
document.getElementById("ingreso").addEventListener("close", alCerrarIngreso);
document.getElementById("ingreso-form").addEventListener("submit", ingresar);
document.getElementById("boton-salir").addEventListener("click", () => {
  sesion.salir("");
  document.getElementById("boton-ingresar").focus();
});
