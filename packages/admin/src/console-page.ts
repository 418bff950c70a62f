/**
 * The operator's web console: one static page, no build step, no external assets. It keeps the
 * token the operator types in sessionStorage and calls the JSON API with it; everything it
 * shows goes through textContent, never innerHTML.
 */
export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>centrex console</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; }
th { background: #f4f4f4; }
button.link { background: none; border: none; color: #0645ad; cursor: pointer; padding: 0; }
#error { color: #b00; }
</style>
</head>
<body>
<h1>centrex</h1>
<form id="login"><label>API token <input id="token" type="password" autocomplete="off" size="40"></label>
<button>Connect</button></form>
<p id="error" role="alert"></p>
<section id="customers" hidden><h2>Customers</h2>
<table><thead><tr><th>Domain</th><th>Name</th><th>Status</th></tr></thead><tbody></tbody></table></section>
<section id="extensions" hidden><h2>Extensions of <span id="domain"></span></h2>
<table><thead><tr><th>Number</th><th>Name</th><th>Enabled</th><th>Registered</th></tr></thead><tbody></tbody></table></section>
<script>
"use strict";
const $ = (s) => document.querySelector(s);
let token = sessionStorage.getItem("centrex-token") || "";
async function api(path) {
  const res = await fetch(path, { headers: { authorization: "Bearer " + token } });
  const body = await res.json();
  if (!res.ok) throw new Error(body.error ? body.error.message : res.statusText);
  return body;
}
function row(tbody, cells) {
  const tr = document.createElement("tr");
  for (const c of cells) {
    const td = document.createElement("td");
    if (c instanceof Node) td.append(c); else td.textContent = String(c);
    tr.append(td);
  }
  tbody.append(tr);
}
// Every suspension in force, with why and since when: a PSTN-only suspension is not "active".
function statusText(c) {
  const s = (c.suspensions || []).map((x) =>
    x.kind + (x.since ? " since " + new Date(x.since).toISOString().slice(0, 16).replace("T", " ") + "Z" : "") +
    (x.reason ? " (" + x.reason + ")" : ""));
  return s.length === 0 ? c.status : c.status + ": " + s.join("; ");
}
async function showCustomers() {
  $("#error").textContent = "";
  try {
    const list = await api("/customers");
    const tbody = $("#customers tbody");
    tbody.replaceChildren();
    for (const c of list) {
      const b = document.createElement("button");
      b.className = "link"; b.textContent = c.domain;
      b.onclick = () => showExtensions(c.domain);
      row(tbody, [b, c.name, statusText(c)]);
    }
    $("#customers").hidden = false;
  } catch (e) { $("#error").textContent = e.message; }
}
async function showExtensions(domain) {
  $("#error").textContent = "";
  try {
    const list = await api("/customers/" + encodeURIComponent(domain) + "/extensions");
    const tbody = $("#extensions tbody");
    tbody.replaceChildren();
    for (const e of list) row(tbody, [e.number, e.displayName, e.enabled ? "yes" : "no", e.registered]);
    $("#domain").textContent = domain;
    $("#extensions").hidden = false;
  } catch (e) { $("#error").textContent = e.message; }
}
$("#login").onsubmit = (ev) => {
  ev.preventDefault();
  token = $("#token").value.trim();
  sessionStorage.setItem("centrex-token", token);
  showCustomers();
};
if (token) showCustomers();
</script>
</body>
</html>
`;
