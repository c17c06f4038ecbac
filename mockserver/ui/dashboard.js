// The dashboard: vanilla JavaScript over the control API (/__mock/...), no build step.
// Everything shown comes from the server already masked; nothing here ever unmasks.
// Data is written with textContent only, never as HTML: a request body is the client's text.
"use strict";

const TOKEN_KEY = "mockserver.adminToken";  // sessionStorage: this tab only, never a URL
const POLL_MS = 1000;                      // the live feed's period ("within a second")
const FEED_LIMIT = 200;                    // at most this many new entries per poll
const MAX_ROWS = 500;                      // rows kept on screen

const ui = {apis: [], tab: "requests", lastId: null, rows: [], selected: null, watch: null,
            pollTimer: null, faultTimer: null, watchTimer: null, statePick: null};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

// --- talking to the control API ---------------------------------------------------------
class Unauthorized extends Error {}

async function call(method, path, body) {
  const headers = {"Accept": "application/json"};
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers["X-Mock-Admin-Token"] = token;
  const init = {method, headers, cache: "no-store"};
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    showLogin("The admin token was refused.");
    throw new Unauthorized("unauthorized");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (e) { data = {message: text}; }
  if (!response.ok) throw new Error((data && data.message) || `${method} ${path}: ${response.status}`);
  return data;
}

function showError(error) {
  if (error instanceof Unauthorized) return;
  const banner = $("error-banner");
  banner.textContent = String(error.message || error);
  banner.hidden = false;
  setTimeout(() => { banner.hidden = true; }, 6000);
}

// --- login (only when the server has an admin token) -----------------------------------
function showLogin(message) {
  $("app").hidden = true;
  $("tabs").hidden = true;
  $("login").hidden = false;
  $("login-message").textContent = sessionStorage.getItem(TOKEN_KEY) ? message : "";
  sessionStorage.removeItem(TOKEN_KEY);
  stopTimers();
  $("login-token").focus();
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $("login-token").value);
  $("login-token").value = "";
  start();
});

// --- tabs -------------------------------------------------------------------------------
function stopTimers() {
  for (const name of ["pollTimer", "faultTimer", "watchTimer"]) {
    clearTimeout(ui[name]);
    ui[name] = null;
  }
}

function showTab(name) {
  ui.tab = name;
  for (const button of document.querySelectorAll("#tabs button")) {
    button.classList.toggle("active", button.dataset.tab === name);
  }
  for (const section of document.querySelectorAll("main .tab")) section.hidden = section.id !== `tab-${name}`;
  clearTimeout(ui.faultTimer);
  if (name === "requests") poll();
  if (name === "scenarios") loadScenarios().catch(showError);
  if (name === "faults") refreshFaults();
  if (name === "state") loadCollections().catch(showError);
  if (name === "docs") showDocs(ui.docsApi || (ui.apis[0] && ui.apis[0].id));
  history.replaceState(null, "", `#${name}`);
}

for (const button of document.querySelectorAll("#tabs button")) {
  button.addEventListener("click", () => showTab(button.dataset.tab));
}

async function start() {
  let index;
  try {
    if (!sessionStorage.getItem(TOKEN_KEY)) {
      const config = await (await fetch("/__mock/ui/config.json", {cache: "no-store"})).json();
      if (config.admin_token_required) { showLogin(""); return; }
    }
    index = await call("GET", "/__mock/apis");
  } catch (error) {
    if (!(error instanceof Unauthorized)) showError(error);
    return;
  }
  ui.apis = index.apis;
  ui.watch = index.watch;
  $("login").hidden = true;
  $("app").hidden = false;
  $("tabs").hidden = false;
  fillApiSelects();
  if (ui.watch) pollWatch();
  const wanted = location.hash.slice(1);
  showTab(["requests", "scenarios", "faults", "state", "docs"].includes(wanted) ? wanted : "requests");
}

function fillApiSelects() {
  for (const id of ["req-api", "f-api"]) {
    const select = $(id);
    select.replaceChildren(select.options[0]);
    for (const api of ui.apis) select.append(el("option", {value: api.id}, api.id));
  }
  fillOperations();
}

