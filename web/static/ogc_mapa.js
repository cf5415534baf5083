/* The small map of the OGC API HTML pages (/ogc/collections/{id}/items?f=html and one item's
   page). A plain script, not a module, and no inline code: the page's Content-Security-Policy
   allows scripts from this server only. The features come in the page's JSON data block
   (#datos-mapa); the municipal borders of the map page (/api/v1/mapa/capa, TopoJSON, cached
   by the browser) are drawn beneath them for context. Names are set as text, never as HTML. */
(function () {
  "use strict";
  const caja = document.getElementById("mapa");
  const bloque = document.getElementById("datos-mapa");
  if (!caja || !bloque || !window.L) return;
  const BOLIVIA = [[-22.9, -69.7], [-9.7, -57.5]];
  const datos = JSON.parse(bloque.textContent);
  const mapa = L.map(caja, { scrollWheelZoom: false, attributionControl: false, zoomSnap: 0.25 });

  function etiqueta(nombre) {
    const e = document.createElement("span");
    e.textContent = nombre;
    return e;
  }
  const capa = L.geoJSON(datos, {
    style: { color: "#0c2c84", weight: 1.5, fillColor: "#41b6c4", fillOpacity: 0.45 },
    pointToLayer: (_f, latlng) => L.circleMarker(latlng, {
      radius: 6, color: "#ffffff", weight: 1.5, fillColor: "#0c2c84", fillOpacity: 0.9,
    }),
    onEachFeature: (f, layer) => {
      layer.bindTooltip(etiqueta(f.properties.nombre));
      if (f.properties.enlace && datos.features.length > 1) {
        layer.on("click", () => { window.location.href = f.properties.enlace; });
      }
    },
  }).addTo(mapa);

  // One point alone: wide enough to show its municipality and the neighbours.
  const limites = capa.getBounds();
  const cerca = datos.features.length === 1 && datos.features[0].geometry.type === "Point";
  if (limites.isValid()) mapa.fitBounds(limites, { maxZoom: cerca ? 8 : 11, padding: [16, 16] });
  else mapa.fitBounds(BOLIVIA);

  // Context: the municipal borders beneath (skipped quietly if they cannot be fetched).
  const fondo = caja.dataset.fondo;
  if (fondo && window.topojson) {
    fetch(fondo, { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((topo) => {
        const bordes = topojson.mesh(topo, topo.objects.municipios);
        L.geoJSON(bordes, { style: { color: "#94a3b8", weight: 0.7 }, interactive: false })
          .addTo(mapa).bringToBack();
      })
      .catch(() => {});
  }
})();
