import { api, el } from "/static/api.js";
import { t } from "/static/i18n.js";
import { onLive } from "/static/live.js";
import { subjectParts } from "/static/components/task-subject.js";
import { alertList } from "/static/components/alert-list.js";
import { drillRecord } from "/static/components/drills.js";

const percent = (share) => (share === null || share === undefined ? "–" : `${(share * 100).toFixed(1)}%`);

function todayInterval() {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  return { from: start.toISOString(), to: new Date(Date.now() + 60000).toISOString() };
}

export default async function supervisor(main) {
  const waiting = el("div", { class: "kpi-value", id: "sup-waiting" }, "–");
  const longest = el("div", { class: "kpi-value", id: "sup-longest" }, "–");
  const alarms60 = el("div", { class: "kpi-value", id: "sup-alarms60" }, "–");
  const alarms180 = el("div", { class: "kpi-value", id: "sup-alarms180" }, "–");
  const callsSl = el("div", { class: "kpi-value", id: "sup-calls-sl" }, "–");
  const operators = el("tbody", { id: "sup-operators" });
  const tasks = el("tbody", { id: "sup-tasks" });
  const late = el("ul", { id: "sup-late" });
  const alerts = el("ol", { class: "feed", id: "sup-alerts" });
  const result = el("p", { id: "plan-result", class: "kpi-value" });
  const field = (id, value) => el("input", { id, value, type: "number", step: "any", min: "0" });
  const calls = field("plan-calls", 30), minutes = field("plan-minutes", 3);
  const target = field("plan-target", 0.985), within = field("plan-within", 60);
  const liveCalls = el("tbody", { id: "sup-live-calls" });
  const watch = el("div", { id: "sup-monitor" });
  let watched = null;

  function showWatched(call) {
    watch.replaceChildren(
      el("p", {}, t("sup.watching", { id: call.id })),
      el("dl", { class: "facts" },
        el("dt", {}, "status"), el("dd", { id: "sup-monitor-status" }, call.status),
        el("dt", {}, "operator"), el("dd", {}, call.operator || "–"),
        el("dt", {}, "IVR"), el("dd", { id: "sup-monitor-path" }, call.ivr_path.join(" → "))));
  }

  async function startMonitor(call) {
    try {
      const answer = await api(`/api/v1/calls/${call.id}/monitor`, { method: "POST" });
      if (answer.mode === "watching") { watched = answer.call.id; showWatched(answer.call); }
      else watch.replaceChildren(el("p", {}, t("sup.listening", { leg: answer.leg.id })));
    } catch (failure) {
      watch.replaceChildren(el("p", { class: "error" }, failure.message));
    }
  }

  async function refreshCalls() {
    const calls = await api("/api/v1/calls?limit=50");
    liveCalls.replaceChildren(...calls.filter((call) => !call.ended_at && !call.parent_call_id).map((call) =>
      el("tr", { "data-id": call.id },
        el("td", {}, `#${call.id}`), el("td", {}, call.from), el("td", {}, call.status),
        el("td", {}, call.operator || call.queue || "–"),
        el("td", {}, el("button", { id: `sup-monitor-${call.id}`, onclick: () => startMonitor(call) }, t("sup.monitor"))))));
  }

  async function refresh() {
    const [queue, team, kpis] = await Promise.all([
      api("/api/v1/routing/tasks"), api("/api/v1/routing/operators"),
      api(`/api/v1/kpis?${new URLSearchParams({ ...todayInterval(), threshold: 20 })}`),
    ]);
    const open = queue.filter((task) => ["waiting", "offered", "reserved"].includes(task.state));
    waiting.textContent = open.length;
    longest.textContent = open.length ? `${Math.round(Math.max(...open.map((task) => task.waited_seconds)))} s` : "–";
    alarms60.textContent = percent(kpis.alarms.share_within_60s);
    alarms60.classList.toggle("late", kpis.alarms.share_within_60s !== null && kpis.alarms.share_within_60s < 0.985);
    alarms180.textContent = percent(kpis.alarms.share_within_180s);
    callsSl.textContent = percent(kpis.calls.service_level);
    tasks.replaceChildren(...open.map((task) => el("tr", { "data-id": task.id },
      el("td", {}, el("span", { class: `badge p${task.priority}` }, `P${task.priority}`)),
      el("td", { "data-ref": task.ref }, ...subjectParts(task)), el("td", {}, task.state),
      el("td", {}, `${Math.round(task.waited_seconds)} s`),
      el("td", {}, task.reserved_to || task.offered_to.join(", ")))));
    operators.replaceChildren(...team.map((op) => el("tr", { "data-user": op.username, "data-state": op.state },
      el("td", {}, op.username), el("td", {}, t(`op.${op.state}`)), el("td", {}, op.skills.join(", ")),
      el("td", {}, op.languages.join(", ")))));
    late.replaceChildren(...(kpis.alarms.waited_over_180s.length ? kpis.alarms.waited_over_180s.map((alarm) =>
      el("li", {}, `P${alarm.priority} ${alarm.kind} · #${alarm.senior_id} · ${alarm.waited_s} s`))
      : [el("li", { class: "muted" }, t("sup.none"))]));
  }

  async function computePlan(event) {
    event.preventDefault();
    const query = new URLSearchParams({ calls_per_hour: calls.value, handle_seconds: minutes.value * 60,
      target: target.value, within_seconds: within.value });
    try {
      const plan = await api(`/api/v1/staffing?${query}`);
      result.textContent = `${t("sup.need")}: ${plan.operators} (SL ${percent(plan.service_level)})`;
    } catch (failure) {
      result.textContent = failure.message;
    }
  }

  const csvLink = el("a", { id: "sup-csv", href: "#" }, t("sup.kpi_csv"));
  csvLink.addEventListener("click", (event) => {
    event.preventDefault();
    window.location.assign(`/api/v1/kpis.csv?${new URLSearchParams(todayInterval())}`);
  });

  main.append(
    el("div", { class: "page-head" }, el("h2", {}, t("sup.title")), csvLink),
    el("section", { class: "kpis" },
      ...[["sup.waiting", waiting], ["sup.longest", longest], ["sup.alarms60", alarms60],
        ["sup.alarms180", alarms180], ["sup.calls_sl", callsSl]].map(([label, value]) =>
        el("div", { class: "kpi" }, el("div", { class: "kpi-label" }, t(label)), value))),
    el("div", { class: "split" },
      el("section", { class: "card grow" }, el("h3", {}, t("sup.waiting")),
        el("table", { class: "grid" }, tasks)),
      el("section", { class: "card grow" }, el("h3", {}, t("sup.operators")),
        el("table", { class: "grid" }, operators))),
    el("div", { class: "split" },
      el("section", { class: "card grow" }, el("h3", {}, t("sup.late")), late),
      el("section", { class: "card grow" }, el("h3", {}, t("sup.alerts")), alerts)),
    el("section", { class: "card" }, el("h3", {}, t("sup.live_calls")),
      el("table", { class: "grid" }, liveCalls), watch),
    el("section", { class: "card" }, el("h3", {}, t("sup.plan")),
      el("form", { class: "search", onsubmit: computePlan },
        el("label", {}, t("sup.calls_per_hour"), calls), el("label", {}, t("sup.handle_minutes"), minutes),
        el("label", {}, t("sup.target"), target), el("label", {}, t("sup.within"), within),
        el("button", { type: "submit", id: "plan-compute" }, t("sup.compute"))), result),
  );

  let pendingCalls = null;
  const soonCalls = () => { if (!pendingCalls) pendingCalls = setTimeout(async () => { pendingCalls = null; await refreshCalls(); }, 500); };
  let pending = null;
  const soon = () => { if (!pending) pending = setTimeout(async () => { pending = null; await refresh(); }, 500); };
  const stop = onLive((message) => {
    if (message.type !== "update") return;
    if (message.topic.startsWith("routing.") || message.topic.startsWith("alarm.")) soon();
    if (message.topic === "call.updated") {
      if (message.data.id === watched) showWatched(message.data);
      soonCalls();
    }
  });
  const timer = setInterval(refresh, 10000);
  const stopAlerts = await alertList(alerts, { canClose: true });
  main.append(await drillRecord());
  await Promise.all([refresh(), refreshCalls()]);
  return () => { stop(); stopAlerts(); clearInterval(timer); if (pending) clearTimeout(pending); if (pendingCalls) clearTimeout(pendingCalls); };
}
