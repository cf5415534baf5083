/* The record list (issue 14, Find): the alliances behind the map, as a table with the map's
   filters (app.js `parametros()`: the same names, the same scope), sorting, paging and the
   count, kept in step with the map (it reloads whenever the map does) and with the URL
   (lista, lista_orden, lista_desde in the hash, so a shared link opens the same page of the
   same list). A row opens the record screen. The list downloads as CSV or XLSX for people and
   as GeoJSON, with the same filters and, logged in, the user's login. */

import { llamar, nodo, usuario } from "/static/api.js";

const caja = document.getElementById("lista");
const boton = document.getElementById("boton-lista");
const numero = new Intl.NumberFormat("es-BO", { maximumFractionDigits: 2 });
const TAMANO = 25;
const COLUMNAS = [
  // [field, header, sortable, value(a)]
  ["codigo", "Código", true, (a) => a.codigo],
  ["nombre", "Nombre", true, (a) => a.nombre],
  ["municipio", "Municipio", true, (a) => (a.municipio ? a.municipio.nombre : "")],
  ["etapa", "Etapa", true, (a, v) => etiqueta(v.etapas, a.etapa)],
  ["estado", "Verificación", false, (a) => ESTADO_CORTO[a.estado] || a.estado],
  ["familias", "Familias", true, (a) => a.familias],
  ["familias_mujeres", "Mujeres", false, (a) => a.familias_mujeres],
  ["hectareas_riego", "Ha riego", true, (a) => a.hectareas_riego],
  ["monto_par_comprometido_bs", "Comprometido (Bs)", true, (a) => a.monto_par_comprometido_bs],
];
const ESTADO_CORTO = { registrado: "Registrada", observado: "Observada", verificado: "Verificada", validado: "Validada" };
const NUMERICAS = new Set(["familias", "familias_mujeres", "hectareas_riego", "monto_par_comprometido_bs"]);

let vocabulario = null;
function etiqueta(lista, codigo) {
  const o = (lista || []).find((x) => x.codigo === codigo);
  return o ? o.nombre : codigo || "sin dato";
}

// state, shared with the URL through app.js's `estado` (escribirHash writes every key it holds)
const hash = new URLSearchParams(location.hash.slice(1));
estado.lista = hash.get("lista") === "1" ? "1" : "";
estado.lista_orden = hash.get("lista_orden") || "";
estado.lista_desde = hash.get("lista_desde") || "";

// A figure opened from elsewhere (a map unit, a dashboard figure, an official table's cell, an
// indicator: the "sigg:abrir-lista" event) adds its own filters to the map's until removed.
let deLaCifra = null;  // { filtros: {name: value}, titulo }
function filtros() {
  // the map's filters; the list has no level, measure or classes
  const p = parametros();
  for (const k of ["nivel", "medida", "clasificacion", "clases"]) p.delete(k);
  // a figure's filter replaces the map's; an empty one removes it (the cycle's first bar counts
  // every request, whatever the map's stage filter)
  // (a list of values repeats the parameter: modelo=2&modelo=3)
  if (deLaCifra) {
    for (const [k, v] of Object.entries(deLaCifra.filtros)) {
      p.delete(k);
      for (const x of [].concat(v)) if (x !== "" && x != null) p.append(k, String(x));
    }
  }
  return p;
}
function orden() { return estado.lista_orden || "codigo"; }
function desde() { return Math.max(0, parseInt(estado.lista_desde || "0", 10) || 0); }

let turno = 0;
let ultimaSeleccion = "";
async function cargar() {
  if (estado.lista !== "1") return;
  const mio = ++turno;
  const seleccion = filtros().toString();
  if (ultimaSeleccion && seleccion !== ultimaSeleccion) estado.lista_desde = "";  // new filters: first page
  ultimaSeleccion = seleccion;
  const p = filtros();
  p.set("limit", String(TAMANO));
  p.set("offset", String(desde()));
  p.set("orden", orden());
  caja.setAttribute("aria-busy", "true");
  try {
    if (!vocabulario) vocabulario = (await llamar("GET", "/vocabulario")).datos;
    const { datos } = await llamar("GET", "/alianzas?" + p);
    if (mio !== turno) return;
    pintar(datos);
  } catch (e) {
    if (mio !== turno) return;
    caja.replaceChildren(cabecera(null), nodo("p", `No se pudo cargar la lista: ${e.message}`, "nota nota-error"));
  } finally {
    if (mio === turno) caja.removeAttribute("aria-busy");
  }
}

