/* SIGG map application. Geometry travels once (TopoJSON, cached by the browser); a change of
   measure or filter fetches only values. Every name is written as text, never as HTML. */
"use strict";

const API = "/api/v1";
const NIVELES = ["departamento", "unidad_operativa", "provincia", "municipio"];
const CLAVE_TOPO = { municipio: "codigo", provincia: "prov", departamento: "dep", unidad_operativa: "uo" };
const FILTROS = ["programa", "unidad_operativa", "departamento", "municipio", "etapa_alcanzada",
  "sector", "modelo", "financiamiento", "convocatoria", "desde", "hasta", "corte"];
// Subprojects have no sector, model, call, dates or alliance cycle: the API refuses those names.
const SOLO_ALIANZAS = ["etapa_alcanzada", "sector", "modelo", "financiamiento", "convocatoria", "desde", "hasta"];
const numero = new Intl.NumberFormat("es-BO", { maximumFractionDigits: 2 });
const TERRITORIO = ["unidad_operativa", "departamento", "provincia", "municipio"];
// From this stage on an alliance's families are the program's beneficiaries (indicator R5).
const BENEFICIARIAS = ["convenio_firmado", "en_inversion", "en_operacion", "concluida"];

const estado = {
  nivel: "municipio", medida: "familias_por_mil_rurales", clasificacion: "cuantiles", clases: "5",
  programa: "PAR2", unidad_operativa: "", departamento: "", provincia: "", municipio: "",
  // Beneficiaries are the families of alliances that signed their agreement.
  etapa_alcanzada: "convenio_firmado", sector: "", modelo: "", financiamiento: "", convocatoria: "", desde: "",
  hasta: "", sel: "", pila: "",
  // The time axis: the program as it stood at the end of "corte" (empty: today); with "comparar"
  // the map shows the change from that date to "corte".
  corte: "", comparar: "",
  // Staff only: "" counts validated records only (as the public sees them), "todos" also the
  // records still in verification that the user may read.
  registros: "",
};
// A shared link that names a place (opened, or pasted into this tab) is not overridden by the
// landing of a unit's login; nor is a pinned unit.
function nombraLugar() {
  const p = new URLSearchParams(location.hash.slice(1));
  return TERRITORIO.some((k) => p.get(k)) || !!p.get("pila") || !!localStorage.getItem("sigg.unidad");
}
let enlaceConLugar = nombraLugar();

let topo = null;
const formasPorNivel = {};
let capa = null;
let valoresActuales = null;
let nombresMunicipio = {};  // code -> name, for the active-filter line
let elegida = null;  // the alliance chosen in the search box, drawn over the map

const BOLIVIA = [[-22.9, -69.7], [-9.7, -57.4]];
// maxZoom: the points' tiles go up to 14 like the background's.
const mapa = L.map("mapa", { zoomSnap: 0.25, maxZoom: 14, attributionControl: true }).fitBounds(BOLIVIA);
mapa.createPane("contornos");
mapa.getPane("contornos").style.zIndex = 450;
mapa.getPane("contornos").style.pointerEvents = "none";
mapa.attributionControl.setPrefix("Límites: INE Bolivia (CNPV 2012, CPV 2024)");
const leyenda = L.control({ position: "bottomright" });
leyenda.onAdd = () => L.DomUtil.create("div", "leyenda");
leyenda.addTo(mapa);

/* ---------- small helpers ---------- */
function el(tag, texto, clase) {
  const e = document.createElement(tag);
  if (texto !== undefined && texto !== null) e.textContent = String(texto);
  if (clase) e.className = clase;
  return e;
}
// A message over the page; with ``reintentar``, a button that tries again.
function aviso(mensaje, reintentar) {
  const a = document.getElementById("aviso");
  a.textContent = mensaje || "";
  if (mensaje && reintentar) {
    const b = el("button", "Reintentar", "boton");
    b.type = "button";
    b.addEventListener("click", () => { aviso(""); reintentar(); });
    a.append(" ", b);
  }
  a.hidden = !mensaje;
}
// A GET whose failure the caller reports itself (pedir() below writes the page's message).
async function leerSinAviso(ruta, headers = {}) {
  const r = await fetch(API + ruta, { headers });
  if (!r.ok) throw new Error(`${ruta.split("?")[0]}: ${r.status}`);
  return r.json();
}
async function pedir(ruta) {
  let r;
  // Requests run in parallel: a success clears only the message its own path set, never
  // another request's failure.
  const camino = ruta.split("?")[0];
  try {
    r = await fetch(API + ruta, { headers: sesion.cabeceras() });
  } catch (e) {
    aviso("No se pudo contactar la API del SIGG. Revise la conexión con el servidor.");
    avisoDe = camino;
    throw e;
  }
  if (r.status === 401 && sesion.leer()) {
    sesion.salir("La sesión expiró: vuelva a ingresar.");
    throw new Error("sesión expirada");
  }
  if (!r.ok) {
    let detalle = r.statusText;
    try { detalle = (await r.json()).detail || detalle; } catch (_) { /* not JSON */ }
    aviso(`La API respondió ${r.status}: ${detalle}`);
    avisoDe = camino;
    throw new Error(detalle);
  }
  if (avisoDe === camino) { aviso(""); avisoDe = null; }
  return r.json();
}
let avisoDe = null;  // the path whose failure the message says
function personal() {
  return Boolean(sesion.leer());
}
// Staff figures count validated records only unless the switch says "todos"; the public's
// are always validated only (the API sees to it), so the public sends nothing.
function soloValidados() {
  return personal() && estado.registros !== "todos";
}
function parametros(extra) {
  const p = new URLSearchParams();
  for (const k of FILTROS) if (estado[k]) p.set(k, estado[k]);
  if (estado.provincia) p.set("provincia", estado.provincia);
  if (soloValidados()) p.set("validados", "true");
  for (const [k, v] of Object.entries(extra || {})) if (v !== "" && v !== null && v !== undefined) p.set(k, v);
  return p;
}
// The API takes a municipality only as its 6-digit code: anything else (an old shared link
// that carried a name) is dropped here rather than sent and refused.
const CODIGO_MUNICIPIO = /^[0-9]{6}$/;
function fallo(e) {
  if (document.getElementById("aviso").hidden) aviso(`No se pudo actualizar el mapa: ${e.message}`);
}

/* ---------- state in the URL ---------- */
function leerHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  for (const k of Object.keys(estado)) if (p.has(k)) estado[k] = p.get(k);
  if (!CODIGO_MUNICIPIO.test(estado.municipio)) estado.municipio = "";
  const fijada = localStorage.getItem("sigg.unidad");
  if (fijada && !p.has("unidad_operativa")) estado.unidad_operativa = fijada;
}
function escribirHash() {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(estado)) if (v) p.set(k, v);
  history.replaceState(null, "", "#" + p.toString());
}
function etiquetasMedidas() {
  for (const o of document.querySelectorAll("#medida option")) o.textContent = honesta(o.dataset.etiqueta || o.textContent);
}
function aFormulario() {
  for (const k of ["nivel", "medida", "clasificacion", "clases", "comparar", ...FILTROS]) {
    const c = document.getElementById(k);
    if (c) c.value = estado[k];
  }
  document.getElementById("fijar").checked = !!localStorage.getItem("sigg.unidad");
  document.getElementById(estado.registros === "todos" ? "registros-todos" : "registros-validados").checked = true;
  document.getElementById("municipio-activo").hidden = !estado.municipio;
  document.getElementById("municipio-nombre").textContent = nombresMunicipio[estado.municipio] || estado.municipio;
}

