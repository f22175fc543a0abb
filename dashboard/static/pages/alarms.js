import { api, el, formatTime } from "/static/api.js";
import { addStrings, currentLanguage, t } from "/static/i18n.js";
import { onLive } from "/static/live.js";

addStrings("zh-CN", {
  "alarms.title": "报警队列", "alarms.kind": "类型", "alarms.none": "当前没有未处理的报警",
  "alarms.waiting": "等待", "alarms.ack": "接警", "alarms.resolve": "结案",
  "alarms.owner": "处理人", "alarms.count": "次数", "alarms.sound_on": "🔔 开启报警提示音",
  "alarms.sound_off": "🔕 提示音已开启", "alarms.target": "60秒内接警",
  "alarms.readings": "触发数据", "alarms.notes": "处理记录", "alarms.cleared": "状况已解除",
  "disposition.genuine_handled": "真实报警，已处置", "disposition.false_alarm": "误报",
  "disposition.test": "测试", "disposition.no_action": "无需处理",
  "state.raised": "待接警", "state.acknowledged": "处理中",
});
addStrings("en", {
  "alarms.title": "Alarm queue", "alarms.kind": "Kind", "alarms.none": "No open alarms",
  "alarms.waiting": "Waiting", "alarms.ack": "Acknowledge", "alarms.resolve": "Resolve",
  "alarms.owner": "Owner", "alarms.count": "Count", "alarms.sound_on": "🔔 Turn on alarm sound",
  "alarms.sound_off": "🔕 Sound is on", "alarms.target": "answer within 60 s",
  "alarms.readings": "What fired it", "alarms.notes": "Notes", "alarms.cleared": "condition cleared",
  "disposition.genuine_handled": "Genuine, handled", "disposition.false_alarm": "False alarm",
  "disposition.test": "Test", "disposition.no_action": "No action needed",
  "state.raised": "Waiting", "state.acknowledged": "In hand",
});

const DISPOSITIONS = ["genuine_handled", "false_alarm", "test", "no_action"];

