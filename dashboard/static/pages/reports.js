// Reports for the civil-affairs bureau: one month, per district, with CSV and XLSX downloads.
import { api, el } from "/static/api.js";
import { t } from "/static/i18n.js";
import { word } from "/static/components/words.js";

function lastMonth() {
  const now = new Date();
  const month = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${month.getFullYear()}-${String(month.getMonth() + 1).padStart(2, "0")}`;
}

const share = (value) => `${(value * 100).toFixed(1)}%`;
const yuan = (fen) => (fen / 100).toFixed(2);

// "登记: 12 · 独居: 3": each count under its words (a code without words reads "other").
function pairs(counts, kind) {
  const entries = Object.entries(counts || {});
  return entries.length ? entries.map(([key, value]) => `${word(kind, key)}: ${value}`).join(" · ") : "0";
}

function districtCard(figures) {
  const alarms = figures.alarms.map((alarm) => el("tr", {},
    el("td", {}, word("alarm_kind", alarm.kind)), el("td", {}, `P${alarm.priority}`), el("td", {}, String(alarm.count)),
    el("td", {}, share(alarm.share_within_60s)), el("td", {}, share(alarm.share_within_180s))));
  const orders = figures.orders.map((order) => el("tr", {},
    el("td", {}, word("service", order.service)), el("td", {}, String(order.count)), el("td", {}, yuan(order.price_fen)),
    el("td", {}, yuan(order.subsidised_fen))));
  const life = figures.proof_of_life;
  return el("section", { class: "card", "data-district": figures.district },
    el("h3", {}, figures.district),
    el("dl", { class: "facts" },
      el("dt", {}, t("reports.seniors")), el("dd", {}, pairs(figures.seniors, "reports.s")),
      el("dt", {}, t("reports.age_bands")), el("dd", {}, pairs(figures.age_bands, "reports.age")),
      el("dt", {}, t("reports.subsidy")), el("dd", {}, pairs(figures.subsidy_categories, "subsidy")),
      el("dt", {}, t("reports.devices")), el("dd", {}, pairs(figures.devices, "reports.d")),
      el("dt", {}, t("reports.calls")), el("dd", {}, pairs(figures.calls_by_purpose, "call_purpose")),
      el("dt", {}, t("reports.proof_of_life")),
      el("dd", {}, life.certifications ? t("reports.life_line", { current: life.current, total: life.certifications, held: life.held, share: share(life.completion) }) : "0")),
    alarms.length ? el("table", {}, el("thead", {}, el("tr", {}, ...["reports.kind", "reports.priority", "reports.count", "reports.within60", "reports.within180"].map((key) => el("th", {}, t(key))))), el("tbody", {}, ...alarms)) : "",
    orders.length ? el("table", {}, el("thead", {}, el("tr", {}, ...["reports.service", "reports.count", "reports.price", "reports.subsidised"].map((key) => el("th", {}, t(key))))), el("tbody", {}, ...orders)) : "");
}

export default async function reports(main) {
  const month = el("input", { id: "report-month", type: "month", value: lastMonth() });
  const district = el("input", { id: "report-district", placeholder: t("reports.all_districts") });
  const output = el("div", { id: "report-output" });
  const query = (format) => {
    const params = new URLSearchParams({ month: month.value, format });
    if (district.value.trim()) params.set("district", district.value.trim());
    return `/api/v1/reports/monthly?${params}`;
  };
  const download = (format) => el("a", { id: `report-${format}`, href: "#", onclick: (event) => {
    event.preventDefault();
    window.location.assign(query(format));
  } }, t(`reports.${format}`));
  async function show() {
    output.replaceChildren(el("p", { class: "muted" }, t("reports.loading")));
    try {
      const report = await api(query("json"));
      output.replaceChildren(...(report.districts.length ? report.districts.map(districtCard) : [el("p", { class: "muted" }, t("reports.empty"))]));
    } catch (failure) {
      output.replaceChildren(el("p", { class: "error" }, failure.message));
    }
  }
  main.append(
    el("div", { class: "page-head" }, el("h2", {}, t("reports.title")), download("csv"), " ", download("xlsx")),
    el("form", { class: "toolbar", onsubmit: (event) => { event.preventDefault(); show(); } },
      el("label", {}, t("reports.month"), " ", month), " ",
      el("label", {}, t("reports.district"), " ", district), " ",
      el("button", { type: "submit", id: "report-show" }, t("reports.show"))),
    output);
  await show();
}
