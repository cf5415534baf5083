/* The map's alliances and subprojects as points drawn from the server's vector tiles
   (/api/v1/teselas/{tipo}/{z}/{x}/{y}.pbf, api/routes/teselas.py), so that a million records
   never travel as one GeoJSON. Loaded by app.js the first time points are asked for.

   Why a decoder and a Leaflet grid layer of our own rather than a renderer: protomaps-leaflet
   fetches its tiles with no request options (the reader's login cannot travel, so a técnico
   would see the public's points), finds features under a click only "for debugging" and drops
   labels that collide (a cluster would lose its count); Leaflet.VectorGrid has not been
   maintained since 2018; MapLibre GL is a second map engine. @mapbox/vector-tile and pbf
   (vendored from npm with their licences) decode; drawing is what this module does:

   - Below ZOOM_PUNTOS a tile holds clusters (`cantidad`, `familias`). The clusters of the tiles
     in view are merged once more here, greedily from the largest, so that no two circles
     overlap; every server cluster goes into exactly one circle, so the counts still add up to
     the selection. A circle is a marker (a button: keyboard and screen reader) with the count
     in Bolivian format; a click zooms in.
   - From ZOOM_PUNTOS on, one point per record on the tile's canvas, coloured by stage
     (alliances round, subprojects square); a click on one opens its popup (name, code, stage
     label), found by distance in the tile's decoded features. */

import { PbfReader } from "/static/vendor/pbf/index.js";
import { VectorTile } from "/static/vendor/mapbox-vector-tile/index.js";

export const ZOOM_PUNTOS = 9;  // geo/analisis/teselas.py ZOOM_PUNTOS
const numero = new Intl.NumberFormat("es-BO", { useGrouping: "always" });
const decimal = new Intl.NumberFormat("es-BO", { maximumFractionDigits: 0, useGrouping: "always" });
const NOMBRE = { alianzas: ["alianza", "alianzas"], subproyectos: ["subproyecto", "subproyectos"] };
const COLOR_GRUPO = { alianzas: "#b45309", subproyectos: "#6d28d9" };
// The stage's colour: before the agreement in purples, from it on in oranges (the municipal
// layer under them is yellow-green-blue); closed without result in greys.
const COLOR_ETAPA = {
  solicitud: "#fbb4b9", evaluacion_aprobada: "#f768a1", plan_formulado: "#dd3497", plan_viable: "#ae017e",
  aprobado: "#7a0177", convenio_firmado: "#fdae6b", en_inversion: "#f16913", en_operacion: "#d94801",
  concluida: "#7f2704", evaluacion_rechazada: "#bdbdbd", abandonada: "#737373",
  evaluacion_fps: "#f768a1", licitacion: "#ae017e", ejecucion: "#f16913", recepcion_provisional: "#d94801",
  recepcion_definitiva: "#7f2704",
};
const ORDEN_ETAPA = Object.keys(COLOR_ETAPA);
// geo/vocabulario/catalogos.py ESTADOS (a tile carries the code; the popup writes the label).
const ESTADOS = { registrado: "Registrado", observado: "Observado", verificado: "Verificado por la unidad" };
const RADIO_PUNTO = 5;
const RADIO_MIN = 12;
const RADIO_MAX = 24;
const TOQUE = 10;  // px around a point that a click (a finger) still hits

function nodo(tag, texto, clase) {
  const e = document.createElement(tag);
  if (texto !== undefined && texto !== null) e.textContent = String(texto);
  if (clase) e.className = clase;
  return e;
}
const radio = (cantidad) => Math.min(RADIO_MAX, RADIO_MIN + 3 * Math.log10(Math.max(1, cantidad)));

/* ---------- reading a tile ---------- */
// [{x, y (px in the 256-px tile), propiedades, id}] of the tile's one layer, named after the type.
function decodificar(buffer, tipo) {
  const capa = new VectorTile(new PbfReader(new Uint8Array(buffer))).layers[tipo];
  const rasgos = [];
  if (!capa) return rasgos;
  const escala = 256 / capa.extent;
  for (let i = 0; i < capa.length; i++) {
    const f = capa.feature(i);
    for (const anillo of f.loadGeometry()) {
      for (const p of anillo) rasgos.push({ x: p.x * escala, y: p.y * escala, propiedades: f.properties, id: f.id });
    }
  }
  return rasgos;
}

