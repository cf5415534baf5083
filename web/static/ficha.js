/* The staff workspace's record screen and alliance form (issue 14), in the side panel (#espacio).

   - The record screen shows every field with its label, its verification state and who moved
     it, the history as a readable diff, monitoring cycles, attachments, a small map of its point
     and municipality, and the actions this user may take on it.
   - The form takes its vocabulary from the server (/vocabulario): the stage select offers only
     the moves the cycle allows. The point comes from a tap on the map (then dragged), typed or
     pasted coordinates (decimal "lat, lon" or degrees-minutes-seconds) or the device's GPS; the
     server's locator names the municipality at once or says why not, beside the field.
   - Nothing typed is lost: the draft is kept in localStorage on every keystroke and survives a
     reload and a failed save. Field errors of the server's problem+json appear at their fields.
   - A change is sent with If-Match; when someone else saved meanwhile (412) the form shows what
     changed and lets the user keep theirs, take the other's, or choose field by field.

   The map (`mapa`), Leaflet (`L`), the municipal shapes (`formas`) and `actualizar` belong to
   app.js; this module only reads them. Every text is written with textContent. */

import { ErrorApi, llamar, nodo, usuario } from "/static/api.js";

const espacio = document.getElementById("espacio");
const numero = new Intl.NumberFormat("es-BO", { maximumFractionDigits: 2 });
const DINERO = ["monto_par_comprometido_bs", "monto_contraparte_comprometido_bs", "monto_solicitado_bs",
  "monto_transferido_bs", "monto_descargado_bs"];
// Fields the history does not show: bookkeeping the database writes itself.
const INTERNOS = new Set(["id", "version", "creado_en", "actualizado_en", "alertas", "etapa_alcanzada",
  "cartografia", "geom", "programa_id", "unidad_operativa_codigo", "creado_por", "actualizado_por"]);

let vocabulario = null;
// The vocabulary is kept in this browser too: the forms open with no network.
async function vocab() {
  if (vocabulario) return vocabulario;
  try {
    vocabulario = (await llamar("GET", "/vocabulario")).datos;
    localStorage.setItem("sigg.vocabulario", JSON.stringify(vocabulario));
  } catch (e) {
    const guardado = localStorage.getItem("sigg.vocabulario");
    if (!guardado) throw e;
    vocabulario = JSON.parse(guardado);
  }
  return vocabulario;
}
function etiquetaDe(lista, codigo) {
  const o = (lista || []).find((x) => String(x.codigo) === String(codigo));
  return o ? o.nombre : (codigo === null || codigo === undefined || codigo === "" ? "sin dato" : String(codigo));
}
function fecha(iso) {
  if (!iso) return "sin dato";
  const [a, m, d] = String(iso).slice(0, 10).split("-");
  return `${d}/${m}/${a}`;
}
function momento(iso) {
  if (!iso) return "";
  const t = new Date(iso);
  return t.toLocaleString("es-BO", { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });
}
export function avisar(texto, tipo = "ok") {
  const a = nodo("p", texto, `nota nota-${tipo}`);
  a.setAttribute("role", tipo === "error" ? "alert" : "status");
  return a;
}
function cambiado() {
  document.dispatchEvent(new CustomEvent("sigg:registro-cambiado"));
  if (typeof actualizar === "function") actualizar({ geometria: false });  // app.js
}
function quitarMiniMapa() {
  if (!miniMapa) return;
  try { miniMapa.remove(); } catch (_) { /* a half-built map: its element goes anyway */ }
  miniMapa = null;
}
export function mostrar(...hijos) {
  cerrarEleccion();
  quitarMarcador();
  quitarMiniMapa();
  espacio.replaceChildren(...hijos);
  espacio.hidden = false;
  espacio.scrollTop = 0;
  document.getElementById("lateral").scrollTop = 0;
  espacio.focus({ preventScroll: true });  // the panel scrolls, never the window
}
export function cerrar() {
  cerrarEleccion();
  quitarMarcador();
  quitarMiniMapa();
  espacio.replaceChildren();
  espacio.hidden = true;
}
export function barraTitulo(titulo, subtitulo) {
  const cab = nodo("div", null, "espacio-cabeza");
  const h = nodo("h2", titulo);
  h.id = "espacio-titulo";
  const x = nodo("button", "Cerrar", "enlace");
  x.type = "button";
  x.addEventListener("click", cerrar);
  cab.append(h, x);
  const partes = [cab];
  if (subtitulo) partes.push(nodo("p", subtitulo, "espacio-sub"));
  return partes;
}

/* ---------------- what this user may do ---------------- */
function puedeEscribir(a) {
  const u = usuario();
  if (!u || a.estado === "validado") return false;
  return u.rol === "nacional" || (a.unidad_operativa && a.unidad_operativa.codigo === u.unidad_operativa);
}
const ACCIONES = {  // after ACCIONES_VERIFICACION in geo/vocabulario/catalogos.py
  verificar: { desde: ["registrado", "observado"], roles: ["unidad", "nacional"], nombre: "Verificar", hecho: "verificada" },
  observar: { desde: ["registrado", "verificado"], roles: ["unidad", "nacional"], nombre: "Observar", hecho: "observada", comentario: true },
  validar: { desde: ["verificado"], roles: ["nacional"], nombre: "Validar", hecho: "validada" },
  reabrir: { desde: ["validado"], roles: ["nacional"], nombre: "Reabrir", hecho: "reabierta", comentario: true },
};
function accionesPosibles(a) {
  const u = usuario();
  if (!u) return [];
  const suya = u.rol === "nacional" || (a.unidad_operativa && a.unidad_operativa.codigo === u.unidad_operativa);
  if (!suya) return [];
  return Object.entries(ACCIONES).filter(([, x]) => x.roles.includes(u.rol) && x.desde.includes(a.estado)).map(([k]) => k);
}

/* ---------------- the record screen ---------------- */
let miniMapa = null;
async function abrirFicha(recurso, id) {
  if (recurso !== "alianzas") return abrirSubproyecto(id);
  mostrar(nodo("p", "Cargando la alianza…", "cargando"));
  let a, version;
  try {
    const v = await vocab();
    const r = await llamar("GET", `/alianzas/${id}`);
    a = r.datos; version = r.version;
    const [pasos, historial, seguimientos] = await Promise.all([
      usuario() ? llamar("GET", `/alianzas/${id}/verificacion`).then((x) => x.datos).catch(() => null) : null,
      usuario() ? llamar("GET", `/alianzas/${id}/historial`).then((x) => x.datos).catch(() => null) : null,
      llamar("GET", `/alianzas/${id}/seguimientos`).then((x) => x.datos).catch(() => null),
    ]);
    pintarFicha(v, a, version, pasos, historial, seguimientos);
  } catch (e) {
    if (e.status === 0) {
      const { registroGuardado } = await import("/static/cola.js");
      const a = await registroGuardado(id).catch(() => null);
      if (a) {
        pintarFicha(await vocab(), a, a.version, null, null, { data: [] });
        espacio.querySelector(".resultado-accion").replaceChildren(
          avisar(`Sin conexión: datos guardados en este teléfono el ${momento(a._guardado_en)}.`, "info"));
        return;
      }
    }
    mostrar(...barraTitulo("Alianza"), avisar(e.status === 404 ? "Esta alianza no existe o no está a su alcance." : e.message, "error"));
  }
}