// A repeating two-tone beep while any P1 alarm waits unacknowledged.
class Siren {
  constructor() { this.context = null; this.timer = null; }
  enable() { this.context = this.context || new AudioContext(); return this.context.resume(); }
  get enabled() { return this.context && this.context.state === "running"; }
  set(on) {
    if (on && !this.timer) {
      this.timer = setInterval(() => this.beep(), 1200);
      this.beep();
    } else if (!on && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
    document.body.dataset.siren = on ? "on" : "off";
  }
  beep() {
    if (!this.enabled) return;
    for (const [frequency, start] of [[880, 0], [660, 0.25]]) {
      const oscillator = this.context.createOscillator();
      const gain = this.context.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.15;
      oscillator.connect(gain).connect(this.context.destination);
      oscillator.start(this.context.currentTime + start);
      oscillator.stop(this.context.currentTime + start + 0.2);
    }
  }
}

export default function alarms(main, { user }) {
  const alarmsById = new Map();
  let clockOffset = 0;
  let selected = null;
  const siren = new Siren();
  const soundButton = el("button", { type: "button", id: "sound-toggle" }, t("alarms.sound_on"));
  const rows = el("tbody", { id: "alarm-rows" });
  const empty = el("p", { class: "muted", id: "alarms-empty" }, t("alarms.none"));
  const detail = el("aside", { class: "detail", id: "alarm-detail", hidden: true });

  soundButton.addEventListener("click", async () => {
    await siren.enable();
    soundButton.textContent = t("alarms.sound_off");
  });

  function ordered() {
    return [...alarmsById.values()].sort((a, b) =>
      a.priority - b.priority || new Date(a.first_at) - new Date(b.first_at));
  }

  function waitedSeconds(alarm) {
    const end = alarm.state === "raised" ? Date.now() + clockOffset : new Date(alarm.acknowledged_at || alarm.last_at);
    return Math.max(0, Math.floor((end - new Date(alarm.first_at)) / 1000));
  }

  function row(alarm) {
    const label = currentLanguage() === "en" ? alarm.label_en : alarm.label;
    const actions = el("td", { class: "actions" });
    if (alarm.state === "raised") {
      actions.append(el("button", { class: "primary ack", type: "button",
        onclick: (event) => { event.stopPropagation(); acknowledge(alarm.id); } }, t("alarms.ack")));
    }
    return el("tr", { "data-id": alarm.id, "data-priority": alarm.priority, "data-state": alarm.state,
      class: `p${alarm.priority} ${selected === alarm.id ? "selected" : ""}`, onclick: () => select(alarm.id) },
      el("td", {}, el("span", { class: `badge p${alarm.priority}` }, `P${alarm.priority}`)),
      el("td", {}, label, alarm.condition_active ? "" : el("span", { class: "muted" }, ` · ${t("alarms.cleared")}`)),
      el("td", {}, alarm.senior_name || `#${alarm.senior_id}`),
      el("td", { class: "timer", "data-first": alarm.first_at }, formatWait(waitedSeconds(alarm), alarm.state)),
      el("td", {}, alarm.count),
      el("td", {}, t(`state.${alarm.state}`), alarm.acknowledged_by ? ` · ${alarm.acknowledged_by}` : ""),
      actions);
  }

  function formatWait(seconds, state) {
    const text = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    return el("span", { class: state === "raised" && seconds >= 60 ? "late" : "" }, text);
  }

  function render() {
    const list = ordered();
    rows.replaceChildren(...list.map(row));
    empty.hidden = list.length > 0;
    siren.set(list.some((a) => a.priority === 1 && a.state === "raised"));
  }

  function tick() {
    for (const cell of rows.querySelectorAll("td.timer")) {
      const alarm = alarmsById.get(Number(cell.parentElement.dataset.id));
      if (alarm) cell.replaceChildren(formatWait(waitedSeconds(alarm), alarm.state));
    }
  }

  async function acknowledge(id) {
    try {
      const alarm = await api(`/api/v1/alarms/${id}/ack`, { method: "POST" });
      merge(alarm);
      select(id);
    } catch (error) {
      alert(error.message);
    }
  }

  function merge(alarm) {
    const known = alarmsById.get(alarm.id) || {};
    alarmsById.set(alarm.id, { ...known, ...alarm });
    render();
  }

  async function select(id) {
    selected = id;
    render();
    const alarm = alarmsById.get(id);
    if (!alarm) return;
    const senior = await api(`/api/v1/seniors/${alarm.senior_id}`);
    const disposition = el("select", { id: "disposition" },
      DISPOSITIONS.map((d) => el("option", { value: d }, t(`disposition.${d}`))));
    const notes = el("textarea", { id: "resolve-notes", rows: 3, placeholder: t("alarms.notes") });
    const resolveButton = el("button", { type: "button", class: "primary", id: "resolve" }, t("alarms.resolve"));
    resolveButton.addEventListener("click", async () => {
      await api(`/api/v1/alarms/${id}/resolve`, { method: "POST",
        body: { disposition: disposition.value, notes: notes.value } });
      alarmsById.delete(id);
      detail.hidden = true;
      selected = null;
      render();
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
      el("pre", { class: "mono" }, JSON.stringify(alarm.details, null, 1)),
      el("p", { class: "muted" }, `${formatTime(alarm.first_at)} · ${t("alarms.count")} ${alarm.count}`),
      el("h4", {}, t("senior.contacts")),
      el("ol", {}, senior.contacts.map((c) => el("li", {}, `${c.name}（${c.relation}）${c.phones.join(" ")}`))),
      el("h4", {}, t("senior.medical")), el("p", {}, senior.medical_notes || "—"),
      el("p", {}, el("a", { href: `#/health/${alarm.senior_id}`, id: "health-link" }, t("nav.health"))),
      incidentLink,
      el("div", { class: "resolve-form" }, disposition, notes, resolveButton),
    );
  }

  main.append(
    el("div", { class: "page-head" }, el("h2", {}, t("alarms.title")),
      el("span", { class: "muted" }, t("alarms.target")), soundButton),
    el("div", { class: "split" },
      el("div", { class: "grow" },
        el("table", { class: "grid alarms" },
          el("thead", {}, el("tr", {}, ["", "alarms.kind", "seniors.name", "alarms.waiting", "alarms.count", "alarms.owner", ""].map((k) => el("th", {}, k ? t(k) : "")))),
          rows),
        empty),
      detail),
  );

  const timer = setInterval(tick, 1000);
  const stop = onLive((message) => {
    if (message.type === "snapshot") {
      clockOffset = new Date(message.data.server.time) - Date.now();
      alarmsById.clear();
      for (const alarm of message.data.alarms.open) alarmsById.set(alarm.id, alarm);
      render();
    } else if (message.type === "update" && message.topic.startsWith("alarm.")) {
      if (message.data.state === "resolved") {
        alarmsById.delete(message.data.id);
        if (selected === message.data.id) { detail.hidden = true; selected = null; }
        render();
      } else {
        merge(message.data);
      }
    }
  });
  return () => { clearInterval(timer); stop(); siren.set(false); };
}
