import { api, el } from "/static/api.js";
import { t } from "/static/i18n.js";

const SVG = "http://www.w3.org/2000/svg";
const W = 640, H = 180, PAD = 36;

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

// One metric as a line over time, with the warning (amber) and critical (red) limits drawn.
function chart(series, from, to) {
  const limits = series.limits;
  const lines = [limits.critical_low, limits.warning_low, limits.warning_high, limits.critical_high].filter((v) => v !== null);
  const values = series.points.map(([, v]) => v).concat(lines);
  const low = Math.min(...values) - 2, high = Math.max(...values) + 2;
  const x = (at) => PAD + (W - 2 * PAD) * (new Date(at) - from) / (to - from);
  const y = (v) => H - PAD / 2 - (H - PAD) * (v - low) / (high - low);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", "data-metric": series.metric });
  root.append(svg("rect", { x: PAD, y: 0, width: W - 2 * PAD, height: H - PAD / 2, fill: "#fafbfc" }));
  for (const [value, kind] of [[limits.warning_low, "warning"], [limits.warning_high, "warning"],
    [limits.critical_low, "critical"], [limits.critical_high, "critical"]]) {
    if (value === null) continue;
    root.append(svg("line", { x1: PAD, x2: W - PAD, y1: y(value), y2: y(value), class: `limit ${kind}` }));
    const label = svg("text", { x: W - PAD + 4, y: y(value) + 4, class: "axis" });
    label.textContent = value;
    root.append(label);
  }
  if (series.points.length) {
    const path = series.points.map(([at, v], i) => `${i ? "L" : "M"}${x(at).toFixed(1)},${y(v).toFixed(1)}`).join(" ");
    root.append(svg("path", { d: path, class: "series" }));
  }
  return root;
}

export default async function health(main) {
  const picker = el("input", { id: "health-senior", placeholder: t("health.pick"), list: "health-seniors" });
  const options = el("datalist", { id: "health-seniors" });
  const charts = el("div", { id: "health-charts" });
  let days = 1;
  let seniorId = Number(location.hash.split("/")[2]) || null;

  async function load() {
    if (!seniorId) return;
    const view = await api(`/api/v1/health/${seniorId}/vitals?days=${days}`);
    const to = Date.now(), from = to - days * 86400 * 1000;
    picker.value = view.senior_name;
    charts.replaceChildren(...view.series.map((series) => el("section", { class: "card" },
      el("h3", {}, `${t(`health.${series.metric}`)} (${series.limits.unit})`),
      series.points.length ? chart(series, from, to) : el("p", { class: "muted" }, t("health.none")))));
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
    el("div", { class: "page-head" }, el("h2", {}, t("health.title"))),
    el("div", { class: "search" }, picker, options, toggle(1, "health.day"), toggle(7, "health.week")),
    charts,
  );
  await load();
}
