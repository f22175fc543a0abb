// Call recordings for supervisors: listed per call, played on demand. The audio is fetched
// only when "Play" is pressed (each fetch is one audited playback) and handed to an <audio>
// element through a blob: URL, released when the next one plays.
import { api, el, formatTime } from "/static/api.js";
import { t } from "/static/i18n.js";

let playing = null;

async function play(recording, player, note) {
  note.textContent = "";
  const response = await fetch(`/api/v1/recordings/${recording.id}/audio`, { credentials: "same-origin" });
  if (!response.ok) {
    const answer = await response.json().catch(() => ({}));
    note.textContent = answer.detail || t("rec.failed");
    return;
  }
  if (playing) URL.revokeObjectURL(playing);
  playing = URL.createObjectURL(await response.blob());
  player.src = playing;
  player.hidden = false;
  await player.play().catch(() => {});
}

function row(recording, player, note) {
  const stored = recording.state === "stored";
  return el("li", { "data-recording": recording.id, "data-state": recording.state },
    `#${recording.call_id} · ${formatTime(recording.started_at)} · ${t(`rec.state.${recording.state}`)}`,
    stored ? [" ", el("button", { type: "button", class: "play-recording", onclick: () => play(recording, player, note) }, t("rec.play"))] : "",
    el("span", { class: "muted" }, ` · ${t("rec.kept_until")} ${formatTime(recording.expires_at)}`));
}

// Renders into `container` the recordings of the calls `callIds` (supervisors only; other
// roles see nothing, as the server would refuse them).
export async function recordingList(container, callIds, { user }) {
  if (user.role !== "supervisor" && user.role !== "admin") {
    container.replaceChildren();
    return;
  }
  const player = el("audio", { controls: true, hidden: true, class: "recording-player" });
  const note = el("p", { class: "error" });
  const found = (await Promise.all(callIds.map((id) => api(`/api/v1/calls/${id}/recordings`).catch(() => [])))).flat();
  const list = el("ul", { class: "compact recordings" },
    found.length ? found.map((r) => row(r, player, note)) : [el("li", { class: "muted" }, t("rec.none"))]);
  container.replaceChildren(el("h3", {}, t("rec.title")), list, player, note);
}
