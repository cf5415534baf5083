/* Informes · Marco de resultados (informes.js): every indicator of the program's results
   framework with its value, target, % of target and a bar drawn to 100 % (the number written as
   it is); per operational unit where SIGG computes the indicator from the records; the ones it
   cannot compute say so. A computed value that counts alliances opens them. */

import { llamar, nodo } from "/static/api.js";
import { FILTROS_MARCO, filtrosDePagina, cargarCatalogos, descargas, cifraConLista, comoFiltros, error, n, pct } from "/static/informes.js";

const UNIDADES = { porcentaje: " %", "hectáreas": " ha" };
function valorConUnidad(v, unidad) {
  return v === null || v === undefined ? "sin dato" : n(v) + (UNIDADES[unidad] || "");
}
/* The alliances behind a computed indicator of PAR II (geo/analisis/indicadores.py _ALIANZAS):
   the ones whose figure a list can show. Monitoring (R1, R2, 2.2, 2.6), subprojects and
   complaints are not alliance lists. */
const DETRAS = {
  "R5": [{ etapa_alcanzada: "convenio_firmado" }, "Alianzas con convenio firmado"],
  "R5.m": [{ etapa_alcanzada: "convenio_firmado" }, "Alianzas con convenio firmado"],
  "1.2a": [{ etapa_alcanzada: "convenio_firmado", modelo: "1" }, "Convenios firmados, modelo 1"],
  "1.2b": [{ etapa_alcanzada: "convenio_firmado", modelo: ["2", "3"] }, "Convenios firmados, modelos 2 y 3"],
  "2.7": [{ etapa_alcanzada: "convenio_firmado", modelo: "1", sector: "riego_tecnificado" }, "Convenios de riego tecnificado, modelo 1"],
  "2.1": [{ etapa: "concluida", modelo: "1" }, "Alianzas del modelo 1 concluidas"],
};
// Counts are the indicator itself; for the others the list is the alliances its figure sums.
const ES_CUENTA = new Set(["1.2a", "1.2b"]);

export async function pintar(caja) {
  caja.replaceChildren(nodo("p", "Cargando el marco de resultados…", "meta"));
  caja.setAttribute("aria-busy", "true");
  try {
    const p = filtrosDePagina(FILTROS_MARCO);
    const [{ datos }, cat] = await Promise.all([llamar("GET", "/indicadores?" + p), cargarCatalogos()]);
    const cabeza = nodo("div", null, "informes-barra");
    const etiqueta = nodo("label", "Por unidad");
    etiqueta.htmlFor = "informes-unidad";
    const sel = nodo("select");
    sel.id = "informes-unidad";
    sel.append(new Option("Todo el programa", ""));
    for (const u of cat.unidades) sel.append(new Option(u.nombre, u.codigo));
    const campo = nodo("span", null, "informes-campo");
    campo.append(etiqueta, sel);
    cabeza.append(campo, descargas("/api/v1/informes/marco-de-resultados", filtrosDePagina(), "marco"));
    const nota = nodo("p", "El marco es del programa entero: los filtros de territorio, etapa o sector del mapa no se aplican; "
      + "la fecha de corte sí. Los indicadores calculados se pueden ver por unidad operativa.", "meta");
    const cuerpo = nodo("div", null, "informes-marco");
    caja.replaceChildren(cabeza, nota, cuerpo);
    const pintar = async () => {
      const unidad = sel.value;
      cuerpo.setAttribute("aria-busy", "true");
      try {
        const porUnidad = unidad ? await valoresDeUnidad(datos.data, unidad, p) : null;
        const nombre = unidad ? sel.selectedOptions[0].textContent : "";
        cuerpo.replaceChildren(tablaMarco(datos.data, porUnidad, unidad, nombre, p));
      } catch (e) {
        error(cuerpo, `No se pudieron leer los valores de la unidad: ${e.message}`);
      } finally {
        cuerpo.removeAttribute("aria-busy");
      }
    };
    sel.addEventListener("change", pintar);
    await pintar();
  } catch (e) {
    error(caja, `No se pudo cargar el marco de resultados: ${e.message}`);
  } finally {
    caja.removeAttribute("aria-busy");
  }
}
// codigo -> {valor, motivo} of one unit, for the computed indicators (one request each: the
// API answers an indicator for every unit).
async function valoresDeUnidad(indicadores, unidad, p) {
  const calculados = indicadores.filter((i) => i.origen === "calculado");
  const respuestas = await Promise.all(calculados.map((i) =>
    llamar("GET", `/indicadores/${encodeURIComponent(i.codigo)}/por-unidad?` + p)));
  const salida = {};
  calculados.forEach((i, k) => {
    const datos = respuestas[k].datos.data;
    const fila = datos.find((d) => d.unidad_operativa.codigo === unidad) || { valor: null, motivo: "sin registros en la unidad" };
    const total = datos.reduce((s, d) => s + (typeof d.valor === "number" ? d.valor : 0), 0);
    salida[i.codigo] = { valor: fila.valor, motivo: fila.motivo, total };
  });
  return salida;
}