// --- the spec watcher's errors (GET /__mock/watch, when the server has one) --------------
async function pollWatch() {
  try {
    const watch = await call("GET", ui.watch);
    const banner = $("watch-banner");
    const errors = (watch && watch.errors) || [];
    banner.replaceChildren(...errors.map((e) =>
      el("div", {}, el("strong", {}, `${e.file}: `), e.message, e.at ? ` (${e.at})` : "")));
    banner.hidden = errors.length === 0;
  } catch (error) {
    if (error instanceof Unauthorized) return;
    if (/404/.test(String(error.message))) { ui.watch = null; return; }  // no watcher: nothing to show
  }
  ui.watchTimer = setTimeout(pollWatch, 2000);
}

// --- Requests: the journal, live --------------------------------------------------------
function feedQuery() {
  const query = new URLSearchParams({summary: "true", limit: String(FEED_LIMIT)});
  if ($("req-api").value) query.set("api", $("req-api").value);
  if ($("req-status").value) query.set("status", $("req-status").value);
  if ($("req-unmatched").checked) query.set("matched", "false");
  if (ui.lastId !== null) query.set("since", String(ui.lastId));
  return query;
}

async function poll() {
  clearTimeout(ui.pollTimer);
  if (ui.tab !== "requests") return;
  try {
    if (!document.hidden) {
      const page = await call("GET", `/__mock/requests?${feedQuery()}`);
      addRows(page.requests);
      $("live").textContent = `live · ${new Date().toLocaleTimeString()}`;
    }
  } catch (error) {
    if (error instanceof Unauthorized) return;
    $("live").textContent = "not connected";
  }
  ui.pollTimer = setTimeout(poll, POLL_MS);
}

document.addEventListener("visibilitychange", () => { if (!document.hidden && ui.tab === "requests") poll(); });

function restartFeed() {
  ui.lastId = null;
  ui.rows = [];
  $("req-table").tBodies[0].replaceChildren();
  $("req-detail").hidden = true;  // the entry it shows may not be in the new list
  addRows([]);
  poll();
}

for (const id of ["req-api", "req-status", "req-unmatched"]) $(id).addEventListener("change", restartFeed);

$("req-clear").addEventListener("click", async () => {
  try {
    await call("DELETE", "/__mock/requests");
    $("req-detail").hidden = true;
    restartFeed();
  } catch (error) { showError(error); }
});

function statusClass(status) {
  return status === null ? "sdrop" : `s${String(status)[0]}`;
}

function plainViolation(v) {
  const where = [v.location, v.pointer].filter(Boolean).join(" ");
  return where ? `${where}: ${v.message}` : v.message;
}

function addRows(entries) {
  const body = $("req-table").tBodies[0];
  for (const entry of entries) {
    ui.lastId = Math.max(ui.lastId || 0, entry.id);
    const path = el("td", {class: "path"}, entry.path);
    if (entry.violations.length && !entry.unmatched && (entry.status === null || entry.status >= 400)) {
      path.append(el("ul", {class: "violations"}, ...entry.violations.slice(0, 5).map((v) =>
        el("li", {}, plainViolation(v)))));
    }
    if (entry.unmatched) path.append(el("ul", {class: "violations"}, el("li", {}, entry.unmatched.why || "no operation")));
    const row = el("tr", {"data-id": entry.id, onclick: () => openEntry(entry.id, row)},
      el("td", {}, entry.time.slice(11, 23)), el("td", {}, entry.api || "—"), el("td", {}, entry.operation || "—"),
      el("td", {}, entry.method), path,
      el("td", {class: statusClass(entry.status)}, entry.status === null ? "dropped" : entry.status,
         entry.fault ? ` (fault ${entry.fault.id})` : ""),
      el("td", {class: "num"}, entry.durationMs.toFixed(1)));
    body.prepend(row);
  }
  while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
  $("req-count").textContent = `${body.rows.length} shown`;
  $("req-empty").hidden = body.rows.length > 0;
}

