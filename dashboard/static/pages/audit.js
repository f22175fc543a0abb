import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";

// The newest audit entries: who read or changed which record.
export default async function audit(main) {
  const entries = await api("/api/v1/audit?limit=200");
  main.append(
    el("h2", {}, t("audit.title")),
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["audit.at", "audit.actor", "audit.action", "audit.subject"].map((k) => el("th", {}, t(k))))),
      el("tbody", {}, entries.map((e) => el("tr", {},
        el("td", {}, formatTime(e.at)), el("td", {}, e.actor), el("td", { class: "mono" }, e.action),
        el("td", {}, `${e.subject_type} ${e.subject_id ?? ""}`))))),
  );
}
