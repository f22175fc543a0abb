// The record of restore drills (应急演练) for the supervisor page: newest first, and whether
// this year has had the two the plan requires.
import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";

const seconds = (value) => (value === null || value === undefined ? "–" : `${Math.round(value)} s`);
const hours = (value) => (value === null || value === undefined ? "–" : `${(value / 3600).toFixed(1)} h`);

export async function drillRecord() {
  const section = el("section", { class: "card", id: "sup-drills" }, el("h3", {}, t("drills.title")));
  let record;
  try {
    record = await api("/api/v1/drills");
  } catch (failure) {
    section.append(el("p", { class: "error" }, failure.message));
    return section;
  }
  const status = record.requirement_met ? "drills.met" : "drills.not_met";
  section.append(el("p", { id: "sup-drills-status", class: record.requirement_met ? "" : "error" },
    t(status, { year: record.year, done: record.passed_this_year, required: record.required_per_year })));
  if (!record.drills.length) {
    section.append(el("p", { class: "muted" }, t("drills.none")));
    return section;
  }
  section.append(el("table", {},
    el("thead", {}, el("tr", {}, ...["drills.when", "drills.backup", "drills.rpo", "drills.rto", "drills.outcome"]
      .map((key) => el("th", {}, t(key))))),
    el("tbody", {}, ...record.drills.map((drill) => el("tr", { "data-drill": drill.id, "data-outcome": drill.outcome },
      el("td", {}, formatTime(drill.started_at)), el("td", {}, drill.backup_file || "–"),
      el("td", {}, hours(drill.recovery_point_s)), el("td", {}, seconds(drill.recovery_time_s)),
      el("td", { title: drill.detail.error || "" }, t(`drills.${drill.outcome}`)))))));
  return section;
}
