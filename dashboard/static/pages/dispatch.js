import { api, el, formatTime } from "/static/api.js";
import { addStrings, t } from "/static/i18n.js";
import { onLive } from "/static/live.js";

addStrings("zh-CN", {
  "nav.dispatch": "派单",
  "dispatch.title": "派单看板",
  "dispatch.escalated": "待人工处理",
  "dispatch.offers": "待答复的派单",
  "dispatch.late": "可能迟到",
  "dispatch.open": "进行中的订单",
  "dispatch.none": "暂无",
  "dispatch.order": "订单",
  "dispatch.service": "服务",
  "dispatch.district": "区域",
  "dispatch.state": "状态",
  "dispatch.due": "须到达",
  "dispatch.provider": "服务商",
  "dispatch.reason": "原因",
  "dispatch.left": "剩余",
  "dispatch.reassign": "改派",
  "dispatch.choose": "选择服务商",
  "dispatch.reassigned": "已改派订单 #{id}",
  "state.created": "已创建", "state.matching": "匹配中", "state.offered": "已派单",
  "state.accepted": "已接单", "state.en_route": "在途", "state.on_site": "服务中",
  "state.completed": "已完成", "state.rated": "已评价", "state.escalated": "待人工",
  "state.cancelled": "已取消", "state.follow_up": "待回访",
});
addStrings("en", {
  "nav.dispatch": "Dispatch",
  "dispatch.title": "Dispatch board",
  "dispatch.escalated": "Escalations to handle",
  "dispatch.offers": "Offers waiting for a reply",
  "dispatch.late": "Late jobs",
  "dispatch.open": "Open orders",
  "dispatch.none": "None",
  "dispatch.order": "Order",
  "dispatch.service": "Service",
  "dispatch.district": "District",
  "dispatch.state": "State",
  "dispatch.due": "Due by",
  "dispatch.provider": "Provider",
  "dispatch.reason": "Reason",
  "dispatch.left": "Time left",
  "dispatch.reassign": "Reassign",
  "dispatch.choose": "Choose a provider",
  "dispatch.reassigned": "Order #{id} reassigned",
  "state.created": "Created", "state.matching": "Matching", "state.offered": "Offered",
  "state.accepted": "Accepted", "state.en_route": "En route", "state.on_site": "On site",
  "state.completed": "Completed", "state.rated": "Rated", "state.escalated": "Escalated",
  "state.cancelled": "Cancelled", "state.follow_up": "Follow-up",
});

const STATES = ["matching", "offered", "accepted", "en_route", "on_site", "escalated", "follow_up"];

function table(id, headings, rows) {
  return el("table", {},
    el("thead", {}, el("tr", {}, headings.map((h) => el("th", {}, t(h))))),
    el("tbody", { id }, rows.length ? rows : el("tr", { class: "muted" },
      el("td", { colspan: headings.length }, t("dispatch.none")))));
}