function pintarFicha(v, a, version, pasos, historial, seguimientos) {
  const lugar = [a.municipio && a.municipio.nombre, a.departamento && a.departamento.nombre,
    a.unidad_operativa && `Unidad ${a.unidad_operativa.nombre}`].filter(Boolean).join(" · ");
  const partes = barraTitulo(`${a.codigo} · ${a.nombre}`, lugar);
  const sello = nodo("p", null, "sellos");
  sello.append(nodo("span", etiquetaDe(v.estados, a.estado), `sello estado-${a.estado}`),
    nodo("span", etiquetaDe(v.etapas, a.etapa), "sello"));
  partes.push(sello);
  if (a.observacion) partes.push(nodo("p", `Observación: ${a.observacion}`, "observacion"));
  partes.push(barraAcciones(v, a, version));

  const mapaCaja = nodo("div", null, "mini-mapa");
  mapaCaja.id = "ficha-mapa";
  mapaCaja.setAttribute("role", "img");
  mapaCaja.setAttribute("aria-label", `Ubicación de la alianza en ${a.municipio ? a.municipio.nombre : "sin municipio"}`);
  partes.push(mapaCaja);

  partes.push(nodo("h3", "Datos"));
  const dl = nodo("dl", null, "campos");
  const c = v.campos_alianza;
  const filas = [
    ["codigo", a.codigo], ["nombre", a.nombre], ["organizacion", a.organizacion ? a.organizacion.nombre : null],
    ["comprador", a.comprador], ["sector", etiquetaDe(v.sectores, a.sector)], ["modelo", etiquetaDe(v.modelos, a.modelo)],
    ["financiamiento", etiquetaDe(v.financiamientos, a.financiamiento)], ["convocatoria", a.convocatoria],
    ["etapa", etiquetaDe(v.etapas, a.etapa)], ["fecha_etapa", fecha(a.fecha_etapa)], ["fecha_solicitud", fecha(a.fecha_solicitud)],
    ["familias", a.familias], ["familias_mujeres", a.familias_mujeres], ["hectareas_riego", a.hectareas_riego],
    ...DINERO.map((k) => [k, a[k]]),
    ["municipio_codigo", a.municipio ? `${a.municipio.nombre} (${a.municipio.codigo})` : null],
    ["lat", a.lat], ["lon", a.lon], ["precision_ubicacion", etiquetaDe(v.precisiones, a.precision_ubicacion)],
  ];
  for (const [k, valor] of filas) {
    const dd = nodo("dd", valor === null || valor === undefined || valor === "" ? "sin dato"
      : typeof valor === "number" ? numero.format(valor) : valor);
    if (k === "organizacion" && a.organizacion && usuario()) {
      const b = nodo("button", a.organizacion.nombre, "enlace");
      b.type = "button";
      b.title = "Abrir la ficha de la organización";
      b.addEventListener("click", () => abrirOrganizacion(a.organizacion.id, a));
      dd.replaceChildren(b);
    }
    dl.append(nodo("dt", c[k] || k), dd);
  }
  partes.push(dl);

  if (pasos) {
    partes.push(nodo("h3", "Verificación"));
    if (!pasos.data.length) partes.push(nodo("p", "Sin pasos de verificación registrados.", "vacio"));
    const ol = nodo("ol", null, "pasos");
    for (const p of pasos.data) {
      const li = nodo("li");
      li.append(nodo("strong", `${etiquetaDe(v.estados, p.desde)} → ${etiquetaDe(v.estados, p.hacia)}`),
        nodo("span", ` · ${p.usuario_nombre || p.usuario || ""} · ${momento(p.momento || p.creado_en)}`, "meta"));
      if (p.comentario) li.append(nodo("div", p.comentario, "observacion"));
      ol.append(li);
    }
    partes.push(ol);
  }
  if (seguimientos) {
    const caja = nodo("section", null, "seguimientos");
    caja.id = "ficha-seguimientos";
    pintarSeguimientos(caja, a, seguimientos);
    partes.push(caja);
  }
  const adj = nodo("section", null, "adjuntos");
  adj.id = "ficha-adjuntos";
  partes.push(adj);
  if (historial) partes.push(...pintarHistorial(v, historial));
  mostrar(...partes);
  try { dibujarMiniMapa(mapaCaja, a); } catch (_) { mapaCaja.hidden = true; }
  cargarAdjuntos(adj, "alianzas", a, puedeEscribir(a)).catch(() => { adj.replaceChildren(); });
}

/* ---------------- monitoring cycles (a field visit) ---------------- */
const CAMPOS_SEGUIMIENTO = [
  ["fecha", "Fecha de la visita", "date"],
  ["volumen_vendido", "Volumen vendido", "number"],
  ["unidad_volumen", "Unidad del volumen (kg, litros, cabezas…)", "text"],
  ["precio_bs", "Precio por unidad (Bs)", "number"],
  ["ventas_bs", "Ventas (Bs)", "number"],
  ["costos_bs", "Costos (Bs)", "number"],
  ["ingreso_bs", "Ingreso (Bs; vacío: ventas menos costos)", "number"],
  ["relacion_comercial_mantenida", "¿Se mantiene la relación comercial con el comprador?", "sino"],
  ["medidas_ambientales", "¿Aplica las medidas ambientales?", "sino"],
];
function textoSeguimiento(s) {
  const partes = [];
  for (const [k, etiqueta, tipo] of CAMPOS_SEGUIMIENTO) {
    if (k === "fecha" || s[k] === null || s[k] === undefined) continue;
    const corto = etiqueta.replace(/ \(.*\)$/, "").replace(/^¿|\?$/g, "");
    partes.push(`${corto}: ${tipo === "sino" ? (s[k] ? "sí" : "no") : typeof s[k] === "number" ? numero.format(s[k]) : s[k]}`);
  }
  return partes.join(" · ");
}
function puedeSeguir(a) {
  const u = usuario();
  return Boolean(u) && (u.rol === "nacional" || (a.unidad_operativa && a.unidad_operativa.codigo === u.unidad_operativa));
}
function pintarSeguimientos(caja, a, seguimientos) {
  caja.replaceChildren(nodo("h3", `Ciclos de seguimiento (${seguimientos.data.length})`));
  if (!seguimientos.data.length) caja.append(nodo("p", "Sin ciclos de seguimiento. El ciclo 0 es la línea de base (sin proyecto).", "vacio"));
  for (const s of seguimientos.data) {
    const d = nodo("div", null, "seguimiento");
    d.append(nodo("strong", `Ciclo ${s.ciclo}${s.ciclo === 0 ? " (línea de base)" : ""} · ${fecha(s.fecha)}${s._sin_enviar ? " · sin enviar" : ""}`), nodo("div", textoSeguimiento(s), "meta"));
    caja.append(d);
  }
  if (!puedeSeguir(a)) return;
  const b = nodo("button", "+ Registrar visita de seguimiento", "boton boton-secundario");
  b.type = "button";
  b.addEventListener("click", () => formularioSeguimiento(caja, a, seguimientos));
  caja.append(b);
}
function formularioSeguimiento(caja, a, seguimientos) {
  const siguiente = seguimientos.data.length ? Math.max(...seguimientos.data.map((s) => s.ciclo)) + 1 : 0;
  const form = nodo("form", null, "formulario seguimiento-form");
  form.id = "form-seguimiento";
  form.noValidate = true;
  form.append(nodo("h4", siguiente === 0 ? "Línea de base (ciclo 0)" : `Ciclo ${siguiente}`));
  const ciclo = entrada("number", { min: 0, max: 50, step: 1, value: String(siguiente) });
  campo(form, "ciclo", "Ciclo productivo", ciclo);
  for (const [k, etiqueta, tipo] of CAMPOS_SEGUIMIENTO) {
    let control;
    if (tipo === "sino") control = selector([{ codigo: "true", nombre: "Sí" }, { codigo: "false", nombre: "No" }], "Sin dato");
    else control = entrada(tipo, tipo === "number" ? { min: k === "ingreso_bs" ? undefined : 0, step: 0.01, inputMode: "decimal" } : {});
    campo(form, k, etiqueta, control);
  }
  if (!form.elements.fecha.value) form.elements.fecha.value = new Date().toISOString().slice(0, 10);
  const estado = nodo("div", null, "estado-form");
  estado.setAttribute("aria-live", "polite");
  const pie = nodo("div", null, "pie-form");
  const guardar = nodo("button", "Guardar visita", "boton");
  guardar.type = "submit";
  const cancelar = nodo("button", "Cancelar", "enlace");
  cancelar.type = "button";
  cancelar.addEventListener("click", () => pintarSeguimientos(caja, a, seguimientos));
  pie.append(guardar, cancelar);
  form.append(pie, estado);
  caja.append(form);
  form.elements.fecha.focus({ preventScroll: true });
  llevarA(form);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    limpiarErrores(form);
    const cuerpo = { ciclo: Number(form.elements.ciclo.value) };
    for (const [k, , tipo] of CAMPOS_SEGUIMIENTO) {
      const x = form.elements[k].value.trim();
      if (x === "") continue;
      cuerpo[k] = tipo === "number" ? Number(x) : tipo === "sino" ? x === "true" : x;
    }
    guardar.disabled = true;
    try {
      const r = await llamar("POST", `/alianzas/${a.id}/seguimientos`, { cuerpo,
        encolable: { descripcion: `Visita de seguimiento (ciclo ${cuerpo.ciclo}) de ${a.codigo}`, recurso: "seguimientos" } });
      if (r.encolado) {
        const local = { data: [...seguimientos.data, { ...cuerpo, _sin_enviar: true }] };
        pintarSeguimientos(caja, a, local);
        caja.append(avisar(`Visita (ciclo ${cuerpo.ciclo}) guardada en este teléfono: se enviará cuando vuelva la conexión.`, "info"));
        return;
      }
      const { datos } = await llamar("GET", `/alianzas/${a.id}/seguimientos`);
      pintarSeguimientos(caja, a, datos);
      caja.append(avisar(`Ciclo ${cuerpo.ciclo} registrado.`));
      document.dispatchEvent(new CustomEvent("sigg:registro-cambiado"));
    } catch (err) {
      guardar.disabled = false;
      const errores = (err.problema && err.problema.errores) || [];
      for (const fe of errores) ponerError(form, fe.campo, fe.mensaje);
      if (!errores.length && err.status === 409) ponerError(form, "ciclo", err.message);
      estado.replaceChildren(avisar(errores.length || err.status === 409 ? "Revise los campos marcados: no se guardó nada." : `No se guardó: ${err.message}`, "error"));
      enfocarError(form);
    }
  });
}