function cabecera(datos) {
  const cab = nodo("div", null, "lista-cabeza");
  const h = nodo("h2", "Alianzas");
  h.id = "lista-titulo";
  const cuenta = nodo("span", datos ? rango(datos) : "", "lista-cuenta");
  cuenta.setAttribute("role", "status");
  cuenta.id = "lista-cuenta";
  const bajar = nodo("div", null, "lista-descargas");
  bajar.append(nodo("span", "Descargar:", "meta"));
  for (const [formato, texto] of [["csv", "CSV"], ["xlsx", "XLSX"], ["geojson", "GeoJSON"]]) {
    const b = nodo("button", texto, "boton boton-secundario");
    b.type = "button";
    b.dataset.formato = formato;
    b.addEventListener("click", () => descargar(formato, b));
    bajar.append(b);
  }
  cab.append(h, cuenta, bajar);
  if (deLaCifra) {
    const cifra = nodo("p", null, "lista-cifra");
    cifra.append(nodo("span", "Registros detrás de: "), nodo("strong", deLaCifra.titulo || "la cifra elegida"));
    const quitar = nodo("button", "Quitar", "enlace");
    quitar.type = "button";
    quitar.addEventListener("click", () => { deLaCifra = null; cargar(); });
    cifra.append(" ", quitar);
    cab.append(cifra);
  }
  return cab;
}
function rango(datos) {
  if (!datos.count) return "Ninguna alianza con estos filtros";
  const a = datos.offset + 1;
  const b = Math.min(datos.offset + datos.data.length, datos.count);
  return `${numero.format(a)}–${numero.format(b)} de ${numero.format(datos.count)}`;
}

function pintar(datos) {
  const staff = Boolean(usuario());
  const columnas = COLUMNAS.filter(([k]) => staff || k !== "estado");
  const tabla = nodo("table", null, "tabla-lista");
  // the filters say it: app.js adds validados=true for the public and under "Solo validados"
  const cap = nodo("caption", filtros().get("validados") === "true" || !staff ? "Solo registros validados" : "Incluye registros sin validar de su alcance");
  tabla.append(cap);
  const thead = nodo("thead");
  const tr = nodo("tr");
  const [campoOrden, descendente] = orden().startsWith("-") ? [orden().slice(1), true] : [orden(), false];
  for (const [k, titulo, ordenable] of columnas) {
    const th = nodo("th");
    th.scope = "col";
    if (NUMERICAS.has(k)) th.className = "num";
    if (ordenable) {
      const b = nodo("button", titulo, "enlace orden");
      b.type = "button";
      b.dataset.campo = k;
      if (k === campoOrden) {
        th.setAttribute("aria-sort", descendente ? "descending" : "ascending");
        b.append(nodo("span", descendente ? " ▼" : " ▲", "flecha"));
      }
      b.addEventListener("click", () => {
        // first click: ascending for text, largest first for numbers; again: the other way
        const nuevo = k === campoOrden ? (descendente ? k : `-${k}`) : (NUMERICAS.has(k) ? `-${k}` : k);
        estado.lista_orden = nuevo === "codigo" ? "" : nuevo;
        estado.lista_desde = "";
        escribirHash();
        cargar();
      });
      th.append(b);
    } else th.textContent = titulo;
    tr.append(th);
  }
  thead.append(tr);
  const tbody = nodo("tbody");
  for (const a of datos.data) {
    const fila = nodo("tr");
    for (const [k, , , valor] of columnas) {
      const x = valor(a, vocabulario);
      const td = nodo("td", null, NUMERICAS.has(k) ? "num" : "");
      if (k === "codigo") {
        const b = nodo("button", x, "enlace");
        b.type = "button";
        b.title = `Abrir la ficha de ${a.codigo}`;
        b.addEventListener("click", () => abrir(a));
        td.append(b);
      } else td.textContent = x === null || x === undefined ? "sin dato" : typeof x === "number" ? numero.format(x) : x;
      fila.append(td);
    }
    tbody.append(fila);
  }
  tabla.append(thead, tbody);
  const envoltorio = nodo("div", null, "tabla-desliza");
  envoltorio.append(tabla);
  const pie = nodo("div", null, "lista-pie");
  const anterior = nodo("button", "← Anteriores", "boton boton-secundario");
  anterior.type = "button";
  anterior.disabled = datos.offset === 0;
  anterior.addEventListener("click", () => mover(-TAMANO));
  const siguiente = nodo("button", "Siguientes →", "boton boton-secundario");
  siguiente.type = "button";
  siguiente.disabled = datos.offset + datos.data.length >= datos.count;
  siguiente.addEventListener("click", () => mover(TAMANO));
  pie.append(anterior, nodo("span", rango(datos), "meta"), siguiente);
  caja.replaceChildren(cabecera(datos), envoltorio, pie);
}
function mover(paso) {
  estado.lista_desde = String(Math.max(0, desde() + paso)) === "0" ? "" : String(Math.max(0, desde() + paso));
  escribirHash();
  cargar();
}
function abrir(a) {
  if (typeof a.lat === "number" && typeof a.lon === "number") mapa.setView([a.lat, a.lon], Math.max(mapa.getZoom(), 10), { animate: false });
  document.dispatchEvent(new CustomEvent("sigg:abrir-ficha", { detail: { recurso: "alianzas", id: a.id } }));
}

