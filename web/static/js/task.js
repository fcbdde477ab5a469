// One task (a referral hop) and its referral: facts, the referral's hops, and the actions the API says
// the caller may take now (GET /tasks/{id} -> actions). Each action's form checks what the API's
// request model checks and shows the API's errors beside the field; a 409 (the task moved meanwhile,
// or someone else acted first) says so with a refresh. /referrals/{id} opens its last hop.

import { ApiError, api } from "./api.js";
import { byId, fill, h, stackable } from "./dom.js";
import { clearErrors, fieldError, focusField, formSummary, showProblem } from "./forms.js";
import { bilingual, enumValues, formatTime, label, t } from "./i18n.js";
import { announce, can, errorText, pageError, startPage } from "./shell.js";

const [kind, rawId] = location.pathname.split("/").filter(Boolean);
const pathId = decodeURIComponent(rawId || "");
const OPEN = ["draft", "requested", "received", "accepted", "ready", "in-progress", "on-hold"];
// Actions made with one click (the API takes an optional note only).
const DIRECT = ["receive", "accept", "start", "hold", "resume", "claim", "offer"];
const REASON_MAX = 2000;
const TEXT_MAX = 4000;
const MAX_FEN = 10 ** 11;

let me = null;
let state = null; // {task, referral, names, overdue}

const enc = encodeURIComponent;

/** A body's or organisation's name from the need's trace graph (node id "Label:key"); the pool. */
function partyName(labelName, id) {
  if (!id) return t("task.pool");
  return state.names.get(`${labelName}:${id}`) || id;
}

function hopOverdue(hop) {
  return state.overdue.has(hop.id);
}

function fact(term, value) {
  return [h("dt", {}, term), h("dd", {}, value)];
}

function showFacts() {
  const { task } = state;
  const hop = task.hop;
  const household = h("a", { href: `/households/${enc(task.household.id)}` }, task.household.head_name || t("masked.hidden"));
  fill(byId("task-title"), t("task.title_of", { need: label("NeedType", task.need_type), seq: hop.seq }));
  fill(
    byId("task-facts"),
    fact(t("need.type"), [label("NeedType", task.need_type), " ", h("span", { class: `tag ${task.urgency}` }, label("Urgency", task.urgency))]),
    fact(t("queue.household"), household),
    fact(t("need.description"), task.need_description ?? h("span", { class: "masked" }, t("masked.hidden"))),
    fact(t("task.route"), `${partyName(hop.sender_label, hop.sender_id)} → ${partyName(hop.assignee_label, hop.assignee_id)}`),
    fact(t("queue.status"), [
      label("HopStatus", hop.status),
      hopOverdue(hop) ? h("span", { class: "tag overdue" }, t("queue.overdue_tag")) : null,
      hop.escalation_level ? h("span", { class: "tag escalated" }, t("queue.escalated_to", { level: label("AllianceLevel", hop.escalation_level) })) : null,
    ]),
    fact(t("task.accept_due"), hop.accept_due_at ? formatTime(hop.accept_due_at) : "—"),
    fact(t("queue.due"), hop.due_at ? formatTime(hop.due_at) : "—"),
    fact(t("task.referral_status"), [state.referral.status ? label("ReferralStatus", state.referral.status) : "—", state.referral.reopened_count ? ` · ${t("task.reopened_n", { n: state.referral.reopened_count })}` : ""]),
  );
  fill(
    byId("task-links"),
    h("a", { class: "button", href: `/trace?need=${enc(task.need_id)}` }, t("trace.open_need")),
    h("a", { class: "button", href: `/households/${enc(task.household.id)}` }, t("task.open_household")),
  );
  byId("task-card").hidden = false;
}

function lastChange(hop) {
  return hop.changes[hop.changes.length - 1] || null;
}

