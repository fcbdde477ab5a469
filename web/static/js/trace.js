// A household's or a need's assistance chain (一户一条救助帮扶链), from GET /households/{id}/trace or
// /needs/{id}/trace: an interactive graph (cytoscape: household, needs, resources, alliance bodies,
// providers; each hop an edge with its status and time, overdue ones red and dashed), the hops as a
// table and every step as a timeline (the keyboard-accessible form of the same chain).

import { api } from "./api.js";
import { byId, fill, h, stackable } from "./dom.js";
import { currentLang, formatTime, label, t } from "./i18n.js";
import { announce, pageError, startPage } from "./shell.js";

const params = new URLSearchParams(location.search);
const householdId = params.get("household");
const needId = params.get("need");
const enc = encodeURIComponent;
const SHOWN = ["Household", "Need", "Resource", "AllianceBody", "Organisation", "Pool"];
const RETURNED = ["rejected", "failed", "cancelled", "entered-in-error"];

let cy = null;
let trace = null;
let nodes = new Map(); // trace node id -> node
let hopEdges = new Map(); // hop id -> HOP edge

const text = (event) => (currentLang() === "en" ? event.summary_en : event.summary_zh);
// Edge labels stay short (the date only); the details panel and the lists give the full time.
const day = (iso) => (iso ? new Date(iso).toLocaleDateString(currentLang(), { month: "numeric", day: "numeric" }) : "");

function nodeKind(node) {
  return { Household: "household", Need: "need", Resource: "resource", AllianceBody: "body", Organisation: "org", Pool: "pool" }[node.label];
}

function nodeTitle(node) {
  if (!node) return "—";
  if (node.label === "Pool") return t("task.pool");
  if (node.label === "Household") return trace.head_name ? t("trace.household_of", { name: trace.head_name }) : t("trace.household");
  if (node.label === "Need") return t("trace.need_of", { type: label("NeedType", node.kind) });
  return node.title;
}

function hopStatus(edge) {
  if (edge.overdue) return "overdue";
  if (edge.status === "completed") return "done";
  if (RETURNED.includes(edge.status)) return "returned";
  return "open";
}

/** The graph's elements: the chain's parties and each hop as an edge from its sender to its assignee. */
function elements() {
  const graph = trace.graph;
  const byType = (type) => graph.edges.filter((e) => e.type === type);
  const elems = [];
  for (const node of graph.nodes) {
    if (!SHOWN.includes(node.label)) continue;
    elems.push({ group: "nodes", data: { id: node.id, name: nodeTitle(node), kind: nodeKind(node) } });
  }
  for (const edge of byType("HAS_NEED")) {
    elems.push({ group: "edges", data: { id: `has:${edge.target}`, source: edge.source, target: edge.target, name: t("trace.edge_found", { at: day(edge.at) }), kind: "link", ref: edge } });
  }
  const needOf = new Map(byType("FOR_NEED").map((e) => [e.source, e.target]));
  for (const edge of byType("USES")) {
    const need = needOf.get(edge.source);
    if (need) elems.push({ group: "edges", data: { id: `uses:${edge.source}`, source: need, target: edge.target, name: t("trace.edge_matched"), kind: "link", ref: edge } });
  }
  const senderOf = new Map(byType("SENT_BY").map((e) => [e.source, e.target]));
  for (const edge of byType("FIRST_HOP")) {
    const need = needOf.get(edge.source);
    const sender = senderOf.get(edge.target);
    const referral = nodes.get(edge.source);
    if (need && sender) {
      elems.push({ group: "edges", data: { id: `dispatch:${edge.source}`, source: need, target: sender, name: t("trace.edge_dispatched", { at: day(referral && referral.created_at) }), kind: "link", ref: edge } });
    }
  }
  for (const edge of byType("HOP")) {
    const hop = nodes.get(`ReferralHop:${edge.hop_id}`);
    const status = hopStatus(edge);
    const name = `${t("trace.hop_n", { n: hop ? hop.seq : "?" })} ${label("HopStatus", edge.status)}${edge.overdue ? ` · ${t("queue.overdue_tag")}` : ""} · ${day(edge.at)}`;
    elems.push({ group: "edges", data: { id: `hop:${edge.hop_id}`, source: edge.source, target: edge.target, name, kind: "hop", status, hopId: edge.hop_id } });
  }
  return elems;
}

