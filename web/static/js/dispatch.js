// The dispatch board (派单台): an area's open needs with their explained candidates, dispatch one or
// many, and batch matching reviewed row by row before anything is dispatched. Every dispatch is
// confirmed first; each need's result (dispatched, or refused with the API's problem) is shown on it.

import { ApiError, api } from "./api.js";
import { areaPicker } from "./areas.js";
import { householdLink, partsText, runBatch } from "./dispatch-batch.js";
import { byId, fill, h } from "./dom.js";
import { bilingual, currentLang, enumValues, formatTime, label, t } from "./i18n.js";
import { announce, errorText, hasRole, pageError, ready, startPage } from "./shell.js";

const PAGE = 20;
const CANDIDATES = 3;
const MAX_ITEMS = 200;

const state = {
  mode: "county", // "county": to the household's township body; "township": to a provider or the pool
  area: null,
  offset: 0,
  names: new Map(), // area code -> name
  needs: new Map(), // need id -> {item, row, result, checkbox}
};

function areaName(code) {
  return state.names.get(code) || code;
}

async function loadAreas(me) {
  const select = byId("area");
  state.names = await areaPicker(select);
  state.area = me.area_codes[0] || select.value;
  select.value = state.area;
}

function setUpChoices() {
  const destination = byId("destination");
  const options =
    state.mode === "county"
      ? [["township", "dispatch.to_township"]]
      : [
          ["provider", "dispatch.to_provider"],
          ["pool", "dispatch.to_pool"],
        ];
  for (const [value, key] of options) destination.append(h("option", { value }, t(key)));
  destination.disabled = options.length === 1;
  const hint = () =>
    fill(byId("destination-hint"), t(`dispatch.hint_${destination.value}`));
  destination.addEventListener("change", hint);
  hint();
  const track = byId("track");
  for (const value of enumValues("ReferralTrack")) track.append(h("option", { value }, label("ReferralTrack", value)));
  track.value = "alliance";
}

/** The dispatch choices of one need, from the chosen destination and resource; or an error text. */
function dispatchBody(resource) {
  const body = { track: byId("track").value };
  if (resource) body.resource_id = resource.id;
  const destination = byId("destination").value;
  if (destination === "pool") body.pool = true;
  if (destination === "provider") {
    if (!resource || !resource.provider_id) return { error: t("dispatch.need_resource") };
    body.organisation_id = resource.provider_id;
  }
  return { body };
}

function destinationText(resource) {
  const destination = byId("destination").value;
  if (destination === "provider") return resource ? t("dispatch.to_provider_of", { name: resource.name }) : "";
  return t(`dispatch.to_${destination}`);
}

function needTitle(item) {
  return `${label("NeedType", item.need_type)} · ${item.head_name || t("masked.hidden")} · ${areaName(item.village_code)}`;
}

// -- the board ------------------------------------------------------------------------------------

function candidateChoice(item) {
  const name = `resource-${item.need_id}`;
  const none = h(
    "label",
    { class: "option block" },
    h("input", { type: "radio", name, value: "", checked: !item.candidates.length }),
    " ",
    t("dispatch.no_resource"),
  );
  const choices = item.candidates.map((c, i) =>
    h(
      "label",
      { class: "option block" },
      h("input", { type: "radio", name, value: c.resource.id, checked: i === 0 }),
      " ",
      h("strong", {}, c.resource.name),
      ` (${label("ResourceKind", c.resource.kind)}) `,
      h("span", { class: "score" }, t("dispatch.score", { score: c.score })),
      h(
        "span",
        { class: "parts" },
        [
          partsText(c.parts),
          c.distance_km !== null ? t("dispatch.distance", { km: c.distance_km }) : null,
          c.remaining_capacity !== null ? t("dispatch.capacity", { n: c.remaining_capacity }) : null,
        ]
          .filter(Boolean)
          .join(" · "),
      ),
    ),
  );
  return h(
    "fieldset",
    { class: "candidates" },
    h("legend", {}, t("dispatch.candidates", { n: item.eligible ?? item.candidates.length })),
    choices,
    none,
  );
}

function chosenResource(needId) {
  const entry = state.needs.get(needId);
  const checked = entry.row.querySelector(`input[name="resource-${needId}"]:checked`);
  if (!checked || !checked.value) return null;
  const found = entry.item.candidates.find((c) => c.resource.id === checked.value);
  return found ? found.resource : null;
}

async function showExcluded(needId, button, box) {
  const open = button.getAttribute("aria-expanded") === "true";
  button.setAttribute("aria-expanded", String(!open));
  box.hidden = open;
  if (open || box.dataset.loaded) return;
  fill(box, h("p", { class: "hint" }, t("common.loading")));
  try {
    const list = await api(`/needs/${encodeURIComponent(needId)}/candidates?limit=10`);
    box.dataset.loaded = "true";
    const findings = (f) => {
      const text = currentLang() === "en" ? f.label_en : f.label_zh;
      return f.detail ? `${text}（${bilingual(f.detail)}）` : f.masked ? `${text}（${t("dispatch.detail_hidden")}）` : text;
    };
    fill(
      box,
      list.excluded.length
        ? h(
            "ul",
            { class: "plain excluded" },
            list.excluded.map((e) =>
              h("li", {}, h("strong", {}, e.resource.name), ` (${label("ResourceKind", e.resource.kind)})：`, e.findings.map(findings).join("；")),
            ),
          )
        : h("p", { class: "empty" }, t("dispatch.none_excluded")),
      list.not_serving_type ? h("p", { class: "hint" }, t("dispatch.not_serving", { n: list.not_serving_type })) : null,
    );
  } catch (error) {
    fill(box, h("p", { class: "message error" }, errorText(error)));
  }
}

