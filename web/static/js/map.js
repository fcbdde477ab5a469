// The village map (村社地图): the villages in scope as circles on a plain background (no tile server:
// the pages work offline), township outlines drawn from their villages, coloured and sized by open
// needs or by the households' highest risk; a click (or the table's button) lists the village's
// households within the user's scope.

import { api } from "./api.js";
import { areaPicker } from "./areas.js";
import { byId, fill, h, stackable } from "./dom.js";
import { label, t } from "./i18n.js";
import { announce, can, errorText, pageError, ready, startPage } from "./shell.js";

const HOUSEHOLDS_SHOWN = 50;
// Each class: a colour, a radius (size tells the classes apart without colour) and its legend key.
const SCALES = {
  open: [
    { test: (v) => v.open_needs === 0, name: "open-0", colour: "#9aa5b1", radius: 4, key: "map.open_none" },
    { test: (v) => v.open_needs === 1, name: "open-1", colour: "#e8a317", radius: 7, key: "map.open_one" },
    { test: (v) => v.open_needs <= 3, name: "open-2", colour: "#d9581e", radius: 10, key: "map.open_few" },
    { test: () => true, name: "open-4", colour: "#a3161a", radius: 13, key: "map.open_many" },
  ],
  risk: [
    { test: (v) => v.highest_risk === 1, name: "risk-l1", colour: "#a3161a", radius: 12, key: "map.risk_1" },
    { test: (v) => v.highest_risk === 2, name: "risk-l2", colour: "#d9581e", radius: 9, key: "map.risk_2" },
    { test: (v) => v.highest_risk === 3, name: "risk-l3", colour: "#1d6b34", radius: 7, key: "map.risk_3" },
    { test: () => true, name: "risk-none", colour: "#9aa5b1", radius: 4, key: "map.risk_none" },
  ],
};

const state = { map: null, layer: null, bounds: null, markers: [], villages: [], colour: "open", households: false };

function classOf(village) {
  return SCALES[state.colour].find((c) => c.test(village));
}

function describe(village) {
  return t("map.village_tip", {
    name: village.name,
    open: village.open_needs,
    urgent: village.urgent_needs,
    risk: village.highest_risk ? t("map.level", { n: village.highest_risk }) : t("map.risk_none"),
  });
}

/** The convex hull of points [lat, lon] (monotone chain): a township's outline from its villages. */
function hull(points) {
  const sorted = [...points].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  if (sorted.length < 3) return sorted;
  const cross = (o, a, b) => (a[1] - o[1]) * (b[0] - o[0]) - (a[0] - o[0]) * (b[1] - o[1]);
  const half = (list) => {
    const out = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
      out.push(p);
    }
    out.pop();
    return out;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}

function townshipOutlines(L, villages, layer) {
  const byTownship = new Map();
  for (const v of villages) {
    if (v.lat === null || v.lon === null) continue;
    if (!byTownship.has(v.township_code)) byTownship.set(v.township_code, { name: v.township_name || v.township_code, points: [] });
    byTownship.get(v.township_code).points.push([v.lat, v.lon]);
  }
  for (const { name, points } of byTownship.values()) {
    const centre = [points.reduce((s, p) => s + p[0], 0) / points.length, points.reduce((s, p) => s + p[1], 0) / points.length];
    if (points.length >= 3) {
      L.polygon(hull(points), { color: "#7b8794", weight: 1, dashArray: "4 3", fillColor: "#ffffff", fillOpacity: 0.8, interactive: false }).addTo(layer);
    }
    L.tooltip({ permanent: true, direction: "center", className: "township-label", interactive: false }).setLatLng(centre).setContent(name).addTo(layer);
  }
}

function legend() {
  fill(
    byId("map-legend"),
    SCALES[state.colour].map((c) => h("li", {}, h("span", { class: `swatch ${c.name}`, "aria-hidden": "true" }), t(c.key))),
  );
}

function restyle() {
  for (const { marker, village } of state.markers) {
    const c = classOf(village);
    marker.setStyle({ fillColor: c.colour, color: "#1c2430" });
    marker.setRadius(c.radius);
  }
  legend();
}

function fit() {
  if (state.bounds) state.map.fitBounds(state.bounds, { padding: [16, 16] });
  else state.map.setView([0, 0], 1);
}

function drawMap(villages) {
  const L = window.L;
  if (!state.map) {
    // No tile layer: nothing is fetched from outside; the outlines and circles are the whole map.
    state.map = L.map("map", { attributionControl: false, zoomSnap: 0.25 });
  }
  if (state.layer) state.layer.remove();
  state.layer = L.layerGroup().addTo(state.map);
  state.markers = [];
  townshipOutlines(L, villages, state.layer);
  const placed = villages.filter((v) => v.lat !== null && v.lon !== null);
  for (const village of placed) {
    const c = classOf(village);
    const marker = L.circleMarker([village.lat, village.lon], { radius: c.radius, color: "#1c2430", weight: 1, fillColor: c.colour, fillOpacity: 0.9 })
      .bindTooltip(describe(village))
      .on("click", () => showHouseholds(village).catch(pageError));
    marker.addTo(state.layer);
    state.markers.push({ marker, village });
  }
  // Layers are drawn once the map has a view (Leaflet defers them until then).
  state.bounds = placed.length ? L.latLngBounds(placed.map((v) => [v.lat, v.lon])) : null;
  fit();
  for (const { marker, village } of state.markers) {
    const path = marker.getElement();
    if (path) path.setAttribute("data-village", village.code);
  }
  legend();
}

