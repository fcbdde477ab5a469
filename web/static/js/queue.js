// A task queue as a table: need type (linking to the task page), household, village, status, due date
// (overdue highlighted).

import { h, stackable } from "./dom.js";
import { formatTime, label, t } from "./i18n.js";

export function householdName(item) {
  return item.head_name || t("masked.hidden");
}

export function queueTable(items, { caption, linkHouseholds = true } = {}) {
  if (!items.length) return h("p", { class: "empty" }, t("queue.empty"));
  const rows = items.map((item) =>
    h(
      "tr",
      { class: item.overdue ? "overdue" : null },
      h(
        "td",
        {},
        h("a", { href: `/tasks/${encodeURIComponent(item.hop_id)}`, class: "task-link" }, label("NeedType", item.need_type)),
        " ",
        h("span", { class: `tag ${item.urgency}` }, label("Urgency", item.urgency)),
      ),
      h(
        "td",
        {},
        linkHouseholds ? h("a", { href: `/households/${encodeURIComponent(item.household_id)}` }, householdName(item)) : householdName(item),
      ),
      h("td", {}, item.village_name || item.village_code),
      h("td", {}, label("HopStatus", item.status), item.escalation_level ? h("span", { class: "tag escalated" }, t("queue.escalated_to", { level: label("AllianceLevel", item.escalation_level) })) : null),
      h(
        "td",
        {},
        // An open task works to its deadline (acceptance first, then due): the order of the queue.
        item.completed_at ? formatTime(item.completed_at) : formatTime(item.deadline || item.due_at),
        item.overdue ? h("span", { class: "tag overdue" }, t("queue.overdue_tag")) : null,
      ),
    ),
  );
  return stackable(h(
    "table",
    {},
    caption ? h("caption", { class: "visually-hidden" }, caption) : null,
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, t("queue.need")),
        h("th", { scope: "col" }, t("queue.household")),
        h("th", { scope: "col" }, t("queue.village")),
        h("th", { scope: "col" }, t("queue.status")),
        h("th", { scope: "col" }, t("queue.due")),
      ),
    ),
    h("tbody", {}, rows),
  ));
}
