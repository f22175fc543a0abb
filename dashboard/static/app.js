import { api } from "/static/api.js";
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

// The navigation as data: each page says who may open it. Later pages add a line here.
const ALL = ["operator", "supervisor", "dispatcher", "subsidy_staff", "admin"];
const PAGES = [
  { path: "overview", label: "nav.overview", roles: ALL, page: overview },
  { path: "desk", label: "nav.desk", roles: ["operator", "supervisor"], page: desk },
  { path: "alarms", label: "nav.alarms", roles: ["operator", "supervisor", "admin"], page: alarms },
  { path: "incident", label: "nav.incidents", roles: ["operator", "supervisor", "admin"], page: incident },
  { path: "calls", label: "nav.calls", roles: ["operator", "supervisor", "admin"], page: calls },
  { path: "phone", label: "nav.phone", roles: ALL, page: phone },
  { path: "seniors", label: "nav.seniors", roles: ALL, page: seniors },
  { path: "supervisor", label: "nav.supervisor", roles: ["supervisor", "admin"], page: supervisorPage },
  { path: "health", label: "nav.health", roles: ["operator", "supervisor", "admin"], page: health },
  { path: "knowledge", label: "nav.knowledge", roles: ALL, page: knowledge },
  { path: "audit", label: "nav.audit", roles: ["supervisor", "admin"], page: audit },
  { path: "staff", label: "nav.staff", roles: ["admin"], page: staff },
  { path: "devices", label: "nav.devices", roles: ALL, page: devices },
  { path: "dispatch", label: "nav.dispatch", roles: ["dispatcher", "supervisor", "admin"], page: dispatch },
  { path: "liveness", label: "nav.liveness", roles: ["subsidy_staff", "supervisor", "admin"], page: liveness },
  { path: "reports", label: "nav.reports", roles: ["supervisor", "subsidy_staff", "admin"], page: reports },
];

// Who must not miss a P1: the roles that may acknowledge alarms.
const ALARM_HANDLERS = ["operator", "supervisor"];

let user = null;
let cleanup = null;
let alerting = null;

function allowedPages() {
  return PAGES.filter((entry) => entry.roles.includes(user.role));
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
async function route() {
  const token = ++routeToken;
  const wanted = location.hash.replace(/^#\//, "").split("/")[0] || "overview";
  const entry = allowedPages().find((candidate) => candidate.path === wanted) || allowedPages()[0];
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", link.dataset.page === entry.path);
  }
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
  document.body.dataset.role = user.role;
  if (ALARM_HANDLERS.includes(user.role)) {
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
