import { api, el, formatTime } from "/static/api.js";
import { addStrings, t } from "/static/i18n.js";

// Proof of life: the certification roster, staff tasks, reviews awaiting a second pair of eyes,
// the CSV exports for finance, enrolment uploads and kiosk checks through a signed link.
addStrings("zh-CN", {
  "nav.liveness": "生存认证",
  "liveness.title": "生存认证名册",
  "liveness.roster_csv": "导出名册 CSV",
  "liveness.holds_csv": "导出停发名单 CSV",
  "liveness.senior": "老人",
  "liveness.category": "补贴类别",
  "liveness.until": "认证有效期至",
  "liveness.standing": "状态",
  "liveness.under_review": "处理中",
  "liveness.held": "停发自",
  "liveness.back_pay": "应补发",
  "liveness.actions": "操作",
  "liveness.kiosk": "现场认证",
  "liveness.phone_link": "发送手机链接",
  "liveness.enrol": "采集照片",
  "liveness.enrolled": "已录入 {n} 张照片",
  "liveness.tasks": "待办（电话 / 上门）",
  "liveness.reviews": "待复核（需第二人批准）",
  "liveness.approve": "批准",
  "liveness.done": "已处理",
  "liveness.none": "无",
  "liveness.link_ready": "链接（{until} 前有效）：",
  "standing.certified": "已认证",
  "standing.due_soon": "即将到期",
  "standing.overdue": "已逾期",
  "task.call": "电话联系",
  "task.home_visit": "上门核实",
});
addStrings("en", {
  "nav.liveness": "Proof of life",
  "liveness.title": "Proof-of-life roster",
  "liveness.roster_csv": "Roster CSV",
  "liveness.holds_csv": "Payment hold list CSV",
  "liveness.senior": "Senior",
  "liveness.category": "Subsidy",
  "liveness.until": "Certified until",
  "liveness.standing": "Standing",
  "liveness.under_review": "In hand",
  "liveness.held": "Held since",
  "liveness.back_pay": "Back-pay due",
  "liveness.actions": "Actions",
  "liveness.kiosk": "Kiosk check",
  "liveness.phone_link": "Phone link",
  "liveness.enrol": "Enrol photos",
  "liveness.enrolled": "{n} photos enrolled",
  "liveness.tasks": "Tasks (call / home visit)",
  "liveness.reviews": "Reviews awaiting a second approval",
  "liveness.approve": "Approve",
  "liveness.done": "Done",
  "liveness.none": "None",
  "liveness.link_ready": "Link (valid until {until}): ",
  "standing.certified": "Certified",
  "standing.due_soon": "Due soon",
  "standing.overdue": "Overdue",
  "task.call": "Call",
  "task.home_visit": "Home visit",
});

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
