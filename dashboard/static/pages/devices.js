import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";
import { onLive } from "/static/live.js";

function statusOf(device) {
  if (device.state !== "active") return t("devices.retired");
  return device.online ? t("devices.online") : t("devices.offline");
}

function deviceRow(device, onEdit) {
  return el("tr", { "data-device": device.id, "data-online": String(device.online),
    "data-state": device.state },
    el("td", { class: "mono" }, device.id), el("td", {}, device.model),
    el("td", { class: "device-senior" }, device.senior_name || "—"), el("td", {}, device.location || "—"),
    el("td", { class: device.online ? "" : "muted" }, statusOf(device)),
    el("td", {}, device.battery === null ? "—" : `${Math.round(device.battery)}%`),
    el("td", {}, device.last_seen ? formatTime(device.last_seen) : "—"),
    onEdit ? el("td", {}, el("button", { type: "button", class: "edit-device",
      onclick: () => onEdit(device) }, t("devices.edit"))) : null);
}

// The edit form under a device's row: senior, location, SIM number, heartbeat and grace, and
// retire or reactivate. The server's refusal is shown as it words it.
function editRow(device, done) {
  const field = (name, value, type = "text") => el("label", {}, t(`devices.${name}`), " ",
    el("input", { name, type, value: value ?? "", size: type === "number" ? 6 : 14 }));
  const error = el("p", { class: "error", role: "alert" });
  const form = el("form", { class: "device-edit", "data-device": device.id },
    field("senior", device.senior_id, "number"), field("location", device.location),
    field("phone", device.phone), field("heartbeat", device.heartbeat_seconds, "number"),
    field("grace", device.grace_seconds, "number"),
    el("button", { type: "submit" }, t("devices.save")),
    el("button", { type: "button", class: "state-device", onclick: () => send({
      state: device.state === "active" ? "retired" : "active" }) },
    t(device.state === "active" ? "devices.retire" : "devices.reactivate")),
    el("button", { type: "button", onclick: () => done(false) }, t("devices.cancel")), error);
  async function send(body) {
    error.textContent = "";
    try {
      await api(`/api/v1/devices/${encodeURIComponent(device.id)}`, { method: "PATCH", body });
      done(true);
    } catch (failure) {
      error.textContent = failure.message;
    }
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (name) => form.elements[name].value.trim();
    send({
      senior_id: value("senior") === "" ? null : Number(value("senior")),
      location: value("location"), phone: value("phone") === "" ? null : value("phone"),
      heartbeat_seconds: Number(value("heartbeat")), grace_seconds: Number(value("grace")),
    });
  });
  return el("tr", { class: "edit-row" }, el("td", { colspan: 8 }, form));
}

// The device list (online/offline, battery) refreshed as device events arrive; supervisors
// also see the dead letters.
export default async function devices(main, { user }) {
  const rows = el("tbody", { id: "devices-rows" });
  const canEdit = ["supervisor", "admin"].includes(user.role);
  const headings = ["id", "model", "senior", "location", "status", "battery", "last_seen"];
  main.append(el("h2", {}, t("devices.title")),
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, headings.map((k) => el("th", {}, t(`devices.${k}`))),
        canEdit ? el("th", {}) : null)), rows));
  const letters = el("tbody", { id: "dead-letter-rows" });
  const canSeeLetters = ["supervisor", "admin"].includes(user.role);
  if (canSeeLetters) {
    main.append(el("h3", {}, t("devices.dead_letters")),
      el("table", { class: "grid" }, el("thead", {}, el("tr", {},
        ["at", "topic", "reason"].map((k) => el("th", {}, t(`devices.${k}`))))), letters));
  }
  let pending = null;
  let editing = null; // the device whose form is open: live refreshes leave it alone
  function edit(device) {
    editing = device.id;
    const row = rows.querySelector(`tr[data-device="${CSS.escape(device.id)}"]`);
    rows.querySelectorAll("tr.edit-row").forEach((open) => open.remove());
    row.after(editRow(device, () => { editing = null; refresh(); }));
  }
  async function refresh() {
    pending = null;
    if (editing) return;
    const list = await api("/api/v1/devices?limit=500");
    rows.replaceChildren(...(list.length ? list.map((d) => deviceRow(d, canEdit ? edit : null))
      : [el("tr", {}, el("td", { colspan: 8, class: "muted" }, t("devices.none")))]));
    if (canSeeLetters) {
      const dead = await api("/api/v1/devices/dead-letters?limit=50");
      letters.replaceChildren(...dead.map((d) => el("tr", {}, el("td", {}, formatTime(d.received_at)),
        el("td", { class: "mono" }, d.topic), el("td", {}, d.reason))));
    }
  }
  await refresh();
  return onLive((message) => {
    // Device traffic can be busy: refresh at most every two seconds.
    if (message.type === "update" && message.topic.startsWith("device.") && !pending) {
      pending = setTimeout(refresh, 2000);
    }
  });
}
