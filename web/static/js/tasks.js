// The provider's task board: open tasks in its service area (masked), claim (a lost race says so),
// my tasks with their next step, and recording a completion (办结 with a delivery).

import { ApiError, api } from "./api.js";
import { byId, fill, h, stackable } from "./dom.js";
import { clearErrors, fieldError, focusField, formSummary, showProblem } from "./forms.js";
import { enumValues, formatTime, label, t } from "./i18n.js";
import { announce, errorText, hasRole, pageError, startPage } from "./shell.js";

let completing = null; // the hop id the dialog completes
const villageNames = new Map(); // area code -> name, from the area tree the user may read

async function loadAreaNames() {
  try {
    const walk = (nodes) => {
      for (const node of nodes) {
        villageNames.set(node.code, node.name);
        walk(node.children || []);
      }
    };
    walk(await api("/areas"));
  } catch {
    // Names are a convenience: the codes are shown without them.
  }
}

function poolTable(tasks) {
  if (!tasks.length) return h("p", { class: "empty" }, t("tasks.pool_empty"));
  return stackable(h(
    "table",
    {},
    h(
      "thead",
      {},
      h("tr", {}, [t("queue.need"), t("queue.household"), t("queue.village"), t("tasks.description"), t("queue.due"), t("tasks.action")].map((x) => h("th", { scope: "col" }, x))),
    ),
    h(
      "tbody",
      {},
      tasks.map((task) =>
        h(
          "tr",
          { "data-hop": task.hop.id },
          h("td", {}, label("NeedType", task.need_type), " ", h("span", { class: `tag ${task.urgency}` }, label("Urgency", task.urgency))),
          h("td", {}, task.household.head_name || h("span", { class: "masked" }, t("masked.hidden"))),
          h("td", {}, villageNames.get(task.household.village_code) || task.household.village_code),
          h("td", {}, task.need_description || h("span", { class: "masked" }, t("masked.hidden"))),
          h("td", {}, formatTime(task.hop.due_at)),
          h("td", {}, h("button", { type: "button", class: "primary small claim", onclick: () => claim(task.hop.id) }, t("tasks.claim"))),
        ),
      ),
    ),
  ));
}

function nextStep(item) {
  const buttons = [];
  const move = (verb, key) =>
    h("button", { type: "button", class: "small", "data-action": verb, onclick: () => act(item.hop_id, verb) }, t(key));
  if (item.status === "requested" || item.status === "received") buttons.push(move("accept", "tasks.accept"));
  if (item.status === "accepted") buttons.push(move("start", "tasks.start"));
  if (item.status === "in-progress") {
    buttons.push(
      h("button", { type: "button", class: "small primary", "data-action": "complete", onclick: () => openComplete(item.hop_id) }, t("tasks.complete")),
    );
  }
  return buttons;
}

function mineTable(items) {
  if (!items.length) return h("p", { class: "empty" }, t("tasks.mine_empty"));
  return stackable(h(
    "table",
    {},
    h("thead", {}, h("tr", {}, [t("queue.need"), t("queue.household"), t("queue.village"), t("queue.status"), t("queue.due"), t("tasks.action")].map((x) => h("th", { scope: "col" }, x)))),
    h(
      "tbody",
      {},
      items.map((item) =>
        h(
          "tr",
          { "data-hop": item.hop_id, class: item.overdue ? "overdue" : null },
          h("td", {}, label("NeedType", item.need_type)),
          h("td", {}, h("a", { href: `/households/${encodeURIComponent(item.household_id)}` }, item.head_name || t("masked.hidden"))),
          h("td", {}, item.village_name || item.village_code),
          h("td", {}, label("HopStatus", item.status)),
          h("td", {}, formatTime(item.due_at), item.overdue ? h("span", { class: "tag overdue" }, t("queue.overdue_tag")) : null),
          h("td", {}, nextStep(item)),
        ),
      ),
    ),
  ));
}

/** Only the first page is listed (the pool soonest deadline first): say so when there are more. */
function showingOf(box, shown, total) {
  if (total > shown) box.append(h("p", { class: "hint" }, t("queue.more", { shown, total })));
}

async function loadPool() {
  try {
    const page = await api("/tasks/pool?limit=100");
    fill(byId("pool-count"), `(${page.total})`);
    fill(byId("pool-stats"), t("tasks.pool_stats", { returned: page.returned_to_pool, given: page.given_back }));
    fill(byId("pool-list"), poolTable(page.tasks));
    showingOf(byId("pool-list"), page.tasks.length, page.total);
  } catch (error) {
    fill(byId("pool-list"), h("p", { class: "empty" }, error instanceof ApiError && error.status === 403 ? t("queue.not_for_role") : errorText(error)));
  }
}

