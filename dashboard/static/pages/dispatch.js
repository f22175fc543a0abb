import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";
import { onLive } from "/static/live.js";
import { escalationReason, word, words } from "/static/components/words.js";
import { seniorPicker } from "/static/components/senior-picker.js";
import { ORDER_ROLES, serviceOrderForm } from "/static/components/service-order.js";

const STATES = ["matching", "offered", "accepted", "en_route", "on_site", "escalated", "follow_up"];

function table(id, headings, rows) {
  return el("table", {},
    el("thead", {}, el("tr", {}, headings.map((h) => el("th", {}, t(h))))),
    el("tbody", { id }, rows.length ? rows : el("tr", { class: "muted" },
      el("td", { colspan: headings.length }, t("dispatch.none")))));
}

const hhmm = (minute) => `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
const minuteOf = (text) => { const [h, m] = text.split(":").map(Number); return h * 60 + m; };
const listOf = (text) => text.split(/[,，\s]+/).map((x) => x.trim()).filter(Boolean);

// Providers with an edit form and suspend/reactivate (dispatchers and supervisors may change).
function providerTable(providers, { canEdit, onSaved, report }) {
  function editRow(p) {
    const field = (name, value, attributes = {}) => el("label", {}, t(`providers.${name}`),
      el("input", { name, value, ...attributes }));
    const channel = el("select", { name: "channel" },
      ["page", "sms", "webhook"].map((c) => el("option", { value: c, selected: c === p.channel || null }, t(`channel.${c}`))));
    const form = el("form", { class: "provider-edit", onsubmit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const [start, end] = [data.get("start"), data.get("end")];
      try {
        await api(`/api/v1/providers/${p.id}`, { method: "PATCH", body: {
          services: listOf(data.get("services")), certifications: listOf(data.get("certifications")),
          districts: listOf(data.get("districts")), capacity: Number(data.get("capacity")),
          work_start_minute: minuteOf(start), work_end_minute: minuteOf(end),
          phone: data.get("phone"), channel: data.get("channel") } });
        report(t("providers.saved", { name: p.name }));
        await onSaved();
      } catch (error) { report(error.message); }
    } },
      field("services", p.services.join(", ")), field("certifications", p.certifications.join(", ")),
      field("districts", p.districts.join(", ")),
      field("capacity", p.capacity, { type: "number", min: 1, max: 100 }),
      el("label", {}, t("providers.hours"), el("input", { name: "start", type: "time", value: hhmm(p.work_start_minute) }),
        el("input", { name: "end", type: "time", value: hhmm(p.work_end_minute) })),
      field("phone", p.phone), el("label", {}, t("providers.channel"), channel),
      el("button", { type: "submit", class: "primary save" }, t("providers.save")));
    return el("tr", { class: "provider-form", "data-provider": p.id }, el("td", { colspan: 7 }, form));
  }
  function row(p) {
    const suspended = p.status === "suspended";
    const actions = canEdit ? el("td", {},
      el("button", { class: "edit", type: "button", onclick: (event) => {
        const tr = event.target.closest("tr");
        const open = tr.nextElementSibling;
        if (open && open.classList.contains("provider-form")) open.remove();
        else tr.after(editRow(p));
      } }, t("providers.edit")), " ",
      el("button", { class: suspended ? "reactivate" : "suspend", type: "button", onclick: async () => {
        try {
          await api(`/api/v1/providers/${p.id}`, { method: "PATCH",
            body: { status: suspended ? "active" : "suspended" } });
          report(t("providers.saved", { name: p.name }));
          await onSaved();
        } catch (error) { report(error.message); }
      } }, t(suspended ? "providers.reactivate" : "providers.suspend"))) : el("td", {});
    return el("tr", { "data-provider": p.id, "data-status": p.status },
      el("td", {}, p.name), el("td", {}, words("service", p.services)),
      el("td", {}, p.districts.join(", ") || (p.area_radius_km ? `${p.area_radius_km} km` : "")),
      el("td", {}, p.work_start_minute === p.work_end_minute ? t("providers.all_day")
        : `${hhmm(p.work_start_minute)}–${hhmm(p.work_end_minute)}`),
      el("td", {}, `${p.active_jobs}/${p.capacity}`),
      el("td", { class: "provider-status" }, t(`status.${p.status}`)), actions);
  }
  return table("dispatch-providers", ["providers.name", "providers.services", "providers.districts",
    "providers.hours", "providers.capacity", "providers.status", ""], providers.map(row));
}

// The dispatch board: counts by state, escalations with reassign, offers counting down, late jobs.
export default async function dispatch(main, { user }) {
  const canReassign = ["dispatcher", "supervisor", "admin"].includes(user.role);
  let providers = await api("/api/v1/providers");
  let nameOf = Object.fromEntries(providers.map((p) => [p.id, p.name]));
  const status = el("p", { class: "muted", id: "dispatch-status", role: "status" });
  const board = el("div", { id: "dispatch-board" });
  const providerCard = el("section", { class: "card", id: "providers-card" });
  const orderCard = ORDER_ROLES.includes(user.role) ? newOrderCard() : null;
  main.append(el("h2", {}, t("dispatch.title")), status, orderCard ? orderCard.element : "", board,
    providerCard);

  // A new order by hand (a call, a family's request): find the senior, then the order form.
  function newOrderCard() {
    const chosen = el("div", { id: "dispatch-order-form" });
    const picker = seniorPicker({ onPick: async (senior) => {
      chosen.replaceChildren(await serviceOrderForm({ seniorId: senior.id, onCreated: refresh }));
    } });
    const element = el("section", { class: "card", id: "dispatch-new-order" },
      el("h3", {}, t("dispatch.new_order")), picker.element, chosen);
    return { element, stop: picker.stop };
  }

  async function showProviders() {
    providers = await api("/api/v1/providers");
    nameOf = Object.fromEntries(providers.map((p) => [p.id, p.name]));
    providerCard.replaceChildren(el("h3", {}, t("providers.title")), providerTable(providers, {
      canEdit: ["dispatcher", "supervisor"].includes(user.role), onSaved: showProviders,
      report: (text) => { status.textContent = text; } }));
  }
  let offset = 0;  // server clock minus browser clock, for honest countdowns

  function countdown(expiresAt) {
    const left = Math.max(0, Math.round((new Date(expiresAt) - (Date.now() + offset)) / 1000));
    return `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
  }

  function reassignForm(order) {
    const choice = el("select", { class: "reassign-provider", "aria-label": t("dispatch.reassign") },
      el("option", { value: "" }, t("dispatch.choose")),
      providers.filter((p) => p.status === "active" && p.services.includes(order.service))
        .map((p) => el("option", { value: p.id }, p.name)));
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

  // An order by its number and whose it is: "#3 · 王秀英".
  const orderLabel = (o) => (o.senior_name ? `#${o.id} · ${o.senior_name}` : `#${o.id}`);

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
          el("td", {}, orderLabel(o)), el("td", {}, word("service", o.service)), el("td", {}, o.district),
          el("td", {}, escalationReason(o) || word("order_state", o.state)),
          el("td", {}, canReassign ? reassignForm(o) : ""))))),
      el("section", { class: "card" }, el("h3", {}, t("dispatch.offers")),
        table("dispatch-offers", ["dispatch.order", "dispatch.provider", "dispatch.left"],
          data.offers.map((offer) => el("tr", { "data-order": offer.order_id },
            el("td", {}, orderLabel(byId[offer.order_id] || { id: offer.order_id })), el("td", {}, offer.provider_name),
            el("td", { class: "countdown", "data-expires": offer.expires_at }, countdown(offer.expires_at)))))),
      el("section", { class: "card" }, el("h3", {}, t("dispatch.late")),
        table("dispatch-late", ["dispatch.order", "dispatch.provider", "dispatch.due"],
          data.late.map((id) => byId[id]).filter(Boolean).map((o) => el("tr", { "data-order": o.id },
            el("td", {}, orderLabel(o)), el("td", {}, nameOf[o.provider_id] || "—"),
            el("td", {}, formatTime(o.due_by)))))),
      el("section", { class: "card" }, el("h3", {}, t("dispatch.open")),
        table("dispatch-orders", ["dispatch.order", "dispatch.service", "dispatch.district",
          "dispatch.state", "dispatch.provider", "dispatch.due"],
          data.orders.map((o) => el("tr", { "data-order": o.id, "data-state": o.state },
            el("td", {}, orderLabel(o)), el("td", {}, word("service", o.service)), el("td", {}, o.district),
            el("td", {}, word("order_state", o.state)), el("td", {}, nameOf[o.provider_id] || "—"),
            el("td", {}, formatTime(o.due_by)))))),
    );
  }

  let pending = null;
  async function refresh() {
    render(await api("/api/v1/dispatch/board"));
  }
  await refresh();
  await showProviders();
  const ticker = setInterval(() => {
    for (const cell of board.querySelectorAll(".countdown")) cell.textContent = countdown(cell.dataset.expires);
  }, 1000);
  const stop = onLive((message) => {
    if (message.type !== "update" || !["order.changed", "dispatch.alert"].includes(message.topic)) return;
    clearTimeout(pending);
    pending = setTimeout(refresh, 200);  // a burst of changes becomes one reload
  });
  return () => {
    stop(); clearInterval(ticker); clearTimeout(pending);
    if (orderCard) orderCard.stop();
  };
}
