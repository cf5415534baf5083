/* What waits on this phone (issue 15): the "N por enviar" button in the header, the screen of
   the queue with each operation's state, "Enviar ahora", and the conflicts: a record changed or
   validated meanwhile shows the user's version beside the server's until the user chooses.
   Also keeps a copy of the unit's alliances for reading them with no network. */

import { llamar, nodo, usuario } from "/static/api.js";
import { ESTADOS_COLA, enviar, guardarRegistros, operaciones, quitar, reintentarSobre, resumen } from "/static/cola.js";
import { avisar, barraTitulo, fichaLocal, mostrar } from "/static/ficha.js";

const boton = document.getElementById("boton-cola");
const momento = (iso) => new Date(iso).toLocaleString("es-BO", { day: "2-digit", month: "2-digit", year: "numeric", hour: "2-digit", minute: "2-digit" });

async function pintarBoton() {
  const lista = await operaciones().catch(() => []);
  boton.hidden = !lista.length;
  const conflictos = lista.filter((o) => o.estado === "conflicto" || o.estado === "error").length;
  boton.textContent = `${resumen(lista)}${conflictos ? ` · ${conflictos} por resolver` : ""}${navigator.onLine ? "" : " · sin conexión"}`;
  boton.classList.toggle("con-conflicto", conflictos > 0);
  if (!espacioDeCola()) return;
  pintarCola(lista);
}
function espacioDeCola() { return document.getElementById("cola-lista"); }

async function abrirCola(mensaje) {
  const lista = await operaciones();
  const partes = barraTitulo("Guardado en este teléfono", navigator.onLine ? "Con conexión" : "Sin conexión: se enviará cuando vuelva");
  if (mensaje) partes.push(avisar(mensaje, "info"));
  const acciones = nodo("div", null, "acciones-ficha");
  const b = nodo("button", "Enviar ahora", "boton");
  b.type = "button";
  b.id = "cola-enviar";
  b.disabled = !navigator.onLine;
  b.addEventListener("click", async () => {
    b.disabled = true;
    const r = await enviar();
    b.disabled = !navigator.onLine;
    const texto = r.motivo === "sesion" ? "Ingrese con su usuario para enviar lo guardado."
      : r.motivo === "red" ? `Se cortó la conexión: ${r.enviadas} enviadas; el resto se enviará después.`
        : `${r.enviadas} enviadas; quedan ${r.quedan}.`;
    if (r.motivo === "sesion" && !(window.sesion && window.sesion.leer())) document.getElementById("ingreso").showModal();
    abrirCola(texto);
  });
  acciones.append(b);
  const ul = nodo("ul", null, "cola-lista");
  ul.id = "cola-lista";
  partes.push(acciones, ul);
  mostrar(...partes);
  pintarCola(lista);
}

function pintarCola(lista) {
  const ul = espacioDeCola();
  ul.replaceChildren();
  if (!lista.length) { ul.append(nodo("li", "Nada por enviar.", "vacio")); return; }
  for (const op of lista) {
    const li = nodo("li", null, `operacion estado-${op.estado}`);
    li.dataset.id = op.id;
    li.append(nodo("strong", op.descripcion || `${op.metodo} ${op.ruta}`),
      nodo("div", `${ESTADOS_COLA[op.estado] || op.estado} · guardado el ${momento(op.creado_en)}`, "meta"));
    if (op.problema && op.problema.detail) li.append(nodo("div", op.problema.detail, "alerta"));
    const acc = nodo("div", null, "acciones-ficha");
    if (op.local && (op.recurso === "alianzas" || op.recurso === "subproyectos")) {
      const ver = nodo("button", "Abrir", "enlace");
      ver.type = "button";
      ver.addEventListener("click", () => fichaLocal(op));
      acc.append(ver);
    }
    if (op.estado === "conflicto") {
      const c = nodo("button", "Ver el conflicto", "boton");
      c.type = "button";
      c.addEventListener("click", () => verConflicto(op, li));
      acc.append(c);
    }
    if (op.estado === "conflicto" || op.estado === "error") {
      const x = nodo("button", "Descartar lo mío", "enlace");
      x.type = "button";
      x.addEventListener("click", async () => {
        if (!confirm(`¿Descartar «${op.descripcion}»? Queda lo que tiene el servidor.`)) return;
        await quitar(op.id);
        abrirCola("Descartado: queda la versión del servidor.");
      });
      acc.append(x);
    }
    if (acc.childElementCount) li.append(acc);
    ul.append(li);
  }
}

