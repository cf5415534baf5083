/* One search box for places and alliances (issue 14): an ARIA 1.2 combobox whose listbox is
   grouped "Lugares" / "Alianzas". The widget knows nothing of the map: it asks `buscar(q, signal)`
   for results and hands the chosen one to `elegir(tipo, item)`. Every name is written as text.
   A failed request shows its message under the box and never rejects: the next keystroke works. */

const ESPERA_MS = 250;  // debounce: one request per pause in typing, not one per key
const MINIMO = 2;       // the API refuses shorter queries
const NIVEL_NOMBRE = {
  municipio: "Municipio", provincia: "Provincia", departamento: "Departamento",
  unidad_operativa: "Unidad operativa",
};
const ESTADO_NOMBRE = {
  registrado: "Registrada", observado: "Observada", verificado: "Verificada", validado: "Validada",
};

export function nombreNivel(nivel) { return NIVEL_NOMBRE[nivel] || "Lugar"; }
export function nombreEstado(estado) { return ESTADO_NOMBRE[estado] || "Sin estado"; }

function nodo(tag, texto, clase) {
  const e = document.createElement(tag);
  if (texto !== undefined && texto !== null) e.textContent = String(texto);
  if (clase) e.className = clase;
  return e;
}

/* The two lines of an option: its name, then where and what it is. */
function contenidoLugar(l) {
  return [nodo("span", l.nombre, "nombre"), nodo("span", nombreNivel(l.nivel), "nivel"),
    nodo("span", l.contexto ? `— ${l.contexto}` : "", "contexto")];
}
function contenidoAlianza(a) {
  const donde = [a.municipio, a.etapa_nombre, a.estado && a.estado !== "validado" ? nombreEstado(a.estado) : ""]
    .filter(Boolean).join(" · ");
  return [nodo("span", `${a.codigo} · ${a.nombre}`, "nombre"), nodo("span", donde ? `— ${donde}` : "", "contexto")];
}

export function crearBuscador({ entrada, lista, estado, buscar, elegir }) {
  let opciones = [];   // [{elemento, tipo, item}] in display order
  let activa = -1;
  let reloj = null;
  let turno = 0;
  let control = null;

  function abierta() { return !lista.hidden; }
  function cerrar() {
    lista.hidden = true;
    entrada.setAttribute("aria-expanded", "false");
    entrada.removeAttribute("aria-activedescendant");
    activa = -1;
  }
  function decir(mensaje, error) {
    estado.textContent = mensaje || "";
    estado.classList.toggle("error", !!error);
  }
  function marcar(i) {
    if (activa >= 0 && opciones[activa]) opciones[activa].elemento.setAttribute("aria-selected", "false");
    activa = i;
    if (i < 0) { entrada.removeAttribute("aria-activedescendant"); return; }
    const o = opciones[i].elemento;
    o.setAttribute("aria-selected", "true");
    entrada.setAttribute("aria-activedescendant", o.id);
    o.scrollIntoView({ block: "nearest" });
  }
  function tomar(i) {
    const o = opciones[i];
    if (!o) return;
    entrada.value = o.tipo === "alianza" ? o.item.codigo : o.item.nombre;
    cerrar();
    decir("");
    elegir(o.tipo, o.item);
  }
  function grupo(titulo, idTitulo, items, tipo, contenido) {
    if (!items.length) return null;
    const g = nodo("div", null, "grupo");
    g.setAttribute("role", "group");
    g.setAttribute("aria-labelledby", idTitulo);
    const t = nodo("div", titulo, "titulo-grupo");
    t.id = idTitulo;
    t.setAttribute("role", "presentation");
    g.append(t);
    for (const item of items) {
      const i = opciones.length;
      const o = nodo("div", null, "opcion");
      o.id = `${lista.id}-op-${i}`;
      o.setAttribute("role", "option");
      o.setAttribute("aria-selected", "false");
      o.append(...contenido(item));
      // mousedown would move the focus away and close the list before the click lands
      o.addEventListener("mousedown", (e) => e.preventDefault());
      o.addEventListener("click", () => tomar(i));
      opciones.push({ elemento: o, tipo, item });
      g.append(o);
    }
    return g;
  }
  function mostrar(datos) {
    opciones = [];
    activa = -1;
    lista.replaceChildren();
    const grupos = [grupo("Lugares", `${lista.id}-lugares`, datos.lugares || [], "lugar", contenidoLugar),
      grupo("Alianzas", `${lista.id}-alianzas`, datos.alianzas || [], "alianza", contenidoAlianza)].filter(Boolean);
    if (!grupos.length) { cerrar(); decir(`Sin resultados para «${datos.q}».`); return; }
    lista.append(...grupos);
    lista.hidden = false;
    entrada.setAttribute("aria-expanded", "true");
    entrada.removeAttribute("aria-activedescendant");
    const n = opciones.length;
    decir(`${n} ${n === 1 ? "resultado" : "resultados"}: use las flechas y Intro para elegir.`);
  }
  async function consultar(q) {
    const mio = ++turno;
    if (control) control.abort();
    control = new AbortController();
    try {
      const datos = await buscar(q, control.signal);
      if (mio !== turno) return;
      lista.dataset.q = q;  // which text the list answers (read by the tests)
      mostrar(datos);
    } catch (e) {
      if (e.name === "AbortError" || mio !== turno) return;
      cerrar();
      decir(e.message || "No se pudo buscar.", true);
    }
  }
  entrada.addEventListener("input", () => {
    clearTimeout(reloj);
    const q = entrada.value.trim();
    if (q.length < MINIMO) {
      turno++;
      if (control) control.abort();
      cerrar();
      decir(q.length ? `Escriba al menos ${MINIMO} letras.` : "");
      return;
    }
    reloj = setTimeout(() => consultar(q), ESPERA_MS);
  });
  entrada.addEventListener("keydown", (e) => {
    const n = opciones.length;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!n) return;
      e.preventDefault();
      if (!abierta()) { lista.hidden = false; entrada.setAttribute("aria-expanded", "true"); }
      const paso = e.key === "ArrowDown" ? 1 : -1;
      marcar(activa < 0 ? (paso > 0 ? 0 : n - 1) : (activa + paso + n) % n);
    } else if (e.key === "Enter") {
      e.preventDefault();  // never submit the filter form
      if (abierta() && activa >= 0) tomar(activa);
    } else if (e.key === "Escape") {
      if (abierta()) { e.preventDefault(); cerrar(); } else if (entrada.value) { entrada.value = ""; decir(""); }
    }
  });
  entrada.addEventListener("blur", () => cerrar());
  return { cerrar };
}
