// Swagger UI for /docs. It starts from this file rather than from an inline script (as FastAPI's
// own page does), so the page runs under the same Content-Security-Policy as every other one:
// script-src 'self', no 'unsafe-inline'. Swagger UI comes from the npm package swagger-ui-dist,
// vendored in /static/vendor/swagger-ui-dist: no CDN, it works with no internet.
"use strict";

(function () {
  const raiz = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: raiz.dataset.openapi,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    // Swagger UI's default sends the document to an online validator for a badge.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  });
})();
