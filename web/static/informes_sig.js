/* Informes · Para SIG (informes.js): the OGC API - Features address for QGIS, with a copy button
   and the steps, and the alliance and subproject points as filtered on the page (GeoJSON,
   GeoPackage), downloaded with the login. */

import { nodo } from "/static/api.js";
import { FILTROS, SOLO_ALIANZAS, filtrosDePagina, bajar, boton_, fechaEs } from "/static/informes.js";

const PUNTOS = [["alianzas", "Alianzas"], ["subproyectos", "Subproyectos municipales"]];
export function pintar(caja) {
  const url = location.origin + "/ogc";
  const qgis = nodo("section", null, "informes-bloque");
  qgis.append(nodo("h3", "Abrir en QGIS"));
  qgis.append(nodo("p", "El SIGG publica sus capas como servicio OGC API - Features: QGIS, ArcGIS Pro o GDAL las leen directamente, siempre actualizadas.", "meta"));
  const fila = nodo("div", null, "informes-url");
  const l = nodo("label", "Dirección del servicio");
  l.htmlFor = "informes-ogc";
  const campo = nodo("input");
  campo.id = "informes-ogc";
  campo.readOnly = true;
  campo.value = url;
  campo.addEventListener("focus", () => campo.select());
  const copiar = boton_("Copiar", "boton");
  copiar.id = "informes-copiar";
  const estadoCopia = nodo("span", "", "meta");
  estadoCopia.setAttribute("role", "status");
  copiar.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(url);
      estadoCopia.textContent = "Dirección copiada.";
    } catch (_) {
      campo.focus();
      campo.select();
      estadoCopia.textContent = "Seleccionada: cópiela con Ctrl+C.";
    }
  });
  fila.append(l, campo, copiar, estadoCopia);
  const pasos = nodo("ol", null, "informes-pasos");
  for (const t of [
    "En QGIS (3.16 o posterior): menú Capa → Añadir capa → Añadir capa WFS / OGC API - Features.",
    "Pulse «Nueva», escriba un nombre (p. ej. SIGG), pegue la dirección en «URL» y acepte.",
    "Pulse «Conectar», elija la colección (alianzas, subproyectos, municipios…) y pulse «Añadir».",
  ]) pasos.append(nodo("li", t));
  const ver = nodo("a", "Ver el servicio en el navegador", "enlace");
  ver.href = "/ogc?f=html";
  ver.target = "_blank";
  ver.rel = "noopener";
  qgis.append(fila, pasos, ver);

  const bajadas = nodo("section", null, "informes-bloque");
  bajadas.append(nodo("h3", "Descargar los puntos filtrados"));
  const palabras = filtrosEnPalabras();
  bajadas.append(nodo("p", palabras.length ? `Con los filtros del mapa: ${palabras.join(" · ")}.` : "Sin filtros: todos los puntos del programa.", "meta"));
  for (const [cid, titulo] of PUNTOS) {
    const p = filtrosDePagina(FILTROS, cid === "subproyectos" ? SOLO_ALIANZAS : []);
    const grupo = nodo("div", null, "informes-descargas");
    grupo.dataset.coleccion = cid;
    grupo.append(nodo("span", titulo, "informes-capa"));
    for (const [formato, texto] of [["geojson", "GeoJSON"], ["gpkg", "GeoPackage"]]) {
      const b = boton_(texto);
      b.dataset.formato = formato;
      const q = new URLSearchParams(p);
      q.set("formato", formato);
      b.addEventListener("click", () => bajar(`/api/v1/exportar/${cid}?${q}`, b, grupo));
      grupo.append(b);
    }
    bajadas.append(grupo);
  }
  bajadas.append(nodo("p", "Coordenadas geográficas WGS 84 (EPSG:4326). Los subproyectos no tienen sector, modelo, convocatoria, fechas de solicitud ni etapa de alianza: se descargan con los filtros de territorio.", "meta"));
  caja.replaceChildren(qgis, bajadas);
}
// The map's filters as the form says them ("Sector: Apicultura").
function filtrosEnPalabras() {
  const p = filtrosDePagina();
  const salida = [];
  for (const [k, v] of p) {
    if (k === "programa") continue;
    if (k === "validados") { salida.push("solo registros validados"); continue; }
    const c = document.getElementById(k);
    const l = document.querySelector(`label[for="${k}"]`);
    const texto = c && c.tagName === "SELECT" && c.selectedOptions[0] ? c.selectedOptions[0].textContent
      : /^\d{4}-\d{2}-\d{2}$/.test(v) ? fechaEs(v) : k === "municipio" ? (document.getElementById("municipio-nombre") || {}).textContent || v : v;
    salida.push(`${l ? l.textContent : k.replace(/_/g, " ")}: ${texto}`);
  }
  return salida;
}
