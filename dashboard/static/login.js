import { applyTranslations, t, toggleLanguage, currentLanguage } from "/static/i18n.js";
import { forgetSound } from "/static/components/p1-alert.js";

forgetSound(); // sound is turned on once per log-in

const form = document.getElementById("login-form");
const error = document.getElementById("login-error");
const langButton = document.getElementById("lang-switch");

function refreshLanguage() {
  applyTranslations(document);
  langButton.textContent = currentLanguage() === "zh-CN" ? "English" : "中文";
}

langButton.addEventListener("click", () => { toggleLanguage(); refreshLanguage(); });

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  const body = {
    username: document.getElementById("username").value.trim(),
    password: document.getElementById("password").value,
  };
  const response = await fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.ok) {
    window.location.assign("/app");
    return;
  }
  const detail = (await response.json().catch(() => ({}))).detail;
  error.textContent = response.status === 429 ? t("login.locked") : t("login.failed");
  if (typeof detail === "string" && response.status !== 401) error.textContent += ` (${detail})`;
  error.hidden = false;
});

refreshLanguage();
