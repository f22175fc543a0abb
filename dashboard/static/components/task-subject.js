// What a routing task is about, from the subject the server sends with each offer:
// {kind, senior_id, senior_name, what_zh, what_en, address, district, since, priority}.
import { el } from "/static/api.js";
import { alarmById, answerTarget, serverNow } from "/static/components/alarm-store.js";
import { clock, place, subjectWhat } from "/static/components/words.js";
import { t } from "/static/i18n.js";

// Who and what a task is about: the server's subject, or (from an older server) what the
// session's alarm store knows of the alarm, or at least the kind of work in words.
export function subjectOf(task) {
  if (task.subject) return task.subject;
  const [kind, id] = (task.ref || "").split(":");
  const alarm = kind === "alarm" ? alarmById(Number(id)) : null;
  if (alarm) {
    return { kind, senior_id: alarm.senior_id, senior_name: alarm.senior_name, what_zh: alarm.label,
      what_en: alarm.label_en, address: alarm.address, district: alarm.district, since: alarm.first_at,
      priority: alarm.priority };
  }
  return { kind: task.kind, senior_id: null, senior_name: null, what_zh: "", what_en: "", address: null,
    district: null, since: task.created_at, priority: task.priority };
}

// Name, what and where, in the page's language.
export function subjectParts(task) {
  const subject = subjectOf(task);
  // A subject from the server without a senior is a caller the registry does not know.
  const who = subject.senior_name || (task.subject ? t("task.unknown_caller") : null);
  return [
    who ? el("strong", { class: "who" }, who) : null, " ",
    el("span", { class: "what" }, subjectWhat(subject)), " ",
    el("span", { class: "place" }, place(subject.address, subject.district)),
  ];
}

// A desk row's head: priority, who, what, where, and how long it has waited.
export function subjectLine(task) {
  const subject = subjectOf(task);
  const priority = subject.priority ?? task.priority;
  const waited = Math.max(0, (serverNow() - new Date(subject.since)) / 1000);
  return [
    el("span", { class: `badge p${priority}` }, `P${priority}`), " ", ...subjectParts(task), " ",
    el("span", { class: `tag waited ${waited >= answerTarget(priority) ? "late" : ""}` }, `${t("task.waited")} ${clock(waited)}`),
  ];
}
