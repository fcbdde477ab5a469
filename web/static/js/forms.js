// Forms: errors beside their field (aria-describedby + aria-invalid), a summary in a live region,
// and nothing typed is ever cleared on error.

import { ApiError } from "./api.js";
import { h, fill } from "./dom.js";
import { bilingual, t } from "./i18n.js";

export function clearErrors(form) {
  for (const box of form.querySelectorAll(".field-error")) {
    box.hidden = true;
    box.replaceChildren();
  }
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const summary = form.querySelector(".form-summary");
  if (summary) {
    summary.hidden = true;
    summary.replaceChildren();
  }
}

/** Show `text` beside the field named `name` (its error box is #<form id>-<name>-error). */
export function fieldError(form, name, text) {
  const input = form.elements.namedItem(name);
  const box = form.querySelector(`#${form.id}-${name}-error`);
  if (!input || !box) return false;
  const target = input instanceof RadioNodeList ? input[0] : input;
  target.setAttribute("aria-invalid", "true");
  box.hidden = false;
  fill(box, text);
  return true;
}

export function formSummary(form, text) {
  const summary = form.querySelector(".form-summary");
  if (!summary) return;
  summary.hidden = !text;
  fill(summary, text || "");
}

/** Put a problem+json's field errors beside their fields; the rest goes to the summary. */
export function showProblem(form, error, fallbackField = null) {
  const problem = error instanceof ApiError ? error.problem : {};
  const unplaced = [];
  let first = null;
  for (const item of problem.errors || []) {
    const name = String(item.field || "").replace(/^(body|query|path|header):/, "").split(".")[0];
    const text = item.message ? `${t("form.invalid")}: ${item.message}` : t("form.invalid");
    if (fieldError(form, name, text)) first = first || name;
    else unplaced.push(`${name}: ${text}`);
  }
  const detail = bilingual(problem.detail || problem.title || "") || t("error.server");
  if (!problem.errors) {
    const name = problem.field || fallbackField;
    if (name && fieldError(form, name, detail)) first = name;
    else unplaced.push(detail);
  }
  formSummary(form, unplaced.length ? unplaced.join("；") : t("form.fix_fields"));
  focusField(form, first);
}

export function focusField(form, name) {
  if (!name) return;
  const input = form.elements.namedItem(name);
  const target = input instanceof RadioNodeList ? input[0] : input;
  if (target && target.focus) target.focus();
}

/** A labelled field with its error box: label, control, error (ids derived from the form id). */
export function errorBox(formId, name) {
  return h("p", { class: "field-error", id: `${formId}-${name}-error`, hidden: true });
}