function barraAcciones(v, a, version, clase = "alianzas") {
  const barra = nodo("div", null, "acciones-ficha");
  barra.setAttribute("role", "group");
  barra.setAttribute("aria-label", "Acciones");
  const resultado = nodo("div", null, "resultado-accion");
  if (puedeEscribir(a)) {
    const b = nodo("button", "Editar", "boton");
    b.type = "button";
    b.addEventListener("click", () => abrirFormulario(a, version, clase));
    barra.append(b);
  }
  for (const accion of accionesPosibles(a)) {
    const x = ACCIONES[accion];
    const b = nodo("button", x.nombre, "boton boton-secundario");
    b.type = "button";
    b.dataset.accion = accion;
    b.addEventListener("click", () => confirmarAccion(resultado, a, version, accion, clase));
    barra.append(b);
  }
  if (!barra.childElementCount) {
    barra.append(nodo("span", usuario() ? (a.estado === "validado" ? "Validada: solo la coordinación nacional puede reabrirla." : "Sin acciones para su rol en este registro.") : "Vista pública.", "meta"));
  }
  const caja = nodo("div");
  caja.append(barra, resultado);
  return caja;
}

function confirmarAccion(lugar, a, version, accion, clase = "alianzas") {
  const x = ACCIONES[accion];
  const t = TIPOS[clase];
  const f = nodo("form", null, "confirmar");
  f.append(nodo("p", `¿${x.nombre} ${t.este.replace(/^est[ae] /, (m) => (m === "esta " ? "la " : "el "))} ${a.codigo}?`));
  let comentario = null;
  if (x.comentario) {
    const id = `comentario-${accion}`;
    const l = nodo("label", "Observación (obligatoria)");
    l.htmlFor = id;
    comentario = nodo("textarea");
    comentario.id = id;
    comentario.required = true;
    comentario.maxLength = 2000;
    f.append(l, comentario);
  }
  const si = nodo("button", `Sí, ${x.nombre.toLowerCase()}`, "boton");
  si.type = "submit";
  const no = nodo("button", "No", "enlace");
  no.type = "button";
  no.addEventListener("click", () => lugar.replaceChildren());
  f.append(si, no);
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    si.disabled = true;
    try {
      await llamar("POST", `/${clase}/${a.id}/verificacion`, { cuerpo: { accion, comentario: comentario ? comentario.value : null }, version });
      cambiado();
      await abrirFicha(clase, a.id);
      const r = espacio.querySelector(".resultado-accion");
      const hecho = clase === "alianzas" ? x.hecho : x.hecho.replace(/a$/, "o");
      if (r) r.replaceChildren(avisar(`${clase === "alianzas" ? "Alianza" : "Subproyecto"} ${a.codigo} ${hecho}.`));
    } catch (err) {
      si.disabled = false;
      lugar.append(avisar(err.status === 412 ? "Otro usuario cambió el registro mientras lo leía: se volvió a cargar." : err.message, "error"));
      if (err.status === 412) abrirFicha(clase, a.id);
    }
  });
  lugar.replaceChildren(f);
  (comentario || si).focus();
}

function valorLegible(v, campo, x) {
  if (x === null || x === undefined || x === "") return "vacío";
  if (campo === "sector") return etiquetaDe(v.sectores, x);
  if (campo === "modelo") return etiquetaDe(v.modelos, x);
  if (campo === "financiamiento") return etiquetaDe(v.financiamientos, x);
  if (campo === "etapa") return etiquetaDe([...v.etapas, ...v.etapas_subproyecto], x);
  if (campo === "estado") return etiquetaDe(v.estados, x);
  if (campo === "precision_ubicacion") return etiquetaDe(v.precisiones, x);
  if (campo.startsWith("fecha")) return fecha(x);
  if (typeof x === "number") return numero.format(x);
  return String(x);
}
function pintarHistorial(v, historial) {
  const partes = [nodo("h3", `Historial (${historial.cambios.length} cambios)`)];
  const ACCION = { alta: "Alta", cambio: "Cambio", baja: "Baja" };
  const ol = nodo("ol", null, "historial");
  for (const ch of [...historial.cambios].reverse()) {
    const li = nodo("li");
    li.append(nodo("strong", `${ACCION[ch.accion] || ch.accion} · ${ch.usuario || "sistema"} · ${momento(ch.momento)}`));
    const ul = nodo("ul");
    for (const [campo, d] of Object.entries(ch.campos || {})) {
      if (INTERNOS.has(campo)) continue;
      const nombre = v.campos_alianza[campo] || campo;
      ul.append(nodo("li", ch.accion === "alta" ? `${nombre}: ${valorLegible(v, campo, d.despues)}`
        : `${nombre}: ${valorLegible(v, campo, d.antes)} → ${valorLegible(v, campo, d.despues)}`));
    }
    if (ch.accion === "alta") { li.append(nodo("div", `${ul.childElementCount} campos registrados`, "meta")); }
    else li.append(ul);
    ol.append(li);
  }
  partes.push(ol);
  return partes;
}

function dibujarMiniMapa(caja, a) {
  if (typeof L === "undefined") return;
  // No animations: the screen may be replaced (and this map removed) at any moment.
  miniMapa = L.map(caja, { zoomControl: false, attributionControl: false, scrollWheelZoom: false,
    zoomAnimation: false, fadeAnimation: false, markerZoomAnimation: false });
  miniMapa.fitBounds([[-22.9, -69.7], [-9.7, -57.4]], { animate: false });  // a view first: Leaflet draws paths only on a map with one
  let limites = null;
  try {
    const f = a.municipio && typeof formas === "function" ? formas("municipio").features.find((x) => x.id === a.municipio.codigo) : null;
    if (f) {
      const capaMun = L.geoJSON(f, { style: { color: "#12355b", weight: 1.5, fillColor: "#9ecae1", fillOpacity: 0.35 } }).addTo(miniMapa);
      limites = capaMun.getBounds();
    }
  } catch (_) { /* shapes not loaded yet: the point alone */ }
  if (typeof a.lat === "number" && typeof a.lon === "number") {
    L.circleMarker([a.lat, a.lon], { radius: 7, color: "#7c2d12", weight: 2, fillColor: "#f59e0b", fillOpacity: 1 }).addTo(miniMapa);
    if (!limites) miniMapa.setView([a.lat, a.lon], 10, { animate: false });
  }
  if (limites) miniMapa.fitBounds(limites, { padding: [6, 6], animate: false });
}

