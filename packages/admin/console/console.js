// centrex console: talks only to this server's JSON API, with the token the user typed (kept in
// sessionStorage, sent as a bearer token). Live state arrives as server-sent events on
// /console/events, read with fetch so the token goes in a header, never in a URL. Every change
// is a call to the same API routes the CLI's counterparts use; what the page shows goes
// through textContent, never innerHTML.

const $ = (s) => document.querySelector(s);
const state = {
  token: sessionStorage.getItem("centrex-token") || "",
  scope: null,
  domain: null,
  revision: -1,
  calls: 0,
  history: [],
};
let streamAbort = null;

// ---------------------------------------------------------------- API

class ApiFailure extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

async function api(method, path, body) {
  const headers = { authorization: `Bearer ${state.token}` };
  const init = { method, headers };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return null;
  const type = res.headers.get("content-type") || "";
  if (!type.startsWith("application/json")) {
    if (!res.ok) throw new ApiFailure(res.status, `http_${res.status}`, res.statusText);
    return res;
  }
  const json = await res.json();
  if (!res.ok) {
    const e = json.error || {};
    throw new ApiFailure(res.status, e.code || `http_${res.status}`, e.message || res.statusText, e.field);
  }
  return json;
}

function showError(e) {
  const code = e instanceof ApiFailure ? `${e.status} ${e.code}${e.field ? ` (${e.field})` : ""}` : "error";
  $("#error-code").textContent = `${code}:`;
  $("#error-message").textContent = e.message;
  $("#error").hidden = false;
  $("#notice").textContent = "";
}

function clearError() {
  $("#error").hidden = true;
}

/** Runs an action; shows its error, or `done` in the notice line. */
async function act(fn, done) {
  clearError();
  try {
    await fn();
    if (done) $("#notice").textContent = done;
  } catch (e) {
    showError(e);
  }
}

// ---------------------------------------------------------------- rendering helpers

function cell(c) {
  const td = document.createElement("td");
  if (c instanceof Node) td.append(c);
  else td.textContent = c === null || c === undefined ? "" : String(c);
  return td;
}

function fill(tbody, rows) {
  tbody.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement("tr");
      tr.append(...cells.map(cell));
      return tr;
    }),
  );
}

function button(text, onclick, cls) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  if (cls) b.className = cls;
  b.onclick = onclick;
  return b;
}

const time = (iso) => (iso ? `${new Date(iso).toISOString().slice(11, 19)}Z` : "");
const when = (ms) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")}Z`;
const enc = encodeURIComponent;

// Every suspension in force, with why and since when: a PSTN-only suspension is not "active".
function statusText(c) {
  const s = (c.suspensions || []).map(
    (x) =>
      x.kind +
      (x.since ? ` since ${new Date(x.since).toISOString().slice(0, 16).replace("T", " ")}Z` : "") +
      (x.reason ? ` (${x.reason})` : ""),
  );
  return s.length === 0 ? c.status : `${c.status}: ${s.join("; ")}`;
}

function formData(form) {
  const out = {};
  for (const [k, v] of new FormData(form)) out[k] = typeof v === "string" ? v.trim() : v;
  return out;
}

// ---------------------------------------------------------------- tabs

function showTab(name) {
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== name;
  for (const b of document.querySelectorAll("nav button")) {
    if (b.dataset.tab === name) b.setAttribute("aria-current", "page");
    else b.removeAttribute("aria-current");
  }
  return refreshTab(name);
}

function currentTab() {
  const s = [...document.querySelectorAll("main > section")].find((x) => !x.hidden);
  return s ? s.id : "live";
}

/** Loads in progress per tab (an action's refresh can overlap the tab's first load). */
const loading = new Map();

/** Loads a tab's data; the section says aria-busy="true" until it shows it (screen readers, tests). */
async function refreshTab(name) {
  const section = document.getElementById(name);
  loading.set(name, (loading.get(name) ?? 0) + 1);
  section?.setAttribute("aria-busy", "true");
  try {
    if (name === "customers") await loadCustomers();
    else if (name === "customer" && state.domain) await loadCustomer(state.domain);
    else if (name === "carriers") await loadCarriers();
    else if (name === "audit") await loadAudit();
    else if (name === "records") prefillSearch();
    else if (name === "live") {
      await loadHours();
      if (state.scope === null) await loadAlerts();
    }
  } catch (e) {
    showError(e);
  } finally {
    loading.set(name, loading.get(name) - 1);
    if (loading.get(name) === 0) section?.removeAttribute("aria-busy");
  }
}