/* ---------- shapes from the one TopoJSON ---------- */
function formas(nivel) {
  if (formasPorNivel[nivel]) return formasPorNivel[nivel];
  const objeto = topo.objects.municipios;
  let fc;
  if (nivel === "municipio") {
    fc = topojson.feature(topo, objeto);
    fc.features.forEach((f) => { f.id = f.properties.codigo; });
  } else {
    const grupos = {};
    for (const g of objeto.geometries) (grupos[g.properties[CLAVE_TOPO[nivel]]] ||= []).push(g);
    fc = { type: "FeatureCollection", features: Object.entries(grupos).map(([codigo, geoms]) => ({
      type: "Feature", id: codigo, properties: { codigo }, geometry: topojson.merge(topo, geoms) })) };
  }
  formasPorNivel[nivel] = fc;
  return fc;
}

/* ---------- choropleth ---------- */
function estilo(codigo) {
  const u = valoresActuales && valoresActuales.unidades[codigo];
  if (!u) return { fillOpacity: 0, opacity: 0, weight: 0 };
  if (u.clase === null) {
    return { fillColor: valoresActuales.sin_dato.color, fillOpacity: 0.6, color: "#666", weight: 0.5, dashArray: "3 3", opacity: 1 };
  }
  return { fillColor: valoresActuales.clases[u.clase].color, fillOpacity: 0.85, color: "#555", weight: 0.5, dashArray: null, opacity: 1 };
}
function textoValor(u) {
  if (!u) return "";
  if (u.valor === null) return `sin dato (${u.sin_dato || "desconocido"})`;
  const unidad = valoresActuales.unidad ? ` ${valoresActuales.unidad}` : "";
  const signo = valoresActuales.comparacion && u.valor > 0 ? "+" : "";
  return `${signo}${numero.format(u.valor)}${unidad}`;
}
// ``ajustar``: fit the view to what is drawn (false when only the shapes change, see detallar).
let lugarAjustado = null;
function dibujar({ nivel = estado.nivel, ajustar = true } = {}) {
  const fc = formas(nivel);
  const visibles = { type: "FeatureCollection",
    features: fc.features.filter((f) => valoresActuales.unidades[f.id]) };
  if (capa) capa.remove();
  capa = L.geoJSON(visibles, {
    style: (f) => estilo(f.id),
    onEachFeature: (f, layer) => {
      layer.options.codigo = f.id;
      layer.bindTooltip(() => {
        const u = valoresActuales.unidades[f.id];
        const caja = el("div");
        caja.append(el("strong", u ? u.nombre : f.id), el("br"), el("span", textoValor(u)));
        return caja;
      }, { sticky: true });
      layer.on("click", () => seleccionar(f.id));
    },
  }).addTo(mapa);
  capa.nivel = nivel;
  // The shapes stay out of the tab order (339 stops before the work panels): a keyboard
  // selects a place through the search box, which does what a click on the shape does.
  capa.eachLayer((l) => { const e = l.getElement && l.getElement(); if (e) e.setAttribute("data-codigo", l.options.codigo); });
  if (!ajustar) return;
  // The view is fitted when the place changes (level, drill-down, territory filters), not when
  // another filter does: a person looking at a town's points keeps the town.
  const lugar = [nivel, estado.pila, estado.unidad_operativa, estado.departamento, estado.provincia, estado.municipio].join("|");
  if (lugar === lugarAjustado) return;
  lugarAjustado = lugar;
  const acotado = estado.pila || estado.unidad_operativa || estado.departamento || estado.provincia || estado.municipio;
  if (acotado && visibles.features.length) mapa.fitBounds(capa.getBounds(), { padding: [10, 10], animate: false });
  else if (!acotado) mapa.fitBounds(BOLIVIA, { animate: false });
}
function recolorear() {
  capa.eachLayer((l) => l.setStyle(estilo(l.options.codigo)));
}
function pintarLeyenda() {
  const caja = leyenda.getContainer();
  caja.replaceChildren();
  // The legend folds to its title (a button): on a phone it starts folded, so that it does not
  // cover the map; the choice is remembered.
  const plegada = localStorage.getItem("sigg.leyenda") === "plegada"
    || (localStorage.getItem("sigg.leyenda") === null && matchMedia("(max-width: 900px)").matches);
  caja.classList.toggle("plegada", plegada);
  const titulo = el("button", honesta(valoresActuales.etiqueta), "titulo-leyenda");
  titulo.type = "button";
  titulo.setAttribute("aria-expanded", String(!plegada));
  titulo.addEventListener("click", () => {
    const ahora = !caja.classList.toggle("plegada");
    titulo.setAttribute("aria-expanded", String(ahora));
    localStorage.setItem("sigg.leyenda", ahora ? "abierta" : "plegada");
  });
  L.DomEvent.disableClickPropagation(caja);
  caja.append(titulo);
  if (personal() && !soloValidados()) caja.append(el("p", textoSinValidar(), "sin-validar"));
  if (valoresActuales.unidad && !valoresActuales.comparacion) caja.append(el("p", `En ${valoresActuales.unidad}`, "unidad-leyenda"));
  if (estado.corte && !valoresActuales.comparacion) caja.append(el("p", `Situación al ${fechaEs(estado.corte)}`, "corte-leyenda"));
  for (const c of valoresActuales.clases) {
    const fila = el("div", null, "fila");
    const muestra = el("span", null, "muestra");
    muestra.style.background = c.color;
    // the server's label (zero its own class, no degenerate range), else the range
    const rango = c.etiqueta || `${numero.format(c.desde)} – ${numero.format(c.hasta)}`;
    fila.append(muestra, el("span", `${rango} (${c.n})`));
    caja.append(fila);
  }
  const fila = el("div", null, "fila");
  fila.append(el("span", null, "muestra sin-dato"), el("span", `Sin dato (${valoresActuales.sin_dato.n})`));
  caja.append(fila);
}