function needRow(item) {
  const id = item.need_id;
  const checkbox = h("input", { type: "checkbox", id: `pick-${id}`, class: "pick", onchange: countSelected });
  const result = h("p", { class: "result", role: "status", hidden: true });
  const excluded = h("div", { id: `excluded-${id}`, class: "excluded-box", hidden: true });
  const why = h(
    "button",
    { type: "button", class: "link-button", "aria-expanded": "false", "aria-controls": `excluded-${id}` },
    t("dispatch.why_not"),
  );
  why.addEventListener("click", () => showExcluded(id, why, excluded));
  const row = h(
    "article",
    { class: "need-card", "data-need": id, "aria-labelledby": `title-${id}` },
    h(
      "div",
      { class: "need-head" },
      checkbox,
      h("label", { for: `pick-${id}`, id: `title-${id}` }, needTitle(item)),
      h("span", { class: `tag ${item.urgency}` }, label("Urgency", item.urgency)),
    ),
    h(
      "p",
      { class: "hint" },
      householdLink(item.household_id, item.head_name),
      ` · ${t("need.reported")} ${formatTime(item.created_at)}`,
      item.report_count > 1 ? ` · ${t("dispatch.reports", { n: item.report_count })}` : "",
      item.risk_level ? ` · ${t("household.risk_level")} ${item.risk_level}` : "",
    ),
    item.description ? h("p", {}, item.description) : item.masked.includes("description") ? h("p", { class: "masked" }, t("masked.hidden")) : null,
    candidateChoice(item),
    h("div", { class: "actions" }, why, h("button", { type: "button", class: "small dispatch-one", onclick: () => dispatchOne(id) }, t("dispatch.dispatch_one"))),
    excluded,
    result,
  );
  state.needs.set(id, { item, row, result, checkbox });
  return row;
}

function countSelected() {
  const n = [...state.needs.values()].filter((e) => e.checkbox.checked && !e.checkbox.disabled).length;
  fill(byId("selected-count"), t("dispatch.selected", { n }));
}

function pager(board) {
  const box = byId("board-pager");
  const first = board.total ? board.offset + 1 : 0;
  const last = board.offset + board.items.length;
  fill(
    box,
    h("span", { class: "hint" }, t("dispatch.range", { first, last, total: board.total })),
    board.offset > 0 ? h("button", { type: "button", class: "small", onclick: () => loadBoard(board.offset - PAGE) }, t("dispatch.previous")) : null,
    last < board.total ? h("button", { type: "button", class: "small", onclick: () => loadBoard(board.offset + PAGE) }, t("dispatch.next")) : null,
  );
}

async function loadBoard(offset = 0) {
  ready(false);
  state.offset = offset;
  state.needs.clear();
  const list = byId("board-list");
  fill(list, h("p", { class: "hint" }, t("common.loading")));
  try {
    const query = `area=${state.area}&status=open&candidates=${CANDIDATES}&limit=${PAGE}&offset=${offset}`;
    const board = await api(`/matching/board?${query}`);
    fill(byId("board-count"), `(${board.total})`);
    fill(list, board.items.length ? board.items.map(needRow) : h("p", { class: "empty" }, t("dispatch.no_open_needs")));
    pager(board);
  } catch (error) {
    fill(list, h("p", { class: "message error" }, errorText(error)));
  }
  countSelected();
  ready(true);
}

// -- confirming and dispatching -------------------------------------------------------------------

