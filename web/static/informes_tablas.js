/* Informes · Tablas oficiales (informes.js): the program's official tables seen on the page and
   downloaded as XLSX, CSV, CSV for Spanish Excel or PDF, with the page's filters; the one-page
   report (PDF) of the place the map shows. Every count opens the alliances it counts. */

import { llamar, nodo } from "/static/api.js";
import { FILTROS, filtrosDePagina, cargarCatalogos, descargas, bajar, cifraConLista, comoFiltros, error, boton_, fechaEs, n } from "/static/informes.js";

const TABLAS = [
  ["convenios-por-unidad", "Convenios por unidad operativa"],
  ["solicitudes-por-unidad", "Solicitudes por unidad operativa"],
  ["planes-por-unidad", "Planes de alianza por unidad operativa"],
  ["solicitudes-por-sector", "Solicitudes por sector"],
  ["subproyectos-por-etapa", "Subproyectos municipales por etapa"],
];
// Column headings as the published tables (and geo/publicacion/informes.py) name them.
const ETIQUETAS = {
  unidad_operativa: "Unidad operativa", solicitudes_recibidas: "Solicitudes recibidas",
  aprobadas_evaluacion_oportunidad: "Aprobadas en evaluación de oportunidad",
  rechazadas_evaluacion_oportunidad: "Rechazadas en evaluación de oportunidad",
  en_evaluacion_oportunidad: "En evaluación de oportunidad", planes_viables: "Planes viables",
  aprobado_evaluacion_financiera: "Aprobados en evaluación financiera", aprobado_evaluacion_par: "Aprobados en evaluación PAR",
  alianzas_con_convenio: "Alianzas con convenio", familias: "Familias",
  monto_par_comprometido_bs: "Monto PAR comprometido (Bs)", monto_par_solicitado_bs: "Monto PAR solicitado (Bs)",
  monto_par_transferido_bs: "Monto PAR transferido (Bs)", monto_par_descargado_bs: "Monto PAR descargado (Bs)",
  estado: "Estado", proyectos: "Proyectos", comprometido_empoderar_bs: "Comprometido EMPODERAR (Bs)",
  comprometido_contraparte_bs: "Comprometido contraparte (Bs)", comprometido_total_bs: "Comprometido total (Bs)",
  ejecutado_empoderar_bs: "Ejecutado EMPODERAR (Bs)", ejecutado_contraparte_bs: "Ejecutado contraparte (Bs)",
  ejecutado_total_bs: "Ejecutado total (Bs)", avance_pct: "Avance (%)", sector: "Sector", solicitudes: "Solicitudes",
};
const etiqueta = (c) => ETIQUETAS[c] || c.replace(/_/g, " ").replace(/^./, (x) => x.toUpperCase());
/* What each count of a table counts, as list filters (geo/analisis/reportes.py): a cell is its
   row's unit or sector plus these. [filters, how many alliances: the column holding it]. */
const CELDAS = {
  "solicitudes-por-unidad": {
    solicitudes_recibidas: [{}, "solicitudes_recibidas"],
    aprobadas_evaluacion_oportunidad: [{ etapa_alcanzada: "evaluacion_aprobada" }, "aprobadas_evaluacion_oportunidad"],
    rechazadas_evaluacion_oportunidad: [{ etapa: "evaluacion_rechazada" }, "rechazadas_evaluacion_oportunidad"],
    en_evaluacion_oportunidad: [{ etapa: "solicitud" }, "en_evaluacion_oportunidad"],
  },
  "planes-por-unidad": {
    planes_viables: [{ etapa_alcanzada: "plan_formulado" }, "planes_viables"],
    aprobado_evaluacion_financiera: [{ etapa_alcanzada: "plan_viable" }, "aprobado_evaluacion_financiera"],
    aprobado_evaluacion_par: [{ etapa_alcanzada: "aprobado" }, "aprobado_evaluacion_par"],
  },
  "convenios-por-unidad": Object.fromEntries(["alianzas_con_convenio", "familias", "monto_par_comprometido_bs",
    "monto_par_solicitado_bs", "monto_par_transferido_bs", "monto_par_descargado_bs"]
    .map((c) => [c, [{ etapa_alcanzada: "convenio_firmado" }, "alianzas_con_convenio"]])),
  "solicitudes-por-sector": { solicitudes: [{}, "solicitudes"] },
};
// The tables are the program's cycle, stage by stage: the map's "Llegó a la etapa" would empty
// their earlier columns, so it is left out (as the dashboard's cycle does).
function filtrosDeTabla() {
  return filtrosDePagina(FILTROS, ["etapa_alcanzada"]);
}