function showHops() {
  const rows = state.referral.hops.map((hop) => {
    const last = lastChange(hop);
    const current = hop.id === state.task.hop.id;
    return h(
      "tr",
      { class: hopOverdue(hop) ? "overdue" : null, "data-hop": hop.id },
      h("td", {}, current ? h("strong", { "aria-current": "true" }, String(hop.seq)) : h("a", { href: `/tasks/${enc(hop.id)}` }, String(hop.seq))),
      h("td", {}, `${partyName(hop.sender_label, hop.sender_id)} → ${partyName(hop.assignee_label, hop.assignee_id)}`),
      h("td", {}, label("HopStatus", hop.status), hopOverdue(hop) ? h("span", { class: "tag overdue" }, t("queue.overdue_tag")) : null),
      h("td", {}, last ? formatTime(last.at) : formatTime(hop.updated_at)),
      h("td", {}, last && last.reason_code ? `${label("HopReason", last.reason_code)}：` : "", last && last.reason ? last.reason : ""),
    );
  });
  fill(
    byId("hops-table"),
    stackable(h(
      "table",
      {},
      h("caption", { class: "visually-hidden" }, t("task.hops")),
      h("thead", {}, h("tr", {}, [t("task.seq"), t("task.route"), t("queue.status"), t("task.changed_at"), t("task.reason")].map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows),
    )),
  );
  byId("hops").hidden = false;
}

// -- forms ------------------------------------------------------------------------------------------
function control(formId, spec) {
  const id = `${formId}-${spec.name}`;
  const common = { id, name: spec.name, "aria-describedby": `${id}-error`, required: spec.required || null };
  if (spec.type === "select") {
    return h(
      "select",
      common,
      h("option", { value: "" }, spec.required ? t("needform.choose") : t("task.optional_choice")),
      spec.options.map(([value, text]) => h("option", { value }, text)),
    );
  }
  if (spec.type === "textarea") return h("textarea", { ...common, rows: 3, maxlength: spec.max });
  return h("input", { ...common, type: spec.type || "text", inputmode: spec.inputmode || null });
}

function field(formId, spec) {
  const id = `${formId}-${spec.name}`;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, t(spec.label)),
    control(formId, spec),
    spec.hint ? h("p", { class: "hint" }, spec.hint) : null,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }),
  );
}

const enumOptions = (name, skip = []) => enumValues(name).filter((v) => !skip.includes(v)).map((v) => [v, label(name, v)]);

/** Yuan as typed -> fen, or an error key. */
function fen(text) {
  if (!text) return { value: null };
  if (!/^\d+(\.\d{1,2})?$/.test(text)) return { error: "complete.bad_amount" };
  const value = Math.round(Number(text) * 100);
  return value > MAX_FEN ? { error: "complete.bad_amount" } : { value };
}

function reasonChecks(values, fail) {
  if (!enumValues("HopReason").includes(values.reason_code)) fail("reason_code", "task.choose_reason");
  if (!values.reason.trim()) fail("reason", "task.reason_required");
  else if (values.reason.length > REASON_MAX) fail("reason", "form.too_long", { n: REASON_MAX });
}

function providerOptions() {
  return state.providers.map((p) => [p.id, p.name]);
}