// ---------------------------------------------------------------- live state (SSE)

function renderLive(s) {
  fill(
    $("#calls tbody"),
    s.calls.map((c) => [
      c.domain,
      c.caller,
      c.dialled,
      c.direction,
      c.destinationClass,
      c.carrier,
      time(c.startedAt),
      c.answered ? "answered" : "ringing",
      hangUpButton(c),
    ]),
  );
  $("#calls-count").textContent = String(s.calls.length);
  fill(
    $("#registrations tbody"),
    s.registrations.map((r) => [r.domain, r.extension, r.contact, r.userAgent, r.source, time(r.expiresAt)]),
  );
  $("#registrations-count").textContent = String(s.registrations.length);
  if (s.carriers) {
    fill(
      $("#carrier-state tbody"),
      s.carriers.map((c) => {
        const st = document.createElement("span");
        st.className = c.up ? "up" : "down";
        st.textContent = c.up ? "up" : "down";
        return [c.name, c.enabled ? "yes" : "no", st, c.registration || "", lossText(c.media)];
      }),
    );
    drawLoss(s.carriers);
  }
  if (s.bans) {
    fill(
      $("#bans tbody"),
      s.bans.map((b) => [
        b.address,
        b.reason,
        time(b.until),
        button("Lift", () =>
          act(() => api("DELETE", `/security/bans/${enc(b.address)}`), `ban on ${b.address} lifted`),
        ),
      ]),
    );
  }
  if (s.node) {
    const n = s.node;
    let text =
      "role " +
      n.role +
      (n.serving ? ", serving" : ", not serving") +
      (n.epoch !== undefined ? `, epoch ${n.epoch}` : "");
    if (n.replication)
      text +=
        "; replication " +
        (n.replication.connected
          ? `connected, ${n.replication.changes} changes / ${n.replication.seconds} s behind`
          : "no link to the peer");
    $("#node-state").textContent = text;
  }
  // A call ended: its record is written, the calls-per-hour chart can count it.
  if (s.calls.length < state.calls) scheduleHours();
  state.calls = s.calls.length;
  if (s.revision !== state.revision) {
    // Someone (this page, another operator, the CLI) changed something: re-read what is shown.
    const first = state.revision === -1;
    state.revision = s.revision;
    if (!first) refreshTab(currentTab());
  }
}

/** Ends the call through the API (BYE to both phones, or CANCEL while ringing); the list follows by SSE. */
function hangUpButton(c) {
  return button(
    "Hang up",
    () => {
      if (!confirm(`End the call from ${c.caller} to ${c.dialled}?`)) return;
      act(async () => {
        const r = await api("POST", `/calls/${enc(c.callId)}/hangup`);
        $("#notice").textContent = `call from ${c.caller} to ${c.dialled} ${r.outcome}`;
      });
    },
    "hangup",
  );
}

// The calls-per-hour chart also moves on with the clock (a new hour), once a minute.
setInterval(() => {
  if (streamAbort && !streamAbort.signal.aborted && currentTab() === "live") loadHours().catch(() => {});
}, 60_000);

// One sample a second of the calls in progress (events come only on changes), the last 5 minutes.
setInterval(() => {
  if (!streamAbort || streamAbort.signal.aborted) return;
  state.history.push(state.calls);
  if (state.history.length > 300) state.history.shift();
  drawChart();
}, 1000);

function drawChart() {
  const h = state.history;
  const max = Math.max(1, ...h);
  const pts = h.map((v, i) => `${(i * 300) / 299},${58 - (v / max) * 54}`).join(" ");
  const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
  line.setAttribute("points", pts);
  const label = document.createElementNS("http://www.w3.org/2000/svg", "text");
  label.setAttribute("x", "2");
  label.setAttribute("y", "10");
  label.setAttribute("font-size", "8");
  label.textContent = `max ${max}`;
  $("#chart-calls").replaceChildren(line, label);
  $("#chart-span").textContent = String(h.length);
}

