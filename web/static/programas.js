/* Programs from the page (issue 14): national coordination lists, creates and edits a program
   (name, cartography, exchange rate, whether excesses are accepted) and its results framework
   (indicators with baseline, target, unit, frequency and, when SIGG computes it, which
   computation), saved with the program's version (If-Match). The program select of the filters
   lists the programs the server has, so a new one appears there without editing the page. */

import { llamar, nodo, usuario } from "/static/api.js";
import { avisar, barraTitulo, llevarA, mostrar } from "/static/ficha.js";

const boton = document.getElementById("boton-programas");
const numero = new Intl.NumberFormat("es-BO", { maximumFractionDigits: 4 });
let calculos = [];

/* ---------- the filters' program select follows the server ---------- */
async function llenarSelector() {
  const { datos } = await llamar("GET", "/programas");
  calculos = datos.calculos;
  const sel = document.getElementById("programa");
  const actual = sel.value;
  sel.replaceChildren(...datos.data.map((p) => new Option(`${p.codigo} · ${p.nombre}`, p.codigo)));
  sel.value = datos.data.some((p) => p.codigo === actual) ? actual : (datos.data[0] || {}).codigo;
  return datos;
}

/* ---------- the list ---------- */
async function abrirLista(mensaje) {
  const datos = await llenarSelector();
  const partes = barraTitulo("Programas", "Solo la coordinación nacional crea y cambia programas.");
  if (mensaje) partes.push(avisar(mensaje));
  const ul = nodo("ul", null, "lista-programas");
  for (const p of datos.data) {
    const li = nodo("li");
    const b = nodo("button", `${p.codigo} · ${p.nombre}`, "enlace");
    b.type = "button";
    b.addEventListener("click", () => abrirPrograma(p.codigo));
    li.append(b, nodo("div", `Cartografía ${p.cartografia} · tipo de cambio ${p.tipo_cambio ? numero.format(p.tipo_cambio) + " Bs/USD" : "el de la instalación"}${p.sintetico ? " · datos de demostración" : ""}`, "meta"));
    ul.append(li);
  }
  const nuevo = nodo("button", "+ Nuevo programa", "boton");
  nuevo.type = "button";
  nuevo.addEventListener("click", () => formularioPrograma(null));
  partes.push(ul, nuevo);
  mostrar(...partes);
}

/* ---------- one program: its data and its framework ---------- */
async function abrirPrograma(codigo, mensaje) {
  const { datos: p, version } = await llamar("GET", `/programas/${encodeURIComponent(codigo)}`);
  formularioPrograma(p, version, mensaje);
}

function campoTexto(form, nombre, etiqueta, valor, extra = {}) {
  const caja = nodo("div", null, "campo-form");
  const l = nodo("label", etiqueta);
  l.htmlFor = `p-${nombre}`;
  const e = nodo("input");
  Object.assign(e, { id: `p-${nombre}`, name: nombre, value: valor ?? "" }, extra);
  const error = nodo("p", null, "error-campo");
  error.id = `p-${nombre}-error`;
  e.setAttribute("aria-describedby", error.id);
  caja.append(l, e, error);
  form.append(caja);
  return e;
}

function formularioPrograma(p, version, mensaje) {
  const nuevo = !p;
  const partes = barraTitulo(nuevo ? "Nuevo programa" : `${p.codigo} · ${p.nombre}`,
    nuevo ? "El código no cambia después: los registros y los informes lo nombran." : `Versión ${version}`);
  if (mensaje) partes.push(avisar(mensaje));
  const form = nodo("form", null, "formulario");
  form.id = "form-programa";
  form.noValidate = true;
  if (nuevo) campoTexto(form, "codigo", "Código *", "", { maxLength: 16, autocomplete: "off", placeholder: "p. ej. PAR3" });
  campoTexto(form, "nombre", "Nombre *", p ? p.nombre : "", { maxLength: 300 });
  if (nuevo) campoTexto(form, "cartografia", "Cartografía", "2012", { maxLength: 16 });
  campoTexto(form, "tipo_cambio", "Tipo de cambio (Bs por dólar; vacío: el de la instalación)",
    p && p.tipo_cambio ? String(p.tipo_cambio) : "", { type: "number", step: "0.0001", min: "0", inputMode: "decimal" });
  const exc = nodo("label", null, "casilla");
  const casilla = nodo("input");
  Object.assign(casilla, { type: "checkbox", id: "p-permite_excesos", name: "permite_excesos", checked: p ? p.permite_excesos : false });
  exc.append(casilla, nodo("span", "Acepta transferido mayor que comprometido (lo marca)"));
  form.append(exc);

  let filas = null;
  if (!nuevo) {
    form.append(nodo("h3", `Marco de resultados (${p.indicadores.length} indicadores)`));
    filas = nodo("div", null, "marco");
    for (const i of p.indicadores) filas.append(filaIndicador(i));
    const mas = nodo("button", "+ Indicador", "boton boton-secundario");
    mas.type = "button";
    mas.addEventListener("click", () => { const f = filaIndicador({}); filas.append(f); f.querySelector("input").focus(); });
    form.append(filas, mas);
  }
  const estado = nodo("div", null, "estado-form");
  estado.setAttribute("aria-live", "polite");
  const pie = nodo("div", null, "pie-form");
  const guardar = nodo("button", nuevo ? "Crear programa" : "Guardar programa y marco", "boton");
  guardar.type = "submit";
  const volver = nodo("button", "Volver a la lista", "enlace");
  volver.type = "button";
  volver.addEventListener("click", () => abrirLista());
  pie.append(guardar, volver);
  form.append(pie, estado);
  partes.push(form);
  mostrar(...partes);

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    for (const x of form.querySelectorAll(".error-campo")) x.textContent = "";
    for (const x of form.querySelectorAll("[aria-invalid]")) x.removeAttribute("aria-invalid");
    estado.replaceChildren();
    // by id: the indicators' fields are named codigo and nombre too
    const v = (k) => { const c = document.getElementById(`p-${k}`); return c ? c.value.trim() : ""; };
    const cuerpo = { nombre: v("nombre"), tipo_cambio: v("tipo_cambio") === "" ? null : Number(v("tipo_cambio")), permite_excesos: casilla.checked };
    guardar.disabled = true;
    try {
      if (nuevo) {
        const r = await llamar("POST", "/programas", { cuerpo: { ...cuerpo, codigo: v("codigo"), cartografia: v("cartografia") || "2012" } });
        await llenarSelector();
        await abrirPrograma(r.datos.codigo, `Programa ${r.datos.codigo} creado. Ahora defina su marco de resultados.`);
        return;
      }
      // two saves, each with the version the previous one returned: a refused framework after
      // an accepted name leaves the form with the right version for the next try
      const r = await llamar("PATCH", `/programas/${encodeURIComponent(p.codigo)}`, { cuerpo, version });
      version = r.version;
      const marco = [...filas.querySelectorAll(".indicador")].map(leerIndicador);
      const r2 = await llamar("PUT", `/programas/${encodeURIComponent(p.codigo)}/indicadores`, { cuerpo: marco, version });
      version = r2.version;
      await llenarSelector();
      if (typeof actualizar === "function") actualizar({ geometria: false });
      await abrirPrograma(p.codigo, `Programa ${p.codigo} guardado con ${marco.length} indicadores.`);
    } catch (err) {
      guardar.disabled = false;
      const errores = (err.problema && err.problema.errores) || [];
      for (const fe of errores) marcarError(form, filas, fe.campo, fe.mensaje);
      estado.replaceChildren(avisar(err.status === 412
        ? "Otra persona cambió este programa mientras lo editaba: vuelva a abrirlo (lo escrito aquí no se guardó)."
        : errores.length ? "Revise los campos marcados: no se guardó nada." : `No se guardó: ${err.message}`, "error"));
    }
  });
}