// The dispatch board: counts by state, escalations with reassign, offers counting down, late jobs.
export default async function dispatch(main, { user }) {
  const canReassign = ["dispatcher", "supervisor", "admin"].includes(user.role);
  const providers = await api("/api/v1/providers");
  const nameOf = Object.fromEntries(providers.map((p) => [p.id, p.name]));
  const status = el("p", { class: "muted", id: "dispatch-status", role: "status" });
  const board = el("div", { id: "dispatch-board" });
  main.append(el("h2", {}, t("dispatch.title")), status, board);
  let offset = 0;  // server clock minus browser clock, for honest countdowns

  function countdown(expiresAt) {
    const left = Math.max(0, Math.round((new Date(expiresAt) - (Date.now() + offset)) / 1000));
    return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  }

  function reassignForm(order) {
    const choice = el("select", { class: "reassign-provider" },
      el("option", { value: "" }, t("dispatch.choose")),
      providers.filter((p) => p.status === "active" && p.services.includes(order.service))
        .map((p) => el("option", { value: p.id }, `${p.name} (#${p.id})`)));
    const button = el("button", { class: "reassign primary", type: "submit" }, t("dispatch.reassign"));
    return el("form", { class: "inline", onsubmit: async (event) => {
      event.preventDefault();
      if (!choice.value) return;
      try {
        await api(`/api/v1/orders/${order.id}/reassign`, { method: "POST",
          body: { provider_id: Number(choice.value), reason: "reassigned from the board" } });
        status.textContent = t("dispatch.reassigned", { id: order.id });
        await refresh();
      } catch (error) { status.textContent = error.message; }
    } }, choice, button);
  }

  function render(data) {
    offset = new Date(data.now) - Date.now();
    const byId = Object.fromEntries(data.orders.map((o) => [o.id, o]));
    const escalated = data.orders.filter((o) => o.state === "escalated" || o.state === "follow_up");
    board.replaceChildren(
      el("section", { class: "kpis" }, STATES.map((s) => el("div", { class: "kpi", "data-state": s },
        el("div", { class: "kpi-label" }, t(`state.${s}`)),
        el("div", { class: "kpi-value" }, data.counts[s] || 0)))),
      el("section", { class: "card" }, el("h3", {}, t("dispatch.escalated")),
        table("dispatch-escalated", ["dispatch.order", "dispatch.service", "dispatch.district",
          "dispatch.reason", "dispatch.reassign"], escalated.map((o) => el("tr", { "data-order": o.id },
          el("td", {}, `#${o.id}`), el("td", {}, o.service), el("td", {}, o.district),
          el("td", {}, o.escalation_reason || t(`state.${o.state}`)),
          el("td", {}, canReassign ? reassignForm(o) : ""))))),
      el("section", { class: "card" }, el("h3", {}, t("dispatch.offers")),
        table("dispatch-offers", ["dispatch.order", "dispatch.provider", "dispatch.left"],
          data.offers.map((offer) => el("tr", { "data-order": offer.order_id },
            el("td", {}, `#${offer.order_id}`), el("td", {}, offer.provider_name),
            el("td", { class: "countdown", "data-expires": offer.expires_at }, countdown(offer.expires_at)))))),
      el("section", { class: "card" }, el("h3", {}, t("dispatch.late")),
        table("dispatch-late", ["dispatch.order", "dispatch.provider", "dispatch.due"],
          data.late.map((id) => byId[id]).filter(Boolean).map((o) => el("tr", { "data-order": o.id },
            el("td", {}, `#${o.id}`), el("td", {}, nameOf[o.provider_id] || ""),
            el("td", {}, formatTime(o.due_by)))))),
      el("section", { class: "card" }, el("h3", {}, t("dispatch.open")),
        table("dispatch-orders", ["dispatch.order", "dispatch.service", "dispatch.district",
          "dispatch.state", "dispatch.provider", "dispatch.due"],
          data.orders.map((o) => el("tr", { "data-order": o.id, "data-state": o.state },
            el("td", {}, `#${o.id}`), el("td", {}, o.service), el("td", {}, o.district),
            el("td", {}, t(`state.${o.state}`)), el("td", {}, nameOf[o.provider_id] || ""),
            el("td", {}, formatTime(o.due_by)))))),
    );
  }

  let pending = null;
  async function refresh() {
    render(await api("/api/v1/dispatch/board"));
  }
  await refresh();
  const ticker = setInterval(() => {
    for (const cell of board.querySelectorAll(".countdown")) cell.textContent = countdown(cell.dataset.expires);
  }, 1000);
  const stop = onLive((message) => {
    if (message.type !== "update" || !["order.changed", "dispatch.alert"].includes(message.topic)) return;
    clearTimeout(pending);
    pending = setTimeout(refresh, 200);  // a burst of changes becomes one reload
  });
  return () => { stop(); clearInterval(ticker); clearTimeout(pending); };
}
