import { currentLanguage, t, toggleLanguage } from "/static/i18n.js";

// The capture page: a signed link starts a one-time challenge, the camera's frames are taken
// at ~12 fps, each action is shown in large characters with the seconds left and spoken, and
// the frames go to the server bound to the session's nonce. Frames are sent as the camera sees
// them (not mirrored). Every refusal is said in plain words with what to do next, a failed
// check offers the next try while the link allows one, and asking for a phone call or a home
// visit instead is always on screen.

const FPS = 12;
const READY_SECONDS = 3;
let token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
const base = () => `/liveness/capture/${encodeURIComponent(token)}`;

// Failures the browser sees itself, besides the link states the server names.
class Problem extends Error {
  constructor(state, values = {}) { super(state); this.state = state; this.values = values; }
}

function speak(text) {
  try {
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = currentLanguage();
    utterance.rate = 0.8;
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(utterance);
  } catch (error) {
    // no speech on this device: the large text is enough
  }
}

function prompt(step) {
  return currentLanguage() === "en" ? step.prompt_en : step.prompt_zh;
}

function clockTime(iso) {
  return new Date(iso).toLocaleTimeString(currentLanguage(), { hour: "2-digit", minute: "2-digit", hour12: false });
}

async function call(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method, headers: body ? { "Content-Type": "application/json" } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (error) {
    throw new Problem("network");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Problem(response.status === 503 ? "unavailable" : "refused");
  return data;
}

function showProblem(state, values = {}) {
  $("problem").hidden = false;
  $("problem-title").textContent = t(`capture.state.${state}.title`);
  $("problem-next").textContent = t(`capture.state.${state}.next`, values);
  speak(`${$("problem-title").textContent} ${$("problem-next").textContent}`);
}

function clearScreen() {
  $("problem").hidden = true;
  $("decision").hidden = true;
  $("reasons").replaceChildren();
  $("action").textContent = "";
  $("hint").textContent = "";
  $("countdown").textContent = "";
}

function showAttempt(attempt, attempts) {
  $("attempt").textContent = attempt ? t("capture.attempt", { n: attempt, of: attempts }) : "";
}

// Where the link stands; anything but ready is explained and leaves only the other ways open.
async function checkLink() {
  let status;
  try {
    status = await call("GET", `${base()}/status`);
  } catch (error) {
    showProblem(error.state || "network");
    return false;
  }
  showAttempt(status.attempt, status.attempts);
  if (status.state !== "ready") {
    showProblem(status.state, { time: status.retry_after ? clockTime(status.retry_after) : "" });
    return false;
  }
  return true;
}

function reasonWords(reason) {
  const key = `capture.reason.${reason}`;
  const words = t(key);
  return words === key ? t("capture.reason.other") : words;
}

function showDecision(result) {
  const decision = $("decision");
  decision.hidden = false;
  decision.dataset.outcome = result.outcome;
  decision.textContent = t(`capture.${result.outcome}`);
  const lines = result.outcome === "fail"
    ? [...new Set(result.reasons.map(reasonWords))]
    : [t(`capture.${result.outcome}_next`)];
  if (result.outcome === "fail") {
    lines.push(result.retry_token ? t("capture.fail_next") : t("capture.tries_used", { n: result.attempts }));
  }
  $("reasons").replaceChildren(...lines.map((line) => {
    const item = document.createElement("li");
    item.textContent = line;
    return item;
  }));
  showAttempt(result.attempt, result.attempts);
  speak(`${decision.textContent}. ${lines.join(" ")}`);
  if (result.retry_token) {
    // The next try has its own single-use link; keep it in the address so a reload works.
    token = result.retry_token;
    history.replaceState(null, "", `?token=${encodeURIComponent(token)}`);
    $("retry").hidden = false;
  }
}

function tick(seconds) {
  $("countdown").textContent = seconds > 0 ? String(Math.ceil(seconds)) : "";
}

async function getReady() {
  $("hint").textContent = t("capture.hold");
  speak(t("capture.hold"));
  for (let left = READY_SECONDS; left > 0; left -= 1) {
    $("action").textContent = t("capture.ready", { n: left });
    tick(left);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

async function record(video, session) {
  const canvas = document.createElement("canvas");
  canvas.width = 320;
  canvas.height = 240;
  const context = canvas.getContext("2d");
  const frames = [];
  const end = session.steps[session.steps.length - 1].ends_at;
  const started = performance.now();
  let shown = -1;
  $("action").textContent = "";
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const t0 = (performance.now() - started) / 1000;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      frames.push({ t: Number(t0.toFixed(3)), jpeg: canvas.toDataURL("image/jpeg", 0.7) });
      const current = session.steps.findIndex((s) => t0 >= s.starts_at && t0 < s.ends_at);
      tick(current >= 0 ? session.steps[current].ends_at - t0 : session.steps[0].starts_at - t0);
      if (current !== shown && current >= 0) {
        shown = current;
        $("action").textContent = prompt(session.steps[current]);
        $("hint").textContent = "";
        speak(prompt(session.steps[current]));
      }
      if (t0 >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 1000 / FPS);
  });
  tick(0);
  return frames;
}

const CAMERA_PROBLEMS = { NotAllowedError: "camera_denied", SecurityError: "camera_denied",
  NotFoundError: "no_camera", OverconstrainedError: "no_camera", NotReadableError: "camera_busy" };

async function openCamera() {
  try {
    return await navigator.mediaDevices.getUserMedia({
      video: { width: 640, height: 480, facingMode: "user" }, audio: false,
    });
  } catch (error) {
    throw new Problem(CAMERA_PROBLEMS[error.name] || "no_camera");
  }
}

async function run() {
  $("start").hidden = true;
  $("retry").hidden = true;
  clearScreen();
  if (!await checkLink()) return;
  let stream;
  try {
    stream = await openCamera();
    const video = $("preview");
    video.srcObject = stream;
    await video.play();
    await getReady();
    const session = await call("POST", `${base()}/sessions`);
    const frames = await record(video, session);
    $("action").textContent = "";
    $("hint").textContent = t("capture.sending");
    const result = await call("POST", `${base()}/sessions/${session.id}/frames`,
      { nonce: session.nonce, frames });
    $("hint").textContent = "";
    showDecision(result);
  } catch (error) {
    clearScreen();
    await explain(error);
  } finally {
    if (stream) stream.getTracks().forEach((track) => track.stop());
  }
}

// A refusal from the server is explained by the link's standing; a camera or network problem
// by itself. Where trying again can help, the button comes back.
async function explain(error) {
  const state = error instanceof Problem ? error.state : "interrupted";
  if (state === "refused") {
    if (await checkLink()) {
      showProblem("interrupted");
      $("start").hidden = false;
    }
    return;
  }
  showProblem(state);
  if (["camera_denied", "camera_busy", "network", "interrupted", "unavailable"].includes(state)) {
    $("start").hidden = false;
  }
}

async function ask(kind) {
  $("asked").textContent = "";
  try {
    await call("POST", `${base()}/requests`, { kind });
    $("asked").textContent = t(`capture.asked_${kind}`);
  } catch (error) {
    $("asked").textContent = t("capture.ask_failed");
  }
  speak($("asked").textContent);
}

function words() {
  document.documentElement.lang = currentLanguage();
  document.title = `安心 12349 · ${t("capture.title")}`;
  $("title").textContent = t("capture.title");
  $("lang").textContent = t("capture.other_language");
  $("start").textContent = t("capture.start");
  $("retry").textContent = t("capture.retry_button");
  $("other-title").textContent = t("capture.other_title");
  $("ask-call").textContent = t("capture.ask_call");
  $("ask-visit").textContent = t("capture.ask_visit");
}

async function open() {
  words();
  clearScreen();
  $("start").hidden = !await checkLink();
}

$("start").addEventListener("click", run);
$("retry").addEventListener("click", run);
$("ask-call").addEventListener("click", () => ask("call"));
$("ask-visit").addEventListener("click", () => ask("home_visit"));
$("lang").addEventListener("click", () => { toggleLanguage(); location.reload(); });
open();
