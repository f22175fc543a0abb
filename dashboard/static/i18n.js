// zh-CN by default; the choice of English is kept in this browser. Every word shown lives in
// one locale table per language (locales/zh-CN.js, locales/en.js), with the same keys in both.
import zhCN from "/static/locales/zh-CN.js";
import en from "/static/locales/en.js";

const STRINGS = { "zh-CN": { ...zhCN }, en: { ...en } };

const KEY = "anxin.lang";

export function currentLanguage() {
  return localStorage.getItem(KEY) === "en" ? "en" : "zh-CN";
}

export function toggleLanguage() {
  localStorage.setItem(KEY, currentLanguage() === "en" ? "zh-CN" : "en");
  document.documentElement.lang = currentLanguage();
}

// For a page not yet moved into the locale tables (its strings still ship with it).
export function addStrings(language, strings) {
  Object.assign(STRINGS[language], strings);
}

export function hasWord(key) {
  return key in STRINGS[currentLanguage()] || key in STRINGS["zh-CN"];
}

export function t(key, values = {}) {
  const text = STRINGS[currentLanguage()][key] ?? STRINGS["zh-CN"][key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export function applyTranslations(root) {
  document.documentElement.lang = currentLanguage();
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nLabel));
  }
}
