// Charts on uPlot (served from this machine, see package.json). A chart is a figure holding
// uPlot's canvas; what it shows is also written on the figure (data-* and aria-label), so a
// screen reader and the browser tests read the same numbers the eye sees.
import uPlot from "/static/vendor/uplot/uPlot.esm.js";
import { centreTimeZone } from "/static/api.js";
import { currentLanguage, t } from "/static/i18n.js";

const CSS = "/static/vendor/uplot/uPlot.min.css";
export const COLORS = { line: "#1f5fa8", second: "#b25d00", third: "#2e7d32", warning: "#b7791f",
  critical: "#c53030", target: "#6b46c1" };

function ensureStyles() {
  if (document.querySelector(`link[href="${CSS}"]`)) return;
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = CSS;
  document.head.append(link);
}

// Times on the centre's clock (uPlot's own splits too, through tzDate), not the browser's.
function hhmm(seconds) {
  return new Date(seconds * 1000).toLocaleTimeString(currentLanguage(),
    { hour: "2-digit", minute: "2-digit", hour12: false, timeZone: centreTimeZone() });
}

// The x axis's labels as drawn, also written on the figure (the canvas holds no text).
function recordTicks(figure, labels) {
  figure.dataset.xTicks = labels.filter((label) => label !== "").join("|");
  return labels;
}

// A line chart. x: numbers (unix seconds when time is true); series: [{label, values, color,
// dash, points}]; range: [low, high] for the y axis (fitted to the data when omitted).
export function lineChart(figure, { x, series, time = true, height = 200, range, xRange, xLabel,
  yLabel, xFormat, yFormat, xSplits, xRotate = 0 }) {
  ensureStyles();
  const width = Math.max(280, figure.clientWidth || figure.parentElement?.clientWidth || 600);
  const options = {
    width, height,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), centreTimeZone()),
    scales: { x: xRange ? { time, range: () => xRange } : { time },
      y: range ? { range: () => range } : {} },
    legend: { show: true },
    cursor: { drag: { x: false, y: false } },
    series: [
      { label: xLabel || t(time ? "pages.chart.time" : "pages.chart.category"), value: (u, v) => (v === null ? "—" : time ? hhmm(v) : (xFormat ? xFormat(v) : v)) },
      ...series.map((s) => ({
        label: s.label, stroke: s.color || COLORS.line, width: s.width || 2, dash: s.dash,
        points: { show: s.points ?? false }, spanGaps: false, paths: s.paths, fill: s.fill,
        value: (u, v) => (v === null || v === undefined ? "—" : (yFormat ? yFormat(v) : String(v))),
      })),
    ],
    axes: [
      { label: xLabel, splits: xSplits ? (u) => xSplits(u.bbox.width / devicePixelRatio) : undefined,
        ...(xRotate ? { rotate: xRotate, size: 110 } : {}),
        values: (u, splits) => recordTicks(figure, splits.map((v) => (time ? hhmm(v) : xFormat ? xFormat(v) : v))) },
      { label: yLabel, values: yFormat ? (u, splits) => splits.map(yFormat) : undefined },
    ],
  };
  // The drawn x range, once uPlot has drawn (it draws after construction).
  options.hooks = { draw: [(u) => {
    figure.dataset.xMin = String(u.scales.x.min);
    figure.dataset.xMax = String(u.scales.x.max);
    figure.dataset.drawn = "true";
  }] };
  const plot = new uPlot(options, [x, ...series.map((s) => s.values)], figure);
  figure.dataset.series = String(series.length);
  const onResize = () => plot.setSize({ width: Math.max(280, figure.clientWidth || width), height });
  window.addEventListener("resize", onResize);
  return () => { window.removeEventListener("resize", onResize); plot.destroy(); };
}

// Every category's label when they fit side by side, else every n-th (hours: 0:00, 3:00, …).
function categorySplits(labels, width, room) {
  const step = Math.max(1, Math.ceil((labels.length * room) / Math.max(1, width)));
  return labels.map((_, i) => i).filter((i) => i % step === 0);
}

// A bar chart per category (operators, hours): uPlot's bars path over category positions.
// Long labels (names) are drawn aslant, so neighbours never overlap.
export function barChart(figure, { labels, series, height = 200, xLabel, yLabel, range }) {
  const bars = uPlot.paths.bars({ size: [0.8 / Math.max(1, series.length), 60] });
  const longest = Math.max(0, ...labels.map((label) => String(label).length));
  const slanted = longest > 6;
  const room = slanted ? 28 : 12 * longest + 12;  // pixels a label needs along the axis
  return lineChart(figure, {
    x: labels.map((_, i) => i), time: false, height: slanted ? height + 90 : height, xLabel, yLabel,
    range, xRotate: slanted ? 35 : 0,
    xRange: [-0.5, labels.length - 0.5], xSplits: (width) => categorySplits(labels, width, room),
    xFormat: (v) => (Number.isInteger(v) && labels[v] !== undefined ? labels[v] : ""),
    series: series.map((s) => ({ ...s, width: 1, paths: bars, fill: `${s.color || COLORS.line}cc` })),
  });
}

export function figure(attributes, summary) {
  const node = document.createElement("figure");
  node.className = "chart-figure";
  node.setAttribute("role", "img");
  node.setAttribute("aria-label", summary);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}
