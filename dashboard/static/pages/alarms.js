import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";
import { alarmById, alarmsLoaded, answerTargets, isLate, mergeAlarm, onAlarms, openAlarms, waitedSeconds } from "/static/components/alarm-store.js";
import { alarmDetails, alarmWhat, clock, duration, handledFor, person, place } from "/static/components/words.js";

const DISPOSITIONS = ["genuine_handled", "false_alarm", "test", "no_action"];

// Who owns an alarm, from a 409 answer (whatever shape the server gives it) or the alarm itself.
function ownerIn(body, alarm) {
  const detail = body && typeof body.detail === "object" ? body.detail : {};
  return (body && (body.owner_name || body.owner)) || detail.owner_name || detail.owner
    || (alarm && (alarm.acknowledged_by_name || alarm.acknowledged_by)) || "—";
}

// The queue reads the session's alarm store (fed since log-in), so nothing raised while the
// operator was on another page is missing, and every timer runs on the server's clock.
export default function alarms(main) {
  let selected = null;
  const rows = el("tbody", { id: "alarm-rows" });
  // Until the first snapshot the queue says it is loading: "no alarms" only when it is true.
  const empty = el("p", { class: "muted", id: "alarms-empty", hidden: true }, t("alarms.none"));
  const loading = el("p", { class: "muted", id: "alarms-loading" }, t("alarms.loading"));
  const notice = el("p", { class: "notice", id: "alarm-notice", role: "alert", hidden: true });
  const detail = el("aside", { class: "detail", id: "alarm-detail", hidden: true });
  const targets = el("span", { class: "muted", id: "alarm-targets" });

  function showNotice(text) {
    notice.textContent = text;
    notice.hidden = !text;
  }

  function row(alarm) {
    const actions = el("td", { class: "actions" });
    if (alarm.state === "raised") {
      actions.append(el("button", { class: "primary ack", type: "button",
        onclick: (event) => { event.stopPropagation(); acknowledge(alarm.id); } }, t("alarms.ack")));
    }
    // A row is reached with Tab and opened with Enter, as with a click.
    return el("tr", { "data-id": alarm.id, "data-priority": alarm.priority, "data-state": alarm.state,
      class: `p${alarm.priority} ${selected === alarm.id ? "selected" : ""}`, tabindex: 0,
      onclick: () => select(alarm.id),
      onkeydown: (event) => { if (event.key === "Enter" && event.target === event.currentTarget) select(alarm.id); } },
      el("td", {}, el("span", { class: `badge p${alarm.priority}` }, `P${alarm.priority}`)),
      el("td", {}, alarmWhat(alarm), alarm.condition_active === false ? el("span", { class: "muted" }, ` · ${t("alarms.cleared")}`) : ""),
      el("td", { class: "senior" }, alarm.senior_name || "—"),
      el("td", { class: "place" }, place(alarm.address, alarm.district) || "—"),
      el("td", { class: "device-location" }, alarm.device_location || "—"),
      el("td", { class: "timer" }, waitCell(alarm)),
      el("td", {}, alarm.count),
      el("td", { class: "owner" }, t(`state.${alarm.state}`), alarm.acknowledged_by ? ` · ${person(alarm.acknowledged_by_name, alarm.acknowledged_by)}` : "",
        alarm.handled_for ? el("span", { class: "handled-for muted" }, ` · ${handledFor(alarm.handled_for)}`) : ""),
      actions);
  }

  // Red only once the alarm's own priority target has passed.
  function waitCell(alarm) {
    return el("span", { class: isLate(alarm) ? "late" : "" }, clock(waitedSeconds(alarm)));
  }

  function render() {
    const list = openAlarms();
    rows.replaceChildren(...list.map(row));
    loading.hidden = alarmsLoaded() || list.length > 0;
    empty.hidden = !alarmsLoaded() || list.length > 0;
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest("#alarm-rows tr");
    if (focused) rows.querySelector(`tr[data-id="${focused.dataset.id}"]`)?.focus();
    targets.textContent = `${t("alarms.target")}: ` + Object.entries(answerTargets())
      .map(([priority, seconds]) => `P${priority} ${duration(seconds)}`).join(" · ");
    if (selected !== null && !alarmById(selected)) { detail.hidden = true; selected = null; }
  }

  function tick() {
    for (const cell of rows.querySelectorAll("td.timer")) {
      const alarm = alarmById(Number(cell.parentElement.dataset.id));
      if (alarm) cell.replaceChildren(waitCell(alarm));
    }
  }

  async function acknowledge(id) {
    showNotice("");
    try {
      mergeAlarm(await api(`/api/v1/alarms/${id}/ack`, { method: "POST" }));
      select(id);
    } catch (error) {
      if (error.status !== 409) { showNotice(t("alarms.failed", { reason: error.message })); return; }
      const alarm = await api(`/api/v1/alarms/${id}`).catch(() => null);
      if (alarm) mergeAlarm(alarm);
      showNotice(t("alarms.taken_by", { name: ownerIn(error.body, alarm) }));
    }
  }

  async function select(id) {
    selected = id;
    render();
    const alarm = alarmById(id);
    if (!alarm) return;
    const senior = await api(`/api/v1/seniors/${alarm.senior_id}`);
    const disposition = el("select", { id: "disposition" },
      DISPOSITIONS.map((d) => el("option", { value: d }, t(`disposition.${d}`))));
    const notes = el("textarea", { id: "resolve-notes", rows: 3, placeholder: t("alarms.notes") });
    const fired = alarmDetails(alarm.details);
    const resolveButton = el("button", { type: "button", class: "primary", id: "resolve" }, t("alarms.resolve"));
    resolveButton.addEventListener("click", async () => {
      try {
        mergeAlarm(await api(`/api/v1/alarms/${id}/resolve`, { method: "POST",
          body: { disposition: disposition.value, notes: notes.value } }));
      } catch (error) {
        showNotice(t("alarms.failed", { reason: error.message }));
      }
    });
    // An acknowledged alarm belongs to the senior's incident: one click to its page.
    const incidentLink = el("p", { id: "incident-link-box" });
    if (alarm.state !== "raised") {
      api(`/api/v1/incidents?alarm_id=${id}`).then((found) => {
        if (found.length) incidentLink.replaceChildren(el("a", { href: `#/incident/${found[0].id}`, id: "incident-link" }, t("incident.open_link")));
      }).catch(() => {});
    }
    detail.hidden = false;
    detail.replaceChildren(
      el("h3", {}, `${senior.name} · ${senior.age}`),
      el("p", {}, senior.address),
      el("p", {}, senior.phones.join(" · ")),
      el("h4", {}, t("alarms.readings")),
      el("ul", { class: "compact", id: "alarm-fired" }, [
        el("li", {}, alarmWhat(alarm)),
        alarm.device_location ? el("li", {}, `${t("alarms.location")}：${alarm.device_location}`) : null,
        ...fired.map((line) => el("li", {}, line))]),
      el("p", { class: "muted" }, `${formatTime(alarm.first_at)} · ${t("alarms.count")} ${alarm.count}`),
      ...(alarm.handled_for ? [el("p", { class: "handled-for", id: "alarm-handled-for" }, handledFor(alarm.handled_for))] : []),
      el("h4", {}, t("senior.contacts")),
      el("ol", {}, senior.contacts.map((c) => el("li", {}, `${c.name}（${c.relation}）${c.phones.join(" ")}`))),
      el("h4", {}, t("senior.medical")), el("p", {}, senior.medical_notes || "—"),
      el("p", {}, el("a", { href: `#/health/${alarm.senior_id}`, id: "health-link" }, t("nav.health"))),
      incidentLink,
      el("div", { class: "resolve-form" },
        el("label", {}, t("alarms.disposition"), disposition),
        el("label", {}, t("alarms.notes"), notes), resolveButton),
    );
  }

  main.append(
    el("div", { class: "page-head" }, el("h2", {}, t("alarms.title")), targets),
    notice,
    el("div", { class: "split" },
      el("div", { class: "grow" },
        el("table", { class: "grid alarms" },
          el("thead", {}, el("tr", {}, ["incident.priority", "alarms.kind", "seniors.name", "seniors.address", "alarms.location", "alarms.waiting", "alarms.count", "alarms.owner", ""].map((k) => el("th", {}, k ? t(k) : "")))),
          rows),
        loading, empty),
      detail),
  );

  const timer = setInterval(tick, 1000);
  const stop = onAlarms(render);
  return () => { clearInterval(timer); stop(); };
}
