// Report a need: the same rules as the API's NeedCreate (required household, type and urgency from
// their enums, description up to 4000 characters), server errors beside their field, nothing lost.

import { api } from "./api.js";
import { byId, fill, h } from "./dom.js";
import { clearErrors, fieldError, focusField, formSummary, showProblem } from "./forms.js";
import { enumValues, label, t } from "./i18n.js";
import { announce, errorText, pageError, startPage } from "./shell.js";

const ID_PATTERN = /^[0-9A-Za-z_-]{1,64}$/;
const MAX_DESCRIPTION = 4000;

function fillChoices(form) {
  const type = form.elements.type;
  for (const value of enumValues("NeedType")) type.append(h("option", { value }, label("NeedType", value)));
  const channel = form.elements.channel;
  for (const value of enumValues("NeedChannel")) {
    channel.append(h("option", { value, selected: value === "home_visit" }, label("NeedChannel", value)));
  }
  byId("urgency-options").append(
    ...enumValues("Urgency").map((value) =>
      h(
        "label",
        { class: "option" },
        h("input", { type: "radio", name: "urgency", value, required: true }),
        " ",
        label("Urgency", value),
      ),
    ),
  );
}

/** The client-side checks: those of NeedCreate. Returns the name of the first bad field. */
function check(form) {
  let first = null;
  const fail = (name, key, vars) => {
    fieldError(form, name, t(key, vars));
    first = first || name;
  };
  const household = form.elements.household_id.value.trim();
  if (!household) fail("household_id", "form.required");
  else if (!ID_PATTERN.test(household)) fail("household_id", "needform.bad_household");
  if (!enumValues("NeedType").includes(form.elements.type.value)) fail("type", "needform.choose_type");
  if (!enumValues("Urgency").includes(form.elements.urgency.value)) fail("urgency", "needform.choose_urgency");
  if (!enumValues("NeedChannel").includes(form.elements.channel.value)) fail("channel", "form.required");
  if (form.elements.description.value.length > MAX_DESCRIPTION) fail("description", "form.too_long", { n: MAX_DESCRIPTION });
  return first;
}

async function submit(event) {
  event.preventDefault();
  const form = event.currentTarget;
  clearErrors(form);
  announce("");
  const bad = check(form);
  if (bad) {
    formSummary(form, t("form.fix_fields"));
    focusField(form, bad);
    return;
  }
  const body = {
    household_id: form.elements.household_id.value.trim(),
    type: form.elements.type.value,
    urgency: form.elements.urgency.value,
    channel: form.elements.channel.value,
    description: form.elements.description.value,
  };
  try {
    const need = await api("/needs", { method: "POST", body });
    const link = h("a", { href: `/households/${encodeURIComponent(need.household_id)}` }, t("needform.open_household"));
    const text = need.report_count > 1 ? t("needform.merged", { n: need.report_count }) : t("needform.saved");
    announce("", "success");
    fill(byId("page-message"), text, " ", link);
    byId("page-message").hidden = false;
    byId("page-message").className = "message success";
    form.reset();
    form.elements.household_id.value = body.household_id;
  } catch (error) {
    // A household that does not exist or is outside the user's areas belongs to that field.
    showProblem(form, error, error.status === 404 ? "household_id" : null);
  }
}

async function find(event) {
  event.preventDefault();
  const name = event.currentTarget.elements.name.value.trim();
  const box = byId("find-results");
  if (!name) return;
  try {
    const page = await api(`/households?name=${encodeURIComponent(name)}&limit=10`);
    if (!page.items.length) {
      fill(box, h("p", { class: "empty" }, t("home.no_households")));
      return;
    }
    fill(
      box,
      h(
        "ul",
        { class: "plain" },
        page.items.map((hh) =>
          h(
            "li",
            {},
            `${hh.head_name || t("masked.hidden")} · ${hh.village_name || hh.village_code} `,
            h(
              "button",
              {
                type: "button",
                class: "small",
                onclick: () => {
                  byId("need").elements.household_id.value = hh.id;
                  focusField(byId("need"), "type");
                },
              },
              t("needform.pick"),
            ),
          ),
        ),
      ),
    );
  } catch (error) {
    fill(box, h("p", { class: "message error" }, errorText(error)));
  }
}

async function main() {
  const me = await startPage();
  if (!me) return;
  const form = byId("need");
  fillChoices(form);
  const household = new URLSearchParams(location.search).get("household");
  if (household) form.elements.household_id.value = household;
  form.addEventListener("submit", submit);
  byId("find").addEventListener("submit", find);
  document.body.dataset.ready = "true";
}

main().catch(pageError);