/** Each action's form: fields, the request model's checks, the body and the path. */
function formSpec(action) {
  const taskPath = `/tasks/${enc(state.task.hop.id)}/${action}`;
  const referralPath = `/referrals/${enc(state.referral.id)}/${action}`;
  const reason = [
    { name: "reason_code", label: "task.reason_code", type: "select", required: true, options: enumOptions("HopReason", ["not_started"]) },
    { name: "reason", label: "task.reason", type: "textarea", required: true, max: REASON_MAX },
  ];
  const specs = {
    reject: { fields: reason, path: taskPath, check: reasonChecks, body: (v) => ({ reason_code: v.reason_code, reason: v.reason }) },
    fail: { fields: reason, path: taskPath, check: reasonChecks, body: (v) => ({ reason_code: v.reason_code, reason: v.reason }) },
    // not_started is the deadline check's own code (the API refuses it here); the options leave it out.
    release: { fields: reason, path: taskPath, check: reasonChecks, body: (v) => ({ reason_code: v.reason_code, reason: v.reason }) },
    assign: {
      fields: [
        { name: "organisation_id", label: "task.provider", type: "select", required: true, options: providerOptions(), hint: state.providersHint },
        { name: "note", label: "task.note", type: "textarea", max: REASON_MAX },
      ],
      path: taskPath,
      check: (v, fail) => {
        if (!v.organisation_id) fail("organisation_id", "task.choose_provider");
        if (v.note.length > REASON_MAX) fail("note", "form.too_long", { n: REASON_MAX });
      },
      body: (v) => ({ organisation_id: v.organisation_id, note: v.note || null }),
    },
    complete: {
      fields: [
        { name: "kind", label: "complete.kind", type: "select", required: true, options: enumOptions("DeliveryKind") },
        { name: "amount", label: "complete.amount", inputmode: "decimal" },
        { name: "delivered_on", label: "complete.date", type: "date", required: true },
        { name: "note", label: "complete.note", type: "textarea", max: TEXT_MAX },
      ],
      path: taskPath,
      check: (v, fail) => {
        if (!enumValues("DeliveryKind").includes(v.kind)) fail("kind", "form.required");
        if (fen(v.amount).error) fail("amount", "complete.bad_amount");
        if (!/^\d{4}-\d{2}-\d{2}$/.test(v.delivered_on)) fail("delivered_on", "form.required");
        if (v.note.length > TEXT_MAX) fail("note", "form.too_long", { n: TEXT_MAX });
      },
      body: (v) => ({ kind: v.kind, amount_fen: fen(v.amount).value, delivered_on: v.delivered_on, note: v.note }),
    },
    verify: {
      fields: [
        { name: "result", label: "verify.result", type: "select", required: true, options: enumOptions("OutcomeResult") },
        { name: "delivered", label: "verify.delivered", type: "textarea", max: TEXT_MAX },
        { name: "amount", label: "verify.amount", inputmode: "decimal" },
        { name: "risk_level_after", label: "verify.risk_after", type: "select", options: [1, 2, 3].map((n) => [String(n), t("household.risk_n", { n })]) },
      ],
      path: referralPath,
      check: (v, fail) => {
        if (!enumValues("OutcomeResult").includes(v.result)) fail("result", "verify.choose_result");
        if (v.delivered.length > TEXT_MAX) fail("delivered", "form.too_long", { n: TEXT_MAX });
        if (fen(v.amount).error) fail("amount", "complete.bad_amount");
        if (v.risk_level_after && !["1", "2", "3"].includes(v.risk_level_after)) fail("risk_level_after", "form.invalid");
      },
      body: (v) => ({
        result: v.result,
        delivered: v.delivered,
        amount_fen: fen(v.amount).value,
        risk_level_after: v.risk_level_after ? Number(v.risk_level_after) : null,
      }),
    },
    reopen: {
      fields: [
        ...reason,
        { name: "organisation_id", label: "reopen.provider", type: "select", options: providerOptions(), hint: t("reopen.provider_hint") },
      ],
      path: referralPath,
      check: reasonChecks,
      body: (v) => ({ reason_code: v.reason_code, reason: v.reason, organisation_id: v.organisation_id || null }),
    },
  };
  return specs[action];
}

function values(form) {
  const found = {};
  for (const el of form.elements) if (el.name) found[el.name] = el.value;
  return found;
}

function openForm(action) {
  const spec = formSpec(action);
  const formId = `form-${action}`;
  const form = h(
    "form",
    { id: formId, novalidate: true, "aria-labelledby": `${formId}-title` },
    h("h3", { id: `${formId}-title` }, t(`action.${action}`)),
    h("p", { class: "form-summary message error", role: "alert", hidden: true }),
    spec.fields.map((f) => field(formId, f)),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, t(`action.${action}_submit`)),
      h("button", { type: "button", onclick: () => fill(byId("action-form")) }, t("common.cancel")),
    ),
  );
  if (form.elements.delivered_on) form.elements.delivered_on.value = new Date().toLocaleDateString("sv");
  form.addEventListener("submit", (event) => submitForm(event, action, spec));
  fill(byId("action-form"), form);
  focusField(form, spec.fields[0].name);
}

async function submitForm(event, action, spec) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const typed = values(form);
  let first = null;
  spec.check(typed, (name, key, vars) => {
    fieldError(form, name, t(key, vars));
    first = first || name;
  });
  if (first) {
    formSummary(form, t("form.fix_fields"));
    focusField(form, first);
    return;
  }
  try {
    await api(spec.path, { method: "POST", body: spec.body(typed) });
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return conflict(error);
    if (error instanceof ApiError) renameAmount(error.problem);
    showProblem(form, error);
    return;
  }
  await done(action);
}

/** The API names amounts in fen (amount_fen); the form takes yuan in `amount`. */
function renameAmount(problem) {
  if (problem.field === "amount_fen") problem.field = "amount";
  for (const item of problem.errors || []) item.field = String(item.field || "").replace(/amount_fen$/, "amount");
}

async function direct(action) {
  try {
    await api(`/tasks/${enc(state.task.hop.id)}/${action}`, { method: "POST" });
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return conflict(error);
    announce(errorText(error), "error");
    return;
  }
  await done(action);
}