const STYLE = [
  { selector: "node", style: { label: "data(name)", "font-size": 11, "text-wrap": "wrap", "text-max-width": 120, "text-valign": "bottom", "text-margin-y": 4, color: "#1c2430", width: 28, height: 28, "border-width": 2, "border-color": "#1c2430" } },
  { selector: "node[kind='household']", style: { shape: "round-rectangle", "background-color": "#0b5cad", width: 36, height: 36 } },
  { selector: "node[kind='need']", style: { shape: "diamond", "background-color": "#c77700" } },
  { selector: "node[kind='resource']", style: { shape: "hexagon", "background-color": "#6b4fa3" } },
  { selector: "node[kind='body']", style: { shape: "rectangle", "background-color": "#3d6b8e" } },
  { selector: "node[kind='org']", style: { shape: "ellipse", "background-color": "#1d6b34" } },
  { selector: "node[kind='pool']", style: { shape: "ellipse", "background-color": "#ffffff", "border-style": "dashed" } },
  { selector: "edge", style: { label: "data(name)", "font-size": 10, "curve-style": "bezier", "target-arrow-shape": "triangle", width: 2, "line-color": "#8a96a6", "target-arrow-color": "#8a96a6", "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 2, "control-point-step-size": 36, color: "#1c2430" } },
  { selector: "edge[kind='link']", style: { "line-style": "dotted", width: 1.5, "font-size": 9, color: "#4a5563" } },
  { selector: "edge[status='open']", style: { width: 3, "line-color": "#4a5563", "target-arrow-color": "#4a5563" } },
  { selector: "edge[status='done']", style: { width: 3, "line-color": "#1d6b34", "target-arrow-color": "#1d6b34" } },
  { selector: "edge[status='returned']", style: { width: 3, "line-style": "dotted", "line-color": "#8a5a00", "target-arrow-color": "#8a5a00" } },
  { selector: "edge[status='overdue']", style: { width: 4, "line-style": "dashed", "line-dash-pattern": [8, 4], "line-color": "#a3161a", "target-arrow-color": "#a3161a", color: "#a3161a", "font-weight": "bold" } },
  { selector: ":selected", style: { "overlay-color": "#f0a500", "overlay-opacity": 0.3, "overlay-padding": 6 } },
];

function fact(term, value) {
  return value === null || value === undefined || value === "" ? [] : [h("dt", {}, term), h("dd", {}, value)];
}

/** What a clicked node or hop is: its details beside the graph (announced politely). */
function showDetails(kind, id) {
  const box = byId("graph-details");
  if (kind === "hop") {
    const hop = nodes.get(`ReferralHop:${id}`);
    const edge = hopEdges.get(id);
    const rows = [...document.querySelectorAll("#trace-hops tr[data-hop]")];
    rows.forEach((row) => row.classList.toggle("selected", row.dataset.hop === id));
    fill(
      box,
      h("h3", {}, t("trace.hop_n", { n: hop.seq })),
      h(
        "dl",
        { class: "facts" },
        fact(t("task.route"), `${nodeTitle(nodes.get(edge.source))} → ${nodeTitle(nodes.get(edge.target))}`),
        fact(t("queue.status"), [label("HopStatus", hop.status), hop.overdue ? h("span", { class: "tag overdue" }, t("queue.overdue_tag")) : null]),
        fact(t("trace.started"), formatTime(hop.started_at)),
        fact(t("queue.due"), formatTime(hop.due_at)),
        fact(t("trace.completed"), formatTime(hop.completed_at)),
        fact(t("trace.late_hours"), hop.late_hours ? t("trace.hours", { n: Math.round(hop.late_hours) }) : null),
        fact(t("trace.escalated"), hop.escalation_level ? label("AllianceLevel", hop.escalation_level) : null),
      ),
      h("p", {}, h("a", { href: `/tasks/${enc(id)}` }, t("trace.open_task"))),
    );
    return;
  }
  const node = nodes.get(id);
  if (!node) return;
  const links = [];
  if (node.label === "Need") links.push(h("a", { href: `/trace?need=${enc(node.id.slice("Need:".length))}` }, t("trace.open_need")));
  if (node.label === "Household") links.push(h("a", { href: `/households/${enc(trace.household_id)}` }, t("task.open_household")));
  fill(
    box,
    h("h3", {}, nodeTitle(node)),
    h(
      "dl",
      { class: "facts" },
      fact(t("trace.node_kind"), t(`trace.kind_${nodeKind(node)}`)),
      fact(t("queue.status"), node.status ? label(node.label === "Need" ? "NeedStatus" : "HopStatus", node.status) : null),
      fact(t("trace.created"), formatTime(node.created_at)),
    ),
    links.length ? h("p", {}, links) : null,
  );
}

function drawGraph() {
  const container = byId("graph");
  if (typeof window.cytoscape !== "function") {
    fill(container, h("p", { class: "empty" }, t("trace.no_graph")));
    return;
  }
  cy = window.cytoscape({
    container,
    elements: elements(),
    style: STYLE,
    layout: { name: "breadthfirst", directed: true, roots: [`Household:${trace.household_id}`], spacingFactor: 1.4, padding: 16 },
    wheelSensitivity: 0.3,
    minZoom: 0.3,
    maxZoom: 2.5,
  });
  cy.on("tap", "node", (event) => showDetails("node", event.target.id()));
  cy.on("tap", "edge", (event) => {
    const data = event.target.data();
    if (data.kind === "hop") showDetails("hop", data.hopId);
  });
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.edges = String(cy.edges().length);
  container.dataset.overdue = String(cy.edges("[status='overdue']").length);
}

function legend() {
  const item = (cls, key) => h("li", {}, h("span", { class: cls, "aria-hidden": "true" }), t(key));
  fill(
    byId("legend"),
    item("shape household", "trace.kind_household"),
    item("shape need", "trace.kind_need"),
    item("shape resource", "trace.kind_resource"),
    item("shape body", "trace.kind_body"),
    item("shape org", "trace.kind_org"),
    item("shape pool", "trace.kind_pool"),
    item("swatch", "trace.legend_open"),
    item("swatch done", "trace.legend_done"),
    item("swatch returned", "trace.legend_returned"),
    item("swatch overdue", "trace.legend_overdue"),
  );
  byId("legend-card").hidden = false;
}

/** The need each hop serves: hop -> its referral (FIRST_HOP, then NEXT_HOP) -> the need (FOR_NEED). */
function needOfHops() {
  const referralOf = new Map();
  const edges = trace.graph.edges;
  for (const e of edges.filter((x) => x.type === "FIRST_HOP")) referralOf.set(e.target, e.source);
  const next = edges.filter((x) => x.type === "NEXT_HOP");
  for (let changed = true; changed; ) {
    changed = false;
    for (const e of next) {
      if (referralOf.has(e.source) && !referralOf.has(e.target)) {
        referralOf.set(e.target, referralOf.get(e.source));
        changed = true;
      }
    }
  }
  const needOf = new Map(edges.filter((x) => x.type === "FOR_NEED").map((e) => [e.source, nodes.get(e.target)]));
  return (hopNodeId) => needOf.get(referralOf.get(hopNodeId)) || null;
}

function hopsTable() {
  const hops = trace.graph.nodes.filter((n) => n.label === "ReferralHop");
  const needOf = needOfHops();
  if (!hops.length) {
    fill(byId("trace-hops"), h("p", { class: "empty" }, t("trace.no_hops")));
    return;
  }
  const rows = hops.map((hop) => {
    const id = hop.id.slice("ReferralHop:".length);
    const edge = hopEdges.get(id) || trace.graph.edges.find((e) => e.type === "ASSIGNED_TO" && e.hop_id === id);
    const route = edge ? `${edge.type === "HOP" ? nodeTitle(nodes.get(edge.source)) : "—"} → ${nodeTitle(nodes.get(edge.target))}` : "—";
    return h(
      "tr",
      { class: hop.overdue ? "overdue" : null, "data-hop": id },
      h("td", {}, needOf(hop.id) ? label("NeedType", needOf(hop.id).kind) : "—"),
      h("td", {}, h("a", { href: `/tasks/${enc(id)}` }, t("trace.hop_n", { n: hop.seq }))),
      h("td", {}, route),
      h("td", {}, label("HopStatus", hop.status), hop.overdue ? h("span", { class: "tag overdue" }, t("queue.overdue_tag")) : null, hop.escalation_level ? h("span", { class: "tag escalated" }, t("queue.escalated_to", { level: label("AllianceLevel", hop.escalation_level) })) : null),
      h("td", {}, formatTime(hop.started_at)),
      h("td", {}, formatTime(hop.due_at)),
      h("td", {}, formatTime(hop.completed_at) || "—"),
      h("td", {}, cy ? h("button", { type: "button", class: "small", onclick: () => selectHop(id) }, t("trace.show_in_graph")) : null),
    );
  });
  fill(
    byId("trace-hops"),
    stackable(h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, t("trace.hops")),
      h("thead", {}, h("tr", {}, [t("queue.need"), t("task.seq"), t("task.route"), t("queue.status"), t("trace.started"), t("queue.due"), t("trace.completed"), t("tasks.action")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows),
    )),
  );
}

function selectHop(id) {
  cy.elements().unselect();
  const edge = cy.getElementById(`hop:${id}`);
  if (edge.length) edge.select();
  showDetails("hop", id);
}

function timeline() {
  const overdueHops = new Set(trace.graph.nodes.filter((n) => n.label === "ReferralHop" && n.overdue).map((n) => n.id.slice("ReferralHop:".length)));
  if (!trace.timeline.length) {
    fill(byId("timeline"), h("p", { class: "empty" }, t("chain.empty")));
    return;
  }
  fill(
    byId("timeline"),
    h(
      "ol",
      { class: "timeline" },
      trace.timeline.map((event) => {
        const late = event.late || (event.subject_label === "ReferralHop" && overdueHops.has(event.subject_id));
        return h(
          "li",
          { class: late ? "late" : null },
          h("time", { datetime: event.at }, formatTime(event.at)),
          text(event),
          event.reason_code ? h("span", { class: "hint" }, ` · ${label("HopReason", event.reason_code)}`) : null,
          event.actor ? h("span", { class: "hint" }, ` · ${event.actor}`) : null,
          late ? h("span", { class: "tag overdue" }, t("queue.overdue_tag")) : null,
        );
      }),
    ),
  );
}

async function main() {
  const me = await startPage();
  if (!me) return;
  if (!householdId && !needId) {
    announce(t("trace.which"), "error");
    document.body.dataset.ready = "true";
    return;
  }
  try {
    trace = await api(householdId ? `/households/${enc(householdId)}/trace` : `/needs/${enc(needId)}/trace`);
  } catch (error) {
    pageError(error);
    document.body.dataset.ready = "true";
    return;
  }
  nodes = new Map(trace.graph.nodes.map((n) => [n.id, n]));
  hopEdges = new Map(trace.graph.edges.filter((e) => e.type === "HOP").map((e) => [e.hop_id, e]));
  const who = trace.head_name ? t("trace.household_of", { name: trace.head_name }) : t("trace.household");
  const where = [trace.township_name, trace.village_name].filter(Boolean).join(" ");
  fill(byId("trace-title"), needId ? t("trace.title_need", { who }) : t("trace.title_of", { who }), where ? h("span", { class: "count" }, ` · ${where}`) : null);
  fill(
    byId("trace-links"),
    h("a", { class: "button", href: `/households/${enc(trace.household_id)}` }, t("task.open_household")),
    needId ? h("a", { class: "button", href: `/trace?household=${enc(trace.household_id)}` }, t("trace.whole_chain")) : null,
  );
  legend();
  byId("graph-card").hidden = false;
  drawGraph();
  byId("hops-card").hidden = false;
  hopsTable();
  byId("timeline-card").hidden = false;
  timeline();
  document.body.dataset.ready = "true";
}

main().catch(pageError);
