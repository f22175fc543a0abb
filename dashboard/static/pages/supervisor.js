import { api, centreHour, centreMidnight, el } from "/static/api.js";
import { t } from "/static/i18n.js";
import { onLive } from "/static/live.js";
import { subjectParts } from "/static/components/task-subject.js";
import { alertList } from "/static/components/alert-list.js";
import { COLORS, barChart, figure, lineChart } from "/static/components/chart.js";
import { currentLanguage } from "/static/i18n.js";
import { drillRecord } from "/static/components/drills.js";
import { ivrPath, joined, person, word } from "/static/components/words.js";

const percent = (share) => (share === null || share === undefined ? "–" : `${(share * 100).toFixed(1)}%`);

const pct = (share) => (share === null || share === undefined ? null : Math.round(share * 1000) / 10);
const english = () => currentLanguage() === "en";

// Today on the centre's clock, whatever the browser's time zone.
function todayInterval() {
  return { from: centreMidnight(), to: new Date(Date.now() + 60000).toISOString() };
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
  const target = field("plan-target", 98.5), within = field("plan-within", 60);
  target.setAttribute("max", "99.99");
  const curve = figure({ id: "sup-chart-erlang" }, t("sup.chart.erlang"));
  const charts = el("div", { class: "chart-grid" });
  let stopCharts = [];
  let stopTeam = null;
  let stopCurve = null;
  const liveCalls = el("tbody", { id: "sup-live-calls" });
  const centres = el("ul", { id: "sup-centres", class: "centre-tree" });
  const watch = el("div", { id: "sup-monitor" });
  let watched = null;

  function showWatched(call) {
    watch.replaceChildren(
      el("p", {}, t("sup.watching", { id: call.id })),
      el("dl", { class: "facts" },
        el("dt", {}, t("sup.m.status")), el("dd", { id: "sup-monitor-status" }, t(`sup.call.${call.status}`)),
        el("dt", {}, t("sup.m.operator")), el("dd", {}, call.operator ? person(call.operator_name, call.operator) : "–"),
        el("dt", {}, t("sup.m.ivr")), el("dd", { id: "sup-monitor-path" }, ivrPath(call.ivr_steps))));
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
    // The call API names who is on each call (the operator may be a supervisor, not on the desk).
    const calls = await api("/api/v1/calls?limit=50");
    liveCalls.replaceChildren(...calls.filter((call) => !call.ended_at && !call.parent_call_id).map((call) =>
      el("tr", { "data-id": call.id },
        el("td", {}, call.from), el("td", {}, t(`sup.call.${call.status}`)),
        el("td", {}, call.operator ? person(call.operator_name, call.operator) : call.queue ? word("queue", call.queue) : "–"),
        el("td", {}, el("button", { id: `sup-monitor-${call.id}`, onclick: () => startMonitor(call) }, t("sup.monitor"))))));
  }

  // The centres this supervisor oversees, parents first, indented under their parent: each
  // with its open alarms, who is on duty, and today's KPIs of its whole area.
  function drawCentres(tree) {
    centres.replaceChildren(...tree.map((centre) => el("li",
      { "data-centre": centre.slug, class: `depth-${Math.min(centre.depth, 3)}`,
        "data-open-alarms": centre.open_alarms, "data-alarms-today": centre.kpis.alarms_raised },
      el("strong", {}, english() ? centre.name_en : centre.name_zh), " · ",
      t("sup.centre_alarms", { n: centre.open_alarms }), " · ",
      centre.on_duty.length ? t("sup.centre_on_duty", { names: centre.on_duty.join("、") })
        : t("sup.centre_nobody"),
      el("div", { class: "centre-kpis" }, t("sup.centre_today", {
        calls: centre.kpis.calls_offered, level: percent(centre.kpis.service_level),
        abandoned: centre.kpis.calls_abandoned, alarms: centre.kpis.alarms_raised,
        within60: percent(centre.kpis.alarms_within_60s) })))));
  }

  async function refresh() {
    const [queue, team, kpis, tree] = await Promise.all([
      api("/api/v1/routing/tasks"), api("/api/v1/routing/operators"),
      api(`/api/v1/kpis?${new URLSearchParams({ ...todayInterval(), threshold: 20 })}`),
      api("/api/v1/reports/centres"),
    ]);
    drawCentres(tree);
    const open = queue.filter((task) => ["waiting", "offered", "reserved"].includes(task.state));
    waiting.textContent = open.length;
    longest.textContent = open.length ? `${Math.round(Math.max(...open.map((task) => task.waited_seconds)))} s` : "–";
    alarms60.textContent = percent(kpis.alarms.share_within_60s);
    alarms60.classList.toggle("late", kpis.alarms.share_within_60s !== null && kpis.alarms.share_within_60s < 0.985);
    alarms180.textContent = percent(kpis.alarms.share_within_180s);
    callsSl.textContent = percent(kpis.calls.service_level);
    tasks.replaceChildren(...open.map((task) => el("tr", { "data-id": task.id },
      el("td", {}, el("span", { class: `badge p${task.priority}` }, t(`sup.priority.${task.priority}`))),
      el("td", { "data-ref": task.ref }, ...subjectParts(task)), el("td", { class: "task-state" }, t(`sup.task.${task.state}`)),
      el("td", {}, `${Math.round(task.waited_seconds)} s`),
      el("td", {}, task.reserved_to_name || joined(task.offered_to_names)))));
    operators.replaceChildren(...team.map((op) => el("tr", { "data-user": op.username, "data-state": op.state },
      el("td", {}, person(op.display_name, op.username)), el("td", {}, t(`op.${op.state}`)),
      el("td", {}, joined(op.skills.map((skill) => words("skill", skill)))),
      el("td", {}, joined(op.languages.map((language) => words("language", language)))))));
    drawTeam(kpis, team);
    late.replaceChildren(...(kpis.alarms.waited_over_180s.length ? kpis.alarms.waited_over_180s.map((alarm) =>
      el("li", {}, [t(`sup.priority.${alarm.priority}`), english() ? alarm.label_en : alarm.label,
        alarm.senior_name || t("sup.unknown_senior"), t("sup.waited", { n: alarm.waited_s })].join(" · ")))
      : [el("li", { class: "note" }, t("sup.none"))]));
  }

  async function computePlan(event) {
    event.preventDefault();
    const share = Number(target.value) / 100;
    result.classList.remove("error");
    const numbers = [calls, minutes, within].map((input) => Number(input.value));
    if (!(share > 0 && share < 1) || target.value === "") {
      result.classList.add("error");
      result.textContent = t("sup.target_invalid");
      target.setAttribute("aria-invalid", "true");
      return;
    }
    target.removeAttribute("aria-invalid");
    if (numbers.some((n) => !(n >= 0)) || numbers[0] <= 0 || numbers[1] <= 0) {
      result.classList.add("error");
      result.textContent = t("sup.plan_invalid");
      return;
    }
    const query = new URLSearchParams({ calls_per_hour: calls.value, handle_seconds: minutes.value * 60,
      target: share, within_seconds: within.value });
    try {
      const plan = await api(`/api/v1/staffing?${query}`);
      result.textContent = t("sup.plan_answer", { n: plan.operators, level: percent(plan.service_level),
        within: within.value });
      drawCurve(plan, share);
    } catch (failure) {
      result.classList.add("error");
      result.textContent = t("sup.plan_invalid");
    }
  }

  function drawCurve(plan, share) {
    if (stopCurve) stopCurve();
    curve.dataset.operators = String(plan.operators);
    curve.dataset.points = String(plan.curve.length);
    stopCurve = lineChart(curve, {
      x: plan.curve.map(([n]) => n), time: false, height: 220, range: [0, 100],
      xLabel: t("sup.chart.operators"), yLabel: "%", yFormat: (v) => `${v}%`,
      series: [
        { label: t("sup.chart.service_level"), values: plan.curve.map(([, level]) => pct(level)), color: COLORS.line, points: true },
        { label: t("sup.chart.target"), values: plan.curve.map(() => pct(share)), color: COLORS.target, dash: [6, 4] },
      ],
    });
  }

  function words(kind, code) {
    const key = `pages.${kind}.${code}`;
    return t(key) === key ? code : t(key);
  }

  async function drawDay() {
    const interval = todayInterval();
    const view = await api(`/api/v1/kpis/series?${new URLSearchParams(interval)}`);
    stopCharts.forEach((stop) => stop());
    const x = view.buckets.map((b) => new Date(b.start).getTime() / 1000);
    const pick = (name, scale = pct) => view.buckets.map((b) => scale(b[name]));
    const hours = view.buckets.map((b) => centreHour(b.start));
    const level = figure({ id: "sup-chart-level", "data-buckets": String(x.length) }, t("sup.chart.level"));
    const queue = figure({ id: "sup-chart-queue" }, t("sup.chart.queue"));
    const volume = figure({ id: "sup-chart-volume" }, t("sup.chart.volume"));
    charts.replaceChildren(
      el("section", { class: "card" }, el("h2", {}, t("sup.chart.level")), level),
      el("section", { class: "card" }, el("h2", {}, t("sup.chart.queue")), queue),
      el("section", { class: "card" }, el("h2", {}, t("sup.chart.volume")), volume),
      charts.querySelector("#sup-team-card") || el("section", { class: "card", id: "sup-team-card" },
        el("h2", {}, t("sup.chart.occupancy")), figure({ id: "sup-chart-occupancy" }, t("sup.chart.occupancy"))));
    stopCharts = [
      lineChart(level, { x, range: [0, 100], yLabel: "%", yFormat: (v) => `${v}%`, series: [
        { label: t("sup.chart.alarms60"), values: pick("alarms_within_60s"), color: COLORS.critical, points: true },
        { label: t("sup.chart.alarms180"), values: pick("alarms_within_180s"), color: COLORS.warning, points: true },
        { label: t("sup.chart.calls60"), values: pick("calls_within_60s"), color: COLORS.line, points: true },
        { label: t("sup.chart.calls180"), values: pick("calls_within_180s"), color: COLORS.third, points: true }] }),
      lineChart(queue, { x, yLabel: t("sup.chart.queue_unit"), series: [
        { label: t("sup.chart.queue_peak"), values: pick("queue_peak", (v) => v), color: COLORS.line, points: true }] }),
      barChart(volume, { labels: hours.map((h) => `${h}:00`), xLabel: t("pages.chart.hour"), yLabel: t("sup.chart.calls_unit"), series: [
        { label: t("sup.chart.answered"), values: pick("answered", (v) => v), color: COLORS.third },
        { label: t("sup.chart.abandoned"), values: pick("abandoned", (v) => v), color: COLORS.critical }] }),
    ];
  }

  // Every operator on the desk, and anyone else with figures today; no figure: no bar.
  function drawTeam(kpis, team) {
    const node = charts.querySelector("#sup-chart-occupancy");
    if (!node || !kpis.operators) return;
    const names = [...new Set([...team.map((op) => op.username), ...Object.keys(kpis.operators)])].sort();
    node.dataset.operators = String(names.length);
    if (stopTeam) stopTeam();
    node.replaceChildren();
    const shown = Object.fromEntries(team.map((op) => [op.username, person(op.display_name, op.username)]));
    stopTeam = barChart(node, { labels: names.map((name) => shown[name] || name), xLabel: t("sup.m.operator"), range: [0, 100], yLabel: "%", series: [
      { label: t("sup.chart.occupancy"), values: names.map((name) => pct(kpis.operators[name]?.occupancy)), color: COLORS.second }] });
  }

  const csvLink = el("a", { id: "sup-csv", href: "#" }, t("sup.kpi_csv"));
  csvLink.addEventListener("click", (event) => {
    event.preventDefault();
    window.location.assign(`/api/v1/kpis.csv?${new URLSearchParams(todayInterval())}`);
  });

  main.append(
    el("div", { class: "page-head" }, el("h1", {}, t("sup.title")), csvLink),
    el("section", { class: "kpis" },
      ...[["sup.waiting", waiting], ["sup.longest", longest], ["sup.alarms60", alarms60],
        ["sup.alarms180", alarms180], ["sup.calls_sl", callsSl]].map(([label, value]) =>
        el("div", { class: "kpi" }, el("div", { class: "kpi-label" }, t(label)), value))),
    el("section", { class: "card" }, el("h2", {}, t("sup.centres")), centres),
    charts,
    el("div", { class: "split" },
      el("section", { class: "card grow" }, el("h2", {}, t("sup.waiting")),
        el("table", { class: "grid" }, tasks)),
      el("section", { class: "card grow" }, el("h2", {}, t("sup.operators")),
        el("table", { class: "grid" }, operators))),
    el("div", { class: "split" },
      el("section", { class: "card grow" }, el("h2", {}, t("sup.late")), late),
      el("section", { class: "card grow" }, el("h2", {}, t("sup.alerts")), alerts)),
    el("section", { class: "card" }, el("h2", {}, t("sup.live_calls")),
      el("table", { class: "grid" }, liveCalls), watch),
    el("section", { class: "card" }, el("h2", {}, t("sup.plan")),
      el("form", { class: "search", onsubmit: computePlan, novalidate: true },
        el("label", {}, t("sup.calls_per_hour"), calls), el("label", {}, t("sup.handle_minutes"), minutes),
        el("label", {}, t("sup.target_percent"), target), el("label", {}, t("sup.within"), within),
        el("button", { type: "submit", id: "plan-compute" }, t("sup.compute"))), el("div", { id: "plan-result-live", role: "status" }, result), curve),
  );

  let pendingCalls = null;
  const soonCalls = () => { if (!pendingCalls) pendingCalls = setTimeout(async () => { pendingCalls = null; await refreshCalls(); }, 500); };
  let pending = null;
  const soon = () => { if (!pending) pending = setTimeout(async () => { pending = null; await refresh(); }, 500); };
  const stop = onLive((message) => {
    if (message.type !== "update") return;
    if (message.topic.startsWith("routing.") || message.topic.startsWith("alarm.")) soon();
    if (message.topic === "call.updated") {
      // The feed carries accounts, not names: the watched call is read again, by name.
      if (message.data.id === watched) api(`/api/v1/calls/${watched}`).then(showWatched).catch(() => {});
      soonCalls();
    }
  });
  const timer = setInterval(refresh, 10000);
  const stopAlerts = await alertList(alerts, { canClose: true });
  await drawDay();
  main.append(await drillRecord());
  await Promise.all([refresh(), refreshCalls()]);
  const chartTimer = setInterval(drawDay, 60000);
  return () => { stop(); stopAlerts(); clearInterval(timer); clearInterval(chartTimer);
    stopCharts.forEach((end) => end()); if (stopTeam) stopTeam(); if (stopCurve) stopCurve(); if (pending) clearTimeout(pending); if (pendingCalls) clearTimeout(pendingCalls); };
}
