// Supervisor alerts (an emergency nobody took, an operator put on a break, a visit no provider
// accepted, an ingest that stopped), kept on screen until a supervisor closes them.
import { api, el, formatTime } from "/static/api.js";
import { currentLanguage, t } from "/static/i18n.js";
import { onLive } from "/static/live.js";

function title(alert) {
  return currentLanguage() === "en" ? alert.title_en : alert.title_zh;
}

// Renders into `list` every alert not yet closed (of one senior when `seniorId` is given) and
// keeps it current from the live feed. Supervisors get Seen and Close buttons.
export async function alertList(list, { canClose, seniorId = null }) {
  const shown = new Map();
  const render = () => {
    const open = [...shown.values()].filter((alert) => alert.state !== "closed")
      .sort((a, b) => b.raised_at.localeCompare(a.raised_at));
    list.replaceChildren(...(open.length ? open.map(row) : [el("li", { class: "muted" }, t("sup.none"))]));
  };
  const act = async (alert, action) => {
    try {
      const options = action === "close" ? { method: "POST", body: { note: "" } } : { method: "POST" };
      shown.set(alert.id, await api(`/api/v1/alerts/${alert.id}/${action}`, options));
    } catch (failure) {
      list.prepend(el("li", { class: "error" }, failure.message));
      return;
    }
    render();
  };
  const row = (alert) => el("li", { class: `alert${alert.urgent ? " urgent" : ""}`, "data-alert": alert.id, "data-state": alert.state },
    el("span", { class: "feed-time" }, formatTime(alert.raised_at)), " ", title(alert),
    alert.count > 1 ? ` ×${alert.count}` : "",
    alert.state === "seen" ? el("span", { class: "muted" }, ` · ${t("alert.seen_by", { who: alert.seen_by })}`) : "",
    canClose ? [" ",
      alert.state === "open" ? el("button", { type: "button", class: "alert-seen", onclick: () => act(alert, "seen") }, t("alert.seen")) : "",
      " ", el("button", { type: "button", class: "alert-close", onclick: () => act(alert, "close") }, t("alert.close"))] : "");
  const query = seniorId ? `?senior_id=${seniorId}` : "";
  for (const alert of await api(`/api/v1/alerts${query}`)) shown.set(alert.id, alert);
  render();
  return onLive((message) => {
    if (message.type !== "update" || message.topic !== "alert.changed") return;
    if (seniorId && message.data.senior_id !== seniorId) return;
    shown.set(message.data.id, message.data);
    render();
  });
}
