/* bandeja.js: the verification tray of the side panel. A page at a time of what waits for the
   user (GET /verificacion/pendientes), found by text and (national coordination) by unit; each
   record with its place, state, last move, comment and what changed since it was last looked
   at. Every move asks first ("¿Validar …? Sí / No"), then says what happened and, where the
   cycle allows it, offers to undo it with the inverse move. Text only, never HTML. */

import { ErrorApi, llamar, nodo, usuario } from "/static/api.js";

const POR_PAGINA = 10;
const ACCIONES_POR_ROL = {
  unidad: [["verificar", "Verificar"], ["observar", "Observar"]],
  nacional: [["validar", "Validar"], ["observar", "Observar"]],
  tecnico: [],
};
const PASADO = { verificar: "verificó", observar: "observó", validar: "validó", reabrir: "reabrió" };
const PARTICIPIO = { verificar: "verificad", observar: "observad", validar: "validad", reabrir: "reabiert" };
const numero = new Intl.NumberFormat("es-BO", { maximumFractionDigits: 5 });
const fecha = new Intl.DateTimeFormat("es-BO", { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

const estado = { q: "", unidad: "", desde: 0, total: 0, turno: 0, enlazada: false };
const $ = (id) => document.getElementById(id);

/* ---------- words ---------- */
function femenino(p) {
  return p.recurso === "alianzas";
}
function nombreRecurso(p) {
  return femenino(p) ? "La alianza" : "El subproyecto";
}
function hecho(p, accion) {
  const participio = PARTICIPIO[accion] + (femenino(p) ? "a" : "o");
  const rol = (usuario() || {}).rol;
  if (accion === "validar") return `${participio} por la coordinación nacional`;
  if (accion === "verificar") {
    return rol === "nacional" ? `${participio} por la coordinación nacional`
      : `${participio} por la unidad ${p.unidad_operativa_nombre}`;
  }
  if (accion === "observar") return `${participio}: vuelve a su técnico para corregir${femenino(p) ? "la" : "lo"}`;
  return participio;
}
function legible(v) {
  if (v === null || v === undefined || v === "") return "sin dato";
  if (Array.isArray(v)) return v.map((n) => numero.format(n)).join("; ");
  if (typeof v === "number") return numero.format(v);
  const dia = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  return dia ? `${dia[3]}/${dia[2]}/${dia[1]}` : String(v);
}
function cuando(iso) {
  return fecha.format(new Date(iso));
}

/* ---------- undo ---------- */
// The inverse of a move, as moves the cycle allows (geo/vocabulario/catalogos.py
// ACCIONES_VERIFICACION), each with a comment that says why. A validation is undone by
// reopening and verifying again, so the record is back where it was (verified, in national
// coordination's tray), not left observed with nothing to correct. Nothing returns a record
// to "registrado": a verification or an observation of a registered record cannot be undone.
function inversa(accion, p) {
  if (accion === "validar") return { pasos: ["reabrir", "verificar"], comentario: "Deshecho: validación por error" };
  if (accion === "observar" && p.estado === "verificado") {
    return { pasos: ["verificar"], comentario: "Deshecho: observación por error" };
  }
  if (accion === "verificar" && p.estado === "observado") {
    const antes = p.observacion ? ` Observación anterior: ${p.observacion}` : "";
    return { pasos: ["observar"], comentario: `Deshecho: verificación por error.${antes}` };
  }
  return null;
}
function porQueNoSeDeshace(accion) {
  if (accion === "observar") return "No se puede deshacer: volverá a esta bandeja cuando su técnico lo corrija.";
  return "No se puede deshacer: ningún paso devuelve un registro a «Registrado»; la coordinación nacional puede observarlo si hace falta.";
}

/* ---------- the list ---------- */
export async function abrir() {
  if (!estado.enlazada) enlazar();
  const nacional = (usuario() || {}).rol === "nacional";
  for (const e of document.querySelectorAll("#bandeja .solo-nacional")) e.hidden = !nacional;
  if (nacional) opcionesDeUnidad();
  plegar(sessionStorage.getItem("sigg.bandeja.plegada") === "1");
  return cargar();
}

async function cargar() {
  if (!usuario()) return;
  const mio = ++estado.turno;
  const p = new URLSearchParams({ limit: String(POR_PAGINA), offset: String(estado.desde) });
  if (estado.q.trim()) p.set("q", estado.q.trim());
  if (estado.unidad) p.set("unidad_operativa", estado.unidad);
  let datos;
  try {
    ({ datos } = await llamar("GET", "/verificacion/pendientes?" + p));
  } catch (e) {
    if (mio === estado.turno) $("bandeja-rango").textContent = `No se pudo leer la bandeja: ${e.message}`;
    return;
  }
  if (mio !== estado.turno) return;
  if (!datos.data.length && estado.desde > 0 && datos.count > 0) {
    // the last item of the last page was moved: show the page before
    estado.desde = Math.max(0, Math.floor((datos.count - 1) / POR_PAGINA) * POR_PAGINA);
    return cargar();
  }
  estado.total = datos.count;
  $("bandeja-cuenta").textContent = String(datos.count);
  const lista = $("bandeja-lista");
  lista.replaceChildren(...datos.data.map(item));
  if (!datos.data.length) lista.append(nodo("li", estado.q || estado.unidad ? "Nada pendiente con este filtro." : "Nada pendiente.", "vacio"));
  paginas(datos.data.length);
}

function paginas(n) {
  const primero = n ? estado.desde + 1 : 0;
  $("bandeja-rango").textContent = `${primero}–${estado.desde + n} de ${estado.total}`;
  $("bandeja-anterior").disabled = estado.desde === 0;
  $("bandeja-siguiente").disabled = estado.desde + n >= estado.total;
}

function item(p) {
  const li = nodo("li", null, "pendiente");
  li.dataset.codigo = p.codigo;
  const titulo = nodo("button", `${p.codigo} · ${p.nombre}`, "enlace titulo");
  titulo.type = "button";
  titulo.addEventListener("click", () => abrirFicha(p));
  const nacional = (usuario() || {}).rol === "nacional";
  const lugar = nacional ? `${p.municipio} (${p.unidad_operativa_nombre})` : p.municipio;
  li.append(titulo, nodo("div", `${p.recurso === "alianzas" ? "Alianza" : "Subproyecto"} · ${lugar} · ${p.estado_nombre}`, "meta"));
  li.append(cambios(p));
  const u = p.ultimo_paso;
  const mismo = u && p.referencia && u.momento === p.referencia.momento && u.accion === p.referencia.accion;
  if (u && !mismo) {
    const linea = nodo("div", `${u.nombre} ${PASADO[u.accion] || u.accion} el ${cuando(u.momento)}`, "paso");
    if (u.comentario) linea.append(": ", nodo("q", u.comentario, "comentario"));
    li.append(linea);
  }
  const dicha = [p.ultimo_paso, p.referencia].some((x) => x && x.comentario === p.observacion);
  if (p.observacion && !dicha) {
    li.append(nodo("div", `Última observación: ${p.observacion}`, "observacion"));
  }
  const acciones = nodo("div", null, "acciones");
  for (const [accion, etiqueta] of ACCIONES_POR_ROL[(usuario() || {}).rol] || []) {
    const b = nodo("button", etiqueta, "boton");
    b.type = "button";
    b.dataset.accion = accion;
    b.addEventListener("click", () => confirmar(li, p, accion, etiqueta, b));
    acciones.append(b);
  }
  if (acciones.childElementCount) li.append(acciones);
  return li;
}

function cambios(p) {
  const caja = nodo("div", null, "cambios");
  const ref = p.referencia;
  if (!ref) {
    // never looked at before: nothing to compare (a técnico reads the observation instead)
    if (p.estado !== "observado") caja.append(nodo("span", "Primera revisión: sin cambios que comparar", "sin-cambios"));
    return caja;
  }
  const pronombre = femenino(p) ? "la" : "lo";
  const desde = `desde que ${ref.nombre} ${pronombre} ${PASADO[ref.accion] || ref.accion} el ${cuando(ref.momento)}`;
  const comentario = ref.comentario ? nodo("q", ref.comentario, "comentario") : null;
  if (!p.cambios.length) {
    caja.append(nodo("span", `Sin cambios de datos ${desde}`, "sin-cambios"));
    if (comentario) caja.append(" ", comentario);
    return caja;
  }
  caja.append(nodo("span", `Cambios ${desde}`, "desde"));
  if (comentario) caja.append(" ", comentario);
  const ul = nodo("ul");
  for (const c of p.cambios) ul.append(nodo("li", `${c.etiqueta}: ${legible(c.antes)} → ${legible(c.despues)}`));
  caja.append(ul);
  return caja;
}

function abrirFicha(p) {
  // ficha.js (the record screen) listens; the point is marked on the map meanwhile.
  document.dispatchEvent(new CustomEvent("sigg:abrir-ficha", { detail: { recurso: p.recurso, id: p.id } }));
  if (typeof window.resaltarRegistro === "function") window.resaltarRegistro(p);
}

/* ---------- a move: ask, do, say, offer to undo ---------- */
function confirmar(li, p, accion, etiqueta, boton) {
  const acciones = li.querySelector(".acciones");
  acciones.hidden = true;
  const caja = nodo("div", null, "confirmar");
  caja.setAttribute("role", "group");
  caja.setAttribute("aria-label", `Confirmar: ${etiqueta.toLowerCase()} ${p.codigo}`);
  caja.append(nodo("p", `¿${etiqueta} ${p.codigo}?`, "pregunta"));
  const obligatorio = accion === "observar";
  const id = `comentario-${p.recurso}-${p.id}`;
  const etiquetaComentario = nodo("label", obligatorio ? "Qué debe corregirse (obligatorio)" : "Comentario (opcional)");
  etiquetaComentario.htmlFor = id;
  const comentario = nodo("input");
  comentario.id = id;
  comentario.maxLength = 2000;
  const si = nodo("button", "Sí", "boton");
  si.type = "button";
  si.dataset.confirmar = accion;
  si.disabled = obligatorio;
  const no = nodo("button", "No", "boton secundario");
  no.type = "button";
  const error = nodo("p", null, "error");
  error.setAttribute("role", "alert");
  comentario.addEventListener("input", () => { si.disabled = obligatorio && !comentario.value.trim(); });
  comentario.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !si.disabled) si.click();
    if (e.key === "Escape") no.click();
  });
  const cerrar = () => { caja.remove(); acciones.hidden = false; boton.focus(); };
  no.addEventListener("click", cerrar);
  si.addEventListener("click", async () => {
    si.disabled = no.disabled = true;
    try {
      const { datos, version } = await llamar("POST", `/${p.recurso}/${p.id}/verificacion`, {
        cuerpo: { accion, comentario: comentario.value.trim() || null }, version: p.version });
      hechoYDeshacer(p, accion, version || datos.version);
      await refrescar();
    } catch (e) {
      error.textContent = `No se pudo ${etiqueta.toLowerCase()}: ${e instanceof ErrorApi ? e.message : "error de conexión"}`;
      si.disabled = obligatorio && !comentario.value.trim();
      no.disabled = false;
    }
  });
  const botones = nodo("div", null, "botones");
  botones.append(si, no);
  caja.append(etiquetaComentario, comentario, botones, error);
  li.append(caja);
  (obligatorio ? comentario : si).focus();
}

