// One household as the API shows it to this user: facts, members, needs, consent, the plan
// (一户一策, printable) and the assistance chain. Masked or withheld fields say so.

import { ApiError, api } from "./api.js";
import { byId, fill, h, stackable } from "./dom.js";
import { formatDate, formatTime, label, t, currentLang } from "./i18n.js";
import { REPORTERS, can, errorText, hasRole, pageError, startPage } from "./shell.js";

const householdId = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");

function hidden() {
  return h("span", { class: "masked" }, t("masked.hidden"));
}

/** A value as shown: masked (listed in `masked`) values get a "hidden" mark, null ones a dash. */
function shown(value, field, masked) {
  if (masked.includes(field) && (value === null || value === undefined)) return hidden();
  if (value === null || value === undefined || value === "") return "—";
  if (masked.includes(field)) return h("span", {}, String(value), " ", h("span", { class: "masked" }, t("masked.partly")));
  return String(value);
}

function yesNo(value) {
  if (value === null || value === undefined) return "—";
  return value ? t("common.yes") : t("common.no");
}

const INCOME_PARTS = ["wage", "operating", "property", "transfer", "pension"];

/** Yearly income by component, as recorded: not summed, because the two standards count it
 * differently (DOMAIN.md 4) and the page must not pick one. */
function incomeParts(income) {
  const yuan = (fen) => (fen / 100).toLocaleString(currentLang());
  return INCOME_PARTS.map((part) => `${t(`income.${part}`)} ${yuan(income[`income_${part}_fen`])}`).join(" · ") + ` ${t("common.yuan_per_year")}`;
}

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

function table(headers, rows) {
  return stackable(h(
    "table",
    {},
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, x)))),
    h("tbody", {}, rows),
  ));
}

function showSummary(detail) {
  const m = detail.masked;
  const head = detail.members.find((p) => p.id === detail.head_person_id);
  fill(byId("household-title"), t("household.title_of", { name: head ? head.name : t("masked.hidden") }));
  fill(
    byId("summary-list"),
    fact(t("household.village"), `${detail.township_name || detail.township_code} ${detail.village_name || detail.village_code}`),
    fact(t("household.address"), shown(detail.address, "address", m)),
    fact(t("household.categories"), detail.categories.map((c) => label("TargetGroup", c)).join("、") || "—"),
    fact(t("household.risk_level"), detail.risk_level ? h("span", { class: `risk risk-${detail.risk_level}` }, t("household.risk_n", { n: detail.risk_level })) : "—"),
    fact(t("household.member_count"), String(detail.member_count)),
    fact(t("household.urban"), detail.urban ? t("household.urban_yes") : t("household.urban_no")),
    fact(t("household.housing_safe"), yesNo(detail.housing_safe)),
    fact(t("household.water_safe"), yesNo(detail.drinking_water_safe)),
    fact(t("household.medical_insured"), yesNo(detail.medical_insured)),
    fact(t("household.income"), detail.income ? incomeParts(detail.income) : hidden()),
  );
  byId("summary").hidden = false;
}

function showMembers(detail) {
  const rows = detail.members.map((p) =>
    h(
      "tr",
      {},
      h("td", {}, shown(p.name, "name", p.masked)),
      h("td", {}, label("RelationToHead", p.relation_to_head)),
      h("td", {}, p.sex ? label("Sex", p.sex) : "—"),
      h("td", {}, p.age ?? "—"),
      h("td", { class: "nowrap" }, shown(p.id_number, "id_number", p.masked)),
      h("td", { class: "nowrap" }, shown(p.phone, "phone", p.masked)),
      h("td", {}, p.masked.includes("health") && !p.health ? hidden() : [p.health ? label("HealthStatus", p.health) : "—", p.disability_grade ? ` · ${label("DisabilityKind", p.disability_kind)} ${p.disability_grade}` : ""]),
      h("td", {}, p.labour_ability ? label("LabourAbility", p.labour_ability) : "—"),
    ),
  );
  fill(
    byId("members-table"),
    table(
      [t("member.name"), t("member.relation"), t("member.sex"), t("member.age"), t("member.id_number"), t("member.phone"), t("member.health"), t("member.labour")],
      rows,
    ),
  );
  byId("members").hidden = false;
}

function showNeeds(detail) {
  const box = byId("needs-table");
  if (!detail.needs.length) fill(box, h("p", { class: "empty" }, t("household.no_needs")));
  else
    fill(
      box,
      table(
        [t("need.type"), t("need.urgency"), t("need.status"), t("need.description"), t("need.reported")],
        detail.needs.map((n) =>
          h(
            "tr",
            {},
            h("td", {}, label("NeedType", n.type)),
            h("td", {}, h("span", { class: `tag ${n.urgency}` }, label("Urgency", n.urgency))),
            h("td", {}, label("NeedStatus", n.status)),
            h("td", {}, n.masked.includes("description") ? hidden() : n.description || "—"),
            h("td", {}, formatDate(n.created_at)),
          ),
        ),
      ),
    );
  byId("needs").hidden = false;
}