async function openEntry(id, row) {
  for (const other of document.querySelectorAll("#req-table tr.selected")) other.classList.remove("selected");
  row.classList.add("selected");
  const aside = $("req-detail");
  let entry;
  try {
    entry = await call("GET", `/__mock/requests/${id}`);
  } catch (error) {
    showError(error);
    return;
  }
  const curl = curlOf(entry);
  const copied = el("span", {class: "muted"});
  aside.replaceChildren(...[
    el("button", {type: "button", onclick: () => { aside.hidden = true; row.classList.remove("selected"); }}, "Close"),
    el("h3", {}, `${entry.method} ${entry.path} → ${entry.status === null ? "dropped" : entry.status}`),
    el("p", {class: "muted"}, `${entry.time} · ${entry.api || "no API"} · ${entry.operation || "no operation"} · `
       + `${entry.durationMs} ms`),
    entry.violations.length ? el("h3", {}, "Violations") : null,
    entry.violations.length ? el("ul", {class: "violations"},
      ...entry.violations.map((v) => el("li", {}, plainViolation(v)))) : null,
    entry.unmatched ? el("p", {class: "error"}, `Unmatched: ${entry.unmatched.why}`) : null,
    entry.fault ? el("p", {class: "error"}, `Fault ${entry.fault.id} applied`) : null,
    el("h3", {}, "Copy as curl"),
    el("pre", {id: "req-curl"}, curl),
    el("button", {type: "button", onclick: () => copyText(curl, copied)}, "Copy"), copied,
    el("h3", {}, "Request headers"), el("pre", {}, JSON.stringify(entry.request.headers, null, 2)),
    Object.keys(entry.query || {}).length ? el("h3", {}, "Query") : null,
    Object.keys(entry.query || {}).length ? el("pre", {}, JSON.stringify(entry.query, null, 2)) : null,
    el("h3", {}, "Request body"), el("pre", {id: "req-body"}, JSON.stringify(entry.request.body, null, 2)),
    el("h3", {}, "Response headers"), el("pre", {}, JSON.stringify(entry.response.headers, null, 2)),
    el("h3", {}, "Response body"), el("pre", {id: "resp-body"}, JSON.stringify(entry.response.body, null, 2)),
  ].filter(Boolean));
  aside.hidden = false;
}

function copyText(text, note) {
  if (!navigator.clipboard) { note.textContent = " select the command and copy it"; return; }
  navigator.clipboard.writeText(text).then(() => { note.textContent = " copied"; },
                                           () => { note.textContent = " select the command and copy it"; });
}

const shellQuote = (text) => `'${String(text).replace(/'/g, "'\\''")}'`;
const SKIPPED_HEADERS = new Set(["host", "content-length", "connection", "accept-encoding", "transfer-encoding"]);

// The command from the masked entry: a masked secret stays "***" (fill it in yourself).
function curlOf(entry) {
  const parts = ["curl", "-s"];
  if (entry.method !== "GET") parts.push("-X", entry.method);
  const query = new URLSearchParams();
  for (const [name, values] of Object.entries(entry.query || {})) for (const value of values) query.append(name, value);
  const text = query.toString();
  parts.push(shellQuote(location.origin + entry.path + (text ? `?${text}` : "")));
  const headers = entry.request.headers || {};
  for (const [name, value] of Object.entries(headers)) {
    if (!SKIPPED_HEADERS.has(name.toLowerCase())) parts.push("-H", shellQuote(`${name}: ${value}`));
  }
  const body = entry.request.body;
  if (body && (body.notJson || body.notKept)) {
    parts.push(`# body not kept (${body.bytes} bytes of ${body.contentType || "unknown type"})`);
  } else if (body !== null && body !== undefined) {
    const type = Object.entries(headers).find(([name]) => name.toLowerCase() === "content-type");
    const form = type && type[1].startsWith("application/x-www-form-urlencoded");
    parts.push("--data-raw", shellQuote(form ? new URLSearchParams(body).toString() : JSON.stringify(body)));
  }
  return parts.join(" ");
}

// --- Scenarios --------------------------------------------------------------------------
async function loadScenarios() {
  const data = await call("GET", "/__mock/scenarios");
  $("sc-started").textContent = data.started_from && data.started_from.length
    ? `This server started from: ${data.started_from.join(", ")}` : "";
  $("sc-table").tBodies[0].replaceChildren(...data.scenarios.map((s) => el("tr", {"data-name": s.name},
    el("td", {}, el("strong", {}, s.name)), el("td", {}, s.description),
    el("td", {}, el("button", {type: "button", onclick: () => loadScenario(s.name)}, "Load")))));
}