function decir(texto, extra) {
  const a = $("bandeja-aviso");
  a.replaceChildren(nodo("span", texto));
  if (extra) a.append(extra);
  a.hidden = false;
}

function hechoYDeshacer(p, accion, version) {
  const texto = `${nombreRecurso(p)} ${p.codigo} fue ${hecho(p, accion)}.`;
  const inv = inversa(accion, p);
  if (!inv) {
    decir(texto, nodo("span", ` ${porQueNoSeDeshace(accion)}`, "aclaracion"));
  } else {
    const b = nodo("button", "Deshacer", "boton deshacer");
    b.type = "button";
    b.addEventListener("click", () => deshacer(p, inv, version, b));
    decir(texto, b);
  }
  $("bandeja-aviso").focus();
}

async function deshacer(p, inv, version, boton) {
  boton.disabled = true;
  let v = version;
  let ultimo = null;
  try {
    for (const accion of inv.pasos) {
      const r = await llamar("POST", `/${p.recurso}/${p.id}/verificacion`, {
        cuerpo: { accion, comentario: inv.comentario }, version: v });
      v = r.version || r.datos.version;
      ultimo = r.datos;
    }
    decir(`Deshecho: ${p.codigo} vuelve a «${ultimo.estado_nombre}».`);
  } catch (e) {
    decir(`No se pudo deshacer ${p.codigo}: ${e.message}${ultimo ? ` (quedó «${ultimo.estado_nombre}»)` : ""}`);
  }
  await refrescar();
  $("bandeja-aviso").focus();
}

