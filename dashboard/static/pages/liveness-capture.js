import { currentLanguage, t } from "/static/i18n.js";

// The capture page: a signed link starts a one-time challenge, the camera's frames are taken
// at ~12 fps, each action is shown in large characters and spoken, and the frames go to the
// server bound to the session's nonce. Frames are sent as the camera sees them (not mirrored).

const FPS = 12;
const token = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);

function speak(text) {
  try {
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = "zh-CN";
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

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.detail || response.statusText);
  return data;
}

function showDecision(result) {
  const decision = $("decision");
  decision.hidden = false;
  decision.dataset.outcome = result.outcome;
  decision.textContent = t(`capture.${result.outcome}`);
  $("reasons").textContent = result.outcome === "pass" ? "" : `${t("capture.retry")} (${result.reasons.join(", ")})`;
  speak(decision.textContent);
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
  $("hint").textContent = t("capture.hold");
  speak(t("capture.hold"));
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const t0 = (performance.now() - started) / 1000;
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      frames.push({ t: Number(t0.toFixed(3)), jpeg: canvas.toDataURL("image/jpeg", 0.7) });
      const current = session.steps.findIndex((s) => t0 >= s.starts_at && t0 < s.ends_at);
      if (current !== shown && current >= 0) {
        shown = current;
        $("action").textContent = prompt(session.steps[current]);
        $("hint").textContent = "";
        speak(session.steps[current].prompt_zh);
      }
      if (t0 >= end) {
        clearInterval(timer);
        resolve();
      }
    }, 1000 / FPS);
  });
  return frames;
}

async function run() {
  $("start").hidden = true;
  $("decision").hidden = true;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { width: 640, height: 480, facingMode: "user" }, audio: false,
    });
  } catch (error) {
    $("hint").textContent = t("capture.camera");
    $("start").hidden = false;
    return;
  }
  const video = $("preview");
  video.srcObject = stream;
  await video.play();
  try {
    const session = await post(`/liveness/capture/${encodeURIComponent(token)}/sessions`);
    const frames = await record(video, session);
    $("action").textContent = "";
    $("hint").textContent = t("capture.sending");
    const result = await post(
      `/liveness/capture/${encodeURIComponent(token)}/sessions/${session.id}/frames`,
      { nonce: session.nonce, frames });
    $("hint").textContent = "";
    showDecision(result);
  } catch (error) {
    $("hint").textContent = t("capture.error", { message: error.message });
  } finally {
    stream.getTracks().forEach((track) => track.stop());
  }
}

document.documentElement.lang = currentLanguage();
document.title = `安心 12349 · ${t("capture.title")}`;
$("title").textContent = t("capture.title");
$("start").textContent = t("capture.start");
$("start").addEventListener("click", run);
