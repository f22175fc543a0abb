import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";
import { onLive } from "/static/live.js";
import { serviceOrderForm } from "/static/components/service-order.js";
import { alertList } from "/static/components/alert-list.js";
import { watchPanel } from "/static/components/watch-panel.js";
import { recordingList } from "/static/components/recordings.js";

import { section, seniorPanel } from "/static/components/senior-panel.js";
import { handledFor, ivrPath, person, word } from "/static/components/words.js";

function outcomeLabel(value) {
  return word("contact_outcome", value);
}

const DISPOSITIONS = ["genuine_handled", "false_alarm", "test", "no_action"];

function timelineLabel(item) {
  if (item.what.startsWith("order.")) return `${t("tl.order")} · ${word("order_state", item.what.slice(6))}`;
  return word("tl", item.what);
}

function timelineText(item, calls) {
  const d = item.detail || {};
  if (item.source === "call") {
    const steps = item.what === "call.started" ? calls[item.ref_id]?.ivr_steps : null;
    return `${d.from || ""} → ${d.to || ""}${d.outcome ? ` · ${outcomeLabel(d.outcome)}` : ""}${steps?.length ? ` · ${ivrPath(steps)}` : ""}${d.handled_for ? ` · ${handledFor(d.handled_for)}` : ""}`;
  }
  if (item.what === "contact") return `${d.name}（${d.relation}）· ${outcomeLabel(d.outcome)}${item.text ? ` · ${item.text}` : ""}`;
  if (item.what === "closed") return `${t(`disposition.${d.disposition}`)} · ${item.text}`;
  if (item.source === "order") return d.service ? word("service", d.service) : "";
  if (d.handled_for) return [item.text, handledFor(d.handled_for)].filter(Boolean).join(" · ");
  return item.text || "";
}

async function incidentList(main) {
  const rows = el("tbody", { id: "incident-rows" });
  main.append(el("div", { class: "page-head" }, el("h2", {}, t("incident.list"))),
    el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ["incident.priority", "incident.kind", "seniors.name", "incident.owner", "incident.opened", ""].map((k) => el("th", {}, k ? t(k) : "")))), rows));
  const found = await api("/api/v1/incidents?state=open");
  // Most urgent first; a row opens with Enter as with the link.
  found.sort((a, b) => (a.priority ?? 9) - (b.priority ?? 9) || a.id - b.id);
  const open = (i) => { location.hash = `#/incident/${i.id}`; };
  rows.replaceChildren(...(found.length ? found.map((i) => el("tr", { "data-id": i.id, tabindex: 0,
    onkeydown: (event) => { if (event.key === "Enter" && event.target === event.currentTarget) open(i); } },
    el("td", {}, i.priority ? el("span", { class: `badge p${i.priority}` }, `P${i.priority}`) : "—"),
    el("td", { class: "incident-kind" }, i.alarm_kind ? word("alarm_kind", i.alarm_kind) : word("opened_via", i.opened_via)),
    el("td", {}, i.senior_name), el("td", {}, person(i.owner_name, i.owner)), el("td", {}, formatTime(i.opened_at)),
    el("td", {}, el("a", { href: `#/incident/${i.id}` }, t("incident.open_link")))))
    : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, t("incident.none")))]));
}