function say(id, text) { $(id).textContent = text; }

function countsText(counts) {
  return Object.entries(counts || {}).map(([api, collections]) =>
    `${api}: ${Object.entries(collections).map(([name, n]) => `${n} ${name}`).join(", ")}`).join("; ");
}

async function loadScenario(name) {
  try {
    const answer = await call("POST", `/__mock/scenarios/${encodeURIComponent(name)}`);
    say("sc-message", `Loaded ${name}. ${countsText(answer.counts)}`);
  } catch (error) { showError(error); }
}

$("sc-reset").addEventListener("click", async () => {
  try {
    const answer = await call("POST", "/__mock/reset");
    say("sc-message", `Reset. ${countsText(answer.counts)}`);
  } catch (error) { showError(error); }
});

// The state holds the stored secrets in clear (it must load back): it goes to a file, never on screen.
$("sc-export").addEventListener("click", async () => {
  try {
    const state = await call("GET", "/__mock/state");
    const blob = new Blob([JSON.stringify(state, null, 2)], {type: "application/json"});
    const link = el("a", {href: URL.createObjectURL(blob),
                          download: `mockserver-state-${new Date().toISOString().replace(/[:.]/g, "-")}.json`});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    say("sc-message", "State exported.");
  } catch (error) { showError(error); }
});

$("sc-file").addEventListener("change", async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const answer = await call("PUT", "/__mock/state", await file.text());
    say("sc-message", `Loaded ${file.name}. ${countsText(answer.counts)}`);
  } catch (error) { showError(error); }
  event.target.value = "";
});

// --- Faults -----------------------------------------------------------------------------
function fillOperations() {
  const api = ui.apis.find((a) => a.id === $("f-api").value);
  const select = $("f-operation");
  select.replaceChildren(el("option", {value: ""}, "any"));
  for (const op of (api ? api.operations : [])) {
    select.append(el("option", {value: op.id}, `${op.id} — ${op.method} ${op.path}`));
  }
}

$("f-api").addEventListener("change", fillOperations);

function describeRule(rule) {
  const matches = ["api", "operation", "method", "path"].filter((k) => rule[k]).map((k) => `${k} ${rule[k]}`);
  const does = [];
  if (rule.latency) does.push(`wait ${rule.latency.min === rule.latency.max ? rule.latency.min
                                                                             : `${rule.latency.min}-${rule.latency.max}`} ms`);
  if (rule.status) does.push(`answer ${rule.status}`);
  if (rule.drop) does.push("drop the connection");
  return [matches.join(", ") || "every API request", does.join(", then ")];
}

async function refreshFaults() {
  clearTimeout(ui.faultTimer);
  if (ui.tab !== "faults") return;
  try {
    const view = await call("GET", "/__mock/faults");
    $("f-latency-global").textContent = view.latency ? `--latency ${view.latency.min}-${view.latency.max} ms on every request` : "";
    $("f-table").tBodies[0].replaceChildren(...view.rules.map((rule) => {
      const [matches, does] = describeRule(rule);
      return el("tr", {"data-id": rule.id}, el("td", {}, rule.id), el("td", {}, matches), el("td", {}, does),
        el("td", {class: "num"}, rule.probability), el("td", {class: "num"}, rule.times === null ? "always" : rule.times),
        el("td", {class: "num fired"}, rule.fired), el("td", {class: "num"}, rule.remaining === null ? "—" : rule.remaining),
        el("td", {}, el("button", {type: "button", onclick: () => removeFault(rule.id)}, "Remove")));
    }));
  } catch (error) {
    if (error instanceof Unauthorized) return;
    showError(error);
  }
  ui.faultTimer = setTimeout(refreshFaults, POLL_MS);
}

async function removeFault(id) {
  try {
    await call("DELETE", `/__mock/faults/${encodeURIComponent(id)}`);
    refreshFaults();
  } catch (error) { showError(error); }
}