// ---------------------------------------------------------------- charts (SVG, each with a <title>)

const SVG = "http://www.w3.org/2000/svg";

function svgEl(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** An SVG element with a <title> child: the tooltip and what a screen reader says. */
function titled(el, title) {
  el.append(svgEl("title", {}, title));
  return el;
}

/** Redraws a chart, keeping its own <title> first. */
function redraw(svg, children) {
  const title = svg.querySelector("title");
  svg.replaceChildren(...(title ? [title] : []), ...children);
}

let hoursTimer = null;
function scheduleHours() {
  if (hoursTimer) return;
  hoursTimer = setTimeout(() => {
    hoursTimer = null;
    loadHours().catch(showError);
  }, 1000);
}

async function loadHours() {
  drawHours(await api("GET", "/console/calls-per-hour"));
}

/** 24 bars, one per UTC hour (the current one last): all calls light, answered ones dark. */
function drawHours(hours) {
  const max = Math.max(1, ...hours.map((h) => h.calls));
  const bars = [];
  hours.forEach((h, i) => {
    const x = i * 10 + 1;
    const all = (h.calls / max) * 54;
    const answered = (h.answered / max) * 54;
    const label = `${h.hour.slice(11, 13)}:00Z: ${h.calls} calls, ${h.answered} answered`;
    const g = titled(svgEl("g", { class: "hour" }), label);
    g.append(
      svgEl("rect", { x, y: 58 - all, width: 8, height: all, class: "calls" }),
      svgEl("rect", { x, y: 58 - answered, width: 8, height: answered, class: "answered" }),
    );
    if (i % 3 === 0) g.append(svgEl("text", { x, y: 68, "font-size": 6 }, `${h.hour.slice(11, 13)}h`));
    bars.push(g);
  });
  bars.push(svgEl("text", { x: 2, y: 8, "font-size": 7 }, `max ${max}`));
  redraw($("#chart-hours"), bars);
  $("#chart-hours").dataset.total = String(hours.reduce((n, h) => n + h.calls, 0));
}

/** Loss over the packets whose sequence numbers the relay read (not those the kernel forwarded). */
function lossPercent(m) {
  return m && m.measured > 0 ? (100 * Math.max(0, m.lost)) / m.measured : 0;
}

function lossText(m) {
  if (!m || m.calls === 0) return "no calls yet";
  const of = `${m.measured} packets measured`;
  const unmeasured =
    m.measured < m.packets + m.lost ? ` of ${m.packets} received (the rest forwarded by the kernel)` : "";
  return `${lossPercent(m).toFixed(2)} % of ${of}${unmeasured} (${m.calls} calls)`;
}

/** One horizontal bar per carrier: the share of its RTP lost, on a scale of at least 1 %. */
function drawLoss(carriers) {
  const svg = $("#chart-loss");
  const scale = Math.max(1, ...carriers.map((c) => lossPercent(c.media)));
  svg.setAttribute("viewBox", `0 0 300 ${Math.max(1, carriers.length) * 14 + 6}`);
  svg.setAttribute("height", String((Math.max(1, carriers.length) * 14 + 6) * 2));
  const rows = carriers.map((c, i) => {
    const y = i * 14 + 4;
    const pct = lossPercent(c.media);
    const g = titled(svgEl("g", { class: "carrier-loss" }), `${c.name}: ${lossText(c.media)}`);
    g.append(
      svgEl("text", { x: 2, y: y + 8, "font-size": 7 }, c.name),
      svgEl("rect", { x: 80, y, width: (pct / scale) * 150, height: 10, class: "loss" }),
      svgEl("text", { x: 235, y: y + 8, "font-size": 7 }, `${pct.toFixed(2)} %`),
    );
    return g;
  });
  if (carriers.length === 0)
    rows.push(svgEl("text", { x: 2, y: 12, "font-size": 7 }, "no carrier configured"));
  redraw(svg, rows);
}

function handleEvent(block) {
  let event = "message";
  let data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trim();
  }
  if (event !== "state" || data === "") return;
  const s = JSON.parse(data);
  if (s.error) showError(new ApiFailure(500, s.error.code, s.error.message));
  else {
    renderLive(s);
    // "live" once the page shows the switch's state, not when the stream's headers arrive (the
    // server sends the first state after reading it from the store: a moment later).
    setLive(true);
  }
}

