// The senior's 3G watch on the incident page: its last position (coordinates, age, distance
// from home, a link in the deployment's format) and "locate now" / "send a message".
import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";

const WATCH_MODELS = new Set(["3g-watch"]);

function age(seconds) {
  if (seconds < 90) return t("watch.age_seconds", { n: Math.round(seconds) });
  if (seconds < 5400) return t("watch.age_minutes", { n: Math.round(seconds / 60) });
  return t("watch.age_hours", { n: Math.round(seconds / 3600) });
}

async function positionLine(deviceId) {
  let position;
  try {
    position = await api(`/api/v1/devices/${deviceId}/position`);
  } catch (failure) {
    if (failure.status === 404) return el("p", { class: "muted watch-position" }, t("watch.no_position"));
    throw failure;
  }
  const where = `${position.latitude.toFixed(6)}, ${position.longitude.toFixed(6)}`;
  return el("p", { class: "watch-position", "data-latitude": position.latitude, "data-longitude": position.longitude },
    position.link ? el("a", { href: position.link, target: "_blank", rel: "noopener" }, where) : where,
    ` · ${formatTime(position.measured_at)} (${age(position.age_seconds)})`,
    position.meters_from_home !== null ? ` · ${t("watch.from_home", { m: position.meters_from_home })}` : "");
}

function outcomeText(command) {
  return t(`watch.outcome.${command.outcome}`);
}

function watchBox(device) {
  const box = el("div", { class: "watch", "data-device": device.id });
  const status = el("p", { class: "watch-status", role: "status" });
  const text = el("input", { type: "text", maxlength: "100", class: "watch-text", placeholder: t("watch.message_placeholder") });
  const position = el("div", {});
  const refreshPosition = async () => position.replaceChildren(await positionLine(device.id));
  const send = async (body) => {
    status.textContent = t("watch.sending");
    try {
      const command = await api(`/api/v1/devices/${device.id}/commands`, { method: "POST", body });
      status.textContent = outcomeText(command);
      if (body.command === "locate" && command.outcome === "answered") setTimeout(() => refreshPosition().catch(() => {}), 3000);
      return command;
    } catch (failure) {
      status.textContent = failure.message;
      return null;
    }
  };
  box.append(el("h5", {}, `${t("watch.title")} · ${device.id}`), position,
    el("button", { type: "button", class: "watch-locate", onclick: () => send({ command: "locate" }) }, t("watch.locate")), " ",
    text, " ",
    el("button", { type: "button", class: "watch-message", onclick: async () => {
      if (!text.value.trim()) return;
      if (await send({ command: "message", text: text.value.trim() })) text.value = "";
    } }, t("watch.send_message")),
    status);
  refreshPosition().catch((failure) => { status.textContent = failure.message; });
  return box;
}

// Appends a box for each of the senior's watches to `container` (nothing when there are none).
export async function watchPanel(container, seniorId) {
  const devices = await api(`/api/v1/devices?senior_id=${seniorId}`);
  const watches = devices.filter((device) => WATCH_MODELS.has(device.model));
  if (!watches.length) return;
  container.append(el("section", { id: "watch-panel" }, el("h4", {}, t("watch.section")), ...watches.map(watchBox)));
}