/** Someone else acted first, or the task moved on: say so, with the API's reason and a refresh. */
function conflict(error) {
  const box = byId("page-message");
  box.className = "message error";
  box.hidden = false;
  fill(
    box,
    h("strong", {}, t("task.conflict")),
    " ",
    bilingual(error.problem.detail || error.problem.title || ""),
    " ",
    h("button", { type: "button", id: "refresh", class: "small", onclick: () => reload() }, t("task.refresh")),
  );
  box.querySelector("#refresh").focus();
}

async function done(action) {
  fill(byId("action-form"));
  await reload();
  announce(t(`action.${action}_done`), "success");
}

function showActions() {
  // An action this page has no way to make (one added to the API later) is left out, not broken.
  const actions = (state.task.actions || []).filter((a) => DIRECT.includes(a) || formSpec(a));
  const buttons = actions.map((action) =>
    h(
      "button",
      {
        type: "button",
        class: DIRECT.includes(action) ? "primary" : "",
        "data-action": action,
        onclick: () => (DIRECT.includes(action) ? direct(action) : openForm(action)),
      },
      t(`action.${action}`),
    ),
  );
  fill(byId("action-buttons"), buttons.length ? buttons : h("p", { class: "empty" }, t("task.no_actions")));
  byId("actions").hidden = false;
}

/** Organisations a township may assign the need to: the providers of its ranked candidates. */
async function loadProviders(actions) {
  state.providers = [];
  state.providersHint = null;
  if (!actions.some((a) => a === "assign" || a === "reopen")) return;
  if (!can(me, "match")) {
    state.providersHint = t("task.no_candidates_role");
    return;
  }
  const list = await api(`/needs/${enc(state.task.need_id)}/candidates?limit=50`);
  const seen = new Map();
  for (const c of list.candidates) {
    if (c.resource.provider_id && !seen.has(c.resource.provider_id)) {
      const name = state.names.get(`Organisation:${c.resource.provider_id}`);
      seen.set(c.resource.provider_id, name ? `${name}（${c.resource.name}）` : c.resource.name);
    }
  }
  state.providers = [...seen].map(([id, name]) => ({ id, name }));
  state.providersHint = state.providers.length ? t("task.providers_hint") : t("task.no_providers");
}

// The referral and the need's trace answer area staff, and an organisation through a live task of its
// own there; a task seen only in the open pool (or one the organisation returned) shows by itself,
// rather than making calls the API would refuse.
const CLOSED_FOR_ASSIGNEE = ["rejected", "cancelled", "entered-in-error"];

function readsReferral(task) {
  return task.access.includes("area") || (task.access.includes("assignee") && !CLOSED_FOR_ASSIGNEE.includes(task.hop.status));
}

function readsTrace(task) {
  return task.access.includes("area") || task.access.includes("assignee");
}

function thisHopOnly(task) {
  return { id: task.referral_id, status: null, reopened_count: 0, hops: [task.hop] };
}

async function reload() {
  document.body.dataset.ready = "false";
  let hopId = pathId;
  let referral = null;
  if (kind === "referrals") {
    referral = await api(`/referrals/${enc(pathId)}`);
    hopId = referral.hops[referral.hops.length - 1].id;
  }
  const task = await api(`/tasks/${enc(hopId)}`);
  const [loadedReferral, trace] = await Promise.all([
    referral || (readsReferral(task) ? api(`/referrals/${enc(task.referral_id)}`) : thisHopOnly(task)),
    readsTrace(task) ? api(`/needs/${enc(task.need_id)}/trace`) : { graph: { nodes: [] } },
  ]);
  const names = new Map(trace.graph.nodes.map((n) => [n.id, n.title]));
  const overdue = new Set(trace.graph.nodes.filter((n) => n.label === "ReferralHop" && n.overdue).map((n) => n.id.slice("ReferralHop:".length)));
  state = { task, referral: loadedReferral, names, overdue, providers: [], providersHint: null };
  await loadProviders(task.actions || []);
  showFacts();
  showHops();
  showActions();
  document.body.dataset.ready = "true";
}

async function main() {
  me = await startPage();
  if (!me) return;
  try {
    await reload();
  } catch (error) {
    pageError(error);
    document.body.dataset.ready = "true";
  }
}

main().catch(pageError);
