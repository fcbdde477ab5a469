// One message catalogue (zh-CN default, en), enum labels generated from the model, a persisted switch.

const LANG_KEY = "zhulian.lang";
export const LANGS = ["zh-CN", "en"];
let messages = {};
let enumLabels = {};
let lang = LANGS.includes(localStorage.getItem(LANG_KEY)) ? localStorage.getItem(LANG_KEY) : "zh-CN";

export function currentLang() {
  return lang;
}

export async function loadCatalogues() {
  const [m, e] = await Promise.all([
    fetch("/static/i18n/messages.json").then((r) => r.json()),
    fetch("/i18n/enums.json").then((r) => r.json()),
  ]);
  messages = m;
  enumLabels = e;
  document.documentElement.lang = lang;
}

/** The message `key` in the current language, with {name} placeholders filled from `vars`. */
export function t(key, vars = {}) {
  const table = messages[lang] || {};
  const text = table[key] ?? (messages["zh-CN"] || {})[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** The label of an enum value (e.g. label("NeedType", "medical") -> "医疗" or "Medical"). */
export function label(enumName, value) {
  if (value === null || value === undefined) return "";
  const entry = (enumLabels[enumName] || {})[value];
  if (!entry) return String(value);
  return lang === "en" ? entry.en : entry.zh;
}

/** The values of an enum, in the model's order. */
export function enumValues(enumName) {
  return Object.keys(enumLabels[enumName] || {});
}

/** The half of a bilingual API message ("中文 / English") in the current language. */
export function bilingual(text) {
  if (!text) return "";
  const at = text.indexOf(" / ");
  if (at < 0) return text;
  return lang === "en" ? text.slice(at + 3) : text.slice(0, at);
}

/** Translate the static text of the page: data-i18n (text), data-i18n-placeholder, data-i18n-aria. */
export function applyTranslations(root = document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  }
  for (const el of root.querySelectorAll("[data-i18n-aria]")) el.setAttribute("aria-label", t(el.dataset.i18nAria));
  const title = document.querySelector("title[data-i18n-title]");
  if (title) document.title = `${t(title.dataset.i18nTitle)} · ${t("app.name")}`;
  document.documentElement.lang = lang;
}

export function setLang(next) {
  lang = LANGS.includes(next) ? next : "zh-CN";
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang;
}

/** A date-time in the user's language and time zone. */
export function formatTime(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}

export function formatDate(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleDateString(lang, { dateStyle: "medium" });
}
