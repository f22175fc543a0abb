// The service-order widget: the form that files an order for one senior (the desk during a
// call, an incident, the seniors page) and a senior's recent orders with rating and complaint.
import { api, centreInstant, el, formatTime } from "/static/api.js";
import { currentLanguage, t } from "/static/i18n.js";
import { escalationReason, word } from "/static/components/words.js";

export const ORDER_ROLES = ["operator", "dispatcher", "supervisor"];
const URGENCIES = ["same_day", "urgent", "scheduled"];
let catalogue = null;
// Each form on a page gets its own ids, so every label points at its own control.
let forms = 0;

const createOrder = (body) => api("/api/v1/orders", { method: "POST", body });

const serviceName = (service) => (currentLanguage() === "en" ? service.name_en : service.name_zh);

// A control with its visible label, tied by id so screen readers name it.
function labelled(text, control) {
  return el("label", { for: control.id }, text, control);
}

// What became of a new order: its state, and why when it needs a person.
function outcome(order) {
  const why = escalationReason(order);
  const aside = why && (currentLanguage() === "en" ? ` (${why})` : `（${why}）`);
  return t("order.created", { id: order.id, state: word("order_state", order.state) + (aside || "") });
}

// ``source`` and ``sourceRef`` say what led to the order (a green-key press, an alarm, a call).
// ``submit`` sends the order elsewhere (an incident files it under itself); it gets the body.
export async function serviceOrderForm({ seniorId, source = "operator", sourceRef = "", onCreated, submit = createOrder }) {
  catalogue = catalogue || await api("/api/v1/catalogue");
  const id = (name) => `order-${forms}-${name}`;
  forms += 1;
  const result = el("p", { class: "muted order-result", role: "status" });
  const service = el("select", { id: id("service"), name: "service" },
    catalogue.map((s) => el("option", { value: s.code }, serviceName(s))));
  const urgency = el("select", { id: id("urgency"), name: "urgency" },
    URGENCIES.map((u) => el("option", { value: u }, t(`order.${u}`))));
  const when = el("input", { id: id("when"), name: "service_at", type: "datetime-local" });
  const notes = el("textarea", { id: id("notes"), name: "notes", rows: 2, maxlength: 2000 });
  const form = el("form", { class: "service-order", "aria-label": t("order.new"), onsubmit: async (event) => {
    event.preventDefault();
    const body = { senior_id: seniorId, service: service.value, urgency: urgency.value,
      source, source_ref: sourceRef, notes: notes.value };
    // The picker reads the centre's clock, like every time the pages show.
    if (when.value) body.service_at = centreInstant(when.value);
    try {
      const order = await submit(body);
      result.textContent = outcome(order);
      result.dataset.order = order.id;
      if (onCreated) await onCreated(order);
    } catch (error) { result.textContent = error.message; }
  } },
    labelled(t("order.service"), service), labelled(t("order.urgency"), urgency),
    labelled(t("order.when"), when), labelled(t("order.notes"), notes),
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
      const stars = el("select", { class: "stars", "aria-label": t("order.stars", { id: o.id }) },
        [5, 4, 3, 2, 1].map((n) => el("option", { value: n }, "★".repeat(n))));
      const complaint = el("input", { class: "complaint", placeholder: t("order.complaint"), maxlength: 2000,
        "aria-label": t("order.complaint_on", { id: o.id }) });
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
        `#${o.id} ${word("service", o.service)} · ${word("order_state", o.state)} · ${formatTime(o.service_at)}`,
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
