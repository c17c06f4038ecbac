// One API's spec rendered by Swagger UI (served by the mock itself, no CDN), with "Try it out"
// aimed at this mock's mount of the API. The spec is fetched here, with the admin token the
// dashboard keeps in sessionStorage when the server has one.
"use strict";

(async function showSpec() {
  const status = document.getElementById("docs-status");
  const apiId = new URLSearchParams(location.search).get("api");
  const token = sessionStorage.getItem("mockserver.adminToken");
  const headers = {"Accept": "application/json", ...(token ? {"X-Mock-Admin-Token": token} : {})};
  try {
    const index = await (await fetch("/__mock/apis", {headers, cache: "no-store"})).json();
    const api = (index.apis || []).find((a) => a.id === apiId);
    if (!api) throw new Error(`No API ${apiId} is served here`);
    const answer = await fetch(`/__mock/specs/${encodeURIComponent(apiId)}?format=json`, {headers, cache: "no-store"});
    if (!answer.ok) throw new Error(`the spec could not be read (${answer.status})`);
    const spec = await answer.json();
    // "Try it out" goes to this mock: the API's mount on this origin, not the vendor's servers.
    spec.servers = [{url: location.origin + (api.mount || ""), description: "this mock"}];
    status.textContent = `${api.title} — served at ${location.origin}${api.mount || "/"}`;
    window.SwaggerUIBundle({
      spec, dom_id: "#swagger", deepLinking: false, validatorUrl: null, docExpansion: "list",
      defaultModelsExpandDepth: 0, tryItOutEnabled: false,
    });
  } catch (error) {
    status.textContent = `Cannot show the docs: ${error.message}`;
  }
})();
