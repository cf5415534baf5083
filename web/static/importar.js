/* importar.js: the import from the page (issue 14). A file (CSV, XLSX or a KoboToolbox export)
   is first sent as a dry run: a job of the server (POST /importaciones/trabajos) reads,
   validates, locates and tries it, and the dialog follows its progress. Then either a table of
   exactly the bad rows (row, column, value, reason), also downloadable as CSV, to fix the file
   and check it again; or what would be imported, and a button that sends the same file for
   real. The job runs on the server: closing the page does not stop it. Its id is kept in
   localStorage, per user, so the dialog opened again (even after the page was closed) shows
   the job's progress or its report. Every text is written with textContent, never as HTML. */

import { llamar, nodo, cabeceras, usuario, ErrorApi } from "/static/api.js";

const RUTA = "/importaciones/trabajos";
const ESPERA_MS = 500;      // between two readings of a running job
const FILAS_TABLA = 200;    // bad rows shown; the CSV has them all
const numero = new Intl.NumberFormat("es-BO", { useGrouping: "always" });
const fecha = new Intl.DateTimeFormat("es-BO", { dateStyle: "short", timeStyle: "short" });
// A job's steps after opening its file (geo/registro/importacion.py PASOS), and their rows.
const PASOS = 2;
const HECHAS = { 1: "revisadas", 2: "procesadas" };
const ESTADOS = {
  en_cola: "En cola: espera su turno en el servidor…",
  en_curso: "Importando…",
  terminado: "terminada",
  con_errores: "con errores",
  fallido: "no se pudo hacer",
};

const dialogo = document.getElementById("dialogo-importar");
const boton = document.getElementById("boton-importar");
let partes = null;       // the dialog's elements, built on first use
let archivoRevisado = null;  // the File whose dry run ended clean: what "Confirmar" sends
let sondeo = null;       // timer of the next reading
let seguido = null;      // id of the job being followed

const n = (x) => numero.format(x);

/* ---------- the remembered job (per user, survives the page) ---------- */
function clave() {
  const u = usuario();
  return u ? `sigg.importar.${u.nombre_usuario}` : null;
}
function recordar(trabajo) {
  const k = clave();
  if (k) localStorage.setItem(k, JSON.stringify({ id: trabajo.id }));
}
function recordado() {
  const k = clave();
  try { return k ? JSON.parse(localStorage.getItem(k) || "null") : null; } catch (_) { return null; }
}
function olvidar() {
  const k = clave();
  if (k) localStorage.removeItem(k);
}

/* ---------- the dialog ---------- */
function construir() {
  const titulo = nodo("h2", "Importar alianzas");
  titulo.id = "importar-titulo";
  const cerrar = nodo("button", "×", "importar-cerrar");
  cerrar.type = "button";
  cerrar.setAttribute("aria-label", "Cerrar");
  cerrar.addEventListener("click", () => dialogo.close());
  const cabecera = nodo("div", null, "importar-cabecera");
  cabecera.append(titulo, cerrar);

  const ayuda = nodo("p", null, "importar-ayuda");
  ayuda.id = "importar-ayuda";
  const etiqueta = nodo("label", "Archivo (CSV, XLSX o exportación de KoboToolbox)");
  etiqueta.htmlFor = "importar-archivo";
  const archivo = nodo("input");
  archivo.type = "file";
  archivo.id = "importar-archivo";
  archivo.accept = ".csv,.txt,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  archivo.setAttribute("aria-describedby", "importar-ayuda");
  archivo.addEventListener("change", () => { partes.error.textContent = ""; });
  const revisar = nodo("button", "Revisar (simulacro)", "boton");
  revisar.type = "button";
  revisar.id = "importar-revisar";
  revisar.addEventListener("click", () => enviar(true));
  const acciones = nodo("div", null, "importar-acciones");
  acciones.append(revisar);
  const error = nodo("p", null, "error importar-error");
  error.id = "importar-error";
  error.setAttribute("role", "alert");

  const avance = nodo("div", null, "importar-avance");
  avance.id = "importar-avance";
  avance.hidden = true;
  const fase = nodo("p", null, "importar-fase");
  fase.id = "importar-fase";
  const barra = nodo("progress");
  barra.id = "importar-progreso";
  barra.max = 100;
  barra.setAttribute("aria-labelledby", "importar-fase");
  barra.setAttribute("aria-describedby", "importar-filas");
  const filas = nodo("p", null, "importar-filas");
  filas.id = "importar-filas";
  avance.append(fase, barra, filas);

  const resultado = nodo("div", null, "importar-resultado");
  resultado.id = "importar-resultado";
  resultado.setAttribute("role", "status");

  dialogo.replaceChildren(cabecera, ayuda, etiqueta, archivo, acciones, error, avance, resultado);
  return { archivo, revisar, error, avance, fase, barra, filas, resultado, ayuda };
}

