/* SIGG map application. Geometry travels once (TopoJSON, cached by the browser); a change of
   measure or filter fetches only values. Every name is written as text, never as HTML. */
"use strict";

const API = "/api/v1";
const NIVELES = ["departamento", "unidad_operativa", "provincia", "municipio"];
const CLAVE_TOPO = { municipio: "codigo", provincia: "prov", departamento: "dep", unidad_operativa: "uo" };
const FILTROS = ["programa", "unidad_operativa", "departamento", "municipio", "etapa_alcanzada",
  "sector", "modelo", "financiamiento", "convocatoria", "desde", "hasta"];
// Subprojects have no sector, model, call, dates or alliance cycle: the API refuses those names.
const SOLO_ALIANZAS = ["etapa_alcanzada", "sector", "modelo", "financiamiento", "convocatoria", "desde", "hasta"];
const numero = new Intl.NumberFormat("es-BO", { maximumFractionDigits: 2 });

const estado = {
  nivel: "municipio", medida: "familias_por_mil_rurales", clasificacion: "cuantiles", clases: "5",
  programa: "PAR2", unidad_operativa: "", departamento: "", provincia: "", municipio: "",
  // Beneficiaries are the families of alliances that signed their agreement.
  etapa_alcanzada: "convenio_firmado", sector: "", modelo: "", financiamiento: "", convocatoria: "", desde: "",
  hasta: "", sel: "", pila: "",
};

let topo = null;
const formasPorNivel = {};
let capa = null;
let valoresActuales = null;
let puntosAlianzas = null;
let puntosSubproyectos = null;
let nombresMunicipio = {};  // code -> name, for the active-filter line
let elegida = null;  // the alliance chosen in the search box, drawn over the map