/* ---------- the layer ---------- */
const CapaPuntos = L.GridLayer.extend({
  options: { pane: "puntos", updateWhenZooming: false, keepBuffer: 1, maxZoom: 22 },

  // tipo: "alianzas" | "subproyectos"; consulta(): the filters' query string; cabeceras(): the
  // login (sesion.cabeceras()); alCambiar(): after what is drawn changed (the legend).
  initialize(tipo, opciones) {
    L.setOptions(this, opciones);
    this.tipo = tipo;
    this.datos = new Map();  // tile key -> decoded features
    this.grupos = L.layerGroup();
    this.fallidas = 0;
  },
  onAdd(map) {
    L.GridLayer.prototype.onAdd.call(this, map);
    this.grupos.addTo(map);
    map.on("zoomend", this.reagrupar, this);
    this.on("tileunload", this.descargada, this);
  },
  onRemove(map) {
    for (const t of Object.values(this._tiles)) if (t.el.controlador) t.el.controlador.abort();
    L.GridLayer.prototype.onRemove.call(this, map);
    this.grupos.remove();
    map.off("zoomend", this.reagrupar, this);
    this.off("tileunload", this.descargada, this);
    this.datos.clear();
    this.contarPuntos(map);
  },
  url(c) {
    const q = this.options.consulta();
    return `/api/v1/teselas/${this.tipo}/${c.z}/${c.x}/${c.y}.pbf${q ? "?" + q : ""}`;
  },
  createTile(c, hecho) {
    const lienzo = L.DomUtil.create("canvas", "leaflet-tile");
    const lado = this.getTileSize();
    const dpr = window.devicePixelRatio || 1;
    lienzo.width = lado.x * dpr;
    lienzo.height = lado.y * dpr;
    const clave = this._tileCoordsToKey(c);
    const controlador = new AbortController();
    lienzo.controlador = controlador;
    fetch(this.url(c), { headers: this.options.cabeceras(), signal: controlador.signal })
      .then(async (r) => {
        if (r.status === 204) return [];
        if (!r.ok) throw new Error(`tesela ${c.z}/${c.x}/${c.y}: ${r.status}`);
        return decodificar(await r.arrayBuffer(), this.tipo);
      })
      .then((rasgos) => {
        if (controlador.signal.aborted) return;
        this.datos.set(clave, { z: c.z, x: c.x, y: c.y, rasgos });
        if (c.z >= ZOOM_PUNTOS) this.pintar(lienzo, rasgos, dpr); else this.reagruparPronto();
        hecho(null, lienzo);
        if (c.z >= ZOOM_PUNTOS) this.contarPuntos();
        this.options.alCambiar();
      })
      .catch((e) => {
        if (e.name === "AbortError") return;
        this.fallidas += 1;  // offline and not in the cache: the rest of the map stands
        console.warn("SIGG:", e.message);
        hecho(null, lienzo);
      });
    return lienzo;
  },
  descargada(e) {
    const clave = this._tileCoordsToKey(e.coords);
    if (e.tile.controlador) e.tile.controlador.abort();
    if (this.datos.delete(clave)) {
      if (e.coords.z < ZOOM_PUNTOS) this.reagruparPronto(); else this.contarPuntos();
    }
  },

  /* ---------- points (from ZOOM_PUNTOS on) ---------- */
  // How many points the drawn tiles hold, on the map's element (data-puntos-alianzas): what a
  // click can find now.
  contarPuntos(mapa = this._map) {
    let n = 0;
    for (const d of this.datos.values()) if (d.z >= ZOOM_PUNTOS) n += d.rasgos.length;
    mapa.getContainer().dataset[this.tipo === "alianzas" ? "puntosAlianzas" : "puntosSubproyectos"] = String(n);
  },
  pintar(lienzo, rasgos, dpr) {
    const ctx = lienzo.getContext("2d");
    ctx.scale(dpr, dpr);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#1f2933";
    for (const r of rasgos) {
      ctx.fillStyle = COLOR_ETAPA[r.propiedades.etapa] || "#9aa5b1";
      ctx.beginPath();
      if (this.tipo === "alianzas") ctx.arc(r.x, r.y, RADIO_PUNTO, 0, 2 * Math.PI);
      else ctx.rect(r.x - RADIO_PUNTO, r.y - RADIO_PUNTO, 2 * RADIO_PUNTO, 2 * RADIO_PUNTO);
      ctx.fill();
      ctx.stroke();
    }
  },
  // The record drawn nearest to a place on the map (within TOQUE px), or null.
  enElPunto(latlng) {
    const z = this._tileZoom;
    if (z === undefined || z < ZOOM_PUNTOS || !this._map) return null;
    const px = this._map.project(latlng, z);
    const escala = this._map.getZoomScale(this._map.getZoom(), z);
    const alcance = TOQUE / escala;
    let mejor = null;
    for (const t of this.datos.values()) {
      if (t.z !== z) continue;
      const ox = t.x * 256;
      const oy = t.y * 256;
      if (px.x < ox - alcance || px.x > ox + 256 + alcance || px.y < oy - alcance || px.y > oy + 256 + alcance) continue;
      for (const r of t.rasgos) {
        const d = Math.hypot(ox + r.x - px.x, oy + r.y - px.y);
        if (d <= alcance && (!mejor || d < mejor.d)) mejor = { d, r, latlng: this._map.unproject([ox + r.x, oy + r.y], z) };
      }
    }
    return mejor;
  },
  // The stages drawn in the tiles of this zoom: code -> label.
  etapas() {
    const vistas = new Map();
    for (const t of this.datos.values()) {
      if (t.z !== this._tileZoom || t.z < ZOOM_PUNTOS) continue;
      for (const r of t.rasgos) vistas.set(r.propiedades.etapa, r.propiedades.etapa_nombre);
    }
    return vistas;
  },

  /* ---------- clusters (below ZOOM_PUNTOS) ---------- */
  reagruparPronto() {
    if (this.pendiente) return;
    this.pendiente = requestAnimationFrame(() => { this.pendiente = 0; this.reagrupar(); });
  },
  reagrupar() {
    if (!this._map) return;
    this.grupos.clearLayers();
    const z = this._tileZoom;
    const zoom = this._map.getZoom();
    if (z === undefined || z >= ZOOM_PUNTOS) return this.options.alCambiar();
    const celdas = [];
    for (const t of this.datos.values()) {
      if (t.z !== z) continue;
      for (const r of t.rasgos) {
        const latlng = this._map.unproject([t.x * 256 + r.x, t.y * 256 + r.y], z);
        celdas.push({ latlng, p: this._map.project(latlng, zoom), cantidad: r.propiedades.cantidad || 0,
          familias: r.propiedades.familias || 0 });
      }
    }
    celdas.sort((a, b) => b.cantidad - a.cantidad);
    // No two circles closer than two of the largest radii: they never overlap.
    const lejos = 2 * RADIO_MAX + 2;
    const elegidos = [];
    for (const c of celdas) {
      const g = elegidos.find((e) => Math.abs(e.p.x - c.p.x) < lejos && Math.abs(e.p.y - c.p.y) < lejos
        && e.p.distanceTo(c.p) < lejos);
      if (g) {
        g.cantidad += c.cantidad;
        g.familias += c.familias;
        g.limites.extend(c.latlng);
      } else {
        elegidos.push({ ...c, limites: L.latLngBounds(c.latlng, c.latlng) });
      }
    }
    for (const g of elegidos) this.grupos.addLayer(this.circulo(g));
    this._map.getContainer().dataset[this.tipo === "alianzas" ? "gruposAlianzas" : "gruposSubproyectos"] = String(elegidos.length);
    this.options.alCambiar();
  },
  circulo(g) {
    const r = Math.round(radio(g.cantidad));
    const [uno, varios] = NOMBRE[this.tipo];
    const texto = numero.format(g.cantidad);
    const icono = L.divIcon({
      className: `grupo-puntos grupo-${this.tipo}`,
      html: `<span>${texto}</span>`,  // digits and dots only
      iconSize: [2 * r, 2 * r],
    });
    const titulo = `${texto} ${g.cantidad === 1 ? uno : varios}, ${decimal.format(g.familias)} familias: acercar`;
    const m = L.marker(g.latlng, { icon: icono, title: titulo, alt: titulo, keyboard: true, riseOnHover: true });
    m.cantidad = g.cantidad;
    m.on("add", () => {
      const e = m.getElement();
      e.dataset.cantidad = String(g.cantidad);
      e.dataset.familias = String(g.familias);
      e.setAttribute("role", "button");
      e.setAttribute("aria-label", titulo);
      e.style.setProperty("--color-grupo", COLOR_GRUPO[this.tipo]);
      e.style.fontSize = texto.length > 5 ? "10px" : "11px";
    });
    m.on("click", () => {
      const mapa = this._map;
      const limite = mapa.getBoundsZoom(g.limites.pad(0.2));
      const destino = Math.min(Math.max(mapa.getZoom() + 1, limite), ZOOM_PUNTOS);
      mapa.setView(g.limites.getCenter(), destino);
    });
    return m;
  },
});

