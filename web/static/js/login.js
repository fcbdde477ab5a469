// Sign in; a one-time password must be changed before anything else; then back to where the user was.

import { ApiError, api, clearSession, saveMe, saveTokens, session } from "./api.js";
import { byId } from "./dom.js";
import { clearErrors, fieldError, focusField, formSummary, showProblem } from "./forms.js";
import { t } from "./i18n.js";
import { announce, startPage } from "./shell.js";

const MIN_PASSWORD = 10;

function nextPage() {
  const next = new URLSearchParams(location.search).get("next") || "/home";
  // Only a path of this site: never an absolute or protocol-relative URL.
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/home";
}

async function finish() {
  saveMe(await api("/auth/me"));
  location.assign(nextPage());
}

function showChange(username) {
  byId("login").hidden = true;
  const form = byId("change");
  form.hidden = false;
  form.dataset.username = username || "";
  focusField(form, "current_password");
}

async function signIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  let missing = null;
  if (!username) missing = missing || (fieldError(form, "username", t("form.required")) && "username");
  if (!password) missing = missing || (fieldError(form, "password", t("form.required")) && "password");
  if (missing) {
    formSummary(form, t("form.fix_fields"));
    focusField(form, missing);
    return;
  }
  try {
    const pair = await api("/auth/login", { method: "POST", body: { username, password }, auth: false });
    saveTokens(pair);
    if (pair.password_change_required) {
      showChange(username);
      byId("change").elements.current_password.value = password;
      focusField(byId("change"), "new_password");
      return;
    }
    await finish();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      formSummary(form, t("login.wrong"));
      focusField(form, "password");
    } else if (error instanceof ApiError && error.status === 429) {
      const minutes = Math.max(1, Math.ceil((error.retryAfter || 60) / 60));
      formSummary(form, t("login.locked", { minutes }));
    } else {
      showProblem(form, error);
    }
  }
}

async function changePassword(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  const current = form.elements.current_password.value;
  const fresh = form.elements.new_password.value;
  const username = (form.dataset.username || (session()?.me?.username ?? "")).toLowerCase();
  let first = null;
  const fail = (name, text) => {
    fieldError(form, name, text);
    first = first || name;
  };
  if (!current) fail("current_password", t("form.required"));
  if (fresh.length < MIN_PASSWORD) fail("new_password", t("change.too_short", { n: MIN_PASSWORD }));
  else if (username && fresh.toLowerCase().includes(username)) fail("new_password", t("change.has_username"));
  if (form.elements.confirm.value !== fresh) fail("confirm", t("change.mismatch"));
  if (first) {
    formSummary(form, t("form.fix_fields"));
    focusField(form, first);
    return;
  }
  try {
    await api("/auth/password", { method: "POST", body: { current_password: current, new_password: fresh } });
    const stored = session();
    saveTokens({ access_token: stored.access, refresh_token: stored.refresh, password_change_required: false });
    await finish();
  } catch (error) {
    showProblem(form, error, "new_password");
  }
}

async function main() {
  await startPage({ signedIn: false });
  byId("login").addEventListener("submit", signIn);
  byId("change").addEventListener("submit", changePassword);
  const params = new URLSearchParams(location.search);
  const current = session();
  if (params.get("change") === "1" && current && current.mustChange) {
    showChange(current.me?.username);
  } else if (params.get("signed_out") === "1") {
    clearSession();
    announce(t("login.signed_out"));
  }
  focusField(byId("login"), "username");
  document.body.dataset.ready = "true";
}

main();
