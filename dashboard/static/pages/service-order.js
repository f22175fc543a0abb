import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";

export const ORDER_ROLES = ["operator", "dispatcher", "supervisor"];
let catalogue = null;

// The operator's order form during a call: service, urgency, time and notes for one senior.
// ``source`` and ``sourceRef`` say what led to it (a green-key press, an alarm, a call).
// ``submit`` sends the order elsewhere (an incident files it under itself); it gets the body.
const createOrder = (body) => api("/api/v1/orders", { method: "POST", body });

export async function serviceOrderForm({ seniorId, source = "operator", sourceRef = "", onCreated, submit = createOrder }) {
  catalogue = catalogue || await api("/api/v1/catalogue");
  const result = el("p", { class: "muted order-result", role: "status" });
  const service = el("select", { name: "service" },
    catalogue.map((s) => el("option", { value: s.code }, `${s.name_zh} · ${s.name_en}`)));
  const urgency = el("select", { name: "urgency" },
    ["same_day", "urgent", "scheduled"].map((u) => el("option", { value: u }, t(`order.${u}`))));
  const when = el("input", { name: "service_at", type: "datetime-local" });
  const notes = el("textarea", { name: "notes", rows: 2, maxlength: 2000 });
  const form = el("form", { class: "service-order", onsubmit: async (event) => {
    event.preventDefault();
    const body = { senior_id: seniorId, service: service.value, urgency: urgency.value,
      source, source_ref: sourceRef, notes: notes.value };
    if (when.value) body.service_at = new Date(when.value).toISOString();
    try {
      const order = await submit(body);
      const state = t(`state.${order.state}`) + (order.escalation_reason ? ` (${order.escalation_reason})` : "");
      result.textContent = t("order.created", { id: order.id, state });
      result.dataset.order = order.id;
      if (onCreated) await onCreated(order);
    } catch (error) { result.textContent = error.message; }
  } },
    el("label", {}, t("order.service"), service), el("label", {}, t("order.urgency"), urgency),
    el("label", {}, t("order.when"), when), el("label", {}, t("order.notes"), notes),
    el("button", { type: "submit", class: "primary create-order" }, t("order.create")));
  return el("section", { class: "order-panel" }, el("h4", {}, t("order.new")), form, result);
}

// A senior's recent orders; a completed one can be rated, any can get a complaint.
export async function seniorOrders(seniorId) {
  const box = el("section", { class: "senior-orders" });
  const status = el("p", { class: "muted", role: "status" });
  async function show() {
    const orders = await api(`/api/v1/orders?senior_id=${seniorId}&limit=10`);
    const rows = orders.map((o) => {
      const stars = el("select", { class: "stars" }, [5, 4, 3, 2, 1].map((n) => el("option", { value: n }, "★".repeat(n))));
      const complaint = el("input", { class: "complaint", placeholder: t("order.complaint"), maxlength: 2000 });
      // Each button posts a body read from its inputs when clicked.
      const send = (path, bodyOf, message) => async () => {
        const body = bodyOf();
        if (!body) return;
        try {
          await api(`/api/v1/orders/${o.id}/${path}`, { method: "POST", body });
          status.textContent = t(message, { id: o.id });
          await show();
        } catch (error) { status.textContent = error.message; }
      };
      return el("li", { "data-order": o.id, "data-state": o.state },
        `#${o.id} ${o.service} · ${t(`state.${o.state}`)} · ${formatTime(o.service_at)}`,
        o.rating ? ` · ${"★".repeat(o.rating)}` : "",
        o.state === "completed" ? el("span", {}, " ", stars, el("button", { type: "button", class: "rate",
          onclick: send("rating", () => ({ stars: Number(stars.value) }), "order.rated") }, t("order.rate"))) : "",
        el("span", {}, " ", complaint, el("button", { type: "button", class: "complain",
          onclick: send("complaints", () => complaint.value.trim() && { text: complaint.value.trim() },
            "order.complained") }, t("order.complain"))));
    });
    box.replaceChildren(el("h4", {}, t("order.recent")),
      rows.length ? el("ul", { class: "orders" }, rows) : el("p", { class: "muted" }, t("order.none")), status);
  }
  await show();
  return { element: box, refresh: show };
}