async function stream() {
  streamAbort?.abort();
  const ctl = new AbortController();
  streamAbort = ctl;
  while (!ctl.signal.aborted) {
    try {
      const res = await fetch("/console/events", {
        headers: { authorization: `Bearer ${state.token}` },
        signal: ctl.signal,
      });
      if (!res.ok) {
        const body = await res.json().catch(() => ({}));
        const e = body.error || {};
        throw new ApiFailure(res.status, e.code || `http_${res.status}`, e.message || res.statusText);
      }
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
          handleEvent(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
      if (e instanceof ApiFailure) {
        showError(e);
        if (e.status === 401 || e.status === 403) return logout(false);
      }
    }
    setLive(false);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function setLive(on) {
  const el = $("#live-status");
  el.textContent = on ? "live" : "not connected";
  el.className = on ? "on" : "off";
}

// ---------------------------------------------------------------- operator / customer views

async function loadCustomers() {
  const list = await api("GET", "/customers");
  fill(
    $("#customers tbody"),
    list.map((c) => [button(c.domain, () => openCustomer(c.domain), "link"), c.name, statusText(c)]),
  );
}

async function openCustomer(domain) {
  state.domain = domain;
  $("#tab-customer").hidden = false;
  $("#tab-customer").textContent = domain;
  await showTab("customer");
}

let classes = [];

async function loadCustomer(domain) {
  const d = enc(domain);
  const [summary, exts, pins] = await Promise.all([
    api("GET", `/customers/${d}/summary`),
    api("GET", `/customers/${d}/extensions`),
    api("GET", `/customers/${d}/pins`),
  ]);
  if (classes.length === 0) classes = await api("GET", "/console/classes");
  $("#customer-domain").textContent = domain;
  $("#customer-status").textContent = statusText(summary.customer);
  fill(
    $("#extensions tbody"),
    exts.map((e) => [
      e.number,
      e.displayName,
      e.enabled ? "yes" : "no",
      e.registered,
      button(e.enabled ? "Disable" : "Enable", () =>
        act(
          () => api("PATCH", `/customers/${d}/extensions/${enc(e.number)}`, { enabled: !e.enabled }),
          `extension ${e.number}${e.enabled ? " disabled" : " enabled"}`,
        ),
      ),
    ]),
  );
  fill(
    $("#pins tbody"),
    pins.map((p) => [p.label, pinActions(d, p.label)]),
  );
  const p = summary.policy;
  const overrides = p.barringOverrides || {};
  // Overrides are stored as requests (allow, pin, deny); shown in the plan's words (allowed, pin, barred).
  const inForce = { allow: "allowed", pin: "pin", deny: "barred" };
  fill(
    $("#barring tbody"),
    classes.map((c) => {
      const o = overrides[c.class];
      const row = [c.class, c.label, c.defaultAccess, o ? inForce[o] || o : c.defaultAccess];
      if (state.scope === null) row.push(barringControl(d, c.class, o || "default"));
      return row;
    }),
  );
  $("#policy-state").textContent =
    "fallback: " +
    (p.fallbackNumber || "none") +
    "; emergency location: " +
    (p.emergencyDepartment
      ? `${p.emergencyDepartment} / ${p.emergencyCommune}`
      : "not declared (emergency calls are not routed)");
}

function pinActions(d, label) {
  const span = document.createElement("span");
  const input = document.createElement("input");
  input.size = 4;
  input.placeholder = "new code";
  input.setAttribute("aria-label", `new code for ${label}`);
  span.append(
    input,
    button("Change", () =>
      act(
        () => api("PUT", `/customers/${d}/pins/${enc(label)}`, { code: input.value.trim() }),
        `PIN ${label} changed`,
      ),
    ),
    " ",
    button("Remove", () =>
      act(() => api("DELETE", `/customers/${d}/pins/${enc(label)}`), `PIN ${label} removed`),
    ),
  );
  return span;
}

function barringControl(d, cls, current) {
  const span = document.createElement("span");
  const sel = document.createElement("select");
  sel.setAttribute("aria-label", `access for ${cls}`);
  for (const a of ["allow", "pin", "deny", "default"]) {
    const o = document.createElement("option");
    o.value = a;
    o.textContent = a;
    if (a === current) o.selected = true;
    sel.append(o);
  }
  span.append(
    sel,
    " ",
    button("Apply", () =>
      act(
        () => api("PUT", `/customers/${d}/barring/${enc(cls)}`, { access: sel.value }),
        `${cls} set to ${sel.value}`,
      ),
    ),
  );
  return span;
}

// ---------------------------------------------------------------- call-record search

function prefillSearch() {
  const f = $("#cdr-search");
  const today = new Date().toISOString().slice(0, 10);
  if (!f.from.value) f.from.value = today;
  if (!f.to.value) f.to.value = today;
}

/** The search's query string from the form (empty fields left out). */
function searchQuery(format) {
  const b = formData($("#cdr-search"));
  const q = new URLSearchParams();
  for (const k of ["from", "to", "caller", "callee", "status", "customer"]) if (b[k]) q.set(k, b[k]);
  if (format === "csv") {
    q.set("format", "csv");
    q.set("limit", "100000");
  }
  return q.toString();
}

async function searchRecords() {
  const r = await api("GET", `/cdrs/search?${searchQuery("json")}`);
  fill(
    $("#cdr-results tbody"),
    r.records.map((c) => [
      c.started_at.slice(0, 19).replace("T", " "),
      c.customer,
      c.caller,
      c.dialled,
      c.called,
      c.direction,
      c.carrier,
      c.disposition,
      c.billable_seconds,
      c.reason,
    ]),
  );
  $("#cdr-search-count").textContent =
    `${r.records.length} record${r.records.length === 1 ? "" : "s"}` +
    (r.truncated ? " (more matched: narrow the search, or export them)" : "");
}

async function exportSearch() {
  const q = searchQuery("csv");
  const res = await api("GET", `/cdrs/search?${q}`);
  const blob = await res.blob();
  const a = $("#cdr-search-link");
  if (a.href.startsWith("blob:")) URL.revokeObjectURL(a.href);
  a.href = URL.createObjectURL(blob);
  const b = formData($("#cdr-search"));
  a.download = `${state.scope || b.customer || "all"}-${b.from}-${b.to}-search.csv`;
  a.textContent = `download ${a.download}`;
  a.hidden = false;
  a.click();
}

async function loadCarriers() {
  const list = await api("GET", "/carriers");
  fill(
    $("#carriers tbody"),
    list.map((c) => [
      c.name,
      `${c.host}:${c.port}`,
      c.transport,
      c.routes.map((r) => r.prefix).join(" "),
      c.enabled ? "yes" : "no",
      button(c.enabled ? "Disable" : "Enable", () =>
        act(
          () => api("PATCH", `/carriers/${enc(c.name)}`, { enabled: !c.enabled }),
          `carrier ${c.name}${c.enabled ? " disabled" : " enabled"}`,
        ),
      ),
    ]),
  );
}

async function loadAudit() {
  const list = await api("GET", "/audit?limit=100");
  fill(
    $("#audit tbody"),
    list.map((a) => [
      when(a.at),
      a.actor,
      a.action,
      a.detail?.domain ? a.detail.domain : a.customerId,
      JSON.stringify(a.detail),
    ]),
  );
}

/** Fraud and other automatic actions ("system:…" in the audit log): what an operator must look at. */
async function loadAlerts() {
  const list = await api("GET", "/audit?limit=200");
  const alerts = list.filter((a) => a.actor.startsWith("system:")).slice(0, 20);
  fill(
    $("#alerts tbody"),
    alerts.map((a) => [
      when(a.at),
      a.actor,
      a.action + (a.detail?.reason ? ` (${a.detail.reason})` : ""),
      customerLink(a.detail?.customer ?? a.detail?.domain, a.customerId),
    ]),
  );
}

/** The customer's page is where the operator acts on an alert (resume, barring, PINs). */
function customerLink(domain, customerId) {
  return typeof domain === "string" ? button(domain, () => openCustomer(domain), "link") : customerId;
}

// ---------------------------------------------------------------- forms

function onSubmit(sel, fn) {
  $(sel).onsubmit = (ev) => {
    ev.preventDefault();
    fn(ev.target);
  };
}

function wireForms() {
  onSubmit("#customer-add", (f) =>
    act(async () => {
      const b = formData(f);
      await api("POST", "/customers", b);
      f.reset();
    }, "customer added"),
  );
  onSubmit("#extension-add", (f) =>
    act(async () => {
      const b = formData(f);
      if (b.displayName === "") delete b.displayName;
      await api("POST", `/customers/${enc(state.domain)}/extensions`, b);
      f.reset();
    }, "extension added"),
  );
  onSubmit("#pin-add", (f) =>
    act(async () => {
      await api("POST", `/customers/${enc(state.domain)}/pins`, formData(f));
      f.reset();
    }, "PIN added"),
  );
  onSubmit("#fallback", (f) =>
    act(async () => {
      const e164 = formData(f).e164;
      await api("PUT", `/customers/${enc(state.domain)}/fallback`, { e164: e164 === "" ? null : e164 });
    }, "fallback set"),
  );
  onSubmit("#emergency", (f) =>
    act(
      () => api("PUT", `/customers/${enc(state.domain)}/emergency`, formData(f)),
      "emergency location declared",
    ),
  );
  onSubmit("#cdr-export", (f) =>
    act(async () => {
      const b = formData(f);
      const res = await api(
        "GET",
        "/customers/" +
          enc(state.domain) +
          "/cdrs?from=" +
          enc(b.from) +
          "&to=" +
          enc(b.to) +
          "&format=" +
          enc(b.format),
      );
      const blob = await res.blob();
      const a = $("#cdr-link");
      if (a.href.startsWith("blob:")) URL.revokeObjectURL(a.href);
      a.href = URL.createObjectURL(blob);
      a.download = `${state.domain}-${b.from}-${b.to}.${b.format}`;
      a.textContent = `download ${a.download}`;
      a.hidden = false;
      a.click();
    }, "call records exported"),
  );
  onSubmit("#cdr-search", () => act(searchRecords));
  $("#cdr-search-export").onclick = () => act(exportSearch, "search exported");
  $("#suspend-pstn").onclick = () =>
    act(
      () =>
        api("POST", `/customers/${enc(state.domain)}/suspend`, {
          pstn: "total",
          reason: "suspended from the console",
        }),
      "PSTN suspended",
    );
  $("#suspend-nonpayment").onclick = () =>
    act(
      () => api("POST", `/customers/${enc(state.domain)}/suspend`, { nonPayment: true }),
      "suspended for non-payment",
    );
  $("#resume").onclick = () => act(() => api("POST", `/customers/${enc(state.domain)}/resume`), "resumed");
  for (const b of document.querySelectorAll("nav button")) b.onclick = () => showTab(b.dataset.tab);
  $("#error-close").onclick = clearError;
  $("#logout").onclick = () => logout(true);
  $("#login").onsubmit = (ev) => {
    ev.preventDefault();
    state.token = $("#token").value.trim();
    sessionStorage.setItem("centrex-token", state.token);
    start();
  };
}

// ---------------------------------------------------------------- session

async function start() {
  clearError();
  let session;
  try {
    session = await api("GET", "/console/session");
  } catch (e) {
    showError(e);
    if (e.status === 401 || e.status === 403) logout(false);
    return;
  }
  state.scope = session.customer;
  state.revision = -1;
  $("#who").textContent =
    session.customer === null
      ? `operator (${session.actor})`
      : `administrator of ${session.customer} (${session.actor})`;
  $("#login").hidden = true;
  $("#logout").hidden = false;
  $("#tabs").hidden = false;
  for (const el of document.querySelectorAll(".operator")) el.hidden = session.customer !== null;
  stream();
  if (session.customer !== null) await openCustomer(session.customer);
  else await showTab("live");
}

function logout(forget) {
  streamAbort?.abort();
  setLive(false);
  if (forget) clearError();
  state.token = "";
  sessionStorage.removeItem("centrex-token");
  $("#login").hidden = false;
  $("#logout").hidden = true;
  $("#tabs").hidden = true;
  $("#who").textContent = "";
  for (const s of document.querySelectorAll("main > section")) s.hidden = true;
}

wireForms();
if (state.token) start();