/* A change sent over a record that moved meanwhile: the user's values beside the server's, and
   the choice. Nothing is sent or dropped until the user chooses. */
async function verConflicto(op, li) {
  const ruta = op.ruta.replace(/\/(verificacion|seguimientos.*|adjuntos.*)$/, "");
  let actual;
  let version;
  try {
    ({ datos: actual, version } = await llamar("GET", ruta));
  } catch (e) {
    li.append(avisar(`No se pudo leer la versión del servidor: ${e.message}`, "error"));
    return;
  }
  const caja = nodo("div", null, "conflicto");
  caja.append(nodo("h3", actual.estado === "validado" ? "Fue validada entretanto" : "Otro usuario la cambió entretanto"));
  const tabla = nodo("table", null, "tabla-conflicto");
  const cab = nodo("tr");
  cab.append(nodo("th", "Campo"), nodo("th", "Lo suyo (en este teléfono)"), nodo("th", "En el servidor"));
  tabla.append(cab);
  let etiquetas = {};
  try { etiquetas = JSON.parse(localStorage.getItem("sigg.vocabulario")).campos_alianza || {}; } catch (_) { /* codes then */ }
  for (const [k, mio] of Object.entries(op.cuerpo || {})) {
    const suyo = actual[k] && typeof actual[k] === "object" ? actual[k].nombre : actual[k];
    const tr = nodo("tr");
    tr.append(nodo("th", etiquetas[k] || k.replace(/_/g, " ")), nodo("td", mio === null ? "vacío" : String(mio)), nodo("td", suyo === null || suyo === undefined ? "vacío" : String(suyo)));
    tabla.append(tr);
  }
  caja.append(tabla);
  const acc = nodo("div", null, "acciones-ficha");
  if (actual.estado !== "validado") {
    const mia = nodo("button", "Enviar la mía sobre la versión actual", "boton");
    mia.type = "button";
    mia.dataset.eleccion = "mia";
    mia.addEventListener("click", async () => {
      await reintentarSobre(op, version);
      const r = await enviar();
      abrirCola(r.quedan ? `Enviada de nuevo; quedan ${r.quedan}.` : "Enviada: su versión quedó guardada.");
    });
    acc.append(mia);
  } else {
    caja.append(avisar("Una alianza validada solo cambia si la coordinación nacional la reabre.", "info"));
  }
  const suya = nodo("button", "Quedarme con la del servidor", "boton boton-secundario");
  suya.type = "button";
  suya.dataset.eleccion = "servidor";
  suya.addEventListener("click", async () => { await quitar(op.id); abrirCola("Descartado: queda la versión del servidor."); });
  acc.append(suya);
  caja.append(acc);
  li.append(caja);
}

/* A copy of the unit's alliances to read them with no network. */
async function guardarMiUnidad() {
  const u = usuario();
  if (!u || !u.unidad_operativa || !navigator.onLine) return;
  try {
    const { datos } = await llamar("GET", `/alianzas?unidad_operativa=${encodeURIComponent(u.unidad_operativa)}&limit=1000`);
    await guardarRegistros(datos.data);
  } catch (_) { /* next time */ }
}

boton.addEventListener("click", () => abrirCola());
document.addEventListener("sigg:cola", pintarBoton);
window.addEventListener("online", pintarBoton);
window.addEventListener("offline", pintarBoton);
document.addEventListener("sigg:sesion", (e) => { pintarBoton(); if (e.detail) guardarMiUnidad(); });
pintarBoton();
if (navigator.onLine) enviar().then(pintarBoton);
guardarMiUnidad();
window.siggCola = { abrirCola, enviar };
