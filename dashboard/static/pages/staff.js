import { api, el } from "/static/api.js";
import { t } from "/static/i18n.js";

// Staff accounts (admin only).
export default async function staff(main) {
  const users = await api("/api/v1/staff");
  main.append(
    el("h2", {}, t("staff.title")),
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["staff.username", "staff.name", "staff.role"].map((k) => el("th", {}, t(k))))),
      el("tbody", {}, users.map((u) => el("tr", {},
        el("td", { class: "mono" }, u.username), el("td", {}, u.display_name), el("td", {}, t(`role.${u.role}`)))))),
  );
}
