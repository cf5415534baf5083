/* The "Informes" panel (issue 16): the program's figures as documents people take to a meeting.
   Three parts: the whole results framework (value, target, % of target, a bar; per operational
   unit where SIGG computes it), the official tables (seen here, downloaded as XLSX, CSV, CSV for
   Spanish Excel or PDF, and the one-page report of the current view), and what a GIS user needs
   (the OGC API URL for QGIS, the points as filtered on the page).

   Every request carries the page's filters (app.js `parametros()`), kept to the names the route
   accepts: the API answers 400 to a name it does not know. Every count opens the alliances
   behind it (the `sigg:abrir-lista` event, lista.js) with the filters the figure was computed
   with, so a reviewer can check a published number down to its records. Texts are written with
   textContent, never as HTML; the stylesheet is fetched on the first opening only. */

import { llamar, nodo, cabeceras } from "/static/api.js";

const dialogo = document.getElementById("dialogo-informes");
const boton = document.getElementById("boton-informes");
const numero = new Intl.NumberFormat("es-BO", { maximumFractionDigits: 2, useGrouping: "always" });
export const pct = new Intl.NumberFormat("es-BO", { maximumFractionDigits: 1, useGrouping: "always" });

// The filter names of the records' vocabulary (api/parametros.py _filtros), which the reports,
// the documents and the exports accept; the indicators take only the program and the cut-off.
export const FILTROS = ["programa", "unidad_operativa", "departamento", "provincia", "municipio", "etapa_alcanzada",
  "etapa", "sector", "modelo", "financiamiento", "convocatoria", "desde", "hasta", "validados", "corte"];
export const FILTROS_MARCO = ["programa", "corte"];
// Subprojects have no sector, model, call, application dates or alliance cycle (as app.js says).
export const SOLO_ALIANZAS = ["etapa_alcanzada", "etapa", "sector", "modelo", "financiamiento", "convocatoria", "desde", "hasta"];

export function filtrosDePagina(aceptados = FILTROS, sin = []) {
  const p = typeof parametros === "function" ? parametros() : new URLSearchParams();
  const salida = new URLSearchParams();
  for (const [k, v] of p) if (aceptados.includes(k) && !sin.includes(k)) salida.append(k, v);
  return salida;
}
export const n = (x) => numero.format(x);
export function fechaEs(iso) {
  const [a, m, d] = String(iso).slice(0, 10).split("-");
  return `${d}/${m}/${a}`;
}
function hoyEs() {
  const h = new Date();
  return fechaEs(`${h.getFullYear()}-${String(h.getMonth() + 1).padStart(2, "0")}-${String(h.getDate()).padStart(2, "0")}`);
}
export function boton_(texto, clase = "boton boton-secundario") {
  const b = nodo("button", texto, clase);
  b.type = "button";
  return b;
}
export function error(caja, mensaje) {
  const p = nodo("p", mensaje, "nota nota-error");
  p.setAttribute("role", "alert");
  caja.replaceChildren(p);
}

/* ---------- the list behind a figure ---------- */
/* ``filtros``: the filters the figure was computed with, complete: a name with "" means "without
   this page filter" (the figure ignored it), an array means the parameter repeated. */
function abrirLista(filtros, titulo) {
  dialogo.close();
  document.dispatchEvent(new CustomEvent("sigg:abrir-lista", { detail: { filtros, titulo } }));
}
export function cifraConLista(texto, cuantas, filtros, titulo) {
  const b = nodo("button", texto, "enlace cifra");
  b.type = "button";
  b.title = cuantas === 1 ? "Ver la alianza" : `Ver las ${n(cuantas)} alianzas`;
  b.dataset.filtros = JSON.stringify(filtros);
  b.addEventListener("click", () => abrirLista(filtros, titulo));
  return b;
}
// The filters of ``p`` as the event's object, with "" for the page filters ``p`` left out.
export function comoFiltros(p, propios) {
  const f = {};
  for (const k of FILTROS) if (k !== "programa" && k !== "validados" && k !== "corte") f[k] = "";
  for (const k of new Set(p.keys())) {
    const v = p.getAll(k);
    f[k] = v.length > 1 ? v : v[0];
  }
  return { ...f, ...propios };
}

/* ---------- the dialog and its tabs ---------- */
const PESTANAS = [["marco", "Marco de resultados"], ["tablas", "Tablas oficiales"], ["sig", "Para SIG"]];
let partes = null;
let hoja = null;

function cargarHoja() {
  hoja ||= new Promise((listo) => {
    const l = document.createElement("link");
    l.rel = "stylesheet";
    l.href = "/static/informes.css";
    l.onload = listo;
    l.onerror = listo;  // unstyled is better than no panel
    document.head.append(l);
    setTimeout(listo, 3000);
  });
  return hoja;
}