// Every caller (a change, the drill-down, the session, the hash) gets a promise that never
// rejects: pedir() has shown the message, and the next change must still work.
function actualizar(opciones) {
  return redibujar(opciones).catch(fallo);
}
function rutaValores(otro) {
  const p = parametros({
    nivel: estado.nivel, medida: estado.medida, clasificacion: estado.clasificacion, clases: estado.clases });
  if (otro && otro.corte) p.set("corte", otro.corte);
  return "/mapa/valores?" + p;
}
/* ---------- time: the change between two dates ---------- */
const fechaCorta = new Intl.DateTimeFormat("es-BO", { day: "2-digit", month: "2-digit", year: "numeric", timeZone: "UTC" });
function fechaEs(iso) {
  return iso ? fechaCorta.format(new Date(`${iso}T00:00:00Z`)) : "hoy";
}
// Diverging classes around "sin cambio" (its own class), decrease in reds and increase in blues,
// each side cut at its own median; a unit without a value at either date is "sin dato", never 0.
const DIVERGENTE = { baja: ["#b2182b", "#ef8a62"], igual: "#f7f7f7", sube: ["#67a9cf", "#2166ac"] };
function minuscula(texto) {
  return texto.charAt(0).toLowerCase() + texto.slice(1);
}
function cambio(antes, ahora) {
  const unidades = {};
  const bajas = [];
  const subas = [];
  for (const [codigo, u] of Object.entries(ahora.unidades)) {
    const a = antes.unidades[codigo];
    const valor = u.valor === null || !a || a.valor === null ? null : Math.round((u.valor - a.valor) * 100) / 100;
    unidades[codigo] = { nombre: u.nombre, valor, clase: null, sin_dato: valor === null ? "sin valor en una de las fechas" : null };
    if (valor < 0) bajas.push(valor); else if (valor > 0) subas.push(valor);
  }
  const mediana = (xs) => { const o = [...xs].sort((x, y) => x - y); return o.length ? o[Math.floor(o.length / 2)] : 0; };
  const mb = mediana(bajas);
  const ms = mediana(subas);
  const unidad = ahora.unidad ? ` ${ahora.unidad}` : "";
  const f = (v) => numero.format(v);
  const candidatas = [
    { tipo: "baja", color: DIVERGENTE.baja[0], etiqueta: `bajó más de ${f(-mb)}${unidad}`, cumple: (v) => v < mb },
    { tipo: "baja", color: DIVERGENTE.baja[1], etiqueta: `bajó hasta ${f(-mb)}${unidad}`, cumple: (v) => v < 0 && v >= mb },
    { tipo: "igual", color: DIVERGENTE.igual, etiqueta: "sin cambio", cumple: (v) => v === 0 },
    { tipo: "sube", color: DIVERGENTE.sube[0], etiqueta: `subió hasta ${f(ms)}${unidad}`, cumple: (v) => v > 0 && v <= ms },
    { tipo: "sube", color: DIVERGENTE.sube[1], etiqueta: `subió más de ${f(ms)}${unidad}`, cumple: (v) => v > ms },
  ];
  const clases = [];
  for (const c of candidatas) {
    const n = Object.values(unidades).filter((u) => u.valor !== null && c.cumple(u.valor)).length;
    if (!n) continue;  // no empty or degenerate class
    for (const u of Object.values(unidades)) if (u.valor !== null && c.cumple(u.valor)) u.clase = clases.length;
    clases.push({ color: c.color, etiqueta: c.etiqueta, n });
  }
  return { ...ahora, clases, unidades, comparacion: true,
    etiqueta: `Cambio en ${minuscula(honesta(ahora.etiqueta))}: ${fechaEs(estado.comparar)} → ${fechaEs(estado.corte)}`,
    sin_dato: { ...ahora.sin_dato, n: Object.values(unidades).filter((u) => u.valor === null).length } };
}
// Play through the years: the cut-off moves to the end of each year, one map after another.
let recorrido = null;
async function recorrerAnios() {
  const boton = document.getElementById("boton-recorrer");
  if (recorrido) { recorrido.parar = true; return; }
  recorrido = { parar: false };
  const inicial = estado.corte;
  boton.setAttribute("aria-pressed", "true");
  boton.textContent = "■ Detener";
  try {
    const series = await pedir("/series?" + new URLSearchParams({ ...Object.fromEntries(parametros()), medida: "alianzas", periodo: "anio", nivel: "nacional" }));
    for (const p of series.periodos) {
      if (recorrido.parar) break;
      estado.corte = p.fin === new Date().toISOString().slice(0, 10) ? "" : p.fin;
      document.getElementById("corte").value = estado.corte;
      await actualizar({ geometria: false });
      await new Promise((r) => setTimeout(r, 1200));
    }
  } catch (e) {
    aviso(`No se pudo recorrer los años: ${e.message}`);
    estado.corte = inicial;
  } finally {
    recorrido = null;
    boton.setAttribute("aria-pressed", "false");
    boton.textContent = "▶ Recorrer los años";
  }
}
// The first view's values, asked at the start together with the shapes (see iniciar).
let valoresAdelantados = null;
async function redibujar({ geometria } = { geometria: true }) {
  escribirHash();
  const nivelAnterior = capa && capa.nivel;
  const ruta = rutaValores();
  const adelantados = valoresAdelantados && valoresAdelantados.ruta === ruta ? valoresAdelantados.promesa : null;
  const adelantadosGuardados = Boolean(adelantados && valoresAdelantados.guardados);
  valoresAdelantados = null;
  const leidos = await (adelantados || pedir(ruta));
  // (a local value: another redraw may run meanwhile and set valoresActuales)
  valoresActuales = estado.comparar ? cambio(await pedir(rutaValores({ corte: estado.comparar })), leidos) : leidos;
  document.getElementById("sintetico").hidden = !valoresActuales.datos_sinteticos;
  // the light layer carries no names: the municipal values do
  if (estado.nivel === "municipio") for (const [c, u] of Object.entries(valoresActuales.unidades)) nombresMunicipio[c] ||= u.nombre;
  if (geometria || !capa || nivelAnterior !== estado.nivel) dibujar(); else recolorear();
  if (capaContornos) contornos();
  pintarLeyenda();
  etiquetasMedidas();
  enlacesDescarga();
  const contenedor = document.getElementById("mapa");
  contenedor.dataset.listo = String(Date.now());
  contenedor.dataset.ms = String(Math.round(performance.now()));  // read by bench/pagina.py
  // bench/pagina_lenta.py: the first choropleth (perhaps of the values kept from the last visit)
  // and the first with the server's own values
  contenedor.dataset.msPrimero ||= contenedor.dataset.ms;
  if (!adelantadosGuardados) contenedor.dataset.msRed ||= contenedor.dataset.ms;
  tablero().catch(fallo);
  refrescarPuntos();
  // The panel follows every change too (a filter, the validated-only switch, the session);
  // a shared link's selection is loaded here the first time.
  if (estado.sel && consultaPanel(estado.sel).toString() !== panelConsulta) {
    const [, codigo] = estado.sel.split(":");
    const mismo = panelSel === estado.sel ? document.getElementById("panel-titulo").textContent : "";
    panel(estado.sel, (valoresActuales.unidades[codigo] || {}).nombre || mismo).catch(fallo);
  }
}

