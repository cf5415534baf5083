// The complaints page: file a complaint, follow it by its code and, for staff signed in on the
// map (sessionStorage "sigg.sesion"), list and answer the unit's complaints. Every text that
// comes from a person is written with textContent: never parsed as HTML.
"use strict";

(() => {
  const API = "/api/v1";
  const PLAZO = 30;
  const ESTADOS = { recibido: "Recibido", en_atencion: "En atención", respondido: "Respondido" };
  const CANALES = {
    web: "Sitio web", telefono: "Teléfono", presencial: "Presencial", buzon: "Buzón", correo: "Correo",
  };
  const CAMPOS = {
    municipio_codigo: "Municipio", asunto: "Asunto", descripcion: "Descripción",
    nombre_contacto: "Nombre", contacto: "Teléfono o correo", respuesta: "Respuesta",
    respondido: "Fecha de respuesta", codigo: "Código",
  };
  const ROLES = { nacional: "Coordinación nacional", unidad: "Unidad operativa", tecnico: "Técnico de campo" };

  const $ = (id) => document.getElementById(id);

  function nodo(etiqueta, texto, clase) {
    const el = document.createElement(etiqueta);
    if (texto !== undefined && texto !== null) el.textContent = String(texto);
    if (clase) el.className = clase;
    return el;
  }

  function fecha(iso) {
    if (!iso) return "";
    const [a, m, d] = String(iso).split("-");
    return `${d}/${m}/${a}`;
  }

  function sumarDias(iso, dias) {
    const f = new Date(`${iso}T00:00:00Z`);
    f.setUTCDate(f.getUTCDate() + dias);
    return f.toISOString().slice(0, 10);
  }

  function mostrarError(el, mensaje) {
    el.textContent = mensaje || "";
    el.hidden = !mensaje;
  }

  // A problem+json answer as one sentence a person can read (never echoing values back).
  function mensajeDe(status, cuerpo) {
    if (cuerpo && Array.isArray(cuerpo.errores) && cuerpo.errores.length) {
      return cuerpo.errores.map((e) => `${CAMPOS[e.campo] || e.campo}: ${e.mensaje}`).join("; ");
    }
    if (cuerpo && cuerpo.detail) return cuerpo.detail;
    if (status === 413) return "El reclamo es demasiado largo.";
    return `No se pudo completar la solicitud (error ${status}).`;
  }

  async function pedir(ruta, opciones = {}) {
    let r;
    try {
      r = await fetch(API + ruta, opciones);
    } catch (e) {
      throw Object.assign(new Error("No se pudo contactar el servidor; intente de nuevo."), { status: 0 });
    }
    const tipo = r.headers.get("content-type") || "";
    const cuerpo = tipo.includes("json") ? await r.json() : null;
    if (!r.ok) throw Object.assign(new Error(mensajeDe(r.status, cuerpo)), { status: r.status });
    return cuerpo;
  }

  function contador(campo, cuenta, maximo) {
    const actualizar = () => { cuenta.textContent = `${campo.value.length}/${maximo}`; };
    campo.addEventListener("input", actualizar);
    actualizar();
  }

  function opciones(select, items, vacia) {
    select.replaceChildren(new Option(vacia, ""));
    for (const it of items) select.append(new Option(it.nombre, it.codigo));
  }

  // --- Filing -------------------------------------------------------------------------------

  async function cargarDepartamentos() {
    const sel = $("departamento");
    try {
      const r = await pedir("/territorio/departamentos");
      opciones(sel, r.data, "Elija el departamento");
    } catch (e) {
      opciones(sel, [], "No disponible");
      mostrarError($("error-reclamo"), e.message);
    }
  }

  async function cargarMunicipios() {
    const dep = $("departamento").value;
    const sel = $("municipio");
    sel.disabled = true;
    if (!dep) {
      opciones(sel, [], "Elija primero el departamento");
      return;
    }
    opciones(sel, [], "Cargando…");
    try {
      const r = await pedir(`/territorio/municipios?departamento=${encodeURIComponent(dep)}`);
      const lista = r.data.slice().sort((a, b) => a.nombre.localeCompare(b.nombre, "es"));
      opciones(sel, lista, "Elija el municipio");
      sel.disabled = false;
    } catch (e) {
      mostrarError($("error-reclamo"), e.message);
    }
  }

  function valor(id) {
    const v = $(id).value.trim();
    return v === "" ? null : v;
  }

  async function presentar(ev) {
    ev.preventDefault();
    const error = $("error-reclamo");
    mostrarError(error, "");
    const faltan = [];
    if (!$("municipio").value) faltan.push("el municipio");
    if (!valor("asunto")) faltan.push("el asunto");
    if (!valor("descripcion")) faltan.push("la descripción");
    if (faltan.length) {
      mostrarError(error, `Indique ${faltan.join(", ")}.`);
      return;
    }
    const cuerpo = {
      municipio_codigo: $("municipio").value,
      asunto: $("asunto").value,
      descripcion: $("descripcion").value,
      nombre_contacto: valor("nombre_contacto"),
      contacto: valor("contacto"),
    };
    const boton = $("enviar");
    boton.disabled = true;
    try {
      // Filed as the public, even by signed-in staff: the form is the public one.
      const r = await pedir("/reclamos", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(cuerpo),
      });
      $("codigo-nuevo").textContent = r.codigo;
      $("resultado").hidden = false;
      for (const id of ["asunto", "descripcion", "nombre_contacto", "contacto"]) {
        $(id).value = "";
        $(id).dispatchEvent(new Event("input"));
      }
      $("codigo").value = r.codigo;
      mostrarSeguimiento(r);
    } catch (e) {
      mostrarError(error, e.message);
    } finally {
      boton.disabled = false;
    }
  }

  // --- Tracking -----------------------------------------------------------------------------

  function mostrarSeguimiento(r) {
    $("s-codigo").textContent = r.codigo;
    $("s-estado").textContent = ESTADOS[r.estado] || r.estado;
    $("s-estado").dataset.estado = r.estado;
    $("s-recibido").textContent = fecha(r.recibido);
    $("s-plazo").textContent = r.respondido
      ? `Respondido el ${fecha(r.respondido)}`
      : `Hasta el ${fecha(sumarDias(r.recibido, r.plazo_dias || PLAZO))}`;
    $("s-municipio").textContent = r.municipio ? r.municipio.nombre : "";
    $("s-asunto").textContent = r.asunto;
    $("s-respuesta").textContent = r.respuesta || "Aún sin respuesta.";
    $("seguimiento").hidden = false;
  }

  async function consultar(ev) {
    ev.preventDefault();
    const error = $("error-consulta");
    mostrarError(error, "");
    const codigo = $("codigo").value.trim();
    if (!codigo) {
      mostrarError(error, "Escriba el código de seguimiento.");
      return;
    }
    try {
      mostrarSeguimiento(await pedir(`/reclamos/seguimiento/${encodeURIComponent(codigo)}`));
    } catch (e) {
      $("seguimiento").hidden = true;
      mostrarError(error, e.status === 404 ? "No hay ningún reclamo con ese código." : e.message);
    }
  }

  // --- Staff --------------------------------------------------------------------------------

  function sesion() {
    try {
      const s = JSON.parse(sessionStorage.getItem("sigg.sesion") || "null");
      if (!s || typeof s.token !== "string" || !s.token) return null;
      return typeof s.vence === "number" && s.vence <= Date.now() ? null : s;
    } catch (e) {
      return null;
    }
  }

  function conToken(s, opciones = {}) {
    return { ...opciones, headers: { ...(opciones.headers || {}), Authorization: `Bearer ${s.token}` } };
  }

  function errorPersonal(el, e) {
    mostrarError(el, e.status === 401
      ? "Su sesión expiró: vuelva a iniciar sesión en el mapa."
      : e.message);
  }

  async function cargarVencidos(s) {
    const ul = $("resumen-vencidos");
    try {
      const r = await pedir("/reclamos/vencidos", conToken(s));
      ul.replaceChildren(...r.data.map((u) => {
        const li = nodo("li", `${u.unidad_operativa.nombre}: ${u.count} vencido${u.count === 1 ? "" : "s"}`);
        if (u.count) li.className = "con-vencidos";
        return li;
      }));
    } catch (e) {
      ul.replaceChildren();
    }
  }

  async function cargarLista(s) {
    const error = $("error-personal");
    mostrarError(error, "");
    const q = new URLSearchParams({ limit: "200" });
    if ($("filtro-estado").value) q.set("estado", $("filtro-estado").value);
    if ($("filtro-vencidos").checked) q.set("vencidos", "true");
    const tbody = $("tabla-reclamos").tBodies[0];
    try {
      const r = await pedir(`/reclamos?${q}`, conToken(s));
      tbody.replaceChildren(...r.data.map((d) => fila(s, d)));
      $("sin-reclamos").hidden = r.data.length > 0;
    } catch (e) {
      tbody.replaceChildren();
      errorPersonal(error, e);
    }
    cargarVencidos(s);
  }

  function fila(s, d) {
    const tr = nodo("tr");
    if (d.vencido) tr.className = "vencido";
    const estado = nodo("td", ESTADOS[d.estado] || d.estado);
    if (d.vencido) estado.append(" ", nodo("span", `${d.dias_vencido} d de atraso`, "atraso"));
    tr.append(
      nodo("td", d.codigo, "codigo"), nodo("td", fecha(d.recibido)), nodo("td", fecha(d.vence)),
      nodo("td", d.municipio.nombre), nodo("td", d.asunto, "texto"), estado,
    );
    const ver = nodo("button", "Ver");
    ver.type = "button";
    ver.addEventListener("click", () => verDetalle(s, d.id));
    const celda = nodo("td");
    celda.append(ver);
    tr.append(celda);
    return tr;
  }

  let actual = null;

  async function verDetalle(s, id) {
    const error = $("error-detalle");
    mostrarError(error, "");
    try {
      mostrarDetalle(await pedir(`/reclamos/${id}`, conToken(s)));
    } catch (e) {
      $("detalle").hidden = false;
      errorPersonal(error, e);
    }
  }

  function mostrarDetalle(d) {
    actual = d;
    $("d-titulo").textContent = `Reclamo ${d.codigo}`;
    const datos = [
      ["Estado", (ESTADOS[d.estado] || d.estado) + (d.vencido ? ` (vencido hace ${d.dias_vencido} d)` : "")],
      ["Recibido", `${fecha(d.recibido)} · ${CANALES[d.canal] || d.canal}`],
      ["Vence", fecha(d.vence)],
      ["Municipio", `${d.municipio.nombre} (${d.unidad_operativa.nombre})`],
      ["Alianza", d.alianza ? `${d.alianza.codigo} · ${d.alianza.nombre}` : "—"],
      ["Asunto", d.asunto],
      ["Descripción", d.descripcion],
      ["Nombre", d.nombre_contacto || "—"],
      ["Contacto", d.contacto || "—"],
      ["Respuesta", d.respuesta || "—"],
      ["Respondido", d.respondido ? `${fecha(d.respondido)} por ${d.respondido_por || "—"}` : "—"],
    ];
    $("d-datos").replaceChildren(...datos.flatMap(([k, v]) => [nodo("dt", k), nodo("dd", v, "texto")]));
    $("marcar-atencion").hidden = d.estado !== "recibido";
    $("form-respuesta").hidden = d.estado === "respondido";
    $("respondido").min = d.recibido;
    $("detalle").hidden = false;
  }

  async function cambiar(s, ruta, cuerpo) {
    const error = $("error-detalle");
    mostrarError(error, "");
    try {
      const opciones = { method: "POST" };
      if (cuerpo) {
        opciones.headers = { "Content-Type": "application/json" };
        opciones.body = JSON.stringify(cuerpo);
      }
      mostrarDetalle(await pedir(ruta, conToken(s, opciones)));
      cargarLista(s);
      return true;
    } catch (e) {
      errorPersonal(error, e);
      return false;
    }
  }

  function iniciarPersonal() {
    const s = sesion();
    if (!s) return;
    const u = s.usuario || {};
    const partes = [u.nombre_usuario, ROLES[u.rol] || u.rol, u.unidad_operativa].filter(Boolean);
    $("quien").textContent = partes.join(" · ");
    $("personal").hidden = false;
    $("form-filtro").addEventListener("submit", (ev) => { ev.preventDefault(); cargarLista(s); });
    $("marcar-atencion").addEventListener("click", () => {
      if (actual) cambiar(s, `/reclamos/${actual.id}/en-atencion`);
    });
    $("form-respuesta").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!actual) return;
      if (!$("respuesta").value.trim()) {
        mostrarError($("error-detalle"), "Escriba la respuesta.");
        return;
      }
      const cuerpo = { respuesta: $("respuesta").value };
      if ($("respondido").value) cuerpo.respondido = $("respondido").value;
      if (await cambiar(s, `/reclamos/${actual.id}/respuesta`, cuerpo)) {
        $("respuesta").value = "";
        $("respuesta").dispatchEvent(new Event("input"));
        $("respondido").value = "";
      }
    });
    contador($("respuesta"), $("cuenta-respuesta"), 4000);
    cargarLista(s);
  }

  function iniciar() {
    contador($("asunto"), $("cuenta-asunto"), 200);
    contador($("descripcion"), $("cuenta-descripcion"), 4000);
    $("departamento").addEventListener("change", cargarMunicipios);
    $("form-reclamo").addEventListener("submit", presentar);
    $("form-consulta").addEventListener("submit", consultar);
    cargarDepartamentos();
    iniciarPersonal();
    const codigo = new URLSearchParams(location.search).get("codigo");
    if (codigo) {
      $("codigo").value = codigo;
      $("form-consulta").requestSubmit();
    }
  }

  iniciar();
})();