function construir() {
  const titulo = nodo("h2", "Informes");
  titulo.id = "informes-titulo";
  const cerrar = nodo("button", "×", "informes-cerrar");
  cerrar.type = "button";
  cerrar.setAttribute("aria-label", "Cerrar");
  cerrar.addEventListener("click", () => dialogo.close());
  const contexto = nodo("p", "", "informes-contexto");
  const cabeza = nodo("div", null, "informes-cabeza");
  const textos = nodo("div");
  textos.append(titulo, contexto);
  cabeza.append(textos, cerrar);
  const lista = nodo("div", null, "informes-pestanas");
  lista.setAttribute("role", "tablist");
  lista.setAttribute("aria-label", "Partes del informe");
  const paneles = {};
  const pestanas = {};
  for (const [clave, texto] of PESTANAS) {
    const t = nodo("button", texto, "informes-pestana");
    t.type = "button";
    t.id = `informes-pestana-${clave}`;
    t.dataset.parte = clave;
    t.setAttribute("role", "tab");
    t.setAttribute("aria-controls", `informes-${clave}`);
    t.addEventListener("click", () => mostrar(clave));
    lista.append(t);
    pestanas[clave] = t;
    const p = nodo("section", null, "informes-panel");
    p.id = `informes-${clave}`;
    p.setAttribute("role", "tabpanel");
    p.setAttribute("aria-labelledby", t.id);
    p.tabIndex = 0;
    paneles[clave] = p;
  }
  lista.addEventListener("keydown", (e) => {
    const i = PESTANAS.findIndex(([k]) => k === partes.actual);
    const paso = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
    if (!paso) return;
    const [k] = PESTANAS[(i + paso + PESTANAS.length) % PESTANAS.length];
    mostrar(k);
    pestanas[k].focus();
  });
  dialogo.replaceChildren(cabeza, lista, ...Object.values(paneles));
  partes = { contexto, pestanas, paneles, actual: null, cargadas: {} };
}

function mostrar(clave) {
  partes.actual = clave;
  for (const [k, t] of Object.entries(partes.pestanas)) {
    const activa = k === clave;
    t.setAttribute("aria-selected", String(activa));
    t.tabIndex = activa ? 0 : -1;
    partes.paneles[k].hidden = !activa;
  }
  const firma = filtrosDePagina().toString() + "|" + (cabeceras().Authorization || "");
  if (partes.cargadas[clave] !== firma) {
    partes.cargadas[clave] = firma;
    const caja = partes.paneles[clave];
    // each part is its own module, fetched the first time it is shown
    import(`/static/informes_${clave}.js`).then((m) => m.pintar(caja)).catch((e) => {
      partes.cargadas[clave] = "";
      error(caja, `No se pudo cargar esta parte: ${e.message}`);
    });
  }
}

async function abrir() {
  await cargarHoja();
  if (!partes) construir();
  const corte = filtrosDePagina().get("corte");
  partes.contexto.textContent = `${nombrePrograma()} · ${corte ? `situación al ${fechaEs(corte)}` : `datos al ${hoyEs()}`}`;
  if (!dialogo.open) dialogo.showModal();
  mostrar(partes.actual || "marco");
}
function nombrePrograma() {
  const s = document.getElementById("programa");
  return s && s.selectedOptions[0] ? s.selectedOptions[0].textContent : "Programa";
}

/* ---------- shared look-ups: the units' and sectors' codes behind the tables' names ---------- */
let catalogos = null;
export function cargarCatalogos() {
  catalogos ||= Promise.all([llamar("GET", "/territorio/unidades-operativas"), llamar("GET", "/vocabulario")])
    .then(([u, v]) => ({
      unidades: u.datos.data.map((x) => ({ codigo: x.codigo, nombre: x.nombre })),
      sectores: v.datos.sectores,
    }))
    .catch((e) => { catalogos = null; throw e; });
  return catalogos;
}


/* ---------- downloads (the login travels with them) ---------- */
const FORMATOS = [["xlsx", "XLSX"], ["csv", "CSV"], ["csv-excel", "CSV para Excel"], ["pdf", "PDF"]];
export function descargas(ruta, p, nombre) {
  const caja = nodo("div", null, "informes-descargas");
  caja.append(nodo("span", "Descargar:", "meta"));
  for (const [formato, texto] of FORMATOS) {
    const b = boton_(texto);
    b.dataset.formato = formato;
    b.title = formato === "csv-excel" ? "Separado por punto y coma, coma decimal, códigos como texto" : `${texto} de ${nombre === "marco" ? "el marco de resultados" : "la tabla"}`;
    b.addEventListener("click", () => {
      const q = new URLSearchParams(p);
      q.set("formato", formato);
      bajar(`${ruta}?${q}`, b, caja);
    });
    caja.append(b);
  }
  return caja;
}
function nombreDeArchivo(r, respaldo) {
  const cd = r.headers.get("Content-Disposition") || "";
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) || /filename="?([^";]+)"?/i.exec(cd);
  return m ? decodeURIComponent(m[1]) : respaldo;
}
export async function bajar(url, b, dondeAvisar) {
  const texto = b.textContent;
  b.disabled = true;
  b.setAttribute("aria-busy", "true");
  b.textContent = "Preparando…";
  const previo = dondeAvisar.querySelector(".nota-error");
  if (previo) previo.remove();
  try {
    let r;
    try {
      r = await fetch(url, { headers: cabeceras() });
    } catch (_) {
      throw new Error("no se pudo contactar el servidor del SIGG; revise la conexión");
    }
    if (r.status === 401 && window.sesion && window.sesion.leer()) {
      window.sesion.salir("La sesión expiró: vuelva a ingresar.");
      throw new Error("la sesión expiró");
    }
    if (!r.ok) {
      const problema = await r.json().catch(() => ({}));
      throw new Error(`${problema.detail || r.statusText || "error"} (${r.status})`);
    }
    const enlace = nodo("a");
    enlace.href = URL.createObjectURL(await r.blob());
    enlace.download = nombreDeArchivo(r, "sigg_informe");
    document.body.append(enlace);
    enlace.click();
    enlace.remove();
    setTimeout(() => URL.revokeObjectURL(enlace.href), 60000);
  } catch (e) {
    const p = nodo("p", `No se pudo descargar «${texto}»: ${e.message}`, "nota nota-error");
    p.setAttribute("role", "alert");
    dondeAvisar.append(p);
  } finally {
    b.disabled = false;
    b.removeAttribute("aria-busy");
    b.textContent = texto;
  }
}


boton.addEventListener("click", () => abrir().catch((e) => {
  if (typeof aviso === "function") aviso(`No se pudo abrir Informes: ${e.message}`);
}));
