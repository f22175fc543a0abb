// Every open alarm for the whole session, fed by the one live feed from log-in on, so a page
// that opens later still sees what was raised meanwhile. Pages read it; none keeps its own copy.
import { onLive } from "/static/live.js";

const alarms = new Map();
const listeners = new Set();
let offset = 0; // the server's clock minus this browser's, from the latest live message
let targets = {};
let loaded = false; // the first snapshot has arrived: an empty queue is really empty

// Known fields are never blanked by an update that does not carry them.
function known(fields) {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined));
}

function changed() {
  for (const listener of listeners) listener();
}

export function mergeAlarm(alarm) {
  if (alarm.state === "resolved") alarms.delete(alarm.id);
  else alarms.set(alarm.id, { ...(alarms.get(alarm.id) || {}), ...known(alarm) });
  changed();
}

export function openAlarms() {
  return [...alarms.values()].sort((a, b) => a.priority - b.priority || new Date(a.first_at) - new Date(b.first_at));
}

export function alarmsLoaded() {
  return loaded;
}

export function alarmById(id) {
  return alarms.get(id) || null;
}

export function serverNow() {
  return Date.now() + offset;
}

// Seconds waited: an open alarm against the server's current clock, an answered one until its answer.
export function waitedSeconds(alarm) {
  const end = alarm.state === "raised" ? serverNow() : new Date(alarm.acknowledged_at || alarm.last_at).getTime();
  return Math.max(0, Math.floor((end - new Date(alarm.first_at)) / 1000));
}

// The priority's answer target in seconds, as the server sends it; none known means never late.
export function answerTarget(priority) {
  return targets[String(priority)] ?? Infinity;
}

export function answerTargets() {
  return { ...targets };
}

export function isLate(alarm) {
  return alarm.state === "raised" && waitedSeconds(alarm) >= answerTarget(alarm.priority);
}

export function onAlarms(listener) {
  listeners.add(listener);
  listener();
  return () => listeners.delete(listener);
}

onLive((message) => {
  if (message.type === "snapshot") {
    offset = new Date(message.data.server.time) - Date.now();
    // Roles that do not hear alarms (dispatchers, subsidy staff) get no alarms part.
    const part = message.data.alarms || { answer_target_seconds: {}, open: [] };
    targets = part.answer_target_seconds || {};
    loaded = true;
    alarms.clear();
    for (const alarm of part.open) alarms.set(alarm.id, known(alarm));
    changed();
  } else if (message.type === "update") {
    // A replayed event's time is old; only a fresh one says what the server's clock reads now.
    if (!message.replayed && message.at) offset = new Date(message.at) - Date.now();
    if (message.topic.startsWith("alarm.")) mergeAlarm(message.data);
  }
});