let tablaActual = TABLAS[0][0];
export async function pintar(caja) {
  const ficha = fichaActual();
  const bloqueFicha = nodo("div", null, "informes-ficha");
  const bFicha = boton_("Ficha de una página (PDF)", "boton");
  bFicha.id = "informes-ficha";
  bFicha.addEventListener("click", () => bajar(ficha.url, bFicha, bloqueFicha));
  bloqueFicha.append(bFicha, nodo("span", `Mapa, cifras frente a las metas y la tabla principal de ${ficha.nombre}, con los filtros del mapa.`, "meta"));
  const elegir = nodo("div", null, "informes-campo");
  const l = nodo("label", "Tabla");
  l.htmlFor = "informes-tabla";
  const sel = nodo("select");
  sel.id = "informes-tabla";
  for (const [k, t] of TABLAS) sel.append(new Option(t, k));
  sel.value = tablaActual;
  elegir.append(l, sel);
  const cuerpo = nodo("div", null, "informes-tabla-cuerpo");
  caja.replaceChildren(bloqueFicha, elegir, cuerpo);
  sel.addEventListener("change", () => { tablaActual = sel.value; pintarTabla(cuerpo, sel.value); });
  await pintarTabla(cuerpo, sel.value);
}
function fichaActual() {
  const e = typeof estado === "object" ? estado : {};
  const [nivel, codigo] = e.municipio ? ["municipio", e.municipio] : e.departamento ? ["departamento", e.departamento]
    : e.unidad_operativa ? ["unidad_operativa", e.unidad_operativa] : ["nacional", ""];
  const p = filtrosDePagina();
  p.set("nivel", nivel);
  if (codigo) p.set("codigo", codigo);
  for (const k of ["medida", "clasificacion", "clases"]) if (e[k]) p.set(k, e[k]);
  return { url: "/api/v1/informes/ficha?" + p, nombre: nombreDeLugar(nivel, codigo) };
}
// The place as the filters name it (the select's option; the municipality's active-filter line).
function nombreDeLugar(nivel, codigo) {
  if (nivel === "nacional") return "Bolivia";
  const texto = nivel === "municipio" ? (document.getElementById("municipio-nombre") || {}).textContent
    : ((document.getElementById(nivel) || {}).selectedOptions || [])[0]?.textContent;
  return texto || codigo;
}

let turnoTabla = 0;
async function pintarTabla(cuerpo, nombre) {
  const mio = ++turnoTabla;
  cuerpo.setAttribute("aria-busy", "true");
  cuerpo.replaceChildren(nodo("p", "Cargando la tabla…", "meta"));
  try {
    const p = filtrosDeTabla();
    const [{ datos }, cat] = await Promise.all([llamar("GET", `/reportes/${nombre}?` + p), cargarCatalogos()]);
    if (mio !== turnoTabla) return;
    const cabeza = nodo("div", null, "informes-barra");
    cabeza.append(nodo("h3", datos.titulo), descargas(`/api/v1/informes/tablas/${nombre}`, p, nombre));
    const notas = nodo("ul", null, "informes-notas meta");
    for (const t of datos.notas) notas.append(nodo("li", t.replace(/(\d)\.(\d)/g, "$1,$2").replace(/\?convocatoria=(\d+)/, "filtro «Convocatoria» $1")));
    if (p.get("corte")) notas.append(nodo("li", `Situación al ${fechaEs(p.get("corte"))}`));
    if (nombre !== "subproyectos-por-etapa") notas.append(nodo("li", "Todas las etapas del ciclo: sin el filtro «Llegó a la etapa» del mapa."));
    else notas.append(nodo("li", "Todo el programa: esta tabla no se filtra por territorio, sector ni fechas de solicitud."));
    if (CELDAS[nombre]) notas.append(nodo("li", "Cada cifra abre la lista de las alianzas que cuenta."));
    cuerpo.replaceChildren(cabeza, tablaOficial(nombre, datos, p, cat), notas);
  } catch (e) {
    if (mio === turnoTabla) error(cuerpo, `No se pudo cargar la tabla: ${e.message}`);
  } finally {
    if (mio === turnoTabla) cuerpo.removeAttribute("aria-busy");
  }
}
function tablaOficial(nombre, datos, p, cat) {
  const tabla = nodo("table", null, "informes-tabla tabla-oficial");
  tabla.dataset.tabla = nombre;
  tabla.append(nodo("caption", datos.titulo, "oculto"));  // the heading above says it
  const [primera] = datos.columnas;
  const tr = nodo("tr");
  for (const c of datos.columnas) {
    const th = nodo("th", etiqueta(c), c === primera ? "" : "num");
    th.scope = "col";
    tr.append(th);
  }
  const thead = nodo("thead");
  thead.append(tr);
  const tbody = nodo("tbody");
  for (const fila of datos.filas) {
    const f = nodo("tr");
    const rotulo = fila[primera];
    if (/^Total/.test(rotulo)) f.className = "total";
    const propios = filtrosDeFila(nombre, primera, rotulo, cat);
    const th = nodo("th", rotulo);
    th.scope = "row";
    f.append(th);
    for (const c of datos.columnas.slice(1)) {
      const v = fila[c];
      const td = nodo("td", null, "num");
      td.dataset.columna = c;
      const texto = typeof v === "number" ? n(v) : v === null || v === undefined ? "" : String(v);
      const regla = CELDAS[nombre] && CELDAS[nombre][c];
      const cuantas = regla ? fila[regla[1]] : 0;
      if (regla && propios && typeof v === "number" && cuantas > 0) {
        const filtros = comoFiltros(p, { ...propios.filtros, ...regla[0] });
        td.append(cifraConLista(texto, cuantas, filtros, `${etiqueta(c)} · ${propios.nombre}`));
      } else td.textContent = texto;
      f.append(td);
    }
    tbody.append(f);
  }
  tabla.append(thead, tbody);
  const envoltorio = nodo("div", null, "tabla-desliza");
  envoltorio.append(tabla);
  return envoltorio;
}
// The row's own filter (its unit or sector), by the name the table writes; null for a row no
// list can show (the dollar total).
function filtrosDeFila(nombre, primera, rotulo, cat) {
  if (rotulo === "Total USD") return null;
  if (/^Total/.test(rotulo)) return { filtros: {}, nombre: "total" };
  if (primera === "unidad_operativa") {
    const u = cat.unidades.find((x) => x.nombre === rotulo);
    return u ? { filtros: { unidad_operativa: u.codigo }, nombre: rotulo } : null;
  }
  if (primera === "sector") {
    const s = cat.sectores.find((x) => x.nombre === rotulo);
    return s ? { filtros: { sector: s.codigo }, nombre: rotulo } : null;
  }
  return null;
}