/** Ask before dispatching: the needs and where each goes. Resolves true only on "confirm". */
function confirmDispatch(lines) {
  const dialog = byId("confirm-dialog");
  fill(byId("confirm-summary"), t("dispatch.confirm_summary", { n: lines.length }));
  fill(byId("confirm-list"), lines.map((line) => h("li", {}, line)));
  return new Promise((resolve) => {
    const done = (answer) => {
      byId("confirm-ok").removeEventListener("click", ok);
      dialog.removeEventListener("close", cancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const ok = () => done(true);
    const cancel = () => done(false);
    byId("confirm-ok").addEventListener("click", ok);
    dialog.addEventListener("close", cancel);
    dialog.showModal();
    byId("confirm-cancel").focus();
  });
}

function problemText(problem) {
  const detail = bilingual(problem.detail || problem.title || "");
  if (problem.status === 409) return t("dispatch.stale", { detail });
  if (problem.status === 404) return t("error.not_found");
  if (problem.status === 403) return t("error.forbidden");
  return t("dispatch.refused", { detail });
}

/** Show one need's result on it (and on its batch row, if it has one). */
function showResult(box, outcome, text, referralId = null) {
  if (!box) return;
  box.hidden = false;
  box.className = `result ${outcome === "dispatched" ? "ok" : "refused"}`;
  fill(
    box,
    h("strong", {}, t(outcome === "dispatched" ? "dispatch.dispatched" : "dispatch.not_dispatched")),
    " ",
    text,
    // The new referral's page: its hops and, later, its trace.
    referralId ? [" · ", h("a", { href: `/referrals/${encodeURIComponent(referralId)}`, class: "referral-link" }, t("dispatch.open_referral"))] : null,
  );
}

function markDispatched(needId, destination, referralId) {
  const entry = state.needs.get(needId);
  if (!entry) return;
  entry.checkbox.checked = false;
  entry.checkbox.disabled = true;
  entry.row.classList.add("done");
  for (const button of entry.row.querySelectorAll("button.dispatch-one")) button.disabled = true;
  showResult(entry.result, "dispatched", destination, referralId);
}

async function dispatchOne(needId) {
  const entry = state.needs.get(needId);
  const resource = chosenResource(needId);
  const { body, error } = dispatchBody(resource);
  if (error) {
    showResult(entry.result, "refused", error);
    return;
  }
  const destination = destinationText(resource);
  if (!(await confirmDispatch([`${needTitle(entry.item)} → ${destination}`]))) return;
  ready(false);
  try {
    const referral = await api(`/needs/${encodeURIComponent(needId)}/referrals`, { method: "POST", body });
    markDispatched(needId, destination, referral.id);
    announce(t("dispatch.done", { dispatched: 1, refused: 0 }), "success");
  } catch (failure) {
    const text = failure instanceof ApiError ? problemText({ ...failure.problem, status: failure.status }) : errorText(failure);
    showResult(entry.result, "refused", text);
    announce(text, "error");
  }
  countSelected();
  ready(true);
}

/** POST /dispatches for `picked` ({needId, resource, title, box}); each result lands on its need. */
async function dispatchMany(picked) {
  const items = [];
  const lines = [];
  for (const pick of picked) {
    const { body, error } = dispatchBody(pick.resource);
    if (error) {
      showResult(pick.box, "refused", error);
      continue;
    }
    items.push({ need_id: pick.needId, ...body });
    lines.push(`${pick.title} → ${destinationText(pick.resource)}`);
  }
  if (!items.length) {
    announce(t("dispatch.nothing_selected"), "error");
    return null;
  }
  if (!(await confirmDispatch(lines))) return null;
  ready(false);
  try {
    // POST /dispatches takes at most 200 items; a county's proposal can be longer.
    const report = { dispatched: 0, refused: 0, results: [] };
    for (let at = 0; at < items.length; at += MAX_ITEMS) {
      const part = await api("/dispatches", { method: "POST", body: { items: items.slice(at, at + MAX_ITEMS) } });
      report.dispatched += part.dispatched;
      report.refused += part.refused;
      report.results.push(...part.results);
    }
    for (const result of report.results) {
      const pick = picked.find((p) => p.needId === result.need_id);
      if (result.outcome === "dispatched") {
        const destination = destinationText(pick && pick.resource);
        const referralId = result.referral ? result.referral.id : null;
        showResult(pick && pick.box, "dispatched", destination, referralId);
        markDispatched(result.need_id, destination, referralId);
      } else {
        const text = problemText(result.problem || {});
        showResult(pick && pick.box, "refused", text);
        const entry = state.needs.get(result.need_id);
        if (entry && entry.result !== (pick && pick.box)) showResult(entry.result, "refused", text);
      }
    }
    announce(t("dispatch.done", { dispatched: report.dispatched, refused: report.refused }), report.refused ? "error" : "success");
    return report;
  } catch (error) {
    announce(errorText(error), "error");
    return null;
  } finally {
    countSelected();
    ready(true);
  }
}

async function dispatchSelected() {
  const picked = [...state.needs.entries()]
    .filter(([, e]) => e.checkbox.checked && !e.checkbox.disabled)
    .map(([needId, e]) => ({ needId, resource: chosenResource(needId), title: needTitle(e.item), box: e.result }));
  if (!picked.length) {
    announce(t("dispatch.nothing_selected"), "error");
    return;
  }
  await dispatchMany(picked);
}

async function main() {
  const me = await startPage({ needs: "dispatch", refusal: "dispatch.not_for_role" });
  if (!me) return;
  state.mode = hasRole(me, ["county_coordinator"]) ? "county" : "township";
  await loadAreas(me);
  setUpChoices();
  for (const id of ["controls", "board", "batch"]) byId(id).hidden = false;
  byId("area-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.area = byId("area").value;
    fill(byId("batch-result"));
    loadBoard(0).catch(pageError);
  });
  byId("dispatch-selected").addEventListener("click", () => dispatchSelected().catch(pageError));
  byId("batch-run").addEventListener("click", () => runBatch({ area: state.area, areaName, dispatchMany, ready }).catch(pageError));
  byId("confirm-cancel").addEventListener("click", () => byId("confirm-dialog").close());
  await loadBoard(0);
}

main().catch(pageError);
