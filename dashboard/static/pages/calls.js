import { api, el, formatTime } from "/static/api.js";
import { currentLanguage, t } from "/static/i18n.js";
import { onLive } from "/static/live.js";
import { recordingList } from "/static/components/recordings.js";
import { seniorPanel } from "/static/components/senior-panel.js";
import { handledFor, ivrPath, word } from "/static/components/words.js";

// Operators: the waiting calls, answer one, see who is calling, hang up.
export default async function calls(main, { user }) {
  const rows = el("tbody", { id: "calls-rows" });
  const current = el("section", { class: "card", id: "calls-current", hidden: true });
  const cases = el("ol", { id: "calls-cases" });

  async function refresh() {
    const waiting = await api("/api/v1/calls/queue");
    if (!waiting.length) {
      rows.replaceChildren(el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("calls.none"))));
    } else {
      rows.replaceChildren(...waiting.map((c) => el("tr", { "data-id": c.id, class: `p${c.priority}` },
        el("td", {}, c.from), el("td", {}, word("queue", c.queue)), el("td", {}, formatTime(c.offered_at)),
        el("td", { class: "ivr-path" }, ivrPath(c.ivr_steps)),
        el("td", {}, el("button", { class: "primary answer", onclick: () => answer(c.id) }, t("calls.answer"))))));
    }
    const open = await api("/api/v1/calls/cases");
    // Whose case, when, and each number tried by the person behind it (the number beside it).
    const beside = (name, number) => (currentLanguage() === "en" ? `${name} (${number})` : `${name}（${number}）`);
    const tried = (a) => `${a.contact_name ? beside(a.contact_name, a.to) : a.to} ${word("call_status", a.outcome || a.status)}`;
    cases.replaceChildren(...open.slice(0, 10).map((c) => el("li", { "data-kind": c.kind, "data-case": c.id },
      el("strong", { class: "case-senior" }, c.senior_name || c.number || t("calls.unknown_caller")), " · ",
      `${word("case_kind", c.kind)} · ${word("case_state", c.state)} · ${formatTime(c.created_at)}`,
      c.outcome ? ` · ${word("call_status", c.outcome)}` : "", " · ",
      c.attempts.map(tried).join(" → ") || "—")));
  }

  async function answer(id) {
    const call = await api(`/api/v1/calls/${id}/answer`, { method: "POST" });
    // A known caller's record pops up: the incident page's panel, and a link to the incident.
    const senior = call.senior_id ? el("div", { id: "calls-senior" }) : null;
    const recordings = el("section", { id: "calls-recordings" });
    current.hidden = false;
    current.dataset.callId = call.id;
    current.replaceChildren(
      el("h3", {}, `${t("calls.current")} · ${call.from}`),
      ...(call.handled_for ? [el("p", { class: "handled-for", id: "calls-handled-for" }, handledFor(call.handled_for))] : []),
      el("p", { id: "calls-current-path" }, `${t("calls.path")}: ${ivrPath(call.ivr_steps)}`),
      senior || el("p", { id: "calls-senior", class: "muted" }, t("calls.unknown_caller")),
      el("button", { id: "calls-hangup", onclick: async () => {
        await api(`/api/v1/calls/${call.id}/hangup`, { method: "POST" });
        current.hidden = true;
        refresh();
      } }, t("calls.hangup")),
      recordings,
    );
    recordingList(recordings, [call.id], { user }).catch(() => {});
    if (senior) {
      const record = await seniorPanel(senior, call.senior_id);
      if (record.open_incident_id) senior.prepend(el("p", {}, el("a", { href: `#/incident/${record.open_incident_id}`, id: "calls-incident-link" }, t("incident.open_link"))));
    }
    refresh();
  }

  main.append(
    el("h2", {}, t("calls.title")),
    current,
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["calls.from", "calls.queue", "calls.since", "calls.path", ""].map((k) => el("th", {}, k ? t(k) : "")))),
      rows),
    el("section", { class: "card" }, el("h3", {}, t("calls.cases")), cases),
  );
  await refresh();
  return onLive((message) => {
    if (message.type === "update" && (message.topic === "call.updated" || message.topic === "call.case")) refresh();
  });
}