/* ---------- the points' legend and the popup ---------- */
const capas = new Set();
let leyenda = null;
let plegada = null;

function dibujarLeyenda(mapa) {
  if (!capas.size) { if (leyenda) { leyenda.remove(); leyenda = null; } return; }
  if (!leyenda) {
    // On a phone the bottom holds the municipal legend and the sheet: the points' goes on top.
    leyenda = L.control({ position: matchMedia("(max-width: 900px)").matches ? "topright" : "bottomleft" });
    leyenda.onAdd = () => {
      const caja = L.DomUtil.create("div", "leyenda leyenda-puntos");
      L.DomEvent.disableClickPropagation(caja);
      return caja;
    };
    leyenda.addTo(mapa);
  }
  if (plegada === null) plegada = matchMedia("(max-width: 900px)").matches;
  const caja = leyenda.getContainer();
  caja.classList.toggle("plegada", plegada);
  const cerca = mapa.getZoom() >= ZOOM_PUNTOS - 0.5;  // the tiles' zoom is the rounded one
  const titulo = nodo("button", cerca ? "Puntos por etapa" : "Grupos de puntos", "titulo-leyenda");
  titulo.type = "button";
  titulo.setAttribute("aria-expanded", String(!plegada));
  titulo.addEventListener("click", () => { plegada = !plegada; dibujarLeyenda(mapa); });
  const filas = [];
  for (const capa of [...capas].sort((a, b) => a.tipo.localeCompare(b.tipo))) {
    const [, varios] = NOMBRE[capa.tipo];
    if (!cerca) {
      const f = nodo("div", null, "fila");
      const m = nodo("span", null, `muestra-grupo grupo-${capa.tipo}`);
      m.style.setProperty("--color-grupo", COLOR_GRUPO[capa.tipo]);
      f.append(m, nodo("span", `${varios[0].toUpperCase()}${varios.slice(1)}: cantidad; clic para acercar`));
      filas.push(f);
      continue;
    }
    filas.push(nodo("p", varios[0].toUpperCase() + varios.slice(1), "subtitulo-leyenda"));
    const etapas = capa.etapas();
    if (!etapas.size) filas.push(nodo("p", "Ninguno en esta vista", "meta"));
    // in the cycle's order (COLOR_ETAPA's), the closed ones last: the colours read as a scale
    const orden = (c) => { const i = ORDEN_ETAPA.indexOf(c); return i < 0 ? ORDEN_ETAPA.length : i; };
    for (const [codigo, nombre] of [...etapas].sort((a, b) => orden(a[0]) - orden(b[0]))) {
      const f = nodo("div", null, "fila");
      const m = nodo("span", null, `muestra-punto punto-${capa.tipo}`);
      m.style.background = COLOR_ETAPA[codigo] || "#9aa5b1";
      f.dataset.etapa = codigo;
      f.append(m, nodo("span", nombre));
      filas.push(f);
    }
  }
  caja.replaceChildren(titulo, ...filas);
}