async function loadMine() {
  try {
    const page = await api("/queues/mine?limit=100");
    fill(byId("mine-count"), `(${page.total})`);
    fill(byId("mine-list"), mineTable(page.items));
    showingOf(byId("mine-list"), page.items.length, page.total);
  } catch (error) {
    fill(byId("mine-list"), h("p", { class: "empty" }, errorText(error)));
  }
}

let claims = false; // only providers claim from the pool (a liaison's tasks are assigned by name)

async function refresh() {
  await Promise.all([claims ? loadPool() : null, loadMine()]);
  document.body.dataset.ready = "true";
}

async function claim(hopId) {
  document.body.dataset.ready = "false";
  try {
    await api(`/tasks/${encodeURIComponent(hopId)}/claim`, { method: "POST" });
    announce(t("tasks.claimed"), "success");
  } catch (error) {
    if (error instanceof ApiError && (error.status === 409 || error.status === 404)) announce(t("tasks.lost_race"), "error");
    else announce(errorText(error), "error");
  }
  await refresh();
}

async function act(hopId, verb) {
  document.body.dataset.ready = "false";
  try {
    await api(`/tasks/${encodeURIComponent(hopId)}/${verb}`, { method: "POST" });
    announce(t(`tasks.done_${verb}`), "success");
  } catch (error) {
    announce(error instanceof ApiError && error.status === 409 ? t("tasks.changed") : errorText(error), "error");
  }
  await refresh();
}

function openComplete(hopId) {
  completing = hopId;
  const form = byId("complete");
  clearErrors(form);
  if (!form.elements.delivered_on.value) form.elements.delivered_on.value = new Date().toLocaleDateString("sv");
  byId("complete-dialog").showModal();
  focusField(form, "kind");
}

/** The checks of CompleteRequest: kind from its enum, a date, amount and units as whole numbers >= 0,
 * units and their name together. Returns the request body, or null after showing the errors. */
function completion(form) {
  let first = null;
  const fail = (name, key, vars) => {
    fieldError(form, name, t(key, vars));
    first = first || name;
  };
  const kind = form.elements.kind.value;
  if (!enumValues("DeliveryKind").includes(kind)) fail("kind", "form.required");
  const amount = form.elements.amount.value.trim();
  let amountFen = null;
  if (amount) {
    if (!/^\d+(\.\d{1,2})?$/.test(amount)) fail("amount", "complete.bad_amount");
    else amountFen = Math.round(Number(amount) * 100);
  }
  const units = form.elements.units.value.trim();
  const unitName = form.elements.unit_name.value.trim();
  if (units && !/^\d{1,7}$/.test(units)) fail("units", "complete.bad_units");
  if (units && !unitName) fail("unit_name", "complete.unit_name_needed");
  if (unitName && !units) fail("units", "complete.units_needed");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(form.elements.delivered_on.value)) fail("delivered_on", "form.required");
  if (first) {
    formSummary(form, t("form.fix_fields"));
    focusField(form, first);
    return null;
  }
  return {
    kind,
    amount_fen: amountFen,
    units: units ? Number(units) : null,
    unit_name: unitName || null,
    delivered_on: form.elements.delivered_on.value,
    note: form.elements.note.value,
  };
}

async function submitCompletion(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const body = completion(form);
  if (!body) return;
  try {
    await api(`/tasks/${encodeURIComponent(completing)}/complete`, { method: "POST", body });
    byId("complete-dialog").close();
    form.reset();
    announce(t("tasks.done_complete"), "success");
    document.body.dataset.ready = "false";
    await refresh();
  } catch (error) {
    const problem = error instanceof ApiError ? error.problem : {};
    if (problem.field === "amount_fen") problem.field = "amount";
    showProblem(form, error);
  }
}

async function main() {
  const me = await startPage({ needs: "read_tasks", refusal: "home.no_queues" });
  if (!me) return;
  claims = hasRole(me, ["provider"]);
  if (claims) await loadAreaNames();
  byId("pool").hidden = !claims;
  const kind = byId("complete").elements.kind;
  for (const value of enumValues("DeliveryKind")) kind.append(h("option", { value }, label("DeliveryKind", value)));
  byId("complete").addEventListener("submit", submitCompletion);
  byId("complete-cancel").addEventListener("click", () => byId("complete-dialog").close());
  await refresh();
}

main().catch(pageError);