// After a move: the tray, the figures and the map (a validation changes what counts), and
// whoever shows the record (ficha.js).
async function refrescar() {
  document.dispatchEvent(new CustomEvent("sigg:registro-cambiado", { detail: { origen: "bandeja" } }));
  if (typeof window.actualizar === "function") window.actualizar({ geometria: false });
  await cargar();
}

/* ---------- controls ---------- */
function plegar(plegada) {
  $("bandeja-cuerpo").hidden = plegada;
  $("bandeja-plegar").setAttribute("aria-expanded", String(!plegada));
  $("bandeja").classList.toggle("plegada", plegada);
  sessionStorage.setItem("sigg.bandeja.plegada", plegada ? "1" : "0");
}

function opcionesDeUnidad() {
  const sel = $("bandeja-unidad");
  if (sel.options.length > 1) return;
  for (const o of document.querySelectorAll("#unidad_operativa option")) {
    if (o.value) sel.append(new Option(o.textContent, o.value));
  }
}

function enlazar() {
  estado.enlazada = true;
  $("bandeja-plegar").addEventListener("click", () => plegar($("bandeja-plegar").getAttribute("aria-expanded") === "true"));
  let espera = null;
  $("bandeja-q").addEventListener("input", (e) => {
    clearTimeout(espera);
    espera = setTimeout(() => { estado.q = e.target.value; estado.desde = 0; cargar(); }, 300);
  });
  $("bandeja-unidad").addEventListener("focus", opcionesDeUnidad);
  $("bandeja-unidad").addEventListener("change", (e) => { estado.unidad = e.target.value; estado.desde = 0; cargar(); });
  $("bandeja-anterior").addEventListener("click", () => { estado.desde = Math.max(0, estado.desde - POR_PAGINA); cargar(); });
  $("bandeja-siguiente").addEventListener("click", () => { estado.desde += POR_PAGINA; cargar(); });
  // A record saved or moved on the record screen (ficha.js): what waits may have changed.
  document.addEventListener("sigg:registro-cambiado", (e) => {
    if (!(e.detail && e.detail.origen === "bandeja")) cargar();
  });
  document.addEventListener("sigg:sesion", (e) => {
    if (e.detail) return;
    Object.assign(estado, { q: "", unidad: "", desde: 0, total: 0 });
    $("bandeja-q").value = "";
    $("bandeja-unidad").value = "";
    $("bandeja-aviso").replaceChildren();
    $("bandeja-lista").replaceChildren();
  });
}