/* ---------- drill-down and side panel ---------- */
const HIJO = { departamento: "municipio", unidad_operativa: "municipio", provincia: "municipio" };
const FILTRO_PADRE = { departamento: "departamento", unidad_operativa: "unidad_operativa", provincia: "provincia" };
function seleccionar(codigo) {
  estado.sel = `${estado.nivel}:${codigo}`;
  panel(estado.sel, valoresActuales.unidades[codigo].nombre).catch(fallo);
  if (HIJO[estado.nivel]) {
    const nombre = valoresActuales.unidades[codigo].nombre;
    const pila = estado.pila ? JSON.parse(estado.pila) : [];
    pila.push({ nivel: estado.nivel, filtro: FILTRO_PADRE[estado.nivel], valor: estado[FILTRO_PADRE[estado.nivel]], nombre });
    estado.pila = JSON.stringify(pila);
    estado[FILTRO_PADRE[estado.nivel]] = codigo;
    estado.nivel = HIJO[estado.nivel];
    aFormulario();
    migas();
    actualizar();
  } else {
    escribirHash();
  }
}
function volver() {
  const pila = estado.pila ? JSON.parse(estado.pila) : [];
  const previo = pila.pop();
  if (!previo) return;
  estado[previo.filtro] = previo.valor || "";
  estado.nivel = previo.nivel;
  estado.pila = pila.length ? JSON.stringify(pila) : "";
  estado.sel = "";
  document.getElementById("panel").hidden = true;
  panelConsulta = "";
  aFormulario();
  migas();
  if (!pila.length) mapa.fitBounds(BOLIVIA);
  actualizar();
}
function migas() {
  const pila = estado.pila ? JSON.parse(estado.pila) : [];
  document.getElementById("volver").hidden = !pila.length;
  document.getElementById("ruta").textContent = ["Bolivia", ...pila.map((p) => p.nombre)].join(" › ");
}
let panelPedido = 0;  // only the latest request may fill the panel
let panelConsulta = "";  // what the panel was last asked (sorted: a drill-down asks the same)
let panelSel = "";
function consultaPanel(sel) {
  const [nivel, codigo] = sel.split(":");
  const p = parametros({ nivel: "nacional" });
  p.set(nivel, codigo);  // the unit itself, within the other filters
  p.sort();
  return p;
}
async function panel(sel, nombre) {
  const mio = ++panelPedido;
  const [, codigo] = sel.split(":");
  const p = consultaPanel(sel);
  panelConsulta = p.toString();
  panelSel = sel;
  let datos;
  try {
    datos = await pedir("/estadisticas?" + p);
  } catch (e) {
    if (mio === panelPedido) panelConsulta = "";  // ask again on the next change
    throw e;
  }
  if (mio !== panelPedido) return;
  const v = datos.data[0] ? datos.data[0].valores : null;
  document.getElementById("panel").hidden = false;
  document.getElementById("panel-titulo").textContent = nombre || codigo;
  const dl = document.getElementById("panel-cifras");
  dl.replaceChildren();
  if (!v) return;
  const filas = [["Alianzas", v.alianzas], ["Familias", v.familias], ["Mujeres (%)", v.pct_mujeres],
    ["Familias por 1.000 rurales", v.familias_por_mil_rurales], ["Hectáreas con riego", v.hectareas_riego],
    ["Comprometido (Bs)", v.monto_par_comprometido_bs], ["Transferido (Bs)", v.monto_transferido_bs],
    ["Descargado (Bs)", v.monto_descargado_bs], ["Subproyectos", v.subproyectos], ["Cobertura (%)", v.cobertura_pct]];
  for (const [nombre, valor] of filas) dl.append(el("dt", nombre), el("dd", valor === null ? "sin dato" : numero.format(valor)));
  const [nivel] = sel.split(":");
  const ver = el("button", `Ver sus ${numero.format(v.alianzas || 0)} alianzas`, "boton boton-secundario ver-registros");
  ver.type = "button";
  ver.disabled = !v.alianzas;
  ver.addEventListener("click", () => abrirLista({ [nivel]: codigo }, nombre || codigo));
  dl.append(el("dt", ""), el("dd", ""));
  dl.lastChild.append(ver);
}
/* Every number opens its records: the list of the alliances behind a figure, with the page's
   filters and the figure's own (lista.js listens). */
function abrirLista(filtros, titulo) {
  document.dispatchEvent(new CustomEvent("sigg:abrir-lista", { detail: { filtros, titulo } }));
}

