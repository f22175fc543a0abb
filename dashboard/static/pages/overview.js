import { el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";
import { onLive } from "/static/live.js";

// The duty overview: headline numbers from the snapshot and a running list of live updates.
export default function overview(main) {
  const count = el("div", { class: "kpi-value", id: "kpi-seniors" }, "–");
  const feed = el("ol", { class: "feed", id: "live-feed" }, el("li", { class: "muted" }, t("overview.empty")));
  main.append(
    el("h2", {}, t("overview.title")),
    el("section", { class: "kpis" },
      el("div", { class: "kpi" }, el("div", { class: "kpi-label" }, t("overview.seniors")), count)),
    el("section", { class: "card" }, el("h3", {}, t("overview.feed")), feed),
  );
  return onLive((message) => {
    if (message.type === "snapshot") {
      count.textContent = message.data.seniors.active;
    } else if (message.type === "update") {
      if (feed.querySelector(".muted")) feed.replaceChildren();
      feed.prepend(el("li", { "data-seq": message.seq },
        el("span", { class: "feed-time" }, formatTime(message.at)), " ",
        el("span", { class: "feed-topic" }, message.topic), " ",
        el("span", {}, message.data.summary || "")));
      while (feed.children.length > 100) feed.lastChild.remove();
      if (message.topic === "senior.created") count.textContent = Number(count.textContent) + 1;
      if (message.topic === "senior.archived") count.textContent = Number(count.textContent) - 1;
    }
  });
}
