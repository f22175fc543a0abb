import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";
import { COLORS, figure, lineChart } from "/static/components/chart.js";

// Vitals over time: one chart per metric with its warning and critical limits drawn, the time
// axis fitted to the readings (not to the whole day asked for) and the latest value in words.

const LIMITS = [["critical_low", "critical"], ["warning_low", "warning"],
  ["warning_high", "warning"], ["critical_high", "critical"]];

function metricChart(series, stops) {
  const xs = series.points.map(([at]) => new Date(at).getTime() / 1000);
  const ys = series.points.map(([, v]) => v);
  const limits = LIMITS.filter(([name]) => series.limits[name] !== null);
  const values = ys.concat(limits.map(([name]) => series.limits[name]));
  const pad = Math.max(1, (Math.max(...values) - Math.min(...values)) * 0.1);
  const [lastAt, last] = series.points[series.points.length - 1];
  const unit = series.limits.unit;
  const summary = t("health.latest", { value: last, unit, at: formatTime(lastAt) });
  const node = figure({ "data-metric": series.metric, "data-points": String(xs.length),
    "data-limits": String(limits.length), "data-latest": String(last) },
  `${t(`health.${series.metric}`)}: ${summary}`);
  stops.push(() => lineChart(node, {
    x: xs, height: 180, yLabel: unit,
    range: [Math.min(...values) - pad, Math.max(...values) + pad],
    series: [
      { label: t(`health.${series.metric}`), values: ys, color: COLORS.line, points: xs.length < 40 },
      ...limits.map(([name, kind]) => ({
        label: t(`health.${kind}`), values: xs.map(() => series.limits[name]),
        color: COLORS[kind], dash: [6, 4], width: 1.5 })),
    ],
  }));
  return el("section", { class: "card" },
    el("h2", {}, `${t(`health.${series.metric}`)} (${unit})`),
    el("p", { class: "latest", "data-metric": series.metric }, summary),
    node);
}

export default async function health(main) {
  const picker = el("input", { id: "health-senior", placeholder: t("health.pick"), list: "health-seniors" });
  const options = el("datalist", { id: "health-seniors" });
  const charts = el("div", { id: "health-charts" });
  let days = 1;
  let seniorId = Number(location.hash.split("/")[2]) || null;
  let destroy = [];

  function clear() { destroy.forEach((stop) => stop()); destroy = []; }

  async function load() {
    if (!seniorId) return;
    const view = await api(`/api/v1/health/${seniorId}/vitals?days=${days}`);
    picker.value = view.senior_name;
    clear();
    const draws = [];
    charts.replaceChildren(...view.series.map((series) => (series.points.length
      ? metricChart(series, draws)
      : el("section", { class: "card" }, el("h2", {}, `${t(`health.${series.metric}`)} (${series.limits.unit})`),
        el("p", { class: "note" }, t("health.none"))))));
    // Drawn once on screen, so each chart takes its card's width.
    destroy = draws.map((draw) => draw());
  }

  picker.addEventListener("input", async () => {
    const name = picker.value.trim();
    if (!name) return;
    const match = [...options.children].find((o) => o.value === name);
    if (match) { seniorId = Number(match.dataset.id); await load(); return; }
    const page = await api(`/api/v1/seniors?name=${encodeURIComponent(name)}&limit=10`);
    options.replaceChildren(...page.items.map((s) => el("option", { value: s.name, "data-id": s.id })));
  });

  const toggle = (value, key) => el("button", { type: "button", "data-days": value,
    onclick: async () => { days = value; await load(); } }, t(key));
  main.append(
    el("div", { class: "page-head" }, el("h1", {}, t("health.title"))),
    el("div", { class: "search" },
      el("label", { for: "health-senior" }, t("health.pick_label")), picker, options,
      toggle(1, "health.day"), toggle(7, "health.week")),
    charts,
  );
  await load();
  return clear;
}
