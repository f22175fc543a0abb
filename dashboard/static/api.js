import { currentLanguage, hasWord, t } from "/static/i18n.js";

// Thin fetch wrapper: same-origin cookie auth; a 401 sends the browser to the log-in page.
// Refusals come in the page's language (Accept-Language); the error keeps the stable code.
export async function api(path, options = {}) {
  const headers = { "Accept-Language": currentLanguage(), ...(options.headers || {}) };
  const init = { credentials: "same-origin", ...options, headers };
  if (init.body && typeof init.body !== "string") {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(init.body);
  }
  const response = await fetch(path, init);
  if (response.status === 401) {
    window.location.assign("/login");
    throw new Error("not logged in");
  }
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const error = new Error(problemText(data) || t("error.failed"));
    error.status = response.status;
    error.code = (data && data.code) || null;
    error.body = data;
    throw error;
  }
  return data;
}

export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === "class") element.className = value;
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) element.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// A refusal in words: each refused field by its label on the page (field.NAME) and the
// server's words for what is wrong; otherwise the server's sentence.
export function problemText(body) {
  if (!body) return "";
  if (Array.isArray(body.errors) && body.errors.length) {
    const colon = currentLanguage() === "en" ? ": " : "：";
    return body.errors.map((problem) => {
      const name = String(problem.field || "").split(".").pop();
      return hasWord(`field.${name}`) ? `${t(`field.${name}`)}${colon}${problem.message}` : problem.message;
    }).join(currentLanguage() === "en" ? "; " : "；");
  }
  return typeof body.detail === "string" ? body.detail : "";
}

// Times are the centre's local time (its time zone from /api/v1/ui), whatever the browser's.
let timeZone = "Asia/Shanghai";

export function setTimeZone(zone) {
  timeZone = zone || timeZone;
}

export function centreTimeZone() {
  return timeZone;
}

// How far the centre's clock is ahead of UTC at that instant, in milliseconds.
function centreOffset(instant) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(instant).map((part) => [part.type, Number(part.value)]));
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
  return wall - Math.floor(instant.getTime() / 1000) * 1000;
}

// A datetime-local value ("2026-12-02T14:30") read on the centre's clock, as an ISO instant:
// the browser's own zone would shift it when the browser sits elsewhere.
export function centreInstant(value) {
  if (!value) return null;
  const asUtc = new Date(`${value}Z`);
  return new Date(asUtc.getTime() - centreOffset(asUtc)).toISOString();
}

// The centre's midnight that began today, as an ISO instant (not the browser's midnight).
export function centreMidnight(now = new Date()) {
  const day = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit",
    day: "2-digit" }).format(now);
  return centreInstant(`${day}T00:00`);
}

// The hour (0–23) on the centre's clock at that instant.
export function centreHour(iso) {
  return Number(new Intl.DateTimeFormat("en-US", { timeZone, hour: "2-digit", hourCycle: "h23" })
    .format(new Date(iso)));
}

export function formatTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(currentLanguage(), { hour12: false, timeZone });
}

export function formatClock(iso) {
  if (!iso) return "—";
  return new Date(iso).toLocaleTimeString(currentLanguage(), { hour12: false, timeZone });
}
