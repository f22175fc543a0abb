// Codes turned into words, in one place: alarm kinds, task subjects, durations and timers.
import { currentLanguage, t } from "/static/i18n.js";

const english = () => currentLanguage() === "en";

export function alarmWhat(alarm) {
  return (english() ? alarm.label_en : alarm.label) || t("task.kind.alarm");
}

export function subjectWhat(subject) {
  return (english() ? subject.what_en : subject.what_zh) || t(`task.kind.${subject.kind}`);
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
