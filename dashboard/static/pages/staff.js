import { api, el } from "/static/api.js";
import { t } from "/static/i18n.js";

// Staff accounts (admin only): lift log-in locks, disable an account (ending its sessions), enable.
export default async function staff(main) {
  const body = el("tbody");
  const message = el("p", { id: "staff-message", class: "muted", role: "status" });

  async function act(user, action) {
    try {
      await api(`/api/v1/staff/${user.id}/${action}`, { method: "POST" });
      message.textContent = t(`staff.done_${action}`, { username: user.username });
    } catch (error) {
      message.textContent = String(error.message);
    }
    await load();
  }

  function actions(user) {
    const buttons = [];
    if (user.locked) buttons.push(el("button", { type: "button", class: "unlock", onclick: () => act(user, "unlock") }, t("staff.unlock")));
    const change = user.active ? "disable" : "enable";
    buttons.push(el("button", { type: "button", class: change, onclick: () => act(user, change) }, t(`staff.${change}`)));
    return buttons;
  }

  function state(user) {
    if (!user.active) return t("staff.disabled");
    return user.locked ? t("staff.locked") : t("staff.active");
  }

  async function load() {
    const users = await api("/api/v1/staff");
    body.replaceChildren(...users.map((u) => el("tr", { "data-username": u.username },
      el("td", { class: "mono" }, u.username), el("td", {}, u.display_name), el("td", {}, t(`role.${u.role}`)),
      el("td", { class: "state" }, state(u)), el("td", {}, actions(u)))));
  }

  main.append(
    el("h2", {}, t("staff.title")),
    message,
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["staff.username", "staff.name", "staff.role", "staff.state", "staff.actions"].map((k) => el("th", {}, t(k))))),
      body),
  );
  await load();
}