/* ---------- dashboard ---------- */
function barra(contenedor, etiqueta, valor, maximo, filtros) {
  const b = el("div", null, "barra");
  const e = el("div", null, "etiqueta");
  let cifra = el("span", numero.format(valor));
  if (filtros) {  // the count opens its alliances
    cifra = el("button", numero.format(valor), "enlace-cifra");
    cifra.type = "button";
    cifra.title = `Ver las ${numero.format(valor)} alianzas`;
    cifra.addEventListener("click", () => abrirLista(filtros, etiqueta));
  }
  e.append(el("span", etiqueta), cifra);
  const r = el("div", null, "relleno");
  r.style.width = `${maximo ? Math.max(1, (100 * valor) / maximo) : 0}%`;
  b.append(e, r);
  contenedor.append(b);
}
// The families counted depend on the stage filter: only from the signed agreement on are they
// the program's beneficiaries. Every label that says "beneficiarias" says so only then.
function beneficiarias() {
  return BENEFICIARIAS.includes(estado.etapa_alcanzada);
}
function nombreEtapaFiltro() {
  const opcion = document.querySelector(`#etapa_alcanzada option[value="${CSS.escape(estado.etapa_alcanzada)}"]`);
  return opcion ? opcion.textContent.replace(/\s*\(.*\)$/, "") : estado.etapa_alcanzada;
}
function familiasSegunEtapa() {
  if (beneficiarias()) return "Familias beneficiarias";
  if (!estado.etapa_alcanzada) return "Familias (todas las etapas, incluye solicitudes)";
  return `Familias (alianzas que llegaron a «${nombreEtapaFiltro()}»)`;
}
function honesta(texto) {
  return beneficiarias() ? texto : String(texto).replace("Familias beneficiarias", familiasSegunEtapa());
}
function textoSinValidar() {
  const u = (sesion.leer() || { usuario: {} }).usuario;
  return u.rol === "nacional" ? "Incluye registros sin validar" : "Incluye registros sin validar de su unidad";
}
// The results framework sets one target per indicator for the whole program (the API has no
// target per unit): a target is shown only next to a figure computed as the indicator is,
// over the whole program from the signed agreement on, and never under a territorial filter.
const POR_QUE_SIN_META = {
  "sin meta por unidad": "El marco de resultados fija una meta para todo el programa, no por unidad ni por lugar.",
  "sin meta con este filtro de etapa": "La meta cuenta las alianzas desde el convenio firmado: compárela con «Llegó a la etapa: Convenio firmado».",
  "sin meta con estos filtros": "La meta es del programa completo: no se compara con una parte (sector, modelo, convocatoria o fechas).",
};
function motivoSinMeta() {
  if (TERRITORIO.some((k) => estado[k])) return "sin meta por unidad";
  if (estado.etapa_alcanzada !== "convenio_firmado") return "sin meta con este filtro de etapa";
  if (["sector", "modelo", "financiamiento", "convocatoria", "desde", "hasta"].some((k) => estado[k])) {
    return "sin meta con estos filtros";
  }
  return "";
}
function titular(medida, nombre, valor, meta, unidad) {
  const t = el("div", null, "titular");
  t.dataset.medida = medida;
  // the figure opens the alliances it counts
  const cifra = el("button", valor === null ? "sin dato" : numero.format(valor), "cifra enlace-cifra");
  cifra.type = "button";
  cifra.title = "Ver las alianzas detrás de esta cifra";
  cifra.addEventListener("click", () => abrirLista({}, nombre));
  t.append(el("span", nombre, "nombre"), cifra);
  if (meta !== undefined) {
    const sinMeta = motivoSinMeta();
    let texto = sinMeta;
    if (!sinMeta && meta === null) texto = "sin meta en el marco de resultados";
    else if (!sinMeta) {
      const pct = valor === null ? null : (100 * valor) / meta;
      texto = `meta ${numero.format(meta)}${unidad || ""}` + (pct === null ? "" : ` · ${numero.format(Math.round(pct * 10) / 10)} % de la meta`);
    }
    t.append(el("span", texto, sinMeta ? "meta sin" : "meta"));
  }
  return t;
}
let turnoTablero = 0;  // only the latest request may fill the dashboard
async function tablero() {
  // The cycle is read without the stage filter: filtered on a stage, every earlier stage would
  // count the same alliances and the funnel would be flat.
  const ciclo = parametros({ nivel: "nacional", medidas: "alianzas,alianzas_alcanzaron" });
  ciclo.delete("etapa_alcanzada");
  const consulta = parametros({ nivel: "nacional" });
  const mio = ++turnoTablero;
  const [datos, sinEtapa, marco] = await Promise.all([
    pedir("/estadisticas?" + consulta),
    pedir("/estadisticas?" + ciclo),
    pedir("/indicadores?" + new URLSearchParams({ programa: estado.programa })),
  ]);
  if (mio !== turnoTablero) return;  // a later change asked again
  const v = datos.data[0].valores;
  const meta = Object.fromEntries(marco.data.map((i) => [i.codigo, i.meta]));
  document.getElementById("cifras-sin-validar").hidden = !(personal() && !soloValidados());
  document.getElementById("cifras-sin-validar").textContent = textoSinValidar();
  const titulares = document.getElementById("titulares");
  titulares.replaceChildren(
    titular("familias", familiasSegunEtapa(), v.familias, meta.R5 ?? null),
    titular("pct_mujeres", "Mujeres (%)", v.pct_mujeres, meta["R5.m"] ?? null, " %"),
    titular("hectareas_riego", "Hectáreas con riego", v.hectareas_riego, meta["2.7"] ?? null),
    titular("alianzas", "Alianzas", v.alianzas));
  if (motivoSinMeta()) titulares.append(el("p", POR_QUE_SIN_META[motivoSinMeta()], "aclaracion"));
  const dinero = document.getElementById("embudo-dinero");
  dinero.replaceChildren();
  const tope = v.monto_par_comprometido_bs;
  barra(dinero, "Comprometido", v.monto_par_comprometido_bs, tope);
  barra(dinero, "Transferido", v.monto_transferido_bs, tope);
  barra(dinero, "Descargado", v.monto_descargado_bs, tope);
  const embudo = document.getElementById("embudo-ciclo");
  embudo.replaceChildren();
  const etiquetas = { solicitud: "Solicitudes", evaluacion_aprobada: "Oportunidad aprobada", plan_formulado: "Plan formulado",
    plan_viable: "Plan viable", aprobado: "Aprobadas", convenio_firmado: "Con convenio", en_inversion: "En inversión",
    en_operacion: "En operación", concluida: "Concluidas" };
  const c = sinEtapa.data[0].valores;
  for (const [etapa, n] of Object.entries(c.alianzas_alcanzaron)) {
    barra(embudo, etiquetas[etapa] || etapa, n, c.alianzas, etapa === "solicitud" ? { etapa_alcanzada: "" } : { etapa_alcanzada: etapa });
  }
  document.getElementById("tablero").dataset.consulta = consulta.toString();  // what the figures answer
  tendencias(mio).catch(() => {
    document.getElementById("tendencias").replaceChildren(el("p", "La tendencia no se pudo cargar.", "aclaracion"));
  });
}
/* Trend charts: each headline figure at the end of every year (GET /series, cumulative), the
   bar of the cut-off year marked; a bar opens that year's figure as the map's cut-off. */
const SVG = "http://www.w3.org/2000/svg";
async function tendencias(turno) {
  const base = parametros({ periodo: "anio", nivel: "nacional", acumulado: "true" });
  base.delete("corte");
  const medidas = [["familias", familiasSegunEtapa()], ["hectareas_riego", "Hectáreas con riego"], ["alianzas", "Alianzas"]];
  // A secondary chart: a failure (offline, a series never read before) says so in its place,
  // not in the page's message, which stays for what the map itself needs.
  const series = await Promise.all(medidas.map(([m]) => {
    const p = new URLSearchParams(base);
    p.set("medida", m);
    return leerSinAviso("/series?" + p, sesion.cabeceras());
  }));
  if (turno !== turnoTablero) return;
  const caja = document.getElementById("tendencias");
  caja.replaceChildren();
  medidas.forEach(([medida, nombre], i) => {
    const s = series[i];
    const valores = s.data[0] ? s.data[0].valores : [];
    const tope = Math.max(1, ...valores.filter((v) => v !== null));
    const fig = el("figure", null, "tendencia");
    fig.dataset.medida = medida;
    fig.append(el("figcaption", nombre));
    const svg = document.createElementNS(SVG, "svg");
    const ancho = 100 / Math.max(1, valores.length);
    svg.setAttribute("viewBox", "0 0 100 40");
    svg.setAttribute("preserveAspectRatio", "none");
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `${nombre} por año: ` + s.periodos.map((p, j) => `${p.periodo}: ${valores[j] === null ? "sin dato" : numero.format(valores[j])}`).join("; "));
    s.periodos.forEach((p, j) => {
      const v = valores[j] || 0;
      const r = document.createElementNS(SVG, "rect");
      const alto = (38 * v) / tope;
      r.setAttribute("x", String(j * ancho + ancho * 0.15));
      r.setAttribute("width", String(ancho * 0.7));
      r.setAttribute("y", String(40 - alto));
      r.setAttribute("height", String(Math.max(0.5, alto)));
      r.setAttribute("class", estado.corte && p.fin === estado.corte ? "barra-anio marcada" : "barra-anio");
      const t = document.createElementNS(SVG, "title");
      t.textContent = `${p.periodo}: ${valores[j] === null ? "sin dato" : numero.format(valores[j])}`;
      r.append(t);
      svg.append(r);
    });
    const ejes = el("div", null, "anios");
    if (s.periodos.length) ejes.append(el("span", s.periodos[0].periodo), el("span", s.periodos[s.periodos.length - 1].periodo));
    const ultimo = valores.length ? valores[valores.length - 1] : null;
    fig.append(svg, ejes, el("span", ultimo === null ? "" : `hoy ${numero.format(ultimo)}`, "meta"));
    caja.append(fig);
  });
}

