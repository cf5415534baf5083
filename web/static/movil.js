/* The phone layout's two moving parts (app.css, max-width 900px): the filters drawer over the map
   and the bottom sheet that holds the figures, the tray and the record screen. The sheet follows
   what the other modules show: a record opens it high, a clicked territory half-way, picking a
   point on the map or opening the list lowers it so the map can be touched. */
const telefono = window.matchMedia("(max-width: 900px)");
const controles = document.getElementById("controles");
const botonFiltros = document.getElementById("boton-filtros");
const listo = document.getElementById("filtros-listo");
const hoja = document.getElementById("lateral");
const asa = document.getElementById("hoja-asa");
const espacio = document.getElementById("espacio");
const panel = document.getElementById("panel");
const mapaDiv = document.getElementById("mapa");
const lista = document.getElementById("lista");
const grupoFiltros = [...document.querySelectorAll("#filtros fieldset")].find((f) => f.querySelector("legend")?.textContent === "Filtros");

/* ---------------- the drawer ---------------- */
function abrirFiltros(abrir) {
  controles.classList.toggle("abierto", abrir);
  botonFiltros.setAttribute("aria-expanded", String(abrir));
  botonFiltros.textContent = abrir ? "Cerrar" : etiquetaFiltros();
  if (abrir) {
    altura("");
    controles.scrollTop = 0;
  }
}
/* "Filtros (2)": how many filters differ from the page's defaults, seen without opening it. */
function etiquetaFiltros() {
  let n = 0;
  for (const c of grupoFiltros ? grupoFiltros.querySelectorAll("select, input:not([type=checkbox])") : []) {
    if (c.tagName === "SELECT") {
      const defecto = [...c.options].find((o) => o.defaultSelected) || c.options[0];
      if (defecto && c.value !== defecto.value) n += 1;
    } else if (c.value !== c.defaultValue) n += 1;
  }
  if (!document.getElementById("municipio-activo").hidden) n += 1;
  return n ? `Filtros (${n})` : "Filtros";
}
botonFiltros.addEventListener("click", () => {
  const abrir = !controles.classList.contains("abierto");
  abrirFiltros(abrir);
  if (abrir) {
    controles.setAttribute("tabindex", "-1");
    controles.focus({ preventScroll: true });  // the next Tab reaches the first filter
  }
});
listo.addEventListener("click", () => { abrirFiltros(false); botonFiltros.focus(); });
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && controles.classList.contains("abierto") && telefono.matches) {
    abrirFiltros(false);
    botonFiltros.focus();
  }
});
// The count follows the user's changes and the page's own (a unit user lands on the unit, a
// shared link or a click on the map sets filters): every view redraws the breadcrumb.
function contar() {
  if (!controles.classList.contains("abierto")) botonFiltros.textContent = etiquetaFiltros();
}
document.getElementById("filtros").addEventListener("change", contar);
new MutationObserver(contar).observe(document.getElementById("ruta"), { childList: true, subtree: true, characterData: true });

/* ---------------- the bottom sheet ---------------- */
let antesDeElegir = null;
function altura(nivel) {
  hoja.classList.toggle("media", nivel === "media");
  hoja.classList.toggle("alta", nivel === "alta");
  asa.setAttribute("aria-expanded", String(Boolean(nivel)));
  if (!nivel) hoja.scrollTop = 0;
}
function actual() {
  return hoja.classList.contains("alta") ? "alta" : hoja.classList.contains("media") ? "media" : "";
}
// The handle says what the sheet holds: the open record; else the territory shown, the work
// waiting in the tray for staff, and for the public that the figures count validated records.
function rotulo() {
  if (!espacio.hidden) {
    asa.textContent = document.getElementById("espacio-titulo")?.textContent || "Registro";
    return;
  }
  const partes = [!panel.hidden ? document.getElementById("panel-titulo")?.textContent : "Cifras"];
  if (!document.getElementById("bandeja").hidden) partes.push(`Por revisar (${document.getElementById("bandeja-cuenta").textContent})`);
  else partes.push("solo registros validados");
  asa.textContent = partes.filter(Boolean).join(" · ");
}
// The high sheet stops under the toolbar of the staff: "+ Nueva alianza" stays in reach while a
// record is open.
function tope() {
  const arriba = mapaDiv.getBoundingClientRect().top - hoja.parentElement.getBoundingClientRect().top;
  hoja.style.setProperty("--tope", `${Math.max(0, Math.round(arriba))}px`);
}
window.addEventListener("resize", tope);
new MutationObserver(tope).observe(document.getElementById("trabajo"), { attributes: true, attributeFilter: ["hidden"] });
asa.addEventListener("click", () => altura(actual() ? "" : "alta"));

function observar(elemento, atributos, alCambiar) {
  new MutationObserver(() => { if (telefono.matches) alCambiar(); rotulo(); })
    .observe(elemento, { attributes: true, attributeFilter: atributos });
}
observar(espacio, ["hidden"], () => {
  if (!espacio.hidden) { abrirFiltros(false); altura("alta"); } else if (actual() === "alta") altura("");
});
// A territory tapped on the map shows its figures half-way up; the panel a unit user lands on
// at the start leaves the map alone.
let tocado = 0;
mapaDiv.addEventListener("click", () => { tocado = Date.now(); });
new MutationObserver(() => {
  rotulo();
  if (telefono.matches && !panel.hidden && !actual() && Date.now() - tocado < 4000) altura("media");
}).observe(panel, { attributes: true, attributeFilter: ["hidden"], childList: true, subtree: true, characterData: true });
observar(lista, ["hidden"], () => { if (!lista.hidden) altura(""); });
observar(mapaDiv, ["class"], () => {
  const eligiendo = mapaDiv.classList.contains("eligiendo");
  if (eligiendo && antesDeElegir === null) { antesDeElegir = actual(); altura(""); }
  else if (!eligiendo && antesDeElegir !== null) { altura(antesDeElegir); antesDeElegir = null; }
});
new MutationObserver(rotulo).observe(espacio, { childList: true });
new MutationObserver(rotulo).observe(document.getElementById("bandeja-cuenta"), { childList: true, characterData: true, subtree: true });
new MutationObserver(rotulo).observe(document.getElementById("bandeja"), { attributes: true, attributeFilter: ["hidden"] });

telefono.addEventListener("change", () => {
  if (!telefono.matches) { abrirFiltros(false); altura(""); }
});
botonFiltros.textContent = etiquetaFiltros();
rotulo();
tope();