/* ---------------- attachments (list; upload where allowed) ---------------- */
async function cargarAdjuntos(caja, recurso, registro, editable) {
  const { datos } = await llamar("GET", `/${recurso}/${registro.id}/adjuntos`);
  caja.replaceChildren(nodo("h3", `Adjuntos (${datos.count ?? datos.data.length})`));
  const lista = nodo("ul", null, "lista-adjuntos");
  for (const x of datos.data) lista.append(itemAdjunto(x, recurso, registro, editable, caja));
  if (!datos.data.length) caja.append(nodo("p", "Sin fotos ni documentos.", "vacio"));
  caja.append(lista);
  if (editable) caja.append(subidaAdjunto(recurso, registro, caja));
}
function itemAdjunto(x, recurso, registro, editable, caja) {
  const li = nodo("li", null, x.fuera_de_municipio ? "adjunto marcado" : "adjunto");
  if (x.miniatura_url) {
    const img = nodo("img");
    img.alt = x.nombre;
    img.loading = "lazy";
    miniatura(img, x.miniatura_url);
    li.append(img);
  }
  const texto = nodo("div");
  const enlace = nodo("a", x.nombre);
  enlace.href = "#";
  enlace.addEventListener("click", (e) => { e.preventDefault(); bajar(x.url, x.nombre); });
  const tamano = typeof x.bytes === "number" ? ` · ${numero.format(Math.max(1, Math.round(x.bytes / 1024)))} KB` : "";
  texto.append(enlace, nodo("div", `${x.tipo === "application/pdf" ? "Documento PDF" : "Foto"}${tamano} · ${momento(x.creado_en)}`, "meta"));
  if (x.aviso) texto.append(nodo("div", x.aviso, x.fuera_de_municipio ? "alerta" : "meta"));
  if (editable) {
    const b = nodo("button", "Quitar", "enlace");
    b.type = "button";
    b.addEventListener("click", async () => {
      if (!confirm(`¿Quitar ${x.nombre}?`)) return;
      try { await llamar("DELETE", `/${recurso}/${registro.id}/adjuntos/${x.id}`); await cargarAdjuntos(caja, recurso, registro, editable); }
      catch (e) { caja.append(avisar(e.message, "error")); }
    });
    texto.append(b);
  }
  li.append(texto);
  return li;
}
async function blobDe(url) {
  const r = await fetch(url, { headers: window.sesion ? window.sesion.cabeceras() : {} });
  if (!r.ok) throw new ErrorApi(r.status, await r.json().catch(() => null));
  return r.blob();
}
async function miniatura(img, url) {
  try { img.src = URL.createObjectURL(await blobDe(url)); } catch (_) { img.alt = "miniatura no disponible"; }
}
async function bajar(url, nombre) {
  const a = nodo("a");
  a.href = URL.createObjectURL(await blobDe(url));
  a.download = nombre;
  document.body.append(a);
  a.click();
  a.remove();
}
function subidaAdjunto(recurso, registro, caja) {
  const f = nodo("form", null, "subida");
  const id = `adjunto-${recurso}-${registro.id}`;
  const l = nodo("label", "Adjuntar foto o documento (JPEG, PNG, HEIC o PDF; hasta 20 MB)");
  l.htmlFor = id;
  const entrada = nodo("input");
  entrada.type = "file";
  entrada.id = id;
  entrada.name = "archivo";
  entrada.accept = "image/jpeg,image/png,image/heic,image/heif,application/pdf,.heic,.heif";
  entrada.multiple = true;
  const estado = nodo("p", null, "meta");
  estado.setAttribute("role", "status");
  f.append(l, entrada, estado);
  entrada.addEventListener("change", async () => {
    const errores = [];
    const guardados = [];
    let hechos = 0;
    for (const archivo of entrada.files) {
      estado.textContent = `Subiendo ${archivo.name}…`;
      const datos = new FormData();
      datos.append("archivo", archivo, archivo.name);
      try {
        const r = await llamar("POST", `/${recurso}/${registro.id}/adjuntos`, { cuerpo: datos,
          encolable: { archivo, descripcion: `Archivo ${archivo.name} de ${registro.codigo || "un registro sin enviar"}`, recurso: "adjuntos" } });
        if (r.encolado) guardados.push(archivo.name); else hechos += 1;
      } catch (e) { errores.push(`${archivo.name}: ${e.message}`); }
    }
    if (guardados.length) {
      estado.textContent = "";
      caja.append(avisar(`${guardados.join(", ")}: guardado en este teléfono; se enviará cuando vuelva la conexión.`, "info"));
      return;
    }
    await cargarAdjuntos(caja, recurso, registro, true);
    if (hechos) caja.append(avisar(`${hechos} ${hechos === 1 ? "archivo adjuntado" : "archivos adjuntados"}.`));
    for (const m of errores) caja.append(avisar(m, "error"));
  });
  return f;
}

/* ---------------- a record saved on this phone, not sent yet ---------------- */
export async function fichaLocal(op, { base, provisional } = {}) {
  const v = await vocab();
  const clase = op.recurso === "subproyectos" ? "subproyectos" : "alianzas";
  const t = TIPOS[clase];
  const d = { ...(base || {}), ...(op.cuerpo || {}) };
  const partes = barraTitulo(`${d.codigo || ""} · ${d.nombre || ""}`, provisional || "");
  const sello = nodo("p", null, "sellos");
  sello.append(nodo("span", "Sin enviar", "sello estado-registrado"));
  partes.push(sello);
  partes.push(avisar(op.local ? `${t.este.replace(/^./, (m) => m.toUpperCase())} quedó guardad${t.lo === "la" ? "a" : "o"} en este teléfono: se enviará cuando vuelva la conexión.`
    : "Los cambios quedaron guardados en este teléfono: se enviarán cuando vuelva la conexión.", "info"));
  const dl = nodo("dl", null, "campos");
  for (const [k, x] of Object.entries(op.cuerpo || {})) {
    if (x === null || x === "" || typeof x === "object") continue;
    dl.append(nodo("dt", t.etiquetas(v)[k] || v.campos_alianza[k] || k), nodo("dd", valorLegible(v, k, x)));
  }
  partes.push(dl);
  const u = usuario();
  const registro = { id: op.local || (base && base.id), codigo: d.codigo, unidad_operativa: base ? base.unidad_operativa : { codigo: u && u.unidad_operativa } };
  if (clase === "alianzas" && registro.id) {
    const caja = nodo("section", null, "seguimientos");
    caja.id = "ficha-seguimientos";
    pintarSeguimientos(caja, registro, { data: [] });
    partes.push(caja);
  }
  const adj = nodo("section", null, "adjuntos");
  adj.id = "ficha-adjuntos";
  adj.append(nodo("h3", "Adjuntos"), subidaAdjunto(clase, registro, adj));
  partes.push(adj);
  mostrar(...partes);
}

/* ---------------- a producer organization: its screen and its form ---------------- */
function sino(x) { return x === true ? "Sí" : x === false ? "No" : "sin dato"; }
async function abrirOrganizacion(id, desde, mensaje) {
  mostrar(nodo("p", "Cargando la organización…", "cargando"));
  try {
    const { datos: o, version } = await llamar("GET", `/organizaciones/${id}`);
    const partes = barraTitulo(o.nombre, "Organización de productores (OPP)");
    if (mensaje) partes.push(avisar(mensaje));
    const dl = nodo("dl", null, "campos");
    for (const [etiqueta, valor] of [["Nombre", o.nombre], ["Con personería jurídica", sino(o.formalizada)],
      ["Familias miembro", o.familias_miembro === null ? "sin dato" : numero.format(o.familias_miembro)],
      ["Alianzas", numero.format(o.n_alianzas)]]) dl.append(nodo("dt", etiqueta), nodo("dd", valor));
    partes.push(dl);
    const form = nodo("form", null, "formulario");
    form.id = "form-organizacion";
    form.noValidate = true;
    form.append(nodo("h3", "Corregir"));
    campo(form, "nombre", "Nombre *", entrada("text", { maxLength: 500, value: o.nombre }));
    const formal = campo(form, "formalizada", "Con personería jurídica", selector([{ codigo: "true", nombre: "Sí" }, { codigo: "false", nombre: "No" }], "Sin dato"));
    formal.value = o.formalizada === null ? "" : String(o.formalizada);
    campo(form, "familias_miembro", "Familias miembro", entrada("number", { ...numeroEntero, value: o.familias_miembro ?? "" }));
    const estado = nodo("div", null, "estado-form");
    estado.setAttribute("aria-live", "polite");
    const pie = nodo("div", null, "pie-form");
    const guardar = nodo("button", "Guardar organización", "boton");
    guardar.type = "submit";
    pie.append(guardar);
    if (desde) {
      const volver = nodo("button", `Volver a ${desde.codigo}`, "enlace");
      volver.type = "button";
      volver.addEventListener("click", () => abrirFicha("alianzas", desde.id));
      pie.append(volver);
    }
    form.append(pie, estado);
    partes.push(form);
    mostrar(...partes);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      limpiarErrores(form);
      const cambios = {};
      const nombre = form.elements.nombre.value.trim();
      if (nombre !== o.nombre) cambios.nombre = nombre;
      const f = form.elements.formalizada.value;
      const fv = f === "" ? null : f === "true";
      if (fv !== o.formalizada) cambios.formalizada = fv;
      const n = form.elements.familias_miembro.value.trim();
      const nv = n === "" ? null : Number(n);
      if (nv !== o.familias_miembro) cambios.familias_miembro = nv;
      if (!Object.keys(cambios).length) { estado.replaceChildren(avisar("No hay cambios que guardar.", "info")); return; }
      guardar.disabled = true;
      try {
        await llamar("PATCH", `/organizaciones/${o.id}`, { cuerpo: cambios, version });
        cambiado();
        await abrirOrganizacion(o.id, desde, "Organización guardada.");
      } catch (err) {
        guardar.disabled = false;
        const errores = (err.problema && err.problema.errores) || [];
        for (const fe of errores) ponerError(form, fe.campo, fe.mensaje);
        estado.replaceChildren(avisar(err.status === 412 ? "Otra persona cambió la organización mientras la leía: vuelva a abrirla (no se guardó nada)."
          : errores.length ? "Revise los campos marcados: no se guardó nada." : `No se guardó: ${err.message}`, "error"));
        if (errores.length) enfocarError(form);
      }
    });
  } catch (e) {
    mostrar(...barraTitulo("Organización"), avisar(e.status === 404 ? "Esta organización no existe o no está a su alcance." : e.message, "error"));
  }
}