function villageTable(villages) {
  const cols = ["map.village", "map.township", "map.households", "map.risk_counts", "map.highest_risk", "map.open_needs", "map.referred_needs", "map.urgent_needs"];
  return stackable(
    h(
      "table",
      { id: "villages" },
      h("caption", { class: "visually-hidden" }, t("map.table")),
      h("thead", {}, h("tr", {}, cols.map((key) => h("th", { scope: "col" }, t(key))))),
      h(
        "tbody",
        {},
        villages.map((v) =>
          h(
            "tr",
            { "data-village": v.code },
            h("td", {}, h("button", { type: "button", class: "link-button", onclick: () => showHouseholds(v).catch(pageError) }, v.name), h("span", { class: "parts" }, v.code)),
            h("td", {}, v.township_name || v.township_code),
            h("td", { class: "num" }, String(v.households)),
            h("td", {}, [1, 2, 3].map((n) => t("map.level_count", { n, count: v.by_risk_level[String(n)] || 0 })).join(" · ")),
            h("td", {}, v.highest_risk ? t("map.level", { n: v.highest_risk }) : "—"),
            h("td", { class: "num" }, String(v.open_needs)),
            h("td", { class: "num" }, String(v.referred_needs)),
            h("td", { class: "num" }, String(v.urgent_needs)),
          ),
        ),
      ),
    ),
  );
}

async function showHouseholds(village) {
  const card = byId("village-households");
  const list = byId("village-households-list");
  card.hidden = false;
  fill(byId("village-households-title"), t("map.households_of", { name: village.name }));
  if (!state.households) {
    // Counts are for every figures reader; the households themselves only for area staff.
    fill(list, h("p", { class: "empty" }, t("map.households_not_for_role")));
    return;
  }
  ready(false);
  fill(list, h("p", { class: "hint" }, t("common.loading")));
  try {
    const page = await api(`/households?village=${village.code}&limit=${HOUSEHOLDS_SHOWN}`);
    fill(
      list,
      h("p", { class: "hint" }, page.total > page.items.length ? t("map.households_more", { shown: page.items.length, total: page.total }) : t("map.households_total", { total: page.total })),
      page.items.length
        ? h(
            "ul",
            { class: "plain", id: "household-list" },
            page.items.map((hh) =>
              h(
                "li",
                {},
                h("a", { href: `/households/${encodeURIComponent(hh.id)}` }, hh.head_name || t("masked.hidden")),
                ` · ${t("map.members", { n: hh.member_count })}`,
                hh.categories.length ? ` · ${hh.categories.map((c) => label("TargetGroup", c)).join("、")}` : "",
                hh.risk_level ? ` · ${t("map.level", { n: hh.risk_level })}` : "",
              ),
            ),
          )
        : h("p", { class: "empty" }, t("home.no_households")),
    );
  } catch (error) {
    fill(list, h("p", { class: "message error" }, errorText(error)));
  }
  card.scrollIntoView({ block: "nearest" });
  ready(true);
}

async function load() {
  ready(false);
  const area = byId("map-area").value;
  try {
    const data = await api(`/figures/villages${area ? `?area=${area}` : ""}`);
    state.villages = data.villages;
    fill(byId("map-count"), `(${data.villages.length})`);
    fill(byId("map-totals"), t("map.totals", { households: data.households, open: data.open_needs, referred: data.referred_needs }));
    drawMap(data.villages);
    fill(byId("village-table"), villageTable(data.villages));
  } catch (error) {
    announce(errorText(error), "error");
  }
  ready(true);
}

async function main() {
  const me = await startPage({ needs: "read_figures", refusal: "figures.not_for_role" });
  if (!me) return;
  state.households = can(me, "search_households");
  await areaPicker(byId("map-area"), { withAll: t("figures.all_areas") });
  for (const id of ["map-card", "village-table-card"]) byId(id).hidden = false;
  const controls = byId("map-controls");
  controls.addEventListener("submit", (event) => event.preventDefault());
  byId("map-area").addEventListener("change", () => load().catch(pageError));
  for (const radio of controls.querySelectorAll("input[name=colour]")) {
    radio.addEventListener("change", () => {
      state.colour = radio.value;
      restyle();
    });
  }
  window.addEventListener("resize", () => {
    // A box with no size (hidden, or mid-layout) gives Leaflet NaN coordinates to fit.
    const box = state.map && state.map.getContainer();
    if (!box || !box.clientWidth || !box.clientHeight) return;
    state.map.invalidateSize();
    fit();
  });
  await load();
}

main().catch(pageError);