function programa() {
  const select = document.getElementById("programa");
  const opcion = select.options[select.selectedIndex];
  return { codigo: select.value, nombre: opcion ? opcion.textContent : select.value };
}

function enfocarDentro() {
  const destino = [...dialogo.querySelectorAll("button, input, a[href], select")]
    .find((e) => !e.disabled && e.offsetParent !== null);
  if (destino) destino.focus();
}

async function abrir() {
  if (!partes) partes = construir();
  partes.error.textContent = "";
  partes.ayuda.textContent = `Programa: ${programa().nombre}. Primero se revisa el archivo sin ` +
    "escribir nada; solo al confirmar se guardan las alianzas, todas o ninguna.";
  if (!dialogo.open) dialogo.showModal();
  partes.archivo.focus();
  const r = recordado();
  if (r && r.id !== seguido) {
    try {
      const { datos } = await llamar("GET", `${RUTA}/${r.id}`);
      mostrar(datos);
      // the job's state may have hidden or disabled the file field: keep focus in the dialog
      if (!dialogo.contains(document.activeElement)) enfocarDentro();
    } catch (e) {
      if (e instanceof ErrorApi && e.status === 404) olvidar();
      else partes.error.textContent = e.message;
    }
  }
}

/* ---------- sending a file ---------- */
async function enviar(simulacro, archivo) {
  const elegido = archivo || partes.archivo.files[0];
  partes.error.textContent = "";
  if (!elegido) {
    partes.error.textContent = "Elija primero el archivo que quiere importar.";
    partes.archivo.focus();
    return;
  }
  const cuerpo = new FormData();
  cuerpo.append("archivo", elegido, elegido.name);
  cuerpo.append("programa", programa().codigo);
  cuerpo.append("simulacro", simulacro ? "true" : "false");
  ocupado(true);
  try {
    const { datos } = await llamar("POST", RUTA, { cuerpo });
    archivoRevisado = simulacro ? elegido : null;
    recordar(datos);
    mostrar(datos);
  } catch (e) {
    ocupado(false);
    partes.error.textContent = e.message;
    const pendiente = e instanceof ErrorApi && e.problema.trabajo;
    if (pendiente) {  // one job at a time: follow the one already running
      recordar({ id: pendiente });
      seguir(pendiente);
    }
  }
}

function ocupado(si) {
  // A disabled field loses the focus to the page's body: keep it inside the open dialog.
  const tenia = dialogo.open && [partes.revisar, partes.archivo].includes(document.activeElement);
  partes.revisar.disabled = si;
  partes.archivo.disabled = si;
  if (si && tenia) enfocarDentro();
}

/* ---------- following a job ---------- */
function seguir(id) {
  clearTimeout(sondeo);
  seguido = id;
  sondeo = setTimeout(leer, ESPERA_MS);
}

const REINTENTO = " Se reintentará en unos segundos.";

