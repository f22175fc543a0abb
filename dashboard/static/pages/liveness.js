import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";

// Proof of life: staff tasks first (calls and home visits to make), reviews awaiting a second
// pair of eyes, then the certification roster a page at a time under a filter (due soon,
// overdue, held, no biometric consent, no enrolment) with overdue rows marked, the CSV
// exports for finance, enrolment uploads and capture links.

const PAGE = 25;
const FILTERS = ["all", "due_soon", "overdue", "held", "no_consent", "no_enrolment"];

function words(prefix, code) {
  const key = `${prefix}${code}`;
  return t(key) === key ? null : t(key);
}

// A task's reason: a known code, or the failure reasons of a check (comma-joined).
function reasonWords(reason) {
  return words("pages.task_reason.", reason) || t("pages.task_reason.check_failed");
}

export default async function liveness(main) {
  const message = el("p", { id: "liveness-message", class: "note", role: "status" });
  const refusal = el("p", { id: "liveness-refusal", class: "refusal", role: "alert", hidden: true });
  const rows = el("tbody", { id: "liveness-rows" });
  const tasks = el("ul", { id: "liveness-tasks" });
  const reviews = el("ul", { id: "liveness-reviews" });
  const filters = el("div", { class: "filters", role: "group", "aria-label": t("pages.roster.filter") });
  const status = el("p", { id: "liveness-status", class: "note" });
  const previous = el("button", { type: "button", id: "liveness-previous" }, t("pages.previous"));
  const next = el("button", { type: "button", id: "liveness-next" }, t("pages.next"));
  let show = "all";
  let offset = 0;

  function say(text) {
    refusal.hidden = true;
    message.replaceChildren(text);
  }

  async function link(row, channel) {
    try {
      const answer = await api("/api/v1/liveness/links", { method: "POST", body: { senior_id: row.senior_id, channel } });
      if (channel === "kiosk") window.open(answer.url, "_blank");
      say(t("liveness.link_ready", { until: formatTime(answer.expires_at) }));
      message.append(el("a", { href: answer.url, target: "_blank", class: "mono" }, location.origin + answer.url));
    } catch (error) {
      message.replaceChildren();
      refusal.hidden = false;
      refusal.textContent = error.status === 409
        ? t("pages.roster.no_consent_refusal", { name: row.name }) : t("pages.roster.link_failed");
      await loadTasks();
    }
  }

  function enrol(row) {
    const input = el("input", { type: "file", accept: "image/jpeg", multiple: true, "aria-label": t("liveness.enrol") });
    input.addEventListener("change", async () => {
      const form = new FormData();
      for (const file of input.files) form.append("photos", file);
      const response = await fetch(`/api/v1/liveness/seniors/${row.senior_id}/enrolment`, { method: "POST", body: form, credentials: "same-origin" });
      const data = await response.json().catch(() => ({}));
      if (response.ok) { say(t("liveness.enrolled", { n: data.templates })); await loadRoster(); return; }
      message.replaceChildren();
      refusal.hidden = false;
      refusal.textContent = response.status === 409 ? t("pages.roster.no_consent_refusal", { name: row.name })
        : t("pages.roster.photo_refused");
    });
    input.click();
  }

  const button = (text, onclick, attributes = {}) => el("button", { type: "button", onclick, ...attributes }, text);

  async function loadTasks() {
    const [openTasks, pending] = await Promise.all([api("/api/v1/liveness/tasks"), api("/api/v1/liveness/reviews")]);
    tasks.replaceChildren(...(openTasks.length ? openTasks.map((task) => el("li", { "data-kind": task.kind },
      el("strong", {}, task.senior_name || t("sup.unknown_senior")), ` · ${t(`task.${task.kind}`)} · ${reasonWords(task.reason)} · ${formatTime(task.created_at)} `,
      button(t("liveness.done"), async () => {
        try { await api(`/api/v1/liveness/tasks/${task.id}/done`, { method: "POST" }); await loadTasks(); }
        catch (error) { say(t("pages.roster.action_failed")); }
      })))
      : [el("li", { class: "note" }, t("liveness.none"))]));
    reviews.replaceChildren(...(pending.length ? pending.map((review) => el("li", {},
      t("pages.roster.review", { outcome: t(`capture.${review.outcome}`), reason: review.reason, by: review.requested_by }), " ",
      button(t("liveness.approve"), async () => {
        try { await api(`/api/v1/liveness/reviews/${review.id}/approve`, { method: "POST" }); await loadTasks(); await loadRoster(); }
        catch (error) { say(error.status === 409 ? t("pages.roster.four_eyes") : t("pages.roster.action_failed")); }
      }))) : [el("li", { class: "note" }, t("liveness.none"))]));
  }

  function readiness(row) {
    if (!row.consent) return t("pages.roster.no_consent");
    return row.enrolled ? t("pages.roster.ready") : t("pages.roster.no_enrolment");
  }

  async function loadRoster() {
    const page = await api(`/api/v1/liveness/roster/page?${new URLSearchParams({ show, limit: PAGE, offset })}`);
    filters.replaceChildren(...FILTERS.map((name) => button(t("pages.roster.filter_count", { what: t(`pages.roster.${name}`), n: page.counts[name] }),
      () => { show = name; offset = 0; loadRoster(); }, { "data-filter": name, "aria-pressed": String(name === show) })));
    rows.replaceChildren(...page.items.map((r) => el("tr", { "data-standing": r.standing, "data-senior": r.senior_id },
      el("td", {}, r.name), el("td", {}, words("pages.subsidy.", r.category) || r.category),
      el("td", {}, r.certified_until || "—"), el("td", { class: "standing" }, t(`standing.${r.standing}`)),
      el("td", { class: "readiness" }, readiness(r)),
      el("td", {}, r.under_review ? t("yes") : ""), el("td", {}, r.held_since || ""),
      el("td", {}, r.back_pay_due ? t("yes") : ""),
      el("td", {},
        button(t("liveness.kiosk"), () => link(r, "kiosk"), { class: "kiosk" }),
        button(t("liveness.phone_link"), () => link(r, "home"), { class: "phone-link" }),
        button(t("liveness.enrol"), () => enrol(r), { class: "enrol" })))));
    status.textContent = page.total
      ? t("pages.rows_shown", { from: offset + 1, to: offset + page.items.length }) : t("pages.roster.empty");
    previous.disabled = offset === 0;
    next.disabled = offset + page.items.length >= page.total;
  }

  previous.addEventListener("click", () => { offset = Math.max(0, offset - PAGE); loadRoster(); });
  next.addEventListener("click", () => { offset += PAGE; loadRoster(); });

  main.append(
    el("div", { class: "page-head" }, el("h1", {}, t("liveness.title")),
      el("a", { href: "/api/v1/liveness/roster.csv", id: "roster-csv" }, t("liveness.roster_csv")), " · ",
      el("a", { href: "/api/v1/liveness/holds.csv", id: "holds-csv" }, t("liveness.holds_csv"))),
    refusal, message,
    el("section", { class: "card" }, el("h2", {}, t("liveness.tasks")), tasks),
    el("section", { class: "card" }, el("h2", {}, t("liveness.reviews")), reviews),
    el("section", { class: "card" }, el("h2", {}, t("pages.roster.title")), filters, status,
      el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, ["liveness.senior", "liveness.category", "liveness.until", "liveness.standing",
          "pages.roster.readiness", "liveness.under_review", "liveness.held", "liveness.back_pay", "liveness.actions"].map((k) => el("th", { scope: "col" }, t(k))))),
        rows),
      el("div", { class: "pager" }, previous, next)),
  );
  await Promise.all([loadTasks(), loadRoster()]);
}