function tablaMarco(indicadores, porUnidad, unidad, nombreUnidad, p) {
  const tabla = nodo("table", null, "informes-tabla tabla-marco");
  tabla.append(nodo("caption", porUnidad ? `Marco de resultados · ${nombreUnidad}` : "Marco de resultados · todo el programa"));
  const cab = nodo("tr");
  for (const [t, c] of [["Código", ""], ["Indicador", ""], [porUnidad ? `Valor (${nombreUnidad})` : "Valor", "num"],
    [porUnidad ? "Meta del programa" : "Meta", "num"], [porUnidad ? "Avance" : "% de la meta", "avance"]]) {
    const th = nodo("th", t, c);
    th.scope = "col";
    cab.append(th);
  }
  const thead = nodo("thead");
  thead.append(cab);
  const tbody = nodo("tbody");
  for (const i of indicadores) {
    const tr = nodo("tr");
    tr.dataset.codigo = i.codigo;
    const th = nodo("th", i.codigo);
    th.scope = "row";
    const nombre = nodo("td");
    nombre.append(nodo("span", i.nombre, "indicador-nombre"));
    const origen = i.origen === "calculado" ? "Calculado de los registros del SIGG" : `Registrado${i.periodo ? ` (${i.periodo})` : ""}: ${i.fuente || "sin fuente"}`;
    nombre.append(nodo("span", origen, "meta indicador-origen"));
    const u = porUnidad ? porUnidad[i.codigo] : null;
    const valorTd = nodo("td", null, "num valor");
    const avance = nodo("td", null, "avance");
    if (porUnidad && i.origen !== "calculado") {
      valorTd.append(nodo("span", "no se calcula a partir de los registros", "sin-dato"));
      avance.append(nodo("span", "se registra para todo el programa", "meta"));
    } else {
      const valor = u ? u.valor : i.valor;
      const motivo = u ? u.motivo : i.motivo;
      if (valor === null || valor === undefined) {
        valorTd.append(nodo("span", "sin dato", "sin-dato"));
        avance.append(nodo("span", motivo || (i.origen === "calculado" ? "sin registros que permitan calcularlo" : "no se calcula a partir de los registros"), "meta"));
      } else {
        valorTd.append(cifraIndicador(i, valor, unidad, nombreUnidad, p));
        if (!porUnidad) avance.append(barra(i.pct_meta, i.pct_meta === null ? "sin meta" : `${pct.format(i.pct_meta)} %`));
        else if (i.unidad === "porcentaje" && i.meta) {
          const x = (100 * valor) / i.meta;
          avance.append(barra(x, `${pct.format(x)} % de la meta`));
        } else if (u.total) {
          const x = (100 * valor) / u.total;
          avance.append(barra(x, `${pct.format(x)} % del programa`, "parte"));
        }
      }
    }
    const meta = nodo("td", i.meta === null ? "sin meta" : valorConUnidad(i.meta, i.unidad), "num meta-ind");
    // on a phone the row is a card: each figure says what it is
    valorTd.dataset.etiqueta = porUnidad ? nombreUnidad : "Valor";
    meta.dataset.etiqueta = porUnidad ? "Meta del programa" : "Meta";
    tr.append(th, nombre, valorTd, meta, avance);
    tbody.append(tr);
  }
  tabla.append(thead, tbody);
  const envoltorio = nodo("div", null, "tabla-desliza");
  envoltorio.append(tabla);
  return envoltorio;
}
function cifraIndicador(i, valor, unidad, nombreUnidad, p) {
  const texto = valorConUnidad(valor, i.unidad);
  const detras = i.origen === "calculado" && DETRAS[i.codigo];
  if (!detras) return nodo("span", texto);
  // the indicator counts every record the reader may see, whatever the map's filters
  const base = new URLSearchParams(p);
  if (unidad) base.set("unidad_operativa", unidad);
  // validados "": the indicator counts every record the reader may see
  const filtros = comoFiltros(base, { ...detras[0], validados: "" });
  const titulo = `${detras[1]} · ${nombreUnidad || "todo el programa"}`;
  const b = cifraConLista(texto, ES_CUENTA.has(i.codigo) ? valor : null, filtros, titulo);
  if (!ES_CUENTA.has(i.codigo)) b.title = `Ver las alianzas detrás de esta cifra (${detras[1].toLowerCase()})`;
  return b;
}
function barra(x, texto, clase = "") {
  const caja = nodo("span", null, "barra-meta " + clase);
  const pista = nodo("span", null, "barra-pista");
  const relleno = nodo("span", null, "barra-relleno");
  const v = typeof x === "number" ? x : 0;
  relleno.style.width = `${Math.max(0, Math.min(100, v))}%`;
  if (clase !== "parte") relleno.classList.add(v >= 100 ? "lograda" : v >= 60 ? "cerca" : "lejos");
  pista.append(relleno);
  caja.append(pista, nodo("span", texto, "barra-texto"));
  return caja;
}