// One incident: the senior's record on the left; the timeline and the operator's actions on the right.
export default async function incident(main, { user }) {
  const id = Number(location.hash.split("/")[2]);
  if (!id) return incidentList(main);
  const record = el("aside", { class: "detail", id: "incident-senior" });
  const head = el("div", { class: "page-head" });
  const timeline = el("ol", { class: "timeline", id: "incident-timeline" });
  const reached = el("ul", { class: "compact", id: "incident-contacts" });
  const actions = el("div", { id: "incident-actions" });
  const message = el("p", { class: "error", id: "incident-error", hidden: true });
  const alerts = el("ul", { class: "compact", id: "incident-alerts" });
  const recordings = el("section", { id: "incident-recordings" });
  let current = null;

  async function act(run) {
    message.hidden = true;
    try {
      await run();
    } catch (failure) {
      message.textContent = failure.message;
      message.hidden = false;
    }
    await refresh();
  }

  const telephony = {
    call: (c) => act(() => api(`/api/v1/incidents/${id}/calls/contact`, { method: "POST", body: { position: c.position } })),
    conference: (c) => act(() => api(`/api/v1/incidents/${id}/conference`, { method: "POST", body: { party: "contact", position: c.position } })),
  };

  function renderActions() {
    if (current.state !== "open") {
      actions.replaceChildren(el("p", { class: "muted", id: "incident-closed" }, t("incident.closed_note"),
        ` · ${word("disposition", current.disposition)}${current.summary ? ` · ${current.summary}` : ""}`));
      return;
    }
    const note = el("textarea", { id: "note-text", rows: 2, placeholder: t("incident.note_placeholder"), "aria-label": t("incident.note") });
    const disposition = el("select", { id: "incident-disposition" }, DISPOSITIONS.map((d) => el("option", { value: d }, t(`disposition.${d}`))));
    const summary = el("textarea", { id: "incident-summary", rows: 2, placeholder: t("incident.summary"), "aria-label": t("incident.summary") });
    actions.replaceChildren(
      el("div", { class: "row" },
        el("button", { type: "button", class: "primary", id: "call-senior", onclick: () => act(() => api(`/api/v1/incidents/${id}/calls/senior`, { method: "POST" })) }, t("incident.call_senior")), " ",
        el("button", { type: "button", id: "conference-120", onclick: () => act(() => api(`/api/v1/incidents/${id}/conference`, { method: "POST", body: { party: "emergency_services" } })) }, t("incident.conference_120"))),
      section("incident.note", note, el("button", { type: "button", id: "save-note", onclick: () => act(async () => {
        await api(`/api/v1/incidents/${id}/notes`, { method: "POST", body: { text: note.value } });
        note.value = "";
      }) }, t("incident.save_note"))),
      orderForm,
      section("incident.record_contact", contactForm()),
      user.role === "operator" ? [] : section("incident.handover", handoverForm()),
      section("incident.resolve", el("div", { class: "resolve-form" }, el("label", {}, t("incident.disposition"), disposition), summary,
        el("button", { type: "button", class: "primary", id: "resolve-incident", onclick: () => act(() => api(`/api/v1/incidents/${id}/resolve`, { method: "POST",
          body: { disposition: disposition.value, summary: summary.value } })) }, t("incident.resolve")))),
    );
  }

  // A contact reached some other way (an SMS reply, a neighbour at the door).
  function contactForm() {
    const who = el("select", { id: "contact-position" }, contacts.map((c) => el("option", { value: c.position }, `${c.name}（${c.relation}）`)));
    const outcome = el("select", { id: "contact-outcome" }, ["reached", "not_reached", "left_message"].map((o) => el("option", { value: o }, outcomeLabel(o))));
    const text = el("input", { id: "contact-text" });
    const labelled = (key, control) => el("label", {}, t(key), " ", control);
    return el("div", { class: "row" }, labelled("incident.contact_who", who), labelled("incident.contact_outcome", outcome),
      labelled("incident.contact_note", text), el("button", { type: "button", id: "record-contact", onclick: () => act(() =>
      api(`/api/v1/incidents/${id}/contacts`, { method: "POST", body: { position: Number(who.value), outcome: outcome.value, text: text.value } })) }, t("incident.record_contact")));
  }

  function handoverForm() {
    const owner = el("input", { id: "handover-owner", placeholder: t("incident.handover_hint") });
    return el("div", { class: "row" }, el("label", {}, t("incident.handover_to"), " ", owner), el("button", { type: "button", id: "handover", onclick: () => act(() =>
      api(`/api/v1/incidents/${id}/owner`, { method: "PUT", body: { owner: owner.value } })) }, t("incident.handover_button")));
  }

  function render() {
    head.replaceChildren(el("h2", {}, `${t("incident.title")} #${current.id} · ${current.senior_name}`),
      el("span", { class: "tag", id: "incident-state", "data-state": current.state }, t(`incident.state.${current.state}`)),
      el("span", { class: "muted" }, ` ${t("incident.owner")}: ${person(current.owner_name, current.owner)} · ${word("opened_via", current.opened_via)} · ${formatTime(current.opened_at)}`));
    const calls = Object.fromEntries(current.calls.map((call) => [call.id, call]));
    timeline.replaceChildren(...current.timeline.map((item) => el("li", { "data-what": item.what, "data-source": item.source },
      el("time", {}, formatTime(item.at)), " ", el("strong", {}, timelineLabel(item)), " ",
      el("span", {}, timelineText(item, calls)), item.actor ? el("span", { class: "muted" }, ` · ${person(item.actor_name, item.actor)}`) : "")));
    // Only those actually reached: tries that failed are in the timeline.
    const gotThrough = current.contacts_reached.filter((c) => c.outcome === "reached");
    reached.replaceChildren(...(gotThrough.length ? gotThrough.map((c) =>
      el("li", { "data-outcome": c.outcome }, `${c.name}（${c.relation}）· ${formatTime(c.at)}`)) : [el("li", { class: "muted" }, t("incident.none_reached"))]));
  }

  let seniorShown = false;
  let contacts = [];
  let orderForm = null;
  async function refresh() {
    current = await api(`/api/v1/incidents/${id}`);
    if (!seniorShown) {
      seniorShown = true;
      contacts = (await seniorPanel(record, current.senior_id, current.state === "open" ? telephony : null)).senior.contacts;
      await watchPanel(record, current.senior_id);
      // The desk's order form, filing the order under this incident.
      orderForm = await serviceOrderForm({ seniorId: current.senior_id, onCreated: refresh,
        submit: ({ service, urgency, notes, service_at }) => api(`/api/v1/incidents/${id}/orders`,
          { method: "POST", body: { service, urgency, notes, service_at } }) });
    }
    render();
    // The forms are built once per state, so a live refresh never wipes what is being typed.
    if (actions.dataset.state !== current.state) {
      actions.dataset.state = current.state;
      renderActions();
    }
  }

  main.append(head, message, el("div", { class: "split" }, record,
    el("div", { class: "grow" }, section("incident.alerts", alerts), actions, section("incident.timeline", timeline),
      section("incident.contacts_reached", reached), recordings)));
  await refresh();
  recordingList(recordings, current.calls.map((c) => c.id), { user }).catch(() => {});
  const stopAlerts = await alertList(alerts, { canClose: user.role !== "operator", seniorId: current.senior_id });
  let pending = null;
  const later = () => { clearTimeout(pending); pending = setTimeout(() => refresh().catch(() => {}), 300); };
  const stop = onLive((update) => {
    if (update.type !== "update") return;
    const data = update.data || {};
    if (update.topic === "incident.updated" && data.id === id) later();
    else if ((update.topic === "call.updated" || update.topic.startsWith("alarm.")) && data.senior_id === current.senior_id) later();
  });
  return () => { clearTimeout(pending); stop(); stopAlerts(); };
}