/* ---------------- the record screen of a subproject ---------------- */
async function abrirSubproyecto(id) {
  mostrar(nodo("p", "Cargando el subproyecto…", "cargando"));
  try {
    const v = await vocab();
    const { datos: s, version } = await llamar("GET", `/subproyectos/${id}`);
    const partes = barraTitulo(`${s.codigo} · ${s.nombre}`, [s.municipio && s.municipio.nombre, s.unidad_operativa && `Unidad ${s.unidad_operativa.nombre}`].filter(Boolean).join(" · "));
    const sello = nodo("p", null, "sellos");
    sello.append(nodo("span", etiquetaDe(v.estados, s.estado), `sello estado-${s.estado}`), nodo("span", etiquetaDe(v.etapas_subproyecto, s.etapa), "sello"));
    partes.push(sello);
    if (s.observacion) partes.push(nodo("p", `Observación: ${s.observacion}`, "observacion"));
    partes.push(barraAcciones(v, s, version, "subproyectos"));
    const dl = nodo("dl", null, "campos");
    for (const [k, x] of Object.entries(s)) {
      if (INTERNOS.has(k) || x === null || typeof x === "object" || ["codigo", "nombre", "estado", "etapa", "programa"].includes(k)) continue;
      dl.append(nodo("dt", v.campos_subproyecto[k] || v.campos_alianza[k] || k), nodo("dd", valorLegible(v, k, x)));
    }
    dl.append(nodo("dt", "Alianzas a las que sirve"), nodo("dd", (s.alianzas || []).join(", ") || "ninguna"));
    partes.push(dl);
    const adj = nodo("section", null, "adjuntos");
    partes.push(adj);
    mostrar(...partes);
    cargarAdjuntos(adj, "subproyectos", s, puedeEscribir(s)).catch(() => adj.replaceChildren());
  } catch (e) {
    mostrar(...barraTitulo("Subproyecto"), avisar(e.status === 404 ? "Este subproyecto no existe o no está a su alcance." : e.message, "error"));
  }
}

