import { api, setTimeZone } from "/static/api.js";
import { applyTranslations, currentLanguage, t, toggleLanguage } from "/static/i18n.js";
import { connectLive, stopLive } from "/static/live.js";
import "/static/components/alarm-store.js"; // listens from the first live message on
import { forgetSound, startAlerting } from "/static/components/p1-alert.js";
import overview from "/static/pages/overview.js";
import seniors from "/static/pages/seniors.js";
import alarms from "/static/pages/alarms.js";
import knowledge from "/static/pages/knowledge.js";
import health from "/static/pages/health.js";
import supervisorPage from "/static/pages/supervisor.js";
import desk from "/static/pages/desk.js";
import calls from "/static/pages/calls.js";
import phone from "/static/pages/phone.js";
import audit from "/static/pages/audit.js";
import staff from "/static/pages/staff.js";
import devices from "/static/pages/devices.js";
import dispatch from "/static/pages/dispatch.js";
import liveness from "/static/pages/liveness.js";
import incident from "/static/pages/incident.js";
import reports from "/static/pages/reports.js";

// One module per page; which pages a role may open comes from the server (/api/v1/ui, from
// dashboard/navigation.py), in the navigation's order. A new page adds a line here and there.
const MODULES = {
  overview, desk, alarms, incident, calls, phone, seniors, supervisor: supervisorPage, health,
  knowledge, audit, staff, devices, dispatch, liveness, reports,
};
const LABELS = { incident: "nav.incidents" };

let definitions = { pages: [], alarm_handler: false };
let user = null;
let cleanup = null;
let alerting = null;

function allowedPages() {
  return definitions.pages.filter((path) => MODULES[path])
    .map((path) => ({ path, label: LABELS[path] || `nav.${path}`, page: MODULES[path] }));
}

function renderNav() {
  const nav = document.getElementById("nav");
  nav.replaceChildren(...allowedPages().map((entry) => {
    const link = document.createElement("a");
    link.href = `#/${entry.path}`;
    link.dataset.page = entry.path;
    link.textContent = t(entry.label);
    return link;
  }));
}

let routeToken = 0;

// A page builds itself asynchronously; if another route starts meanwhile, the older page is
// built into a container that is no longer on screen and then stopped, never shown twice.
const pageTitle = document.getElementById("page-title");
// A page that shows its own h1 takes the shell's hidden one out as soon as its heading appears
// (a page may draw its heading, then wait for its data), so there is never a second h1.
new MutationObserver(() => {
  if (pageTitle.isConnected && document.querySelector("#page h1")) pageTitle.remove();
}).observe(document.getElementById("page"), { childList: true, subtree: true });

async function route() {
  const token = ++routeToken;
  const wanted = location.hash.replace(/^#\//, "").split("/")[0] || "overview";
  const entry = allowedPages().find((candidate) => candidate.path === wanted) || allowedPages()[0];
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", link.dataset.page === entry.path);
    if (link.dataset.page === entry.path) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  // One h1 per page: the page's name, as the navigation calls it, unless the page shows its
  // own heading (then the shell's hidden one leaves the document).
  pageTitle.textContent = t(entry.label);
  if (!pageTitle.isConnected) document.getElementById("page").before(pageTitle);
  if (cleanup) cleanup();
  cleanup = null;
  const container = document.createElement("div");
  document.getElementById("page").replaceChildren(container);
  const stop = await entry.page(container, { user }) || null;
  if (token !== routeToken) {
    if (stop) stop();
    return;
  }
  cleanup = stop;
}

function refreshLanguage() {
  applyTranslations(document);
  document.getElementById("lang-switch").textContent = currentLanguage() === "zh-CN" ? "English" : "中文";
  document.getElementById("who").textContent = `${user.display_name} · ${t(`role.${user.role}`)}`;
  renderNav();
  if (alerting) alerting.refresh();
}

async function start() {
  user = await api("/api/v1/auth/me");
  definitions = await api("/api/v1/ui");
  setTimeZone(definitions.timezone);
  document.body.dataset.role = user.role;
  if (definitions.alarm_handler) {
    const soundButton = document.getElementById("sound-toggle");
    soundButton.hidden = false;
    alerting = startAlerting(user, soundButton);
  }
  refreshLanguage();
  document.getElementById("lang-switch").addEventListener("click", () => {
    toggleLanguage(); refreshLanguage(); route();
  });
  document.getElementById("logout").addEventListener("click", async () => {
    forgetSound();
    stopLive();
    await api("/api/v1/auth/logout", { method: "POST" });
    window.location.assign("/login");
  });
  window.addEventListener("hashchange", route);
  connectLive();
  await route();
}

start();