function filaIndicador(i) {
  const f = nodo("fieldset", null, "indicador");
  f.append(nodo("legend", i.codigo ? `Indicador ${i.codigo}` : "Indicador nuevo"));
  const mk = (k, etiqueta, valor, extra = {}) => {
    const l = nodo("label", etiqueta);
    const e = nodo("input");
    Object.assign(e, { name: k, value: valor ?? "" }, extra);
    l.append(e);
    const error = nodo("span", null, "error-campo");
    error.dataset.campo = k;
    l.append(error);
    f.append(l);
    return e;
  };
  mk("codigo", "Código", i.codigo, { maxLength: 16 });
  mk("nombre", "Nombre", i.nombre, { maxLength: 500 });
  mk("unidad", "Unidad", i.unidad, { maxLength: 32, placeholder: "familias, %, ha…" });
  mk("linea_base", "Línea de base", i.linea_base, { type: "number", step: "0.01" });
  mk("meta", "Meta", i.meta, { type: "number", step: "0.01" });
  mk("frecuencia", "Frecuencia", i.frecuencia, { maxLength: 32, placeholder: "anual, semestral…" });
  const l = nodo("label", "Cómo se obtiene");
  const s = nodo("select");
  s.name = "calculo";
  s.append(new Option("Valor registrado por período (con su fuente)", ""));
  for (const c of calculos) s.append(new Option(`Calculado por SIGG: ${c.nombre}`, c.codigo));
  s.value = i.calculo || "";
  const error = nodo("span", null, "error-campo");
  error.dataset.campo = "calculo";
  l.append(s, error);
  const quitar = nodo("button", "Quitar indicador", "enlace");
  quitar.type = "button";
  quitar.addEventListener("click", () => f.remove());
  f.append(l, quitar);
  return f;
}
function leerIndicador(f) {
  const v = (k) => f.querySelector(`[name=${k}]`).value.trim();
  const n = (k) => (v(k) === "" ? null : Number(v(k)));
  return { codigo: v("codigo"), nombre: v("nombre"), unidad: v("unidad"), linea_base: n("linea_base"), meta: n("meta"),
    frecuencia: v("frecuencia") || null, calculo: v("calculo") || null };
}
function marcarError(form, filas, campo, mensaje) {
  // "nombre" for the program, "3.meta" for the fourth indicator of the framework
  const m = String(campo).match(/^(?:indicadores\.)?(\d+)\.(\w+)$/);
  let caja, control;
  if (m && filas) {
    const f = filas.querySelectorAll(".indicador")[Number(m[1])];
    if (!f) return;
    caja = f.querySelector(`.error-campo[data-campo=${m[2]}]`);
    control = f.querySelector(`[name=${m[2]}]`);
  } else {
    caja = document.getElementById(`p-${campo}-error`);
    control = document.getElementById(`p-${campo}`);
  }
  if (caja) caja.textContent = mensaje;
  if (control) { control.setAttribute("aria-invalid", "true"); control.focus({ preventScroll: true }); llevarA(control); }
}

function segunSesion() {
  const u = usuario();
  boton.hidden = !(u && u.rol === "nacional");
}
document.addEventListener("sigg:sesion", segunSesion);
boton.addEventListener("click", () => abrirLista().catch((e) => mostrar(...barraTitulo("Programas"), avisar(e.message, "error"))));
segunSesion();
llenarSelector().catch(() => { /* the static options stay */ });
