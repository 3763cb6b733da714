// The API reference page (/api/docs): Swagger UI, served from static/vendor/swagger-ui, on /api/openapi.json.
(function () {
  "use strict";
  var root = document.getElementById("api-docs");
  window.ui = window.SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    docExpansion: "none",  // tags folded: a page of every operation at once is too much for a phone
  });
})();