$("f-clear").addEventListener("click", async () => {
  try {
    await call("DELETE", "/__mock/faults");
    refreshFaults();
  } catch (error) { showError(error); }
});

$("fault-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const rule = {};
  for (const [key, id] of [["api", "f-api"], ["operation", "f-operation"], ["method", "f-method"], ["path", "f-path"]]) {
    if ($(id).value.trim()) rule[key] = $(id).value.trim();
  }
  const kind = document.querySelector("input[name=f-kind]:checked").value;
  if (kind === "status") rule.status = Number($("f-status").value);
  if (kind === "latency") rule.latency = /^\d+(\.\d+)?$/.test($("f-latency").value.trim())
    ? Number($("f-latency").value) : $("f-latency").value.trim();
  if (kind === "drop") rule.drop = true;
  rule.probability = Number($("f-probability").value || 1);
  if ($("f-times").value) rule.times = Number($("f-times").value);
  try {
    const added = await call("POST", "/__mock/faults", rule);
    say("f-message", "");
    $("f-message").className = "muted";
    say("f-message", `Added ${added.id}.`);
    refreshFaults();
  } catch (error) {
    if (error instanceof Unauthorized) return;
    $("f-message").className = "error";
    say("f-message", error.message);
  }
});

// --- State ------------------------------------------------------------------------------
async function loadCollections() {
  const index = await call("GET", "/__mock/apis");
  ui.apis = index.apis;
  $("st-collections").replaceChildren(...ui.apis.flatMap((api) => [
    el("h3", {}, api.id),
    ...Object.entries(api.collections).map(([name, count]) => el("button", {
      type: "button", "data-api": api.id, "data-collection": name,
      onclick: () => showCollection(api.id, name, 1)}, `${name} (${count})`)),
  ]));
  if (ui.statePick) showCollection(ui.statePick.api, ui.statePick.collection, ui.statePick.page);
}

function cellText(value) {
  if (value === null || value === undefined) return "";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

async function showCollection(api, collection, page) {
  ui.statePick = {api, collection, page};
  for (const button of document.querySelectorAll("#st-collections button")) {
    button.classList.toggle("active", button.dataset.api === api && button.dataset.collection === collection);
  }
  let data;
  try {
    data = await call("GET", `/__mock/state/${encodeURIComponent(api)}/${encodeURIComponent(collection)}?page=${page}&size=25`);
  } catch (error) { showError(error); return; }
  const columns = [...new Set(data.items.flatMap((item) => Object.keys(item)))];
  const pager = el("div", {class: "toolbar"},
    el("strong", {}, `${api} · ${collection}`), `${data.total} in all · page ${data.page} of ${data.pages}`,
    el("button", {type: "button", onclick: () => showCollection(api, collection, data.page - 1),
                  ...(data.page <= 1 ? {disabled: ""} : {})}, "Previous"),
    el("button", {type: "button", onclick: () => showCollection(api, collection, data.page + 1),
                  ...(data.page >= data.pages ? {disabled: ""} : {})}, "Next"));
  const table = el("table", {class: "grid", id: "st-table"},
    el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", {}, c)))),
    el("tbody", {}, ...data.items.map((item) => el("tr", {}, ...columns.map((c) =>
      el("td", {title: cellText(item[c])}, cellText(item[c])))))));
  $("st-page").replaceChildren(pager, table);
}

// --- Docs -------------------------------------------------------------------------------
function showDocs(apiId) {
  if (!apiId) return;
  ui.docsApi = apiId;
  const api = ui.apis.find((a) => a.id === apiId);
  $("docs-apis").replaceChildren(...ui.apis.map((a) => el("button", {
    type: "button", class: a.id === apiId ? "active" : "", "data-api": a.id, onclick: () => showDocs(a.id)}, a.title)));
  $("docs-mount").textContent = `${api.title}: served at ${location.origin}${api.mount || "/"} · spec ${api.spec}`;
  const source = `/__mock/ui/docs.html?api=${encodeURIComponent(apiId)}`;
  if ($("docs-frame").getAttribute("src") !== source) $("docs-frame").setAttribute("src", source);
}

start();