function showConsents(detail) {
  const box = byId("consents-list");
  if (!detail.consents.length) fill(box, h("p", { class: "empty" }, t("household.no_consents")));
  else
    fill(
      box,
      h(
        "ul",
        { class: "plain" },
        detail.consents.map((c) =>
          h(
            "li",
            { class: c.active ? "" : "inactive" },
            h("strong", {}, c.organisation_name || c.organisation_id),
            `：${c.scopes.map((s) => label("PiiScope", s)).join("、")} · ${c.purpose} · `,
            c.active ? t("consent.active") : t("consent.inactive"),
            c.valid_until ? ` · ${t("consent.until", { date: formatDate(c.valid_until) })}` : "",
          ),
        ),
      ),
    );
  byId("consents").hidden = false;
}

function planList(items, empty) {
  if (!items.length) return h("p", { class: "empty" }, empty);
  return h(
    "ul",
    { class: "plan-items" },
    items.map((item) =>
      h(
        "li",
        {},
        h("strong", {}, item.resource.name),
        ` (${label("ResourceKind", item.resource.kind)})`,
        item.need_types.length ? ` · ${item.need_types.map((x) => label("NeedType", x)).join("、")}` : "",
        item.resource.benefit ? h("div", { class: "hint" }, item.resource.benefit) : null,
        item.received ? h("span", { class: "tag done" }, t("plan.received")) : null,
      ),
    ),
  );
}

async function showPlan(me) {
  const body = byId("plan-body");
  byId("plan").hidden = false;
  if (!can(me, "read_plan")) {
    fill(body, h("p", { class: "empty" }, t("plan.not_for_role")));
    return;
  }
  try {
    const plan = await api(`/households/${encodeURIComponent(householdId)}/plan`);
    fill(
      body,
      h("p", { class: "hint" }, t("plan.generated", { at: formatTime(plan.generated_at) })),
      h("p", {}, t("plan.groups"), "：", plan.groups.map((g) => label("TargetGroup", g)).join("、") || "—"),
      h("h3", {}, t("plan.policies")),
      planList(plan.policies, t("plan.no_policies")),
      h("h3", {}, t("plan.services")),
      planList(plan.services, t("plan.no_services")),
      h("p", { class: "print-only signature" }, t("plan.signature")),
    );
    byId("household-actions").append(
      h("button", { type: "button", id: "print-plan", onclick: () => window.print() }, t("plan.print")),
    );
  } catch (error) {
    fill(body, h("p", { class: "empty" }, error instanceof ApiError && error.status === 403 ? t("plan.not_for_role") : errorText(error)));
  }
}

async function showChain() {
  const body = byId("chain-body");
  byId("chain").hidden = false;
  byId("chain-links").replaceChildren(
    h("a", { class: "button", id: "open-trace", href: `/trace?household=${encodeURIComponent(householdId)}` }, t("trace.open_trace")),
  );
  try {
    const trace = await api(`/households/${encodeURIComponent(householdId)}/trace`);
    if (!trace.timeline.length) {
      fill(body, h("p", { class: "empty" }, t("chain.empty")));
      return;
    }
    fill(
      body,
      h(
        "ol",
        { class: "timeline" },
        trace.timeline.map((event) =>
          h(
            "li",
            { class: event.late ? "late" : null },
            h("time", { datetime: event.at }, formatTime(event.at)),
            " ",
            currentLang() === "en" ? event.summary_en : event.summary_zh,
            event.reason ? h("span", { class: "hint" }, ` (${event.reason})`) : null,
            event.late ? h("span", { class: "tag overdue" }, t("queue.overdue_tag")) : null,
          ),
        ),
      ),
    );
  } catch (error) {
    fill(body, h("p", { class: "empty" }, errorText(error)));
  }
}

async function main() {
  const me = await startPage();
  if (!me) return;
  let detail;
  try {
    detail = await api(`/households/${encodeURIComponent(householdId)}`);
  } catch (error) {
    pageError(error);
    document.body.dataset.ready = "true";
    return;
  }
  if (detail.access === "assignment") {
    byId("household-actions").append(h("p", { class: "message info" }, t("household.assignment_only")));
  }
  if (hasRole(me, REPORTERS)) {
    byId("household-actions").append(
      h("a", { class: "button", href: `/needs/new?household=${encodeURIComponent(detail.id)}` }, t("nav.report_need")),
    );
  }
  showSummary(detail);
  showMembers(detail);
  showNeeds(detail);
  showConsents(detail);
  await Promise.all([showPlan(me), showChain()]);
  document.body.dataset.ready = "true";
}

main().catch(pageError);
