// ledgerflow's trace pages, served by Jaeger in the place of its UI and read from Jaeger's own query API.
// The addresses are Jaeger UI's (/search?service=..&tags=.., /trace/{id}), so a link made for one opens in the
// other. No build step: plain DOM, one file.
"use strict";

const page = document.getElementById("page");
const basePath = new URL(document.baseURI).pathname.replace(/\/$/, "");
const SERVICE_COLOURS = ["#2563eb", "#16a34a", "#d97706", "#9333ea", "#dc2626", "#0891b2", "#4d7c0f", "#be185d"];

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function api(path) {
  const response = await fetch(`${basePath}/api/${path}`, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const reason = (body.errors || []).map((e) => e.msg).join("; ") || response.statusText;
    throw new Error(`Jaeger answered ${response.status}: ${reason}`);
  }
  return body.data;
}

function millis(micros) {
  const ms = micros / 1000;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

function showError(error) {
  page.replaceChildren(el("p", { class: "error", role: "alert" }, error.message));
}

function parseTags(text) {
  // "ledgerflow.order_number=1001 ledgerflow.tenant_id=acme": what Jaeger's search takes, as JSON.
  const tags = {};
  for (const pair of text.split(/\s+/).filter(Boolean)) {
    const at = pair.indexOf("=");
    if (at > 0) tags[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return tags;
}

function tagsText(tags) {
  return Object.entries(tags).map(([key, value]) => `${key}=${value}`).join(" ");
}

async function searchPage(params) {
  const services = (await api("services")) || [];
  const chosen = params.get("service") || services.find((s) => s.endsWith("ingest")) || services[0] || "";
  const tags = params.get("tags") ? JSON.parse(params.get("tags")) : {};
  const lookback = params.get("lookback") || "1h";
  const form = el("form", { class: "search", onsubmit: (event) => {
    event.preventDefault();
    const data = new FormData(event.target);
    const query = new URLSearchParams({ service: data.get("service"), lookback: data.get("lookback") });
    const wanted = parseTags(data.get("tags"));
    if (Object.keys(wanted).length) query.set("tags", JSON.stringify(wanted));
    go(`search?${query}`);
  } },
    el("label", {}, "Service ",
      el("select", { name: "service" }, services.map((s) => el("option", s === chosen ? { selected: "" } : {}, s)))),
    el("label", {}, "Tags ", el("input", { name: "tags", size: "48", value: tagsText(tags),
      placeholder: "ledgerflow.order_number=1001" })),
    el("label", {}, "Within ", el("select", { name: "lookback" },
      ["15m", "1h", "6h", "24h"].map((l) => el("option", l === lookback ? { selected: "" } : {}, l)))),
    el("button", { type: "submit" }, "Find traces"));
  page.replaceChildren(el("h1", {}, "Find a trace"), form);
  if (!chosen) {
    page.append(el("p", {}, "No service has sent a trace yet."));
    return;
  }
  const query = new URLSearchParams({ service: chosen, lookback, limit: "50" });
  if (Object.keys(tags).length) query.set("tags", JSON.stringify(tags));
  const traces = (await api(`traces?${query}`)) || [];
  traces.sort((a, b) => start(b) - start(a));
  const rows = traces.map((t) => {
    const root = rootSpan(t);
    return el("tr", {},
      el("td", {}, el("a", { href: `trace/${t.traceID}`, onclick: follow }, t.traceID)),
      el("td", {}, root ? `${serviceOf(t, root)}: ${root.operationName}` : ""),
      el("td", { class: "number" }, t.spans.length),
      el("td", {}, serviceNames(t).join(", ")),
      el("td", { class: "number" }, millis(duration(t))),
      el("td", {}, new Date(start(t) / 1000).toLocaleTimeString()));
  });
  page.append(
    el("p", { class: "count" }, `${traces.length} trace${traces.length === 1 ? "" : "s"}`),
    el("table", { class: "traces" },
      el("thead", {}, el("tr", {}, ["Trace", "Root span", "Spans", "Services", "Duration", "Started"].map(
        (h) => el("th", {}, h)))),
      el("tbody", {}, rows)));
}

const start = (t) => Math.min(...t.spans.map((s) => s.startTime));
const end = (t) => Math.max(...t.spans.map((s) => s.startTime + s.duration));
const duration = (t) => end(t) - start(t);
const serviceOf = (t, span) => (t.processes[span.processID] || {}).serviceName || "?";
const serviceNames = (t) => [...new Set(t.spans.map((s) => serviceOf(t, s)))].sort();

function parentOf(span) {
  const ref = (span.references || []).find((r) => r.refType === "CHILD_OF") || (span.references || [])[0];
  return ref ? ref.spanID : null;
}

function rootSpan(t) {
  const ids = new Set(t.spans.map((s) => s.spanID));
  return t.spans.filter((s) => !ids.has(parentOf(s))).sort((a, b) => a.startTime - b.startTime)[0];
}

function ordered(t) {
  // Depth-first from the roots, children by start time: the order a waterfall is read in.
  const ids = new Set(t.spans.map((s) => s.spanID));
  const children = new Map();
  for (const span of t.spans) {
    const parent = ids.has(parentOf(span)) ? parentOf(span) : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(span);
  }
  const out = [];
  const walk = (parent, depth) => {
    for (const span of (children.get(parent) || []).sort((a, b) => a.startTime - b.startTime)) {
      out.push([span, depth]);
      walk(span.spanID, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

async function tracePage(traceId) {
  const traces = await api(`traces/${encodeURIComponent(traceId)}`);
  const t = traces && traces[0];
  if (!t) throw new Error(`No trace ${traceId} in Jaeger: it may be older than the store keeps, or not sent yet.`);
  const services = serviceNames(t);
  const colour = (name) => SERVICE_COLOURS[services.indexOf(name) % SERVICE_COLOURS.length];
  const t0 = start(t);
  const total = Math.max(duration(t), 1);
  const rows = ordered(t).map(([span, depth]) => {
    const service = serviceOf(t, span);
    const tags = el("dl", { class: "tags", hidden: "" },
      (span.tags || []).flatMap((tag) => [el("dt", {}, tag.key), el("dd", {}, String(tag.value))]));
    const failed = (span.tags || []).some((tag) => tag.key === "error" && tag.value) ||
      (span.tags || []).some((tag) => tag.key === "otel.status_code" && tag.value === "ERROR");
    return el("li", { class: `span${failed ? " failed" : ""}`, "data-service": service },
      el("button", { class: "label", style: `padding-left:${depth * 14 + 6}px`, "aria-expanded": "false",
        onclick: (event) => {
          tags.hidden = !tags.hidden;
          event.currentTarget.setAttribute("aria-expanded", String(!tags.hidden));
        } },
        el("span", { class: "service", style: `color:${colour(service)}` }, service),
        " ", el("span", { class: "operation" }, span.operationName)),
      el("div", { class: "lane" },
        el("div", { class: "bar", style: `left:${((span.startTime - t0) / total) * 100}%;` +
          `width:${Math.max((span.duration / total) * 100, 0.3)}%;background:${colour(service)}` }),
        el("span", { class: "took" }, millis(span.duration))),
      tags);
  });
  page.replaceChildren(
    el("h1", {}, "Trace ", el("code", { class: "trace-id" }, t.traceID)),
    el("p", { class: "summary" },
      `${t.spans.length} spans in ${services.length} services, ${millis(total)}, started `,
      new Date(t0 / 1000).toLocaleString()),
    el("ul", { class: "legend" }, services.map((s) => el("li", { style: `color:${colour(s)}` }, s))),
    el("ol", { class: "waterfall" }, rows));
}

function follow(event) {
  event.preventDefault();
  go(event.currentTarget.getAttribute("href"));
}

function go(path) {
  history.pushState({}, "", `${basePath}/${path}`);
  route();
}

async function route() {
  const path = location.pathname.slice(basePath.length).replace(/^\//, "");
  try {
    const traceMatch = path.match(/^trace\/([0-9a-fA-F]+)/);
    if (traceMatch) await tracePage(traceMatch[1]);
    else await searchPage(new URLSearchParams(location.search));
  } catch (error) {
    showError(error);
  }
}

window.addEventListener("popstate", route);
route();
