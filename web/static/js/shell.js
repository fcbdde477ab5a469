// What every signed-in page shares: the catalogues, the signed-in user, the top bar, errors.

import { ApiError, api, logout, saveMe, session, toLogin } from "./api.js";
import { h, fill, byId } from "./dom.js";
import { applyTranslations, bilingual, currentLang, label, loadCatalogues, setLang, t } from "./i18n.js";

export const AREA_STAFF = ["county_coordinator", "township_officer", "village_worker", "social_worker"];
export const REPORTERS = [...AREA_STAFF, "department_liaison"];
// Roles with task queues and notifications (auditors and admins have none: their pages come later).
export const TASK_ROLES = [...REPORTERS, "provider"];

export function hasRole(me, roles) {
  return me.roles.some((role) => roles.includes(role));
}

/** Whether the user's roles may do `action` at all (the API's Action, listed by /auth/me): a page asks
 * only for what this allows, so it makes no call it knows the API refuses (the API decides either way). */
export function can(me, action) {
  return (me.permissions || []).includes(action);
}

/** The message to show for a failed call, in the current language. */
export function errorText(error) {
  if (error instanceof ApiError) {
    if (error.status === 403) return t("error.forbidden");
    if (error.status === 404) return t("error.not_found");
    if (error.status >= 500) return t("error.server");
    return bilingual(error.problem.detail || error.problem.title) || t("error.server");
  }
  return t("error.network");
}

/** Show a page-level message in the live region (role=status, or alert for errors). */
export function announce(text, kind = "info") {
  const box = byId("page-message");
  if (!box) return;
  box.className = `message ${kind}`;
  box.hidden = !text;
  fill(box, text || "");
}

function languageSwitch() {
  const other = currentLang() === "en" ? "zh-CN" : "en";
  return h(
    "button",
    {
      type: "button",
      class: "link-button",
      id: "lang-switch",
      lang: other,
      onclick: () => {
        setLang(other);
        location.reload();
      },
    },
    other === "en" ? "English" : "中文",
  );
}

function navLinks(me) {
  const links = [["/home", "nav.home"]];
  if (hasRole(me, ["provider", "department_liaison"])) links.push(["/tasks", "nav.tasks"]);
  if (hasRole(me, REPORTERS)) links.push(["/needs/new", "nav.report_need"]);
  // The dispatch board, figures and the map: only for roles that may dispatch or read figures.
  if (can(me, "dispatch")) links.push(["/dispatch", "nav.dispatch"]);
  if (can(me, "read_figures")) links.push(["/figures", "nav.figures"], ["/map", "nav.map"]);
  return links.map(([href, key]) =>
    h("a", { href, "aria-current": location.pathname === href ? "page" : null }, t(key)),
  );
}

function topBar(me) {
  const bar = byId("topbar");
  const roles = me ? me.roles.map((r) => label("Role", r)).join("、") : "";
  fill(
    bar,
    h("a", { href: "/home", class: "brand" }, t("app.name")),
    me ? h("nav", { "aria-label": t("nav.label") }, navLinks(me)) : null,
    h(
      "div",
      { class: "who" },
      me ? h("span", { class: "user" }, `${me.display_name} · ${roles}`) : null,
      languageSwitch(),
      me ? h("button", { type: "button", class: "link-button", id: "logout", onclick: logout }, t("nav.logout")) : null,
    ),
  );
}

/** Start a page: catalogues, translations, the top bar; signed-in pages also get the user (or go to login). */
/** Mark the page ready (or busy) for the browser tests and assistive technology. */
export function ready(flag) {
  document.body.dataset.ready = flag ? "true" : "false";
}

/**
 * Start a page: catalogues, top bar, the signed-in user (null when the page must not go on).
 * With `needs`, a user without that permission is told `refusal` instead of the page making calls
 * the API would refuse.
 */
export async function startPage({ signedIn = true, needs = null, refusal = null } = {}) {
  await loadCatalogues();
  applyTranslations();
  if (!signedIn) {
    topBar(null);
    return null;
  }
  const current = session();
  if (!current || !current.access) {
    toLogin();
    return null;
  }
  if (current.mustChange) {
    location.assign("/login?change=1");
    return null;
  }
  let me = current.me;
  if (!me || !me.permissions) {
    me = await api("/auth/me");
    saveMe(me);
  }
  topBar(me);
  if (needs && !can(me, needs)) {
    announce(t(refusal), "info");
    ready(true);
    return null;
  }
  return me;
}

export function pageError(error) {
  announce(errorText(error), "error");
}