function abrirFicha(mapa, tipo, hallado, cabeceras) {
  const p = hallado.r.propiedades;
  const caja = nodo("div", null, "ficha-punto");
  caja.dataset.codigo = p.codigo;
  const verificacion = p.estado && p.estado !== "validado" ? ` · ${ESTADOS[p.estado] || "en verificación"}` : "";
  const detalle = nodo("span", null, "meta");
  caja.append(nodo("strong", p.nombre), nodo("br"), nodo("span", `${p.codigo} · ${p.etapa_nombre}${verificacion}`),
    nodo("br"), detalle);
  // The families come with the tile (a popup offline says them too); the municipality is not
  // in it: the record says it, when the line allows.
  if (typeof p.familias === "number") detalle.textContent = `${decimal.format(p.familias)} familias`;
  // Panned clear of the controls along the map's top edge (on a phone the points' legend is
  // there, and a popup near the edge opened under it).
  L.popup({ maxWidth: 280, autoPanPaddingTopLeft: L.point(8, 64) })
    .setLatLng(hallado.latlng).setContent(caja).openOn(mapa);
  if (hallado.r.id === undefined) return;
  fetch(`/api/v1/${tipo}/${hallado.r.id}`, { headers: { ...cabeceras(), Accept: "application/json" } })
    .then((r) => (r.ok ? r.json() : null))
    .then((d) => {
      if (!d) return;
      const partes = [];
      if (typeof d.familias === "number") partes.push(`${decimal.format(d.familias)} familias`);
      const lugar = d.municipio_nombre || d.municipio;
      if (lugar && typeof lugar === "string" && !/^[0-9]+$/.test(lugar)) partes.push(lugar);
      detalle.textContent = partes.join(" · ");
    })
    .catch(() => { /* the popup stands with what the tile said */ });
}

