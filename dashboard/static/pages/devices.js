import { api, el, formatTime } from "/static/api.js";
import { addStrings, t } from "/static/i18n.js";
import { onLive } from "/static/live.js";

addStrings("zh-CN", {
  "nav.devices": "设备",
  "devices.title": "穿戴设备与居家传感器",
  "devices.id": "设备编号", "devices.model": "型号", "devices.senior": "老人",
  "devices.location": "位置", "devices.status": "状态", "devices.battery": "电量",
  "devices.last_seen": "最近上报", "devices.online": "在线", "devices.offline": "离线",
  "devices.retired": "已停用", "devices.none": "尚无设备",
  "devices.dead_letters": "无法处理的消息", "devices.reason": "原因", "devices.topic": "主题",
  "devices.at": "时间",
});
addStrings("en", {
  "nav.devices": "Devices",
  "devices.title": "Wearables and home sensors",
  "devices.id": "Device", "devices.model": "Model", "devices.senior": "Senior",
  "devices.location": "Location", "devices.status": "Status", "devices.battery": "Battery",
  "devices.last_seen": "Last seen", "devices.online": "online", "devices.offline": "offline",
  "devices.retired": "retired", "devices.none": "No devices yet",
  "devices.dead_letters": "Messages that could not be used", "devices.reason": "Reason",
  "devices.topic": "Topic", "devices.at": "At",
});

function statusOf(device) {
  if (device.state !== "active") return t("devices.retired");
  return device.online ? t("devices.online") : t("devices.offline");
}

function deviceRow(device) {
  return el("tr", { "data-device": device.id, "data-online": String(device.online) },
    el("td", { class: "mono" }, device.id), el("td", {}, device.model),
    el("td", {}, device.senior_id ?? ""), el("td", {}, device.location),
    el("td", { class: device.online ? "" : "muted" }, statusOf(device)),
    el("td", {}, device.battery === null ? "" : `${Math.round(device.battery)}%`),
    el("td", {}, device.last_seen ? formatTime(device.last_seen) : ""));
}

// The device list (online/offline, battery) refreshed as device events arrive; supervisors
// also see the dead letters.
export default async function devices(main, { user }) {
  const rows = el("tbody", { id: "devices-rows" });
  const headings = ["id", "model", "senior", "location", "status", "battery", "last_seen"];
  main.append(el("h2", {}, t("devices.title")),
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, headings.map((k) => el("th", {}, t(`devices.${k}`))))), rows));
  const letters = el("tbody", { id: "dead-letter-rows" });
  const canSeeLetters = ["supervisor", "admin"].includes(user.role);
  if (canSeeLetters) {
    main.append(el("h3", {}, t("devices.dead_letters")),
      el("table", { class: "grid" }, el("thead", {}, el("tr", {},
        ["at", "topic", "reason"].map((k) => el("th", {}, t(`devices.${k}`))))), letters));
  }
  let pending = null;
  async function refresh() {
    pending = null;
    const list = await api("/api/v1/devices?limit=500");
    rows.replaceChildren(...(list.length ? list.map(deviceRow)
      : [el("tr", {}, el("td", { colspan: 7, class: "muted" }, t("devices.none")))]));
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
