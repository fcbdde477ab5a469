// Batch matching on the dispatch board: the proposal of POST /matching/batch as a table to review
// (every row ticked; untick what should not go), the unmet needs with their reasons, and the ticked
// rows dispatched through the board's confirmation and POST /dispatches.

import { api } from "./api.js";
import { byId, fill, h, stackable } from "./dom.js";
import { formatTime, label, t } from "./i18n.js";
import { announce, errorText } from "./shell.js";

export function partsText(parts) {
  return Object.entries(parts)
    .map(([part, value]) => `${label("ScorePart", part)} ${value}`)
    .join(" · ");
}

export function householdLink(id, name) {
  return h("a", { href: `/households/${encodeURIComponent(id)}` }, name || t("masked.hidden"));
}

function reasonsSeen(seen) {
  return Object.entries(seen)
    .map(([reason, n]) => `${label("Exclusion", reason)} ×${n}`)
    .join("；");
}

function assignmentTable(proposal, rows, areaName) {
  const head = ["dispatch.take", "queue.need", "queue.household", "queue.village", "dispatch.resource", "dispatch.cost", "dispatch.result"];
  return stackable(
    h(
      "table",
      { id: "batch-assignments" },
      h("caption", {}, t("dispatch.assignments", { n: proposal.assignments.length })),
      h("thead", {}, h("tr", {}, head.map((key) => h("th", { scope: "col" }, t(key))))),
      h(
        "tbody",
        {},
        proposal.assignments.map((a) => {
          const tick = h("input", { type: "checkbox", checked: true, id: `take-${a.need_id}`, "aria-label": t("dispatch.take_row", { need: label("NeedType", a.need_type), resource: a.resource.name }) });
          const box = h("span", { class: "result", hidden: true });
          rows.push({ needId: a.need_id, resource: a.resource, tick, box, title: `${label("NeedType", a.need_type)} · ${areaName(a.village_code)}` });
          return h(
            "tr",
            { "data-need": a.need_id },
            h("td", {}, tick),
            h("td", {}, label("NeedType", a.need_type), " ", h("span", { class: `tag ${a.urgency}` }, label("Urgency", a.urgency))),
            h("td", {}, householdLink(a.household_id, t("dispatch.open_household"))),
            h("td", {}, areaName(a.village_code)),
            h("td", {}, h("strong", {}, a.resource.name), ` (${label("ResourceKind", a.resource.kind)})`, a.replaces ? h("span", { class: "parts" }, t("dispatch.replaces", { code: a.replaces })) : null),
            h(
              "td",
              {},
              String(a.cost),
              h("span", { class: "parts" }, [partsText(a.cost_parts), a.distance_km !== null ? t("dispatch.distance", { km: a.distance_km }) : null].filter(Boolean).join(" · ")),
            ),
            h("td", {}, box),
          );
        }),
      ),
    ),
  );
}

function unmetTable(proposal, areaName) {
  if (!proposal.unmet.length) return h("p", { class: "empty" }, t("dispatch.no_unmet"));
  return stackable(
    h(
      "table",
      { id: "batch-unmet" },
      h("caption", {}, t("dispatch.unmet", { n: proposal.unmet.length })),
      h("thead", {}, h("tr", {}, ["queue.need", "queue.household", "queue.village", "dispatch.why_unmet"].map((key) => h("th", { scope: "col" }, t(key))))),
      h(
        "tbody",
        {},
        proposal.unmet.map((u) =>
          h(
            "tr",
            { "data-need": u.need_id },
            h("td", {}, label("NeedType", u.need_type), " ", h("span", { class: `tag ${u.urgency}` }, label("Urgency", u.urgency))),
            h("td", {}, householdLink(u.household_id, t("dispatch.open_household"))),
            h("td", {}, areaName(u.village_code)),
            h("td", {}, h("strong", {}, label("UnmetReason", u.reason)), Object.keys(u.reasons_seen).length ? h("span", { class: "parts" }, reasonsSeen(u.reasons_seen)) : null),
          ),
        ),
      ),
    ),
  );
}

/** Propose an assignment for `area` and show it for review; the ticked rows go to `dispatchMany`. */
export async function runBatch({ area, areaName, dispatchMany, ready }) {
  ready(false);
  const box = byId("batch-result");
  fill(box, h("p", { class: "hint" }, t("common.loading")));
  try {
    const proposal = await api("/matching/batch", { method: "POST", body: { area_code: area } });
    const rows = [];
    const send = h("button", { type: "button", class: "primary", id: "batch-dispatch" }, t("dispatch.batch_dispatch"));
    send.addEventListener("click", async () => {
      const picked = rows.filter((r) => r.tick.checked && !r.tick.disabled);
      if (!picked.length) {
        announce(t("dispatch.nothing_selected"), "error");
        return;
      }
      const report = await dispatchMany(picked);
      if (!report) return;
      for (const r of picked) {
        const result = report.results.find((x) => x.need_id === r.needId);
        if (result && result.outcome === "dispatched") {
          r.tick.checked = false;
          r.tick.disabled = true;
        }
      }
    });
    fill(
      box,
      h(
        "p",
        { id: "batch-summary" },
        t("dispatch.batch_summary", {
          area: areaName(proposal.area_code),
          needs: proposal.needs,
          assigned: proposal.assigned,
          unmet: proposal.unmet.length,
          cost: proposal.total_cost,
          each: proposal.unmet_cost_each,
        }),
      ),
      h("p", { class: "hint" }, t("dispatch.batch_when", { at: formatTime(proposal.generated_at) })),
      proposal.assignments.length ? h("div", { class: "scroll" }, assignmentTable(proposal, rows, areaName)) : h("p", { class: "empty" }, t("dispatch.no_assignments")),
      proposal.assignments.length ? h("div", { class: "actions" }, send) : null,
      h("h3", {}, t("dispatch.unmet_title")),
      h("div", { class: "scroll" }, unmetTable(proposal, areaName)),
    );
  } catch (error) {
    fill(box, h("p", { class: "message error" }, errorText(error)));
  }
  ready(true);
}