async function leer() {
  const id = seguido;
  try {
    const { datos } = await llamar("GET", `${RUTA}/${id}`);
    if (id !== seguido) return;  // logged out, or another job followed meanwhile
    if (partes && partes.error.textContent.endsWith(REINTENTO)) partes.error.textContent = "";
    mostrar(datos);
  } catch (e) {
    if (id !== seguido) return;
    if (e instanceof ErrorApi && (e.status === 404 || e.status === 401)) {
      if (e.status === 404) olvidar();
      seguido = null;
      if (partes) ocupado(false);
      return;
    }
    if (partes) partes.error.textContent = e.message + REINTENTO;
    sondeo = setTimeout(leer, ESPERA_MS * 6);
  }
}

function mostrar(t) {
  if (!partes) partes = construir();
  const corriendo = t.estado === "en_cola" || t.estado === "en_curso";
  partes.avance.hidden = false;
  pintarAvance(t);
  ocupado(corriendo);
  if (corriendo) {
    partes.resultado.replaceChildren();
    seguir(t.id);
    return;
  }
  const terminaAhora = seguido === t.id;
  seguido = null;
  partes.resultado.replaceChildren(...resultado(t));
  partes.avance.hidden = t.estado !== "terminado";
  if (terminaAhora && t.estado === "terminado" && !t.simulacro) {
    // The map, the figures and the tray show the new alliances.
    if (typeof actualizar === "function") actualizar({ geometria: false });
  }
}

function pintarAvance(t) {
  const { fase, barra, filas } = partes;
  const quien = t.simulacro ? "Revisión" : "Importación";
  if (t.estado === "en_cola") {
    fase.textContent = `${quien} de ${t.archivo}: ${ESTADOS.en_cola}`;
    barra.removeAttribute("value");  // indeterminate
    filas.textContent = "";
    return;
  }
  if (t.estado === "en_curso") {
    fase.textContent = t.paso > 0
      ? `${quien} de ${t.archivo} · paso ${t.paso} de ${PASOS}: ${t.fase}`
      : `${quien} de ${t.archivo}: ${t.fase}`;
    const verbo = HECHAS[t.paso];
    filas.textContent = t.total != null && verbo ? `${n(t.hechas)} de ${n(t.total)} filas ${verbo}` : "";
  } else {
    const cuando = t.terminado_en ? ` (${fecha.format(new Date(t.terminado_en))})` : "";
    fase.textContent = `${quien} de ${t.archivo}: ${ESTADOS[t.estado] || t.estado}${cuando}`;
    filas.textContent = t.total != null ? `${n(t.total)} de ${n(t.total)} filas` : "";
  }
  barra.value = t.porcentaje;
}

/* ---------- the outcome ---------- */
/* The server's message as a sentence of its own: a capital first, a full stop last. */
function frase(texto) {
  const t = texto.trim();
  const mayuscula = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(mayuscula) ? mayuscula : `${mayuscula}.`;
}

function resultado(t) {
  if (t.estado === "fallido") {
    partes.archivo.focus();
    return [nodo("p", `${frase(t.mensaje || "la importación falló")} Elija el archivo y vuelva a intentarlo.`, "importar-mal")];
  }
  const inf = t.informe;
  if (t.estado === "con_errores") return tablaErrores(t, inf);
  const cuenta = `${n(inf.filas)} alianzas (${n(inf.insertadas)} nuevas, ${n(inf.actualizadas)} cambiadas, ` +
    `${n(inf.sin_cambios)} sin cambios)`;
  const salida = [];
  if (t.simulacro) {
    salida.push(nodo("p", `Sin errores: se importarían ${cuenta}.`, "importar-bien"));
    salida.push(...avisos(inf));
    const confirmar = nodo("button", "Confirmar importación", "boton");
    confirmar.type = "button";
    confirmar.id = "importar-confirmar";
    const mismo = archivoRevisado && archivoRevisado.name === t.archivo ? archivoRevisado : null;
    if (mismo) {
      confirmar.addEventListener("click", () => enviar(false, mismo));
      salida.push(confirmar);
      queueMicrotask(() => confirmar.focus());
    } else {
      salida.push(nodo("p", `Para confirmar, elija de nuevo ${t.archivo} y pulse «Revisar (simulacro)».`, "importar-nota"));
    }
  } else {
    salida.push(nodo("p", `Importación terminada: se guardaron ${cuenta}.`, "importar-bien"));
    salida.push(...avisos(inf));
    salida.push(nodo("p", "Quedan registradas, sin validar: su unidad las verifica y la coordinación " +
      "nacional las valida.", "importar-nota"));
  }
  return salida;
}

