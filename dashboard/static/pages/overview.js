import { el, formatClock } from "/static/api.js";
import { t } from "/static/i18n.js";
import { onLive } from "/static/live.js";
import { onAlarms, openAlarms } from "/static/components/alarm-store.js";
import { alarmWhat, word } from "/static/components/words.js";

const PRIORITIES = [1, 2, 3, 4, 5];

// One live update in words: what happened, and to whom.
function feedText(message) {
  const data = message.data || {};
  if (message.topic.startsWith("alarm.") && data.priority) {
    return `P${data.priority} ${alarmWhat(data)} · ${data.senior_name || ""}`;
  }
  return data.senior_name || data.name || "";
}

// The duty overview: headline numbers, open alarms by priority, and the live updates in words.
export default function overview(main) {
  const count = el("div", { class: "kpi-value", id: "kpi-seniors" }, "–");
  const byPriority = Object.fromEntries(PRIORITIES.map((p) => [p, el("div", { class: "kpi-value", id: `kpi-p${p}` }, "–")]));
  const openCount = el("div", { class: "kpi-value", id: "kpi-open-alarms" }, "–");
  // Until the snapshot arrives the feed says it is loading, not that nothing happened.
  const feed = el("ol", { class: "feed", id: "live-feed", "aria-live": "polite" },
    el("li", { class: "muted", id: "feed-waiting" }, t("overview.loading")));
  main.append(
    el("h2", {}, t("overview.title")),
    el("section", { class: "kpis" },
      el("div", { class: "kpi" }, el("div", { class: "kpi-label" }, t("overview.seniors")), count),
      el("div", { class: "kpi" }, el("div", { class: "kpi-label" }, t("overview.open_alarms")), openCount)),
    el("section", { class: "kpis priority-counts", "aria-label": t("overview.by_priority") },
      PRIORITIES.map((p) => el("div", { class: "kpi", "data-priority": p },
        el("div", { class: "kpi-label" }, el("span", { class: `badge p${p}` }, `P${p}`)), byPriority[p]))),
    el("section", { class: "card" }, el("h3", {}, t("overview.feed")), feed),
  );
  const stopAlarms = onAlarms(() => {
    const open = openAlarms();
    openCount.textContent = String(open.length);
    for (const p of PRIORITIES) byPriority[p].textContent = String(open.filter((a) => a.priority === p).length);
  });
  const stopLive = onLive((message) => {
    if (message.type === "snapshot") {
      count.textContent = message.data.seniors.active;
      const waiting = feed.querySelector("#feed-waiting");
      if (waiting) waiting.replaceWith(el("li", { class: "muted", id: "feed-empty" }, t("overview.empty")));
    } else if (message.type === "update") {
      feed.querySelector(".muted")?.remove();
      feed.prepend(el("li", { "data-seq": message.seq, "data-topic": message.topic },
        el("span", { class: "feed-time" }, formatClock(message.at)), " ",
        el("span", { class: "feed-topic" }, word("topic", message.topic)), " ",
        el("span", {}, feedText(message))));
      while (feed.children.length > 100) feed.lastChild.remove();
      if (message.topic === "senior.created") count.textContent = Number(count.textContent) + 1;
      if (message.topic === "senior.archived") count.textContent = Number(count.textContent) - 1;
    }
  });
  return () => { stopAlarms(); stopLive(); };
}
