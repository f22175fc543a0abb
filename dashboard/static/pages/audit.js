import { api, centreInstant, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";
import { handledFor, person } from "/static/components/words.js";

// The audit log: who read or changed which record, filtered by who, action, senior and time,
// a page at a time, with the filtered rows as CSV.

const PAGE = 50;
const FAMILIES = ["auth", "staff", "senior", "alarm", "incident", "call", "recording", "device",
  "dispatch", "knowledge", "liveness", "report", "wechat", "audit"];

function words(prefix, code) {
  const key = `${prefix}${code}`;
  const found = t(key);
  return found === key ? null : found;
}

// An action in words: this page's table, then the shared words table; an action neither
// knows reads as its family ("Incidents · other"), never as the code's tail.
export function actionWords(action) {
  const family = words("pages.audit_family.", action.split(".")[0]) || t("pages.audit.other");
  return words("pages.audit_action.", action) || words("audit_action.", action)
    || `${family} · ${t("word.other")}`;
}

// A report's subject is its month ("2026-11"), which reads as itself.
const READS_AS_ITSELF = new Set(["report"]);

function subjectWords(entry) {
  const kind = words("pages.audit_subject.", entry.subject_type) || t("pages.audit.other");
  if (entry.subject_name) return `${kind} · ${entry.subject_name}`;
  if (entry.subject_id && READS_AS_ITSELF.has(entry.subject_type)) return `${kind} · ${entry.subject_id}`;
  return entry.subject_id ? `${kind} · ${t("pages.audit.number", { id: entry.subject_id })}` : kind;
}


export default async function audit(main) {
  const rows = el("tbody", { id: "audit-rows" });
  const status = el("p", { id: "audit-status", role: "status", class: "note" });
  const actor = el("input", { id: "audit-actor", type: "text", autocomplete: "off" });
  const action = el("select", { id: "audit-action" },
    el("option", { value: "" }, t("pages.audit.any")),
    ...FAMILIES.map((family) => el("option", { value: family }, words("pages.audit_family.", family))));
  const senior = el("input", { id: "audit-senior", type: "search", list: "audit-seniors", autocomplete: "off" });
  const seniors = el("datalist", { id: "audit-seniors" });
  const since = el("input", { id: "audit-since", type: "datetime-local" });
  const until = el("input", { id: "audit-until", type: "datetime-local" });
  const csv = el("a", { id: "audit-csv", href: "/api/v1/audit.csv" }, t("pages.audit.csv"));
  const previous = el("button", { type: "button", id: "audit-previous" }, t("pages.previous"));
  const next = el("button", { type: "button", id: "audit-next" }, t("pages.next"));
  let offset = 0;
  let seniorId = null;

  function query() {
    const params = new URLSearchParams();
    const values = { actor: actor.value.trim(), action: action.value, since: centreInstant(since.value),
      until: centreInstant(until.value) };
    for (const [name, value] of Object.entries(values)) if (value) params.set(name, value);
    if (seniorId) { params.set("subject_type", "senior"); params.set("subject_id", String(seniorId)); }
    return params;
  }

  async function load() {
    const params = query();
    csv.href = `/api/v1/audit.csv?${params}`;
    params.set("limit", String(PAGE + 1));
    params.set("offset", String(offset));
    let entries;
    try {
      entries = await api(`/api/v1/audit?${params}`);
    } catch (error) {
      status.textContent = t("pages.audit.bad_filter");
      return;
    }
    const shown = entries.slice(0, PAGE);
    rows.replaceChildren(...shown.map((e) => el("tr", { "data-action": e.action },
      el("td", {}, formatTime(e.at)), el("td", {}, person(e.actor_name, e.actor)),
      el("td", {}, actionWords(e.action), e.detail && e.detail.handled_for ? el("span", { class: "handled-for muted" }, ` · ${handledFor(e.detail.handled_for)}`) : ""),
      el("td", {}, subjectWords(e)))));
    status.textContent = shown.length
      ? t("pages.rows_shown", { from: offset + 1, to: offset + shown.length }) : t("pages.audit.none");
    previous.disabled = offset === 0;
    next.disabled = entries.length <= PAGE;
  }

  const reload = () => { offset = 0; load(); };
  let typing = null;
  actor.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(reload, 300); });
  for (const control of [action, since, until]) control.addEventListener("change", reload);
  senior.addEventListener("input", async () => {
    const name = senior.value.trim();
    const match = [...seniors.children].find((option) => option.value === name);
    if (match || !name) { seniorId = match ? Number(match.dataset.id) : null; reload(); return; }
    const found = await api(`/api/v1/seniors?name=${encodeURIComponent(name)}&limit=10`);
    seniors.replaceChildren(...found.items.map((s) => el("option", { value: s.name, "data-id": s.id })));
  });
  previous.addEventListener("click", () => { offset = Math.max(0, offset - PAGE); load(); });
  next.addEventListener("click", () => { offset += PAGE; load(); });

  const field = (label, control) => el("label", {}, t(label), control);
  main.append(
    el("div", { class: "page-head" }, el("h1", {}, t("audit.title")), csv),
    el("form", { class: "filters", onsubmit: (event) => { event.preventDefault(); reload(); } },
      field("audit.actor", actor), field("audit.action", action),
      field("pages.audit.senior", senior), seniors,
      field("pages.audit.since", since), field("pages.audit.until", until)),
    status,
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["audit.at", "audit.actor", "audit.action", "audit.subject"].map((k) => el("th", { scope: "col" }, t(k))))),
      rows),
    el("div", { class: "pager" }, previous, next),
  );
  await load();
}