const BOLIVIA = [[-22.9, -69.7], [-9.7, -57.4]];
// maxZoom is needed by the marker clusters when no tile layer sets one.
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
function aviso(mensaje) {
  const a = document.getElementById("aviso");
  a.textContent = mensaje || "";
  a.hidden = !mensaje;
}
async function pedir(ruta) {
  let r;
  try {
    r = await fetch(API + ruta, { headers: sesion.cabeceras() });
  } catch (e) {
    aviso("No se pudo contactar la API del SIGG. Revise la conexión con el servidor.");
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
    throw new Error(detalle);
  }
  aviso("");
  return r.json();
}
function parametros(extra) {
  const p = new URLSearchParams();
  for (const k of FILTROS) if (estado[k]) p.set(k, estado[k]);
  if (estado.provincia) p.set("provincia", estado.provincia);
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
function aFormulario() {
  for (const k of ["nivel", "medida", "clasificacion", "clases", ...FILTROS]) {
    const c = document.getElementById(k);
    if (c) c.value = estado[k];
  }
  document.getElementById("fijar").checked = !!localStorage.getItem("sigg.unidad");
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
  return u.valor === null ? `sin dato (${u.sin_dato || "desconocido"})` : numero.format(u.valor);
}
function dibujar() {
  const fc = formas(estado.nivel);
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
      layer.on("keypress", (e) => { if (e.originalEvent.key === "Enter") seleccionar(f.id); });
    },
  }).addTo(mapa);
  capa.eachLayer((l) => { if (l.getElement) { const e = l.getElement(); if (e) { e.setAttribute("tabindex", "0"); e.setAttribute("data-codigo", l.options.codigo); } } });
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
  caja.append(el("h4", valoresActuales.etiqueta));
  for (const c of valoresActuales.clases) {
    const fila = el("div", null, "fila");
    const muestra = el("span", null, "muestra");
    muestra.style.background = c.color;
    fila.append(muestra, el("span", `${numero.format(c.desde)} – ${numero.format(c.hasta)} (${c.n})`));
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
async function redibujar({ geometria } = { geometria: true }) {
  escribirHash();
  const nivelAnterior = capa && capa.nivel;
  valoresActuales = await pedir("/mapa/valores?" + parametros({
    nivel: estado.nivel, medida: estado.medida, clasificacion: estado.clasificacion, clases: estado.clases }));
  document.getElementById("sintetico").hidden = !valoresActuales.datos_sinteticos;
  if (geometria || !capa || nivelAnterior !== estado.nivel) { dibujar(); capa.nivel = estado.nivel; } else recolorear();
  pintarLeyenda();
  enlacesDescarga();
  const contenedor = document.getElementById("mapa");
  contenedor.dataset.listo = String(Date.now());
  contenedor.dataset.ms = String(Math.round(performance.now()));  // read by bench/pagina.py
  tablero().catch(fallo);
  refrescarPuntos();
  if (estado.sel && !panelPedido) {
    const [, codigo] = estado.sel.split(":");
    panel(estado.sel, (valoresActuales.unidades[codigo] || {}).nombre).catch(fallo);  // a shared link's selection
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
async function panel(sel, nombre) {
  const mio = ++panelPedido;
  const [nivel, codigo] = sel.split(":");
  const p = parametros({ nivel: "nacional" });
  p.set(nivel, codigo);  // the unit itself, within the other filters
  const datos = await pedir("/estadisticas?" + p);
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
}

/* ---------- dashboard ---------- */
function barra(contenedor, etiqueta, valor, maximo) {
  const b = el("div", null, "barra");
  const e = el("div", null, "etiqueta");
  e.append(el("span", etiqueta), el("span", numero.format(valor)));
  const r = el("div", null, "relleno");
  r.style.width = `${maximo ? Math.max(1, (100 * valor) / maximo) : 0}%`;
  b.append(e, r);
  contenedor.append(b);
}
async function tablero() {
  const [datos, marco] = await Promise.all([
    pedir("/estadisticas?" + parametros({ nivel: "nacional" })),
    pedir("/indicadores?" + new URLSearchParams({ programa: estado.programa })),
  ]);
  const v = datos.data[0].valores;
  const meta = Object.fromEntries(marco.data.map((i) => [i.codigo, i.meta]));
  const titulares = document.getElementById("titulares");
  titulares.replaceChildren();
  for (const [nombre, valor, m] of [["Familias beneficiarias", v.familias, meta.R5], ["Mujeres (%)", v.pct_mujeres, meta["R5.m"]],
    ["Hectáreas con riego", v.hectareas_riego, meta["2.7"]], ["Alianzas", v.alianzas, null]]) {
    const t = el("div", null, "titular");
    t.append(el("span", nombre), el("span", valor === null ? "sin dato" : numero.format(valor)));
    if (m) t.append(el("span", `meta ${numero.format(m)}`, "meta"));
    titulares.append(t);
  }
  const dinero = document.getElementById("embudo-dinero");
  dinero.replaceChildren();
  const tope = v.monto_par_comprometido_bs;
  barra(dinero, "Comprometido", v.monto_par_comprometido_bs, tope);
  barra(dinero, "Transferido", v.monto_transferido_bs, tope);
  barra(dinero, "Descargado", v.monto_descargado_bs, tope);
  const ciclo = document.getElementById("embudo-ciclo");
  ciclo.replaceChildren();
  const etiquetas = { solicitud: "Solicitudes", evaluacion_aprobada: "Oportunidad aprobada", plan_formulado: "Plan formulado",
    plan_viable: "Plan viable", aprobado: "Aprobadas", convenio_firmado: "Con convenio", en_inversion: "En inversión",
    en_operacion: "En operación", concluida: "Concluidas" };
  for (const [etapa, n] of Object.entries(v.alianzas_alcanzaron)) barra(ciclo, etiquetas[etapa] || etapa, n, v.alianzas);
}

/* ---------- points ---------- */
// The points follow the filters and the session like the rest of the page: what each visible
// layer was last asked for (request and who asked), and a counter so that only the latest
// answer is drawn.
const pedidoPuntos = { alianzas: "", subproyectos: "" };
const turnoPuntos = { alianzas: 0, subproyectos: 0 };
function rutaPuntos(tipo) {
  const p = parametros({ tipo });
  if (tipo === "subproyectos") for (const k of SOLO_ALIANZAS) p.delete(k);
  return "/mapa/puntos?" + p;
}
function clavePuntos(tipo) {
  return rutaPuntos(tipo) + "|" + (sesion.cabeceras().Authorization || "");
}
function quitarPuntos(tipo) {
  const actual = tipo === "alianzas" ? puntosAlianzas : puntosSubproyectos;
  if (actual) actual.remove();
  if (tipo === "alianzas") puntosAlianzas = null; else puntosSubproyectos = null;
}
function refrescarPuntos() {
  for (const tipo of ["alianzas", "subproyectos"]) {
    if (document.getElementById(`ver-${tipo}`).checked && pedidoPuntos[tipo] !== clavePuntos(tipo)) {
      puntos(tipo, true).catch(() => { /* pedir() already shows the message */ });
    }
  }
}
async function puntos(tipo, visible) {
  const mio = ++turnoPuntos[tipo];
  pedidoPuntos[tipo] = visible ? clavePuntos(tipo) : "";
  if (!visible) { quitarPuntos(tipo); return; }
  let fc;
  try {
    fc = await pedir(rutaPuntos(tipo));
  } catch (e) {
    if (mio === turnoPuntos[tipo]) pedidoPuntos[tipo] = "";  // ask again on the next change
    throw e;
  }
  if (mio !== turnoPuntos[tipo]) return;  // unticked or asked again meanwhile
  quitarPuntos(tipo);
  const grupo = L.markerClusterGroup({ chunkedLoading: true });
  L.geoJSON(fc, {
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 5, color: tipo === "alianzas" ? "#b45309" : "#6d28d9", weight: 1, fillOpacity: 0.8 }),
    onEachFeature: (f, layer) => {
      layer.bindPopup(() => {
        const caja = el("div");
        const p = f.properties;
        const verificacion = p.estado && p.estado !== "validado" ? ` · ${p.estado_nombre}` : "";
        caja.append(el("strong", p.nombre), el("br"), el("span", `${p.codigo} · ${p.etapa_nombre}${verificacion}`), el("br"),
          el("span", `${numero.format(p.familias)} familias · ${p.municipio}`));
        return caja;
      });
    },
  }).eachLayer((l) => grupo.addLayer(l));
  grupo.addTo(mapa);
  if (tipo === "alianzas") puntosAlianzas = grupo; else puntosSubproyectos = grupo;
}

/* ---------- downloads ---------- */
function enlacesDescarga() {
  for (const formato of ["geojson", "csv", "html"]) {
    document.getElementById(`bajar-${formato}`).href = `${API}/mapa/descarga?` + parametros({
      nivel: estado.nivel, medida: estado.medida, clasificacion: estado.clasificacion, clases: estado.clases, formato });
  }
}

/* ---------- start ---------- */
async function opciones() {
  const [medidas, unidades, deps, muns] = await Promise.all([
    pedir("/mapa/medidas"), pedir("/territorio/unidades-operativas"),
    pedir("/territorio/departamentos"), pedir("/territorio/municipios")]);
  const selMedida = document.getElementById("medida");
  for (const [codigo, etiqueta] of Object.entries(medidas.medidas)) selMedida.append(new Option(etiqueta, codigo));
  for (const u of unidades.data) document.getElementById("unidad_operativa").append(new Option(u.nombre, u.codigo));
  for (const d of deps.data) document.getElementById("departamento").append(new Option(d.nombre, d.codigo));
  for (const m of muns.data) nombresMunicipio[m.codigo] = m.nombre;
  if (medidas.teselas) L.tileLayer(medidas.teselas, { maxZoom: 14 }).addTo(mapa);
}
async function fondo() {
  const lagos = await pedir("/mapa/lagos");
  L.geoJSON(lagos, { style: { color: "#6baed6", weight: 0.5, fillColor: "#c6dbef", fillOpacity: 0.9 }, interactive: false }).addTo(mapa);
  L.geoJSON(formas("departamento"), { style: { color: "#222", weight: 1.5, fill: false }, interactive: false, pane: "contornos" }).addTo(mapa);
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
    if (id === "ver-alianzas") return puntos("alianzas", e.target.checked);
    if (id === "ver-subproyectos") return puntos("subproyectos", e.target.checked);
    if (!(id in estado)) return;
    estado[id] = e.target.value;
    const soloColor = ["medida", "clasificacion", "clases"].includes(id);
    if (id === "nivel") { estado.pila = ""; estado.sel = ""; migas(); }
    actualizar({ geometria: !soloColor });
  });
  form.addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("volver").addEventListener("click", volver);
  document.getElementById("municipio-quitar").addEventListener("click", quitarMunicipio);
}
/* ---------- the search box (busqueda.js) ---------- */
const TERRITORIALES = ["unidad_operativa", "departamento", "provincia", "municipio"];
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

window.addEventListener("hashchange", () => {
  // A shared link pasted into the same tab: take its state.
  leerHash();
  aFormulario();
  migas();
  actualizar();
});
async function iniciar() {
  leerHash();
  mostrarSesion();
  try {
    await opciones();
    aFormulario();
    enlazar();
    iniciarBusqueda().catch(() => { document.getElementById("buscar-estado").textContent = "La búsqueda no se pudo cargar."; });
    const r = await fetch(API + "/mapa/capa");
    if (!r.ok) throw new Error(`capa: ${r.status}`);
    topo = await r.json();
    await fondo();
    migas();
    await actualizar();
  } catch (e) {
    if (document.getElementById("aviso").hidden) aviso(`No se pudo cargar el mapa: ${e.message}`);
  }
}
iniciar();
