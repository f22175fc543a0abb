// P1 alerting on every page until someone acknowledges: a WebAudio tone (once the operator has
// turned sound on, one click per log-in, since browsers start audio only after a gesture), the
// tab title and favicon flashing, and a desktop notification where the browser allows it.
// Test hooks: body[data-alerting=on|off], body[data-tones] counts the oscillators started,
// body[data-notified] the desktop notifications shown.
import { onAlarms, openAlarms } from "/static/components/alarm-store.js";
import { alarmWhat } from "/static/components/words.js";
import { t } from "/static/i18n.js";

const SOUND_KEY = "anxin.sound"; // sessionStorage: who turned sound on in this tab
const ICON = (colour) => `data:image/svg+xml,${encodeURIComponent(
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7" fill="${colour}"/></svg>`)}`;
const QUIET_ICON = ICON("#2b6cb0");
const ALERT_ICON = ICON("#d62d20");

// A repeating two-tone beep.
class Tone {
  constructor() { this.context = null; this.started = 0; }
  open() { this.context = this.context || new AudioContext(); return this.context.resume(); }
  get running() { return Boolean(this.context) && this.context.state === "running"; }
  beep() {
    if (!this.running) return;
    for (const [frequency, start] of [[880, 0], [660, 0.25]]) {
      const oscillator = this.context.createOscillator();
      const gain = this.context.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.value = 0.15;
      oscillator.connect(gain).connect(this.context.destination);
      oscillator.start(this.context.currentTime + start);
      oscillator.stop(this.context.currentTime + start + 0.2);
      this.started += 1;
    }
    document.body.dataset.tones = String(this.started);
  }
}

export function forgetSound() {
  sessionStorage.removeItem(SOUND_KEY);
}

export function startAlerting(user, button) {
  const tone = new Tone();
  const quietTitle = document.title;
  const notices = new Map(); // alarm id → its desktop notification
  let timer = null;
  let flash = false;
  const favicon = document.getElementById("favicon");

  function showButton() {
    const wanted = sessionStorage.getItem(SOUND_KEY) === user.username;
    button.textContent = t(tone.running ? "sound.on" : wanted ? "sound.waiting" : "sound.enable");
    button.dataset.sound = tone.running ? "on" : "off";
  }

  async function enableSound() {
    sessionStorage.setItem(SOUND_KEY, user.username);
    await tone.open();
    if ("Notification" in window && Notification.permission === "default") Notification.requestPermission();
    showButton();
  }

  // After a reload the choice stands, but the browser needs a new gesture to start audio.
  if (sessionStorage.getItem(SOUND_KEY) === user.username) {
    const resume = () => enableSound().catch(() => {});
    document.addEventListener("pointerdown", resume, { once: true });
    document.addEventListener("keydown", resume, { once: true });
  }
  button.addEventListener("click", enableSound);
  showButton();

  function notify(waiting) {
    const allowed = "Notification" in window && Notification.permission === "granted";
    for (const alarm of waiting) {
      if (!allowed || notices.has(alarm.id)) continue;
      const notice = new Notification(t("alert.notify", { what: alarmWhat(alarm) }),
        { body: `${alarm.senior_name || ""} ${alarm.address || ""}`.trim(), tag: `alarm-${alarm.id}`, requireInteraction: true });
      notice.onclick = () => { window.focus(); location.hash = "#/alarms"; };
      notices.set(alarm.id, notice);
      document.body.dataset.notified = String(Number(document.body.dataset.notified || 0) + 1);
    }
    for (const [id, notice] of notices) {
      if (!waiting.some((alarm) => alarm.id === id)) { notice.close(); notices.delete(id); }
    }
  }

  function pulse(waiting) {
    flash = !flash;
    const first = waiting[0];
    const more = waiting.length > 1 ? ` ${t("alert.more", { n: waiting.length - 1 })}` : "";
    document.title = flash ? t("alert.title", { what: alarmWhat(first), name: first.senior_name || "" }) + more : quietTitle;
    if (favicon) favicon.href = flash ? ALERT_ICON : QUIET_ICON;
    if (flash) tone.beep();
  }

  // The beat restarts only when the set of waiting P1 alarms changes, not on every update.
  let waiting = [];
  let beating = "";
  function update() {
    waiting = openAlarms().filter((alarm) => alarm.priority === 1 && alarm.state === "raised");
    document.body.dataset.alerting = waiting.length ? "on" : "off";
    notify(waiting);
    showButton();
    const ids = waiting.map((alarm) => alarm.id).join(",");
    if (ids === beating) return;
    beating = ids;
    clearInterval(timer);
    timer = null;
    if (waiting.length) {
      pulse(waiting);
      timer = setInterval(() => pulse(waiting), 600);
    } else {
      document.title = quietTitle;
      if (favicon) favicon.href = QUIET_ICON;
    }
  }

  onAlarms(update);
  return { refresh: showButton };
}
