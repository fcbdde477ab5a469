// Home: the signed-in user's queues (due today, overdue, escalated to me, recently done),
// notifications, and for area staff a household search.

import { ApiError, api } from "./api.js";
import { byId, fill, h } from "./dom.js";
import { bilingual, formatTime, label, t } from "./i18n.js";
import { AREA_STAFF, TASK_ROLES, announce, errorText, hasRole, pageError, startPage } from "./shell.js";
import { queueTable } from "./queue.js";

async function queue(kind) {
  const result = await api(`/queues/${kind}?limit=50`);
  return { items: result.items, total: result.total };
}

function section(id, titleKey, hintKey) {
  const body = h("div", { class: "queue-body" }, h("p", { class: "empty" }, t("common.loading")));
  const count = h("span", { class: "count" });
  const card = h(
    "section",
    { class: "card", id: `queue-${id}`, "aria-labelledby": `queue-${id}-title`, "aria-busy": "true" },
    h("h2", { id: `queue-${id}-title` }, t(titleKey), " ", count),
    hintKey ? h("p", { class: "hint" }, t(hintKey)) : null,
    body,
  );
  return { card, body, count };
}

async function showQueue(slot, load, caption) {
  try {
    const { items, total } = await load();
    fill(slot.count, `(${total})`);
    fill(slot.body, queueTable(items, { caption }));
    if (total > items.length) slot.body.append(h("p", { class: "hint" }, t("queue.more", { shown: items.length, total })));
  } catch (error) {
    fill(slot.body, h("p", { class: "empty" }, error instanceof ApiError && error.status === 403 ? t("queue.not_for_role") : errorText(error)));
  } finally {
    slot.card.setAttribute("aria-busy", "false");
  }
}

/** Where a notification leads: its task, or its referral's last hop (a verification request). */
function subjectLink(n) {
  if (n.subject_label === "ReferralHop") return `/tasks/${encodeURIComponent(n.subject_id)}`;
  if (n.subject_label === "Referral") return `/referrals/${encodeURIComponent(n.subject_id)}`;
  return null;
}

async function showNotifications() {
  const list = byId("notification-list");
  try {
    const page = await api("/notifications?limit=20");
    if (!page.items.length) {
      fill(list, h("p", { class: "empty" }, t("home.no_notifications")));
      return;
    }
    fill(
      list,
      h(
        "ul",
        { class: "plain" },
        page.items.map((n) =>
          h(
            "li",
            { class: n.read_at ? "read" : "unread" },
            h("strong", {}, label("NotificationKind", n.kind)),
            " ",
            subjectLink(n) ? h("a", { href: subjectLink(n) }, bilingual(n.message)) : bilingual(n.message),
            " ",
            h("time", { datetime: n.created_at }, formatTime(n.created_at)),
          ),
        ),
      ),
    );
  } catch (error) {
    fill(list, h("p", { class: "empty" }, error instanceof ApiError && error.status === 403 ? t("queue.not_for_role") : errorText(error)));
  }
}

async function search(event) {
  event.preventDefault();
  const name = event.currentTarget.elements.name.value.trim();
  const results = byId("search-results");
  const query = name ? `?name=${encodeURIComponent(name)}&limit=20` : "?limit=20";
  try {
    const page = await api(`/households${query}`);
    if (!page.items.length) {
      fill(results, h("p", { class: "empty" }, t("home.no_households")));
      return;
    }
    fill(
      results,
      h("p", { class: "hint" }, t("home.found", { total: page.total })),
      h(
        "ul",
        { class: "plain" },
        page.items.map((hh) =>
          h(
            "li",
            {},
            h("a", { href: `/households/${encodeURIComponent(hh.id)}` }, hh.head_name || t("masked.hidden")),
            ` · ${hh.village_name || hh.village_code} · `,
            hh.categories.map((c) => label("TargetGroup", c)).join("、"),
            hh.risk_level ? ` · ${t("household.risk_level")} ${hh.risk_level}` : "",
          ),
        ),
      ),
    );
  } catch (error) {
    fill(results, h("p", { class: "message error" }, errorText(error)));
  }
}

async function main() {
  const me = await startPage();
  if (!me) return;
  if (!hasRole(me, TASK_ROLES)) {
    announce(t("home.no_queues"));
    byId("notifications").hidden = true;
    document.body.dataset.ready = "true";
    return;
  }
  const grid = byId("queues");
  const slots = {
    today: section("today", "home.due_today", "home.due_today_hint"),
    overdue: section("overdue", "home.overdue"),
    escalated: section("escalated", "home.escalated"),
    done: section("done", "home.done", "home.done_hint"),
  };
  grid.append(...Object.values(slots).map((s) => s.card));
  if (hasRole(me, AREA_STAFF)) {
    byId("households").hidden = false;
    byId("search").addEventListener("submit", search);
  }
  await Promise.all([
    showQueue(slots.today, () => queue("due_today"), t("home.due_today")),
    showQueue(slots.overdue, () => queue("overdue"), t("home.overdue")),
    showQueue(slots.escalated, () => queue("escalated"), t("home.escalated")),
    showQueue(slots.done, () => queue("done"), t("home.done")),
    showNotifications(),
  ]).catch(pageError);
  document.body.dataset.ready = "true";
}

main().catch(pageError);
