// The live feed: snapshot, then numbered updates; reconnects resume from the last number.
const listeners = new Set();
let snapshot = null;
let lastSeq = 0;
let epoch = null;
let resumedUpTo = 0; // updates numbered up to here are replays of what this tab missed
let retry = 500;
let socket = null;
let stopped = false; // logging out: the close that follows is ours, not a lost session

export function onLive(listener) {
  listeners.add(listener);
  if (snapshot) listener({ type: "snapshot", data: snapshot });
  return () => listeners.delete(listener);
}

export function liveState() {
  return { snapshot, lastSeq, epoch };
}

function emit(message) {
  for (const listener of listeners) listener(message);
}

function setStatus(state) {
  const badge = document.getElementById("live-status");
  if (badge) badge.dataset.state = state;
}

export function connectLive() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const query = epoch ? `?epoch=${epoch}&since=${lastSeq}` : "";
  socket = new WebSocket(`${scheme}://${location.host}/api/v1/live${query}`);
  socket.addEventListener("open", () => { retry = 500; setStatus("open"); });
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(event.data);
    if (message.type === "snapshot") {
      snapshot = message.data;
      epoch = message.epoch;
      lastSeq = message.seq;
    } else if (message.type === "resume") {
      epoch = message.epoch;
      resumedUpTo = message.seq;
    } else if (message.type === "update") {
      lastSeq = message.seq;
      message.replayed = message.seq <= resumedUpTo;
    }
    emit(message);
  });
  socket.addEventListener("close", (event) => {
    setStatus("closed");
    if (stopped) return;
    if (event.code === 4401) { window.location.assign("/login"); return; }
    setTimeout(connectLive, retry);
    retry = Math.min(retry * 2, 10000);
  });
}

// Close the feed on purpose (logging out), so that its closing does not navigate as well.
export function stopLive() {
  stopped = true;
  if (socket) socket.close();
}
