// The senior's record as the operator needs it at answer time: the desk, the calls page and
// the incident page show the same panel. `actions` (optional) adds call and conference buttons.
import { api, el, formatTime } from "/static/api.js";
import { currentLanguage, t } from "/static/i18n.js";
import { alarmWhat, word, words } from "/static/components/words.js";

export function section(title, ...children) {
  return el("section", {}, el("h4", {}, t(title)), ...children);
}

function list(items, render, id) {
  return el("ul", { class: "compact", id }, items.length ? items.map(render) : [el("li", { class: "muted" }, "—")]);
}

export async function seniorPanel(container, seniorId, actions = null) {
  const record = await api(`/api/v1/incidents/seniors/${seniorId}/record`);
  const senior = record.senior;
  const contact = (c) => el("li", { "data-position": c.position },
    `${c.name}（${c.relation}）${c.phones.join(" ")}`,
    actions ? [" ", el("button", { type: "button", class: "call-contact", onclick: () => actions.call(c) }, t("incident.call")),
      " ", el("button", { type: "button", class: "conference-contact", onclick: () => actions.conference(c) }, t("incident.conference"))] : []);
  const device = (d) => el("li", { "data-online": d.online }, `${d.model} · ${d.location || word("device_kind", d.kind)} · `,
    el("strong", {}, d.online ? t("record.online") : t("record.offline")),
    d.battery !== null ? ` · ${t("record.battery")} ${Math.round(d.battery)}%` : "");
  const alarm = (a) => el("li", {}, el("span", { class: `badge p${a.priority}` }, `P${a.priority}`),
    ` ${alarmWhat(a)} · ${formatTime(a.first_at)} · ${a.disposition ? word("disposition", a.disposition) : word("alarm_state", a.state)}`);
  const call = (c) => el("li", {}, `${c.direction === "inbound" ? t("record.inbound") : t("record.outbound")} ${formatTime(c.offered_at || c.answered_at || c.ended_at)} · ${word("call_status", c.outcome || c.status)}`);
  const order = (o) => el("li", {}, `${word("service", o.service)} · ${word("order_state", o.state)}`);
  container.replaceChildren(
    el("h3", { id: "record-name" }, `${senior.name} · ${senior.age}${currentLanguage() === "en" ? "" : "岁"}`),
    el("p", {}, senior.address), el("p", {}, senior.phones.join(" · ")),
    el("p", { class: "muted" }, [senior.lives_alone ? t("seniors.alone") : "",
      senior.languages.length ? `${t("incident.languages")}：${words("lang", senior.languages)}` : ""].filter(Boolean).join(" · ")),
    section("senior.medical", el("p", { id: "record-medical" }, senior.medical_notes || "—")),
    section("senior.contacts", el("ol", { id: "record-contacts" }, senior.contacts.map(contact))),
    section("record.devices", list(record.devices, device, "record-devices")),
    section("record.last_alarms", list(record.recent_alarms, alarm, "record-alarms")),
    section("record.last_calls", list(record.recent_calls, call, "record-calls")),
    section("record.last_orders", list(record.recent_orders, order, "record-orders")),
  );
  return record;
}