// One capture listener for the map: a click on a drawn point opens its popup and goes no
// further (the municipality under it is not selected).
let escuchando = false;
function escucharClics(mapa, cabeceras) {
  if (escuchando) return;
  escuchando = true;
  mapa.getContainer().addEventListener("click", (e) => {
    if (!capas.size || (mapa.dragging && mapa.dragging.moved())) return;
    if (e.target.closest(".leaflet-marker-icon, .leaflet-popup, .leaflet-control")) return;
    const latlng = mapa.mouseEventToLatLng(e);
    let mejor = null;
    for (const capa of capas) {
      const h = capa.enElPunto(latlng);
      if (h && (!mejor || h.d < mejor.h.d)) mejor = { h, tipo: capa.tipo };
    }
    if (!mejor) return;
    e.stopPropagation();
    abrirFicha(mapa, mejor.tipo, mejor.h, cabeceras);
  }, true);
}

/* The points of one type on the map: returns {quitar()}. ``consulta()`` gives the filters as a
   query string, ``cabeceras()`` the login; when either changes, app.js makes a new layer. */
export function mostrarPuntos(mapa, tipo, consulta, cabeceras) {
  if (!mapa.getPane("puntos")) {
    mapa.createPane("puntos");
    mapa.getPane("puntos").style.zIndex = 440;  // over the municipalities, under the outlines
    mapa.getPane("puntos").style.pointerEvents = "none";
  }
  escucharClics(mapa, cabeceras);
  const capa = new CapaPuntos(tipo, { consulta, cabeceras, alCambiar: () => dibujarLeyenda(mapa) });
  capas.add(capa);
  capa.addTo(mapa);
  dibujarLeyenda(mapa);
  return {
    capa,
    quitar() {
      capa.remove();
      capas.delete(capa);
      dibujarLeyenda(mapa);
    },
  };
}
