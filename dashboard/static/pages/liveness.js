import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";

// Proof of life: the certification roster, staff tasks, reviews awaiting a second pair of eyes,
// the CSV exports for finance, enrolment uploads and kiosk checks through a signed link.

export default async function liveness(main) {
  const message = el("p", { id: "liveness-message", class: "muted", role: "status" });
  const rows = el("tbody", { id: "liveness-rows" });
  const tasks = el("ul", { id: "liveness-tasks" });
  const reviews = el("ul", { id: "liveness-reviews" });

  async function link(seniorId, channel) {
    try {
      const answer = await api("/api/v1/liveness/links", { method: "POST", body: { senior_id: seniorId, channel } });
      if (channel === "kiosk") window.open(answer.url, "_blank");
      message.replaceChildren(t("liveness.link_ready", { until: formatTime(answer.expires_at) }),
        el("a", { href: answer.url, target: "_blank", class: "mono" }, location.origin + answer.url));
    } catch (error) { message.textContent = error.message; }
  }

  function enrol(seniorId) {
    const input = el("input", { type: "file", accept: "image/jpeg", multiple: true });
    input.addEventListener("change", async () => {
      const form = new FormData();
      for (const file of input.files) form.append("photos", file);
      const response = await fetch(`/api/v1/liveness/seniors/${seniorId}/enrolment`, { method: "POST", body: form, credentials: "same-origin" });
      const data = await response.json().catch(() => ({}));
      message.textContent = response.ok ? t("liveness.enrolled", { n: data.templates }) : data.detail;
    });
    input.click();
  }

  async function load() {
    const [roster, openTasks, pending] = await Promise.all([
      api("/api/v1/liveness/roster"), api("/api/v1/liveness/tasks"), api("/api/v1/liveness/reviews")]);
    rows.replaceChildren(...roster.map((r) => el("tr", { "data-standing": r.standing },
      el("td", {}, `${r.name} (#${r.senior_id})`), el("td", {}, r.category),
      el("td", {}, r.certified_until || "—"), el("td", {}, t(`standing.${r.standing}`)),
      el("td", {}, r.under_review ? "✓" : ""), el("td", {}, r.held_since || ""),
      el("td", {}, r.back_pay_due ? "✓" : ""),
      el("td", {},
        el("button", { type: "button", onclick: () => link(r.senior_id, "kiosk") }, t("liveness.kiosk")),
        el("button", { type: "button", onclick: () => link(r.senior_id, "home") }, t("liveness.phone_link")),
        el("button", { type: "button", onclick: () => enrol(r.senior_id) }, t("liveness.enrol"))))));
    tasks.replaceChildren(...(openTasks.length ? openTasks.map((task) => el("li", {},
      `#${task.senior_id} · ${t(`task.${task.kind}`)} · ${task.reason} · ${formatTime(task.created_at)} `,
      el("button", { type: "button", onclick: async () => {
        try { await api(`/api/v1/liveness/tasks/${task.id}/done`, { method: "POST" }); await load(); }
        catch (error) { message.textContent = error.message; }
      } }, t("liveness.done"))))
      : [el("li", { class: "muted" }, t("liveness.none"))]));
    reviews.replaceChildren(...(pending.length ? pending.map((review) => el("li", {},
      `#${review.decision_id} → ${review.outcome} · ${review.reason} · ${review.requested_by} `,
      el("button", { type: "button", onclick: async () => {
        try { await api(`/api/v1/liveness/reviews/${review.id}/approve`, { method: "POST" }); await load(); }
        catch (error) { message.textContent = error.message; }
      } }, t("liveness.approve")))) : [el("li", { class: "muted" }, t("liveness.none"))]));
  }

  main.append(
    el("h2", {}, t("liveness.title")),
    el("p", {},
      el("a", { href: "/api/v1/liveness/roster.csv", id: "roster-csv" }, t("liveness.roster_csv")), " · ",
      el("a", { href: "/api/v1/liveness/holds.csv", id: "holds-csv" }, t("liveness.holds_csv"))),
    message,
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["liveness.senior", "liveness.category", "liveness.until", "liveness.standing",
        "liveness.under_review", "liveness.held", "liveness.back_pay", "liveness.actions"].map((k) => el("th", {}, t(k))))),
      rows),
    el("h3", {}, t("liveness.tasks")), tasks,
    el("h3", {}, t("liveness.reviews")), reviews,
  );
  await load();
}