/* ---------- points ---------- */
// The points are the server's vector tiles (teselas.js, loaded the first time points are asked
// for): the filters go into the tiles' query string and the login into their requests, so a
// change of either draws the layer again from new tiles. What each visible layer was last
// drawn with, and a counter so that only the latest request is drawn.
const pedidoPuntos = { alianzas: "", subproyectos: "" };
const turnoPuntos = { alianzas: 0, subproyectos: 0 };
const capasPuntos = { alianzas: null, subproyectos: null };
function consultaPuntos(tipo) {
  const p = parametros();
  if (tipo === "subproyectos") for (const k of SOLO_ALIANZAS) p.delete(k);
  return p.toString();
}
function clavePuntos(tipo) {
  return consultaPuntos(tipo) + "|" + (sesion.cabeceras().Authorization || "");
}
function quitarPuntos(tipo) {
  if (capasPuntos[tipo]) capasPuntos[tipo].quitar();
  capasPuntos[tipo] = null;
}
function refrescarPuntos() {
  for (const tipo of ["alianzas", "subproyectos"]) {
    if (document.getElementById(`ver-${tipo}`).checked && pedidoPuntos[tipo] !== clavePuntos(tipo)) {
      puntos(tipo, true).catch(() => { /* cargarTeselas() already shows the message */ });
    }
  }
}
async function puntos(tipo, visible) {
  const mio = ++turnoPuntos[tipo];
  pedidoPuntos[tipo] = visible ? clavePuntos(tipo) : "";
  if (!visible) { quitarPuntos(tipo); return; }
  let teselas;
  try {
    teselas = await cargarTeselas();
  } catch (e) {
    if (mio === turnoPuntos[tipo]) pedidoPuntos[tipo] = "";  // ask again on the next change
    throw e;
  }
  if (mio !== turnoPuntos[tipo]) return;  // unticked or asked again meanwhile
  quitarPuntos(tipo);
  // Read when each tile is asked: the filters and login of now.
  const consulta = consultaPuntos(tipo);
  capasPuntos[tipo] = teselas.mostrarPuntos(mapa, tipo, () => consulta, () => sesion.cabeceras());
}

/* ---------- downloads ---------- */
function enlacesDescarga() {
  for (const formato of ["geojson", "csv", "csv-excel", "html"]) {
    document.getElementById(`bajar-${formato}`).href = `${API}/mapa/descarga?` + parametros({
      nivel: estado.nivel, medida: estado.medida, clasificacion: estado.clasificacion, clases: estado.clases, formato });
  }
}
function nombreDeArchivo(r, respaldo) {
  const cd = r.headers.get("Content-Disposition") || "";
  const m = /filename\*=UTF-8''([^;]+)/i.exec(cd) || /filename="?([^";]+)"?/i.exec(cd);
  return m ? decodeURIComponent(m[1]) : respaldo;
}
// A plain link cannot carry the login: with a session open the file is fetched with it and
// saved from memory, so that what is downloaded is what the staff member sees.
async function bajarConSesion(enlace) {
  const boton = enlace;
  boton.setAttribute("aria-busy", "true");
  try {
    const r = await fetch(enlace.href, { headers: sesion.cabeceras() });
    if (r.status === 401 && sesion.leer()) return sesion.salir("La sesión expiró: vuelva a ingresar.");
    if (!r.ok) {
      let detalle = r.statusText;
      try { detalle = (await r.json()).detail || detalle; } catch (_) { /* not JSON */ }
      return aviso(`No se pudo descargar (${r.status}): ${detalle}`);
    }
    const url = URL.createObjectURL(await r.blob());
    const a = el("a");
    a.href = url;
    a.download = nombreDeArchivo(r, "sigg_descarga");
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  } catch (e) {
    aviso(`No se pudo descargar: ${e.message}`);
  } finally {
    boton.removeAttribute("aria-busy");
  }
}

/* ---------- start ---------- */
async function opciones() {
  const [medidas, unidades, deps] = await Promise.all([
    pedir("/mapa/medidas"), pedir("/territorio/unidades-operativas"), pedir("/territorio/departamentos")]);
  const selMedida = document.getElementById("medida");
  for (const [codigo, etiqueta] of Object.entries(medidas.medidas)) {
    const o = new Option(etiqueta, codigo);
    o.dataset.etiqueta = etiqueta;
    selMedida.append(o);
  }
  for (const u of unidades.data) document.getElementById("unidad_operativa").append(new Option(u.nombre, u.codigo));
  for (const d of deps.data) document.getElementById("departamento").append(new Option(d.nombre, d.codigo));
  if (medidas.teselas) L.tileLayer(medidas.teselas, { maxZoom: 14 }).addTo(mapa);
}
// The lakes lie under the municipalities (their holes show them), whenever they arrive.
function fondo(lagos) {
  L.geoJSON(lagos, { style: { color: "#6baed6", weight: 0.5, fillColor: "#c6dbef", fillOpacity: 0.9 }, interactive: false })
    .addTo(mapa).bringToBack();
}
/* ---------- the light shapes first, the detailed ones after the first map ---------- */
// The light layer travels in the page (api/pagina.py); a page served without it (the database
// did not answer, or /static/index.html) asks for it.
function capaLigera() {
  const bloque = document.getElementById("capa-ligera");
  const texto = bloque ? bloque.textContent.trim() : "";
  return texto ? Promise.resolve(texto).then(JSON.parse) : leerSinAviso("/mapa/capa-ligera");
}
// The first map is drawn from the light layer (a quarter of the bytes, for a slow line). The
// detailed layer and the lakes are asked once it is on screen, so that they never share the line
// with it, and the detailed shapes replace the light ones in place: the classes, the legend, the
// selection and the view stay, and an open tooltip moves to the new shape.
async function detallar() {
  const pLagos = leerSinAviso("/mapa/lagos").then(fondo).catch(() => { /* a background only */ });
  try {
    cambiarFormas(await leerSinAviso("/mapa/capa"));
  } catch (e) {
    console.warn("SIGG: el mapa sigue con la capa ligera:", e.message);
  }
  await pLagos;
}
function cambiarFormas(detallada) {
  topo = detallada;
  for (const nivel of Object.keys(formasPorNivel)) delete formasPorNivel[nivel];
  nombrarMunicipios();
  document.getElementById("municipio-nombre").textContent = nombresMunicipio[estado.municipio] || estado.municipio;
  if (capaContornos) {
    capaContornos.remove();
    capaContornos = null;
    contornos();
  }
  if (capa) {
    let abierta = null;
    capa.eachLayer((l) => { if (l.isTooltipOpen()) abierta = { codigo: l.options.codigo, donde: l.getTooltip().getLatLng() }; });
    dibujar({ nivel: capa.nivel, ajustar: false });
    if (abierta) capa.eachLayer((l) => { if (l.options.codigo === abierta.codigo) l.openTooltip(abierta.donde); });
  }
  const contenedor = document.getElementById("mapa");
  contenedor.dataset.capa = "detallada";
  contenedor.dataset.msDetallada = String(Math.round(performance.now()));  // bench/pagina_lenta.py
}
// The bold outlines are the departments' at every level but the units': there, the units' own
// (the Chaco unit is one shape across three departments, not three pieces).
let capaContornos = null;
let nivelContornos = "";
function contornos() {
  const nivel = estado.nivel === "unidad_operativa" ? "unidad_operativa" : "departamento";
  if (capaContornos && nivel === nivelContornos) return;
  if (capaContornos) capaContornos.remove();
  capaContornos = L.geoJSON(formas(nivel), { style: { color: "#222", weight: 1.5, fill: false }, interactive: false, pane: "contornos" }).addTo(mapa);
  nivelContornos = nivel;
}
// The municipalities' names come with their detailed shapes (no list of its own to wait for;
// the light layer has none).
function nombrarMunicipios() {
  for (const g of topo.objects.municipios.geometries) nombresMunicipio[g.properties.codigo] ||= g.properties.nombre;
}
/* What the first map does not need comes after it, so that on a slow link it never competes
   with the shapes for the line: the staff modules, the service worker. Until they are here
   the staff toolbar waits (body[data-modulos]). */