function avisos(inf) {
  return (inf.avisos || []).map((a) => nodo("p", `Aviso: ${a}`, "importar-nota"));
}

function tablaErrores(t, inf) {
  const filasMalas = new Set(inf.errores.map((e) => e.fila)).size;
  const titulo = nodo("p", `${n(filasMalas)} ${filasMalas === 1 ? "fila tiene" : "filas tienen"} errores: no se escribió nada.`, "importar-mal");
  const tabla = nodo("table", null, "importar-errores");
  tabla.id = "importar-errores";
  const leyenda = nodo("caption", `Errores de ${t.archivo} (la fila 1 es el encabezado)`);
  const cabeza = nodo("thead");
  const fila = nodo("tr");
  for (const c of ["Fila", "Columna", "Valor", "Motivo"]) {
    const th = nodo("th", c);
    th.scope = "col";
    fila.append(th);
  }
  cabeza.append(fila);
  const cuerpo = nodo("tbody");
  for (const e of inf.errores.slice(0, FILAS_TABLA)) {
    const tr = nodo("tr");
    // A column's name may break after each "_" on a narrow screen, never inside a word.
    tr.append(nodo("td", e.fila == null ? "" : n(e.fila), "num"), nodo("td", e.columna.replaceAll("_", "_\u200b")),
      nodo("td", e.valor == null ? "(vacío)" : e.valor, e.valor == null ? "vacio" : ""), nodo("td", e.mensaje));
    cuerpo.append(tr);
  }
  tabla.append(leyenda, cabeza, cuerpo);
  const marco = nodo("div", null, "importar-tabla");
  marco.tabIndex = 0;  // scrollable by keyboard
  marco.setAttribute("aria-label", "Tabla de errores");
  marco.append(tabla);
  const salida = [titulo, marco];
  if (inf.errores.length > FILAS_TABLA) {
    salida.push(nodo("p", `Se muestran ${n(FILAS_TABLA)} de ${n(inf.errores.length)} errores: descargue la tabla para verlos todos.`, "importar-nota"));
  }
  const bajar = nodo("button", "Descargar errores (CSV)", "boton boton-secundario");
  bajar.type = "button";
  bajar.id = "importar-descargar";
  bajar.addEventListener("click", () => descargar(t));
  salida.push(bajar, nodo("p", "Corrija esas filas, elija el archivo corregido y vuelva a revisar.", "importar-nota"));
  return salida;
}

/* The CSV carries the login: fetched with the Authorization header and saved from a Blob (a
   plain link would be refused, 401). */
async function descargar(t) {
  partes.error.textContent = "";
  try {
    const r = await fetch(`/api/v1${RUTA}/${t.id}/errores.csv`, { headers: cabeceras() });
    if (!r.ok) throw new ErrorApi(r.status, await r.json().catch(() => null));
    const url = URL.createObjectURL(await r.blob());
    const a = nodo("a");
    a.href = url;
    a.download = `errores_${t.archivo.replace(/\.[^.]*$/, "")}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (e) {
    partes.error.textContent = e instanceof ErrorApi ? e.message : "No se pudo descargar la tabla de errores.";
  }
}

/* ---------- wiring ---------- */
boton.addEventListener("click", abrir);
dialogo.addEventListener("close", () => boton.focus());
document.addEventListener("sigg:sesion", (e) => {
  if (e.detail) return;
  // Logged out: the job goes on in the server; the page stops following it.
  clearTimeout(sondeo);
  seguido = null;
  archivoRevisado = null;
  if (dialogo.open) dialogo.close();
  partes = null;
  dialogo.replaceChildren();
});