/* ---------------- coordinates ---------------- */
// "lat, lon" in decimal degrees, or two degrees-minutes-seconds parts with their hemisphere
// (N/S for latitude, E/W/O for longitude), in either order.
export function leerCoordenadas(texto) {
  const t = texto.trim().replace(/[′’']/g, "'").replace(/[″”"]/g, '"').replace(/''/g, '"');
  const dms = /(\d+(?:[.,]\d+)?)\s*[°º:\s]\s*(?:(\d+(?:[.,]\d+)?)\s*['\s:]?\s*)?(?:(\d+(?:[.,]\d+)?)\s*"?\s*)?([NSEWO])/gi;
  const partes = [...t.matchAll(dms)];
  if (partes.length === 2) {
    const r = {};
    for (const p of partes) {
      const n = (x) => (x ? parseFloat(x.replace(",", ".")) : 0);
      const [g, m, s] = [n(p[1]), n(p[2]), n(p[3])];
      if (m >= 60 || s >= 60) throw new Error("los minutos y segundos van de 0 a 59");
      let valor = g + m / 60 + s / 3600;
      const h = p[4].toUpperCase();
      if (h === "S" || h === "W" || h === "O") valor = -valor;
      if (h === "N" || h === "S") r.lat = valor; else r.lon = valor;
    }
    if (r.lat === undefined || r.lon === undefined) throw new Error("indique una latitud (N/S) y una longitud (E/O)");
    return { lat: +r.lat.toFixed(6), lon: +r.lon.toFixed(6) };
  }
  const d = t.match(/^(-?\d+(?:\.\d+)?)\s*[,;\s]\s*(-?\d+(?:\.\d+)?)$/);
  if (d) return { lat: parseFloat(d[1]), lon: parseFloat(d[2]) };
  throw new Error("escriba «latitud, longitud» en grados decimales (p. ej. -22.02, -63.68) o en grados, minutos y segundos (22°01'12\"S 63°40'48\"O)");
}
function precisionPorExactitud(metros) {
  if (metros <= 100) return 1;
  if (metros <= 25000) return 2;
  return 3;
}

/* ---------------- a municipality proposed with no network ---------------- */
// Even-odd ray casting over the municipal shapes the page already holds (app.js `formas`):
// enough to propose a municipality offline; the server's locator decides on sync.
function dentroDeAnillo(x, y, anillo) {
  let dentro = false;
  for (let i = 0, j = anillo.length - 1; i < anillo.length; j = i++) {
    const [xi, yi] = anillo[i];
    const [xj, yj] = anillo[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) dentro = !dentro;
  }
  return dentro;
}
function municipioLocal(lat, lon) {
  if (typeof formas !== "function") return null;
  let fc;
  try { fc = formas("municipio"); } catch (_) { return null; }
  for (const f of fc.features) {
    const g = f.geometry;
    const poligonos = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    const cae = poligonos.some((p) => dentroDeAnillo(lon, lat, p[0]) && !p.slice(1).some((h) => dentroDeAnillo(lon, lat, h)));
    if (cae) return { codigo: f.id, nombre: f.properties.nombre };
  }
  return null;
}

/* ---------------- the point picker over the main map ---------------- */
let eleccion = null;  // the sheet over the map while a point is being chosen
let marcador = null;  // the form's point on the main map
function quitarMarcador() { if (marcador) { marcador.remove(); marcador = null; } }
function cerrarEleccion() {
  if (!eleccion) return;
  eleccion.capa.remove();
  if (eleccion.banda) eleccion.banda.remove();
  document.getElementById("mapa").classList.remove("eligiendo");
  eleccion = null;
}
function elegirEnMapa(alElegir) {
  cerrarEleccion();
  // A transparent sheet over the choropleth takes the taps: a tap places the point instead of
  // drilling into the municipality under it.
  mapa.createPane("eleccion");
  mapa.getPane("eleccion").style.zIndex = 640;
  const capa = L.rectangle([[-60, -120], [20, -20]], { pane: "eleccion", stroke: false, fillOpacity: 0, interactive: true }).addTo(mapa);
  const banda = nodo("div", "Toque el lugar de la alianza en el mapa", "banda-eleccion");
  banda.setAttribute("role", "status");
  const cancelar = nodo("button", "Terminar", "boton");
  cancelar.type = "button";
  cancelar.addEventListener("click", () => { cerrarEleccion(); document.getElementById("f-coordenadas").focus(); });
  banda.append(cancelar);
  document.getElementById("vista").append(banda);
  document.getElementById("mapa").classList.add("eligiendo");
  capa.on("click", (e) => alElegir(e.latlng.lat, e.latlng.lng));
  eleccion = { capa, banda };
  if (matchMedia("(max-width: 900px)").matches) document.getElementById("vista").scrollIntoView();
}

/* ---------------- the forms of a located record (alliance, subproject) ---------------- */
const CLAVE_BORRADOR = (t, id) => `sigg.borrador.${t.singular}.${id || "nueva"}`;
function leerBorrador(t, id) {
  try { return JSON.parse(localStorage.getItem(CLAVE_BORRADOR(t, id)) || "null"); } catch (_) { return null; }
}
function campo(form, nombre, etiqueta, control, ayuda) {
  const caja = nodo("div", null, "campo-form");
  caja.dataset.campo = nombre;
  const l = nodo("label", etiqueta);
  l.htmlFor = `f-${nombre}`;
  control.id = `f-${nombre}`;
  control.name = nombre;
  const error = nodo("p", null, "error-campo");
  error.id = `f-${nombre}-error`;
  control.setAttribute("aria-describedby", error.id);
  caja.append(l, control);
  if (ayuda) caja.append(nodo("p", ayuda, "ayuda"));
  caja.append(error);
  form.append(caja);
  return control;
}
function entrada(tipo, extra = {}) {
  const e = nodo("input");
  e.type = tipo;
  Object.assign(e, extra);
  return e;
}
function selector(opciones, vacio) {
  const s = nodo("select");
  if (vacio) s.append(new Option(vacio, ""));
  for (const o of opciones) s.append(new Option(o.nombre, o.codigo));
  return s;
}
function comoTexto(a, claves) {  // a record as the form's values (strings)
  const x = {};
  for (const k of claves) x[k] = a[k] === null || a[k] === undefined ? "" : String(a[k]);
  return x;
}
const DINERO_SP = ["monto_empoderar_comprometido_bs", "monto_contraparte_comprometido_bs",
  "monto_empoderar_ejecutado_bs", "monto_contraparte_ejecutado_bs"];
const NUMERICOS = new Set(["modelo", "familias", "familias_mujeres", "hectareas_riego", ...DINERO, ...DINERO_SP, "lat", "lon", "precision_ubicacion"]);
const numeroEntero = { min: 0, step: 1, inputMode: "numeric" };
const numeroDecimal = { min: 0, step: 0.01, inputMode: "decimal" };
// The stages offered: any for a new record (historical data); for a change, the current one and
// the moves the cycle allows from it.
function etapasPosibles(lista, registro) {
  if (!registro) return lista;
  const actual = lista.find((x) => x.codigo === registro.etapa) || { siguientes: [] };
  return lista.filter((e) => e.codigo === registro.etapa || actual.siguientes.includes(e.codigo));
}
// What differs between an alliance and a subproject in their forms; the rest (the point, the
// draft, the errors, the conflict) is one code.
const TIPOS = {
  alianzas: {
    singular: "alianza", este: "esta alianza", lo: "la", formId: "form-alianza", nuevo: "Nueva alianza", guardar: "Guardar alianza",
    hecho: (c) => `Alianza ${c} registrada. Ya puede adjuntar fotos y documentos.`,
    etiquetas: (v) => v.campos_alianza,
    inicial: { precision_ubicacion: "1", etapa: "solicitud" },
    valores(a) {
      const x = comoTexto(a, ["codigo", "nombre", "comprador", "sector", "modelo", "financiamiento", "convocatoria", "etapa",
        "fecha_etapa", "fecha_solicitud", "familias", "familias_mujeres", "hectareas_riego", ...DINERO, "lat", "lon", "precision_ubicacion"]);
      x.organizacion = a.organizacion ? a.organizacion.nombre || "" : "";
      return x;
    },
    campos(form, v, registro) {
      const c = v.campos_alianza;
      if (!registro) campo(form, "codigo", "Código *", entrada("text", { required: true, maxLength: 64, autocomplete: "off" }), "p. ej. CHACO-3-0012");
      campo(form, "nombre", "Nombre de la alianza *", entrada("text", { required: true, maxLength: 500 }));
      campo(form, "organizacion", c.organizacion, entrada("text", { maxLength: 500 }));
      campo(form, "comprador", c.comprador, entrada("text", { maxLength: 500 }));
      campo(form, "sector", "Sector *", selector(v.sectores, "Elija…"));
      campo(form, "modelo", "Modelo *", selector(v.modelos.map((m) => ({ codigo: m.codigo, nombre: `${m.codigo} · ${m.nombre}` })), "Elija…"));
      campo(form, "financiamiento", "Financiamiento *", selector(v.financiamientos, "Elija…"));
      campo(form, "convocatoria", c.convocatoria, entrada("text", { maxLength: 32, inputMode: "numeric" }));
      campo(form, "etapa", c.etapa, selector(etapasPosibles(v.etapas, registro)), registro ? "Solo las etapas a las que el ciclo permite pasar." : null);
      campo(form, "fecha_etapa", c.fecha_etapa, entrada("date"));
      campo(form, "fecha_solicitud", c.fecha_solicitud, entrada("date"));
      campo(form, "familias", c.familias, entrada("number", numeroEntero));
      campo(form, "familias_mujeres", c.familias_mujeres, entrada("number", numeroEntero));
      campo(form, "hectareas_riego", c.hectareas_riego, entrada("number", numeroDecimal));
      for (const k of DINERO) campo(form, k, c[k], entrada("number", numeroDecimal));
    },
    comprobar(x, registro) {
      const faltan = [];
      if (!registro && !x.codigo) faltan.push(["codigo", "Escriba el código de la alianza."]);
      if (!x.nombre) faltan.push(["nombre", "Escriba el nombre."]);
      for (const k of ["sector", "modelo", "financiamiento"]) if (!x[k]) faltan.push([k, "Elija una opción."]);
      if (x.familias_mujeres && x.familias && Number(x.familias_mujeres) > Number(x.familias)) {
        faltan.push(["familias_mujeres", `No puede superar las familias (${x.familias}).`]);
      }
      return faltan;
    },
  },
  subproyectos: {
    singular: "subproyecto", este: "este subproyecto", lo: "lo", formId: "form-subproyecto", nuevo: "Nuevo subproyecto municipal", guardar: "Guardar subproyecto",
    hecho: (c) => `Subproyecto ${c} registrado. Ya puede adjuntar fotos y documentos.`,
    etiquetas: (v) => v.campos_subproyecto,
    inicial: { precision_ubicacion: "1", etapa: "evaluacion_fps" },
    valores(a) {
      const x = comoTexto(a, ["codigo", "nombre", "tipo_obra", "etapa", "familias", ...DINERO_SP, "lat", "lon", "precision_ubicacion"]);
      x.alianzas = (a.alianzas || []).join(", ");
      return x;
    },
    campos(form, v, registro) {
      const c = v.campos_subproyecto;
      if (!registro) campo(form, "codigo", "Código *", entrada("text", { required: true, maxLength: 64, autocomplete: "off" }), "p. ej. FPS-120");
      campo(form, "nombre", "Nombre del subproyecto *", entrada("text", { required: true, maxLength: 500 }));
      campo(form, "tipo_obra", c.tipo_obra, entrada("text", { maxLength: 200, placeholder: "riego, camino, puente…" }));
      campo(form, "etapa", c.etapa, selector(etapasPosibles(v.etapas_subproyecto, registro)), registro ? "Solo las etapas a las que el ciclo permite pasar." : null);
      campo(form, "familias", c.familias, entrada("number", numeroEntero));
      for (const k of DINERO_SP) campo(form, k, c[k], entrada("number", numeroDecimal));
      campo(form, "alianzas", "Alianzas a las que sirve (códigos, separados por comas)", entrada("text", { autocomplete: "off", placeholder: "CHACO-1-0005, CHACO-1-0009" }));
    },
    comprobar(x, registro) {
      const faltan = [];
      if (!registro && !x.codigo) faltan.push(["codigo", "Escriba el código del subproyecto."]);
      if (!x.nombre) faltan.push(["nombre", "Escriba el nombre."]);
      return faltan;
    },
  },
};
function aCuerpo(valores, base) {
  // Only what changed (editing) or what was filled (new): the server keeps the rest.
  const c = {};
  for (const [k, v] of Object.entries(valores)) {
    if (base && (base[k] ?? "") === v) continue;
    if (v === "" && !base) continue;
    if (k === "alianzas") { c[k] = v.split(/[,;\s]+/).map((x) => x.trim()).filter(Boolean); continue; }
    c[k] = v === "" ? null : NUMERICOS.has(k) ? Number(v) : v;
  }
  if (("lat" in c || "lon" in c) && base) { c.lat = Number(valores.lat); c.lon = Number(valores.lon); }
  return c;
}

async function abrirFormulario(registro, version, clase = "alianzas") {
  const v = await vocab();
  const t = TIPOS[clase];
  const id = registro ? registro.id : null;
  const base = registro ? t.valores(registro) : null;
  const borrador = leerBorrador(t, id);
  const partes = barraTitulo(registro ? `Editar ${registro.codigo}` : t.nuevo,
    registro ? `Los cambios vuelven el registro a «Registrado» para que su unidad lo verifique.` : "Queda «Registrado» para que su unidad lo verifique.");
  const form = nodo("form", null, "formulario");
  form.noValidate = true;
  form.id = t.formId;
  const recuperado = nodo("div");
  form.append(recuperado);
  t.campos(form, v, registro);


  // The point: one block with the picker, the typed coordinates, the GPS and the locator's answer.
  const ubic = nodo("fieldset", null, "ubicacion");
  ubic.append(nodo("legend", "Ubicación *"));
  const botones = nodo("div", null, "botones-ubicacion");
  const bMapa = nodo("button", "Marcar en el mapa", "boton");
  bMapa.type = "button";
  const bGps = nodo("button", "Usar mi GPS", "boton boton-secundario");
  bGps.type = "button";
  botones.append(bMapa, bGps);
  ubic.append(botones);
  form.append(ubic);
  const coord = campo(ubic, "coordenadas", "Coordenadas (latitud, longitud)", entrada("text", { autocomplete: "off", placeholder: "-22.02, -63.68  o  22°01'12\"S 63°40'48\"O" }),
    "Pegue o escriba; también en grados, minutos y segundos.");
  coord.name = "";  // not a field of the record: lat and lon are
  const lat = entrada("hidden", { name: "lat", id: "f-lat" });
  const lon = entrada("hidden", { name: "lon", id: "f-lon" });
  ubic.append(lat, lon);
  // 1 or 2 only: a point given here is never "the municipality's" (3) or "the department's" (4)
  campo(ubic, "precision_ubicacion", v.campos_alianza.precision_ubicacion, selector(v.precisiones.filter((x) => ["1", "2"].includes(x.codigo))));
  const lugar = nodo("div", null, "lugar");
  lugar.id = "f-lugar";
  lugar.setAttribute("role", "status");
  ubic.append(lugar);

  const pie = nodo("div", null, "pie-form");
  const guardar = nodo("button", registro ? "Guardar cambios" : t.guardar, "boton");
  guardar.type = "submit";
  const descartar = nodo("button", "Descartar borrador", "enlace");
  descartar.type = "button";
  const estadoForm = nodo("div", null, "estado-form");
  estadoForm.setAttribute("aria-live", "polite");
  pie.append(guardar, descartar);
  form.append(pie, estadoForm);
  partes.push(form);
  mostrar(...partes);

  // values: the draft if there is one, else the record (or nothing)
  const inicial = borrador ? borrador.valores : (base || t.inicial);
  for (const [k, x] of Object.entries(inicial)) if (form.elements[k]) form.elements[k].value = x;
  if (inicial.lat && inicial.lon) coord.value = `${inicial.lat}, ${inicial.lon}`;
  let versionBase = borrador && registro ? borrador.version : version;
  let baseActual = borrador && registro ? borrador.base : base;
  if (borrador) {
    const r = avisar(`Se recuperó un borrador sin guardar del ${momento(borrador.guardado_en)}.`, "info");
    recuperado.append(r);
  }
  const valores = () => {
    const x = {};
    for (const e of form.elements) if (e.name && e.type !== "submit" && e.type !== "button") x[e.name] = e.value.trim();
    return x;
  };
  const guardarBorrador = () => {
    localStorage.setItem(CLAVE_BORRADOR(t, id), JSON.stringify({ valores: valores(), base: baseActual, version: versionBase, guardado_en: new Date().toISOString() }));
  };
  form.addEventListener("input", guardarBorrador);
  form.addEventListener("change", guardarBorrador);
  descartar.addEventListener("click", () => {
    localStorage.removeItem(CLAVE_BORRADOR(t, id));
    if (registro) abrirFicha(clase, registro.id); else cerrar();
  });

  let turnoUbicar = 0;
  async function ponerPunto(la, lo, { origen } = {}) {
    lat.value = String(+la.toFixed(6));
    lon.value = String(+lo.toFixed(6));
    if (origen !== "texto") coord.value = coord.dataset.leido = `${lat.value}, ${lon.value}`;
    limpiarError(form, "coordenadas");
    if (marcador) marcador.setLatLng([la, lo]);
    else {
      marcador = L.marker([la, lo], { draggable: true, title: `Punto del registro`, keyboard: false }).addTo(mapa);
      marcador.on("dragend", () => { const p = marcador.getLatLng(); ponerPunto(p.lat, p.lng); });
    }
    guardarBorrador();
    const mio = ++turnoUbicar;
    lugar.replaceChildren(nodo("span", "Buscando el municipio…", "meta"));
    try {
      const { datos: u } = await llamar("GET", `/territorio/ubicar?lon=${lo}&lat=${la}`);
      if (mio !== turnoUbicar) return;
      lugar.replaceChildren(nodo("strong", [u.municipio.nombre, u.provincia.nombre, u.departamento.nombre, `Unidad ${u.unidad_operativa.nombre}`].join(" · ")));
      lugar.dataset.municipio = u.municipio.codigo;
      if (u.aproximado) lugar.append(nodo("div", `A ${numero.format(u.distancia_m)} m del límite: se asigna el municipio más cercano.`, "meta"));
      const yo = usuario();
      if (yo && yo.rol !== "nacional" && u.unidad_operativa.codigo !== yo.unidad_operativa) {
        lugar.append(nodo("div", `Este punto es de la unidad ${u.unidad_operativa.nombre}: su cuenta solo registra en su unidad.`, "alerta"));
      }
    } catch (e) {
      if (mio !== turnoUbicar) return;
      delete lugar.dataset.municipio;
      delete lugar.dataset.provisional;
      lugar.replaceChildren();
      if (e.status === 0) {  // no network: the shapes this browser holds propose one
        const m = municipioLocal(la, lo);
        if (m) {
          lugar.dataset.provisional = "1";
          lugar.append(nodo("strong", `${m.nombre} (provisional)`),
            nodo("div", "Sin conexión: el municipio sale de los límites guardados en este teléfono; el servidor lo confirma al enviar.", "meta"));
          return;
        }
      }
      ponerError(form, "coordenadas", e.message);
      const s = e.problema && e.problema.sugerencia;
      if (s) {
        const b = nodo("button", `¿Quiso decir ${s.lat}, ${s.lon} (${s.municipio.nombre})?`, "boton boton-secundario");
        b.type = "button";
        b.addEventListener("click", () => ponerPunto(s.lat, s.lon));
        document.getElementById("f-coordenadas-error").append(nodo("br"), b);
      }
    }
  }
  if (lat.value && lon.value) ponerPunto(Number(lat.value), Number(lon.value));
  bMapa.addEventListener("click", () => elegirEnMapa((la, lo) => {
    ponerPunto(la, lo);
    form.elements.precision_ubicacion.value = "1";
  }));
  coord.addEventListener("change", () => {
    // once per text: leaving the field after an Enter must not place the same point again
    // (and wipe the "¿quiso decir…?" button the user is about to press)
    if (!coord.value.trim() || coord.value === coord.dataset.leido) return;
    coord.dataset.leido = coord.value;
    try { const p = leerCoordenadas(coord.value); ponerPunto(p.lat, p.lon, { origen: "texto" }); if (marcador) mapa.setView([p.lat, p.lon], Math.max(mapa.getZoom(), 9)); }
    catch (e) { ponerError(form, "coordenadas", e.message); }
  });
  bGps.addEventListener("click", () => {
    if (!navigator.geolocation) { ponerError(form, "coordenadas", "Este dispositivo no ofrece GPS al navegador."); return; }
    lugar.replaceChildren(nodo("span", "Leyendo el GPS…", "meta"));
    navigator.geolocation.getCurrentPosition((p) => {
      form.elements.precision_ubicacion.value = String(precisionPorExactitud(p.coords.accuracy));
      ponerPunto(p.coords.latitude, p.coords.longitude);
      mapa.setView([p.coords.latitude, p.coords.longitude], 12);
      lugar.append(nodo("div", `GPS: exactitud ±${numero.format(Math.round(p.coords.accuracy))} m`, "meta"));
    }, (err) => {
      lugar.replaceChildren();
      ponerError(form, "coordenadas", err.code === 1 ? "El navegador no dio permiso para usar la ubicación." : "No se pudo leer el GPS; marque el punto en el mapa.");
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    limpiarErrores(form);
    const x = valores();
    // what the browser can tell at once; the server checks everything again
    const faltan = t.comprobar(x, registro);
    if (!x.lat || !x.lon) faltan.push(["coordenadas", "Marque el punto en el mapa, escriba sus coordenadas o use el GPS."]);
    if (faltan.length) { for (const [k, m] of faltan) ponerError(form, k, m); enfocarError(form); return; }
    guardar.disabled = true;
    estadoForm.replaceChildren(nodo("span", "Guardando…", "meta"));
    try {
      let r;
      if (registro) {
        const cuerpo = aCuerpo(x, baseActual);
        if (!Object.keys(cuerpo).length) { estadoForm.replaceChildren(avisar("No hay cambios que guardar.", "info")); guardar.disabled = false; return; }
        r = await llamar("PATCH", `/${clase}/${registro.id}`, { cuerpo, version: versionBase,
          encolable: { descripcion: `Cambios en ${registro.codigo}`, recurso: clase } });
      } else {
        const programa = (document.getElementById("programa") || {}).value || "PAR2";
        r = await llamar("POST", `/${clase}?programa=${encodeURIComponent(programa)}`, { cuerpo: aCuerpo(x, null),
          encolable: { descripcion: `${t.nuevo}: ${x.codigo} · ${x.nombre}`, recurso: clase, crea: true } });
      }
      localStorage.removeItem(CLAVE_BORRADOR(t, id));
      if (r.encolado) {
        const provisional = lugar.dataset.provisional ? lugar.textContent : null;
        return fichaLocal(r.op, { base: registro, provisional });
      }
      cambiado();
      await abrirFicha(clase, r.datos.id);
      const lugarAviso = espacio.querySelector(".resultado-accion");
      if (lugarAviso) lugarAviso.replaceChildren(avisar(registro ? `Cambios guardados en ${r.datos.codigo}.` : t.hecho(r.datos.codigo)));
    } catch (err) {
      guardar.disabled = false;
      guardarBorrador();  // nothing typed is lost
      if (err.status === 412 && registro) { await mostrarConflicto(form, registro, x, baseActual, v, t, clase, (nuevaBase, nuevaVersion) => { baseActual = nuevaBase; versionBase = nuevaVersion; guardarBorrador(); }); estadoForm.replaceChildren(); return; }
      const errores = (err.problema && err.problema.errores) || [];
      for (const fe of errores) ponerError(form, fe.campo, fe.mensaje);
      estadoForm.replaceChildren(avisar(errores.length ? "Revise los campos marcados: no se guardó nada; lo escrito se conserva." : `No se guardó: ${err.message}. Lo escrito se conserva.`, "error"));
      if (errores.length) enfocarError(form);
    }
  });
  return form;
}

// The server names the record's fields; a few are shown by another control of the form.
const VISIBLE = { lat: "coordenadas", lon: "coordenadas", municipio_codigo: "coordenadas", organizacion_id: "organizacion" };
function ponerError(form, nombre, mensaje) {
  const visible = VISIBLE[nombre] || nombre;
  const e = document.getElementById(`f-${visible}-error`);
  if (!e) {  // a field without a control here: said under the form
    const estado = form.querySelector(".estado-form");
    if (estado) estado.append(avisar(`${nombre}: ${mensaje}`, "error"));
    return;
  }
  e.textContent = mensaje;
  const control = document.getElementById(`f-${visible}`);
  if (control) control.setAttribute("aria-invalid", "true");
}
function limpiarError(form, nombre) {
  const e = document.getElementById(`f-${nombre}-error`);
  if (e) e.textContent = "";
  const c = document.getElementById(`f-${nombre}`);
  if (c) c.removeAttribute("aria-invalid");
}
function limpiarErrores(form) {
  for (const e of form.querySelectorAll(".error-campo")) e.textContent = "";
  for (const c of form.querySelectorAll("[aria-invalid]")) c.removeAttribute("aria-invalid");
}
function enfocarError(form) {
  const c = form.querySelector("[aria-invalid=true]");
  if (c) { c.focus({ preventScroll: true }); llevarA(c); }
}
// Bring an element to the top of what the user sees: the side panel scrolls on a desktop,
// the page on a phone.
export function llevarA(elemento) {
  const lateral = document.getElementById("lateral");
  if (matchMedia("(max-width: 900px)").matches) { elemento.scrollIntoView({ block: "start" }); return; }
  lateral.scrollTop += elemento.getBoundingClientRect().top - lateral.getBoundingClientRect().top - 8;
}

/* ---------------- a conflict: someone saved meanwhile ---------------- */
async function mostrarConflicto(form, registro, mios, base, v, t, clase, alResolver) {
  const { datos: actual, version } = await llamar("GET", `/${clase}/${registro.id}`);
  const suyos = t.valores(actual);
  const lugarConflicto = form.querySelector(".conflicto") || nodo("section", null, "conflicto");
  lugarConflicto.setAttribute("role", "alert");
  lugarConflicto.replaceChildren(nodo("h3", `Otro usuario guardó ${t.este} mientras usted ${t.lo} editaba`));
  const diferentes = Object.keys(suyos).filter((k) => k in mios && (mios[k] ?? "") !== (suyos[k] ?? "") && ((base[k] ?? "") !== (suyos[k] ?? "") || (base[k] ?? "") !== (mios[k] ?? "")));
  const suyosCambiados = diferentes.filter((k) => (base[k] ?? "") !== (suyos[k] ?? ""));
  if (!actual || actual.estado === "validado") {
    lugarConflicto.append(avisar(`${t.este.replace(/^./, (m) => m.toUpperCase())} fue validad${t.lo === "la" ? "a" : "o"} entretanto: no se puede cambiar. Lo escrito queda en el borrador.`, "error"));
    form.prepend(lugarConflicto);
    return;
  }
  lugarConflicto.append(nodo("p", suyosCambiados.length
    ? `Cambió ${suyosCambiados.length} ${suyosCambiados.length === 1 ? "campo" : "campos"}. Elija, campo por campo, qué valor queda; nada se guardó todavía.`
    : "Sus cambios no tocan los campos que cambió el otro usuario: puede guardar de nuevo."));
  const tabla = nodo("table", null, "tabla-conflicto");
  const cab = nodo("tr");
  cab.append(nodo("th", "Campo"), nodo("th", "Su valor"), nodo("th", "Valor guardado por otro"));
  tabla.append(cab);
  const eleccionCampo = {};
  for (const k of suyosCambiados) {
    const tr = nodo("tr");
    const nombre = t.etiquetas(v)[k] || k;
    const celda = (quien, valor) => {
      const td = nodo("td");
      const l = nodo("label", null, "casilla");
      const r = nodo("input");
      r.type = "radio";
      r.name = `conflicto-${k}`;
      r.value = quien;
      r.checked = quien === "mio";
      r.addEventListener("change", () => { eleccionCampo[k] = quien; });
      l.append(r, nodo("span", valorLegible(v, k, valor)));
      td.append(l);
      return td;
    };
    eleccionCampo[k] = "mio";
    tr.append(nodo("th", nombre), celda("mio", mios[k]), celda("otro", suyos[k]));
    tabla.append(tr);
  }
  if (suyosCambiados.length) lugarConflicto.append(tabla);
  const botones = nodo("div", null, "acciones-ficha");
  const aplicar = (regla) => {
    for (const k of suyosCambiados) {
      const quien = regla === "campo" ? eleccionCampo[k] : regla;
      if (quien === "otro" && form.elements[k]) form.elements[k].value = suyos[k];
      if (quien === "mio" && form.elements[k]) form.elements[k].value = mios[k];
    }
    // the other's record is now the base: the next save sends what differs from it
    alResolver(suyos, version);
    lugarConflicto.remove();
    form.requestSubmit();
  };
  for (const [texto, regla] of [["Mantener los míos y guardar", "mio"], ["Tomar los del otro", "otro"], ["Guardar mi elección", "campo"]]) {
    if (regla === "campo" && !suyosCambiados.length) continue;
    const b = nodo("button", texto, regla === "mio" ? "boton" : "boton boton-secundario");
    b.type = "button";
    b.dataset.regla = regla;
    b.addEventListener("click", () => {
      if (regla === "otro") {
        for (const k of suyosCambiados) if (form.elements[k]) form.elements[k].value = suyos[k];
        alResolver(suyos, version);
        lugarConflicto.remove();
        form.dispatchEvent(new Event("input"));
        return;
      }
      aplicar(regla);
    });
    botones.append(b);
  }
  lugarConflicto.append(botones);
  form.prepend(lugarConflicto);
  llevarA(lugarConflicto);
}

/* ---------------- wiring ---------------- */
// A point's popup (app.js) gains "Abrir ficha": the record screen of that alliance or subproject.
mapa.on("popupopen", async (e) => {
  const f = e.popup._source && e.popup._source.feature;
  if (!f || f.id === undefined || !f.properties || !f.properties.codigo) return;
  const v = await vocab().catch(() => null);
  if (!v) return;
  const recurso = v.etapas_subproyecto.some((x) => x.codigo === f.properties.etapa) ? "subproyectos" : "alianzas";
  const contenido = e.popup.getElement() && e.popup.getElement().querySelector(".leaflet-popup-content");
  if (!contenido || contenido.querySelector(".abrir-ficha")) return;
  const b = nodo("button", "Abrir ficha", "boton abrir-ficha");
  b.type = "button";
  b.addEventListener("click", () => { mapa.closePopup(); abrirFicha(recurso, f.id); });
  contenido.append(nodo("br"), b);
  e.popup.update();
});
document.addEventListener("sigg:abrir-ficha", (e) => abrirFicha(e.detail.recurso, e.detail.id));
document.addEventListener("sigg:sesion", (e) => { if (!e.detail) cerrar(); });
document.getElementById("boton-nueva-alianza").addEventListener("click", () => abrirFormulario(null, null).catch((err) => mostrar(...barraTitulo("Nueva alianza"), avisar(err.message, "error"))));
document.getElementById("boton-nuevo-subproyecto").addEventListener("click", () => abrirFormulario(null, null, "subproyectos").catch((err) => mostrar(...barraTitulo("Nuevo subproyecto"), avisar(err.message, "error"))));
window.siggFicha = { abrirFicha, abrirFormulario, leerCoordenadas };
vocab().catch(() => { /* kept from an earlier visit, or asked again when a form opens */ });