const MODULOS = ["/static/ficha.js", "/static/importar.js", "/static/lista.js", "/static/programas.js",
  "/static/pendientes.js", "/static/instalar.js", "/static/informes.js"];
let resto = null;
function cargarElResto() {
  // one module that fails to load leaves the others working, and says so
  resto ||= Promise.allSettled(MODULOS.map((m) => import(m))).then((r) => {
    document.body.dataset.modulos = "listos";
    const mal = r.findIndex((x) => x.status === "rejected");
    if (mal >= 0) throw new Error(`${MODULOS[mal]}: ${r[mal].reason && r[mal].reason.message}`);
  });
  return resto;
}
// The points' tile reader and renderer load the first time points are asked for: the first
// map on a slow line never waits for them.
let lectorTeselas = null;
function cargarTeselas() {
  lectorTeselas ||= import("/static/teselas.js").catch((e) => {
    lectorTeselas = null;
    aviso("No se pudieron cargar los puntos: revise la conexión.", () => refrescarPuntos());
    throw e;
  });
  return lectorTeselas;
}
function enlazar() {
  const form = document.getElementById("filtros");
  form.addEventListener("change", (e) => {
    const id = e.target.id;
    if (id === "fijar") {
      if (e.target.checked && estado.unidad_operativa) localStorage.setItem("sigg.unidad", estado.unidad_operativa);
      else localStorage.removeItem("sigg.unidad");
      return;
    }
    if (e.target.name === "registros") {
      estado.registros = e.target.value;
      return actualizar({ geometria: false });
    }
    if (id === "ver-alianzas") return puntos("alianzas", e.target.checked);
    if (id === "comparar") { estado.comparar = e.target.value; return actualizar({ geometria: false }); }
    if (id === "ver-subproyectos") return puntos("subproyectos", e.target.checked);
    if (!(id in estado)) return;
    estado[id] = e.target.value;
    const soloColor = ["medida", "clasificacion", "clases"].includes(id);
    if (id === "nivel") { estado.pila = ""; estado.sel = ""; migas(); }
    actualizar({ geometria: !soloColor });
  });
  form.addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("boton-recorrer").addEventListener("click", () => recorrerAnios());
  for (const formato of ["geojson", "csv", "csv-excel", "html"]) {
    document.getElementById(`bajar-${formato}`).addEventListener("click", (e) => {
      if (!personal()) return;  // the public's plain link
      e.preventDefault();
      bajarConSesion(e.currentTarget);
    });
  }
  document.getElementById("volver").addEventListener("click", volver);
  document.getElementById("municipio-quitar").addEventListener("click", quitarMunicipio);
}
/* ---------- the search box (busqueda.js) ---------- */
const TERRITORIALES = TERRITORIO;
// A place found by name is selected as a click on the map from the national view would select
// it: a municipality becomes the municipality filter (its code) and the panel's unit; a larger
// unit is drilled into (its filter, the municipalities inside, "Volver" returns to Bolivia).
// The other territorial filters are cleared so that they cannot hide the place chosen.
function elegirLugar(lugar) {
  for (const k of TERRITORIALES) estado[k] = "";
  estado.pila = JSON.stringify([{ nivel: lugar.nivel, filtro: lugar.nivel, valor: "", nombre: lugar.nombre }]);
  estado[lugar.nivel] = lugar.codigo;
  estado.nivel = "municipio";
  estado.sel = `${lugar.nivel}:${lugar.codigo}`;
  if (lugar.nivel === "municipio") nombresMunicipio[lugar.codigo] ||= lugar.nombre;
  aFormulario();
  migas();
  panel(estado.sel, lugar.nombre).catch(fallo);
  return actualizar();
}
function quitarMunicipio() {
  const pila = estado.pila ? JSON.parse(estado.pila) : [];
  if (pila.length && pila[pila.length - 1].filtro === "municipio") return volver();
  estado.municipio = "";
  estado.sel = "";
  document.getElementById("panel").hidden = true;
  panelConsulta = "";
  aFormulario();
  return actualizar();
}
function fichaAlianza(a) {
  const caja = el("div", null, "ficha");
  caja.append(el("strong", a.nombre));
  const dl = el("dl");
  for (const [etiqueta, valor] of [["Código", a.codigo], ["Municipio", a.municipio], ["Etapa", a.etapa_nombre],
    ["Verificación", nombreEstado(a.estado)]]) dl.append(el("dt", etiqueta), el("dd", valor || "sin dato"));
  caja.append(dl);
  return caja;
}
function elegirAlianza(a) {
  if (elegida) elegida.remove();
  if (typeof a.lat !== "number" || typeof a.lon !== "number") {
    aviso(`La alianza ${a.codigo} no tiene ubicación registrada.`);
    return;
  }
  const punto = [a.lat, a.lon];
  elegida = L.circleMarker(punto, { radius: 9, color: "#7c2d12", weight: 3, fillColor: "#f59e0b", fillOpacity: 0.9 })
    .bindPopup(() => fichaAlianza(a)).addTo(mapa);
  mapa.setView(punto, Math.max(mapa.getZoom(), 10), { animate: false });
  elegida.openPopup();
}
async function buscarEnApi(q, signal) {
  let r;
  try {
    r = await fetch(`${API}/buscar?` + new URLSearchParams({ q, limit: "8", programa: estado.programa }), { headers: sesion.cabeceras(), signal });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new Error("No se pudo contactar la API del SIGG para buscar.");
  }
  if (!r.ok) {
    let detalle = r.statusText;
    try { detalle = (await r.json()).detail || detalle; } catch (_) { /* not JSON */ }
    throw new Error(r.status === 404 ? "La búsqueda todavía no está disponible en este servidor." : `La búsqueda falló (${r.status}): ${detalle}`);
  }
  return r.json();
}
let nombreEstado = (e) => e;  // replaced by busqueda.js once loaded
async function iniciarBusqueda() {
  const modulo = await import("/static/busqueda.js");
  nombreEstado = modulo.nombreEstado;
  modulo.crearBuscador({
    entrada: document.getElementById("buscar"),
    lista: document.getElementById("buscar-lista"),
    estado: document.getElementById("buscar-estado"),
    buscar: buscarEnApi,
    elegir: (tipo, item) => {
      // on a phone the map sits below the filters: bring it into view
      if (matchMedia("(max-width: 900px)").matches) document.getElementById("vista").scrollIntoView();
      return tipo === "alianza" ? elegirAlianza(item) : elegirLugar(item);
    },
  });
}