async function descargar(formato, b) {
  const p = filtros();
  let ruta;
  if (formato === "geojson") {
    p.set("formato", "geojson");
    ruta = "/api/v1/exportar/alianzas?" + p;
  } else {
    p.set("formato", formato);
    p.set("orden", orden());
    ruta = "/api/v1/alianzas/descarga?" + p;
  }
  const texto = b.textContent;
  b.disabled = true;
  b.textContent = "Preparando…";
  try {
    const r = await fetch(ruta, { headers: window.sesion ? window.sesion.cabeceras() : {} });
    if (!r.ok) {
      const problema = await r.json().catch(() => ({}));
      throw new Error(problema.detail || `error ${r.status}`);
    }
    const nombre = ((r.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/) || [])[1] || `sigg_alianzas.${formato}`;
    const enlace = nodo("a");
    enlace.href = URL.createObjectURL(await r.blob());
    enlace.download = nombre;
    document.body.append(enlace);
    enlace.click();
    enlace.remove();
    setTimeout(() => URL.revokeObjectURL(enlace.href), 30000);
  } catch (e) {
    caja.querySelector(".lista-cabeza").append(nodo("p", `No se pudo descargar: ${e.message}`, "nota nota-error"));
  } finally {
    b.disabled = false;
    b.textContent = texto;
  }
}

function abrirCerrar(abrirla) {
  estado.lista = abrirla ? "1" : "";
  if (!abrirla) { estado.lista_desde = ""; estado.lista_orden = ""; deLaCifra = null; }
  caja.hidden = !abrirla;
  boton.setAttribute("aria-expanded", String(abrirla));
  boton.textContent = abrirla ? "Ocultar lista" : "Lista de alianzas";
  document.getElementById("vista").classList.toggle("con-lista", abrirla);
  mapa.invalidateSize();
  escribirHash();
  if (abrirla) { caja.replaceChildren(cabecera(null), nodo("p", "Cargando…", "meta")); cargar(); }
}
boton.addEventListener("click", () => abrirCerrar(estado.lista !== "1"));
// In step with the map: each time the map is drawn anew (filters, session, switch), the list too.
new MutationObserver(() => cargar()).observe(document.getElementById("mapa"), { attributes: true, attributeFilter: ["data-listo"] });
document.addEventListener("sigg:registro-cambiado", () => cargar());
document.addEventListener("sigg:abrir-lista", (e) => {
  deLaCifra = { filtros: { ...(e.detail && e.detail.filtros) }, titulo: e.detail && e.detail.titulo };
  estado.lista_desde = "";
  if (estado.lista === "1") cargar(); else abrirCerrar(true);
  caja.scrollIntoView({ block: "nearest" });
  document.getElementById("lista-titulo")?.focus?.();
});
if (estado.lista === "1") abrirCerrar(true);
