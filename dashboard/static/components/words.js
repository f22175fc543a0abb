// Codes turned into words, in one place: every code the API returns (alarm kinds, feed topics,
// dispositions, call outcomes, IVR steps, order states, services, subsidy categories, consent
// kinds, audit actions, languages, event types) goes through word(kind, code); the words live
// in the locale tables under "<kind>.<code>". An unknown code reads "other", never the code.
import { formatTime } from "/static/api.js";
import { currentLanguage, hasWord, t } from "/static/i18n.js";

const english = () => currentLanguage() === "en";

// Where each kind of code keeps its words (older tables keep their own prefix).
const PREFIX = {
  alarm_kind: "alarm_kind", topic: "topic", disposition: "disposition", call_status: "call_status",
  contact_outcome: "outcome", order_state: "state", alarm_state: "state", service: "service",
  subsidy: "subsidy", consent: "consent", consent_method: "consent_method", audit_action: "audit_action",
  lang: "lang", event: "event", queue: "queue", case_kind: "case_kind", case_state: "case_state",
  urgency: "urgency", liveness_outcome: "liveness_outcome", role: "role", operator_state: "op",
  incident_state: "incident.state", opened_via: "incident.via", task_kind: "task.kind",
  call_purpose: "call_purpose",
};

export function word(kind, code) {
  if (code === null || code === undefined || code === "") return "—";
  const key = `${PREFIX[kind] || kind}.${code}`;
  return hasWord(key) ? t(key) : t("word.other");
}

// A parent centre standing in for a station: "由 X 代 Y 处理" / "Handled by X for Y"
// (an alarm's handled_for, or the same in a timeline step's or audit entry's detail).
export function handledFor(handling) {
  if (!handling || !handling.by_zh) return "";
  return english() ? t("handled.for", { by: handling.by_en, home: handling.for_en })
    : t("handled.for", { by: handling.by_zh, home: handling.for_zh });
}

// Items of a list in the page's language: "a, b" in English, "a、b" in Chinese.
export function joined(items) {
  return items.join(english() ? ", " : "、");
}

export function words(kind, codes, separator = english() ? ", " : "、") {
  return (codes || []).map((code) => word(kind, code)).join(separator) || "—";
}

// One step of a call's IVR path as the API gives it (a call's ivr_steps): { code: "key:2" },
// { code: "fast-path:emergency" }, or a step a person took, { code: "answered", person: "王芳" },
// with the person's display name already filled in by the server.
export function ivrStep({ code, person }) {
  if (person) return hasWord(`ivr.${code}`) ? t(`ivr.${code}`, { value: person }) : t("word.other");
  if (code.endsWith(":human") && code !== "silence:human") {  // a second wrong key or word
    return `${ivrStep({ code: code.slice(0, -":human".length) })}${t("ivr.to_human")}`;
  }
  const normal = code.replaceAll("-", "_");
  if (hasWord(`ivr.${normal.replace(":", ".")}`)) return t(`ivr.${normal.replace(":", ".")}`);
  const [head, ...rest] = normal.split(":");
  const value = code.split(":").slice(1).join(":");
  return hasWord(`ivr.${head}`) ? t(`ivr.${head}`, { value: rest.length ? value : "" }) : t("word.other");
}

export function ivrPath(steps) {
  return (steps || []).map(ivrStep).join(" › ") || "—";
}

// Why dispatch escalated an order, from the code the server sends (dispatch/escalations.py);
// the count of offers made is the order's own.
export function escalationReason(order) {
  if (!order || !order.escalation_code) return "";
  const key = `escalation.${order.escalation_code}`;
  return hasWord(key) ? t(key, { n: order.offers_made ?? "" }) : t("escalation.other");
}

export function alarmWhat(alarm) {
  return (english() ? alarm.label_en : alarm.label) || word("alarm_kind", alarm.kind);
}

export function subjectWhat(subject) {
  return (english() ? subject.what_en : subject.what_zh) || t(`task.kind.${subject.kind}`);
}

// What fired an alarm, in words: each known field of its details by label; ids, coordinates
// and fields without words are left out, so the JSON never shows.
const DETAIL = {
  event: (v) => word("event", v),
  bed: () => t("detail.bed_empty"),
  room_temperature: (v) => `${v} °C`,
  metric: (v) => word("alarm_kind", v),
  value: (v) => String(v),
  battery: (v) => `${Math.round(v)}%`,
  meters_from_home: (v) => t("unit.meters", { n: v }),
  device: (v) => String(v),
  devices: (v) => (Array.isArray(v) ? v.join(", ") : String(v)),
  last_motion_at: (v) => formatTime(v),
  confirmed: () => t("detail.confirmed_text"),
  press: (v) => String(v),
};

export function alarmDetails(details) {
  return Object.entries(details || {})
    .filter(([name, value]) => DETAIL[name] && value !== null && value !== undefined && value !== "")
    .map(([name, value]) => `${t(`detail.${name}`)}：${DETAIL[name](value)}`);
}

// A waiting timer: 1:05, or 1:02:05 past an hour.
export function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor(whole / 60) % 60, whole % 60];
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

// A target in words: 20 s, 3 min, 4 h.
export function duration(seconds) {
  if (seconds >= 3600 && seconds % 3600 === 0) return t("unit.hours", { n: seconds / 3600 });
  if (seconds >= 60 && seconds % 60 === 0) return t("unit.minutes", { n: seconds / 60 });
  return t("unit.seconds", { n: seconds });
}

export function place(address, district) {
  return [district, address].filter(Boolean).join(" · ");
}

// A person by name, with the account only when the name alone would not say who.
export function person(name, username) {
  return name || username || "—";
}