/* ---------- staff: landing, the record chosen in the tray, the session ---------- */
// Called by sesion.js once per login: a unit's user lands on the unit (as if chosen in the
// search box, so "Volver" returns to Bolivia), unless the page was opened on a shared link
// that names a place (or a pinned unit), which is kept.
function aterrizar(usuario) {
  if (!usuario || !usuario.unidad_operativa || enlaceConLugar) return false;
  if (estado.unidad_operativa === usuario.unidad_operativa) return false;
  const opcion = document.querySelector(`#unidad_operativa option[value="${CSS.escape(usuario.unidad_operativa)}"]`);
  elegirLugar({ nivel: "unidad_operativa", codigo: usuario.unidad_operativa,
    nombre: opcion ? opcion.textContent : usuario.unidad_operativa });
  return true;
}
// A record chosen in the tray: marked on the map, whatever the point layers show.
function resaltarRegistro(p) {
  if (typeof p.lat !== "number" || typeof p.lon !== "number") return;
  if (elegida) elegida.remove();
  elegida = L.circleMarker([p.lat, p.lon], { radius: 9, color: "#7c2d12", weight: 3, fillColor: "#f59e0b", fillOpacity: 0.9 })
    .bindPopup(() => {
      const caja = el("div", null, "ficha");
      caja.append(el("strong", `${p.codigo} · ${p.nombre}`), el("br"), el("span", `${p.municipio} · ${p.estado_nombre || p.estado}`));
      return caja;
    }).addTo(mapa);
  mapa.setView([p.lat, p.lon], Math.max(mapa.getZoom(), 10), { animate: false });
}
function mostrarInterruptor(s) {
  document.getElementById("cifras-registros").hidden = !s;
  if (!s) document.getElementById("cifras-sin-validar").hidden = true;
}
document.addEventListener("sigg:sesion", (e) => mostrarInterruptor(e.detail));

window.addEventListener("hashchange", () => {
  // A shared link pasted into the same tab: take its state.
  enlaceConLugar = enlaceConLugar || nombraLugar();
  leerHash();
  aFormulario();
  migas();
  actualizar();
});
// The public's last values, kept by the service worker (sw.js, the shared "sigg-datos" cache);
// never a login's (those caches belong to their session).
async function valoresGuardados(ruta) {
  if (sesion.leer() || !("caches" in window)) return null;
  try {
    const r = await caches.match(API + ruta, { cacheName: "sigg-datos" });
    return r ? await r.json() : null;
  } catch (_) {
    return null;
  }
}
async function iniciar() {
  leerHash();
  mostrarSesion();
  // On a slow link every round trip costs seconds: what the first view needs (the options, the
  // light shapes and the first values) is asked at once, not one after another. The controls
  // wait for the shapes, and the map says it is loading.
  const contenedor = document.getElementById("mapa");
  contenedor.classList.add("cargando");
  const campos = document.querySelectorAll("#filtros fieldset");
  campos.forEach((f) => { f.disabled = true; });
  const pCapa = capaLigera();
  // the public's: the same request as the page's <link rel=preload> (no headers), answered by it
  valoresAdelantados = { ruta: rutaValores(), promesa: pedir(rutaValores()) };
  const pGuardados = valoresGuardados(valoresAdelantados.ruta);
  // The map is drawn as soon as its shapes and values are here; the controls' options arrive
  // meanwhile and the controls open when both are ready.
  const pOpciones = opciones().then(() => {
    nombrarSesion();  // sesion.js: the unit's name, now that the units are known
    aFormulario();
  });
  for (const p of [pCapa, valoresAdelantados.promesa, pOpciones]) p.catch(() => { /* said below */ });
  try {
    enlazar();
    iniciarBusqueda().catch(() => { document.getElementById("buscar-estado").textContent = "La búsqueda no se pudo cargar."; });
    topo = await pCapa;
    contenedor.dataset.capa = "ligera";
    nombrarMunicipios();
    aFormulario();
    contornos();
    migas();
    const guardados = await pGuardados;
    if (guardados && valoresAdelantados) {
      // A warm start: the values this browser last read are drawn at once, marked as being
      // brought up to date, and replaced as soon as the server answers.
      const red = valoresAdelantados;
      valoresAdelantados = { ruta: red.ruta, promesa: Promise.resolve(guardados), guardados: true };
      await actualizar();
      detallar();
      contenedor.classList.remove("cargando");
      contenedor.classList.add("actualizando");
      valoresAdelantados = red;
      await actualizar({ geometria: false });
    } else {
      await actualizar();
      detallar();
      contenedor.classList.remove("cargando");  // drawn, while the controls' options arrive
    }
    await pOpciones;
    campos.forEach((f) => { f.disabled = false; });
  } catch (e) {
    valoresAdelantados = null;
    aviso(`No se pudo cargar el mapa: ${e.message}`, () => location.reload());
  } finally {
    contenedor.classList.remove("cargando", "actualizando");
    cargarElResto().catch((e) => aviso(`No se pudo cargar una parte de la aplicación: ${e.message}`, () => location.reload()));
  }
}
// What a printed page needs to be read alone: the place, the filters in words, the cut-off and
// the day it was printed.
function filtrosEnPalabras() {
  const partes = [];
  for (const campo of document.querySelectorAll("#tiempo input, #filtros fieldset:not(#tiempo) select, #filtros fieldset:not(#tiempo) input[type=date], #convocatoria")) {
    if (!campo.value || ["nivel", "medida", "clasificacion", "clases"].includes(campo.id)) continue;
    const etiqueta = document.querySelector(`label[for="${campo.id}"]`);
    const valor = campo.tagName === "SELECT" ? campo.selectedOptions[0].textContent : campo.type === "date" ? fechaEs(campo.value) : campo.value;
    partes.push(`${etiqueta ? etiqueta.textContent.trim() : campo.id}: ${valor}`);
  }
  return partes;
}
// The printed map is smaller than the screen's: it is fitted to what is drawn, then back.
matchMedia("print").addEventListener("change", (e) => {
  mapa.invalidateSize({ animate: false });
  if (e.matches && capa) mapa.fitBounds(capa.getBounds(), { padding: [5, 5], animate: false });
});
window.addEventListener("beforeprint", () => {
  const lugar = document.getElementById("ruta").textContent.trim();
  const hoy = fechaCorta.format(new Date());
  document.getElementById("impreso").textContent =
    [lugar, ...filtrosEnPalabras(), estado.corte ? "" : "Situación al " + hoy, `Impreso el ${hoy}`, "Fuente: SIGG"].filter(Boolean).join(" · ");
});
iniciar();
