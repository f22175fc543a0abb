import { api, el } from "/static/api.js";
import { addStrings, t } from "/static/i18n.js";
import { liveState, onLive } from "/static/live.js";

addStrings("zh-CN", {
  "nav.phone": "模拟电话",
  "phone.title": "模拟电话（演示）",
  "phone.from": "来电号码",
  "phone.unknown": "陌生号码",
  "phone.call": "拨打 12349",
  "phone.hangup": "挂断",
  "phone.silence": "不按键（不等了）",
  "phone.timeout": "不按键时，提示播完约 {seconds} 秒后自动继续，和真实电话一样。",
  "phone.say": "说话",
  "phone.idle": "空闲",
  "phone.in_menu": "语音菜单",
  "phone.waiting": "排队等待值班员",
  "phone.connected": "已接通值班员 {who}",
  "phone.ended": "通话结束",
  "phone.ringing": "来电：12349 正在呼叫 {number}",
  "phone.answer": "接听",
  "phone.decline": "拒接",
  "phone.no_answer": "不接",
  "phone.sms": "短信",
  "phone.disabled": "模拟器未启用（ANXIN_TELEPHONY 不是 simulator）",
  "phone.demo_only": "模拟电话只在演示模式（ANXIN_DEMO=1）下使用",
});
addStrings("en", {
  "nav.phone": "Phone simulator",
  "phone.title": "Phone simulator (demo)",
  "phone.from": "Calling from",
  "phone.unknown": "Unknown number",
  "phone.call": "Call 12349",
  "phone.hangup": "Hang up",
  "phone.silence": "Say nothing (now)",
  "phone.timeout": "Press nothing and the call moves on about {seconds} s after the prompt, as on a real phone.",
  "phone.say": "Speak",
  "phone.idle": "Idle",
  "phone.in_menu": "In the voice menu",
  "phone.waiting": "Waiting for an operator",
  "phone.connected": "Connected to operator {who}",
  "phone.ended": "Call ended",
  "phone.ringing": "Incoming: 12349 is calling {number}",
  "phone.answer": "Answer",
  "phone.decline": "Decline",
  "phone.no_answer": "Let it ring",
  "phone.sms": "Text messages",
  "phone.disabled": "The simulator is not enabled (ANXIN_TELEPHONY is not simulator)",
  "phone.demo_only": "The phone simulator is for demo mode (ANXIN_DEMO=1) only",
});

const UNKNOWN_NUMBER = "+8613700000077";

function speak(action) {
  if (!("speechSynthesis" in window)) return;
  const utterance = new SpeechSynthesisUtterance(action.text || action.prompt);
  utterance.lang = action.language;
  utterance.rate = 0.85;  // slow, as a senior hears it (the server's prompt timing uses 0.85)
  window.speechSynthesis.speak(utterance);
}

// Whether the server runs in demo mode, from the live snapshot (waiting for it if need be).
function demoMode() {
  const { snapshot } = liveState();
  if (snapshot) return Promise.resolve(Boolean(snapshot.server.demo));
  return new Promise((resolve) => {
    const stop = onLive((message) => {
      if (message.type !== "snapshot") return;
      stop();
      resolve(Boolean(message.data.server.demo));
    });
  });
}

// A phone for testers: call 12349 as a senior or a stranger, press keys, hear the prompts;
// calls placed by the system ring here.
export default async function phone(main) {
  if (!(await demoMode())) {
    main.append(el("h2", {}, t("phone.title")), el("p", { class: "muted" }, t("phone.demo_only")));
    return null;
  }
  let numbers;
  try {
    numbers = await api("/telephony/simulator/numbers");
  } catch (error) {
    main.append(el("h2", {}, t("phone.title")), el("p", { class: "muted" }, t("phone.disabled")));
    return null;
  }
  let call = null;
  const from = el("select", { id: "phone-from" },
    el("option", { value: UNKNOWN_NUMBER }, `${t("phone.unknown")} ${UNKNOWN_NUMBER}`),
    numbers.map((n) => el("option", { value: n.number }, `${n.number} (#${n.senior_id})`)));
  const status = el("p", { id: "phone-status", "data-state": "idle" }, t("phone.idle"));
  const screen = el("ol", { id: "phone-screen", class: "feed" });
  const incoming = el("div", { id: "phone-incoming", class: "card", hidden: true });
  const texts = el("ul", { id: "phone-sms" });
  const speech = el("input", { id: "phone-speech", placeholder: "救命 / 政策 / …" });
  // Silence moves on by itself: the server waits out each prompt's Gather timeout.
  const waitHint = el("p", { id: "phone-timeout", class: "muted", hidden: true });

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function show(answer) {
    call = answer.call;
    if (answer.actions.length) waitHint.hidden = true;
    for (const action of answer.actions) {
      if (action.type === "say" || action.type === "gather") {
        screen.append(el("li", { class: action.type }, action.text || action.prompt));
        speak(action);
      }
      if (action.type === "gather") {
        waitHint.textContent = t("phone.timeout", { seconds: action.timeout_seconds });
        waitHint.hidden = false;
      }
      if (action.type === "hangup") setStatus("ended", t("phone.ended"));
    }
    follow(call);
  }

  function follow(data) {
    if (!call || data.id !== call.id) return;
    call = data;
    if (data.ended_at || data.operator) waitHint.hidden = true;
    if (data.ended_at) setStatus("ended", t("phone.ended"));
    else if (data.operator) setStatus("connected", t("phone.connected", { who: data.operator }));
    else if (data.offered_at) setStatus("waiting", t("phone.waiting"));
    else setStatus("in_menu", t("phone.in_menu"));
  }

  async function send(body) {
    if (!call) return;
    show(await api(`/telephony/simulator/calls/${call.id}/input`, { method: "POST", body }));
  }

  async function event(callId, kind) {
    return api(`/telephony/simulator/calls/${callId}/events`, { method: "POST", body: { kind } });
  }

  async function dial() {
    screen.replaceChildren();
    show(await api("/telephony/simulator/calls", { method: "POST", body: { from_number: from.value } }));
  }

  function ring(data) {
    incoming.hidden = false;
    const respond = (kind) => async () => {
      incoming.hidden = true;
      const answer = await event(data.call_id, kind);
      if (kind === "answered") { screen.replaceChildren(); show(answer); }
    };
    incoming.replaceChildren(
      el("p", {}, t("phone.ringing", { number: data.number })),
      el("button", { class: "primary", id: "phone-answer", onclick: respond("answered") }, t("phone.answer")),
      el("button", { id: "phone-decline", onclick: respond("busy") }, t("phone.decline")),
      el("button", { id: "phone-no-answer", onclick: respond("no_answer") }, t("phone.no_answer")),
    );
    event(data.call_id, "ringing");
  }

  const keys = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"].map((key) =>
    el("button", { type: "button", id: `phone-key-${key === "*" ? "star" : key === "#" ? "hash" : key}`,
                   onclick: () => send({ digits: key }) }, key));
  main.append(
    el("h2", {}, t("phone.title")),
    el("section", { class: "card" },
      el("label", {}, t("phone.from"), " ", from), " ",
      el("button", { class: "primary", id: "phone-call", onclick: dial }, t("phone.call")), " ",
      el("button", { id: "phone-hangup", onclick: async () => {
        if (call) follow((await event(call.id, "completed")).call);
      } }, t("phone.hangup")),
      status,
      el("div", { class: "keypad" }, keys),
      el("p", {},
        el("button", { id: "phone-silence", onclick: () => send({}) }, t("phone.silence")), " ",
        speech, " ",
        el("button", { id: "phone-speak", onclick: () => send({ speech: speech.value }) }, t("phone.say"))),
      waitHint),
    incoming,
    el("section", { class: "card" }, screen),
    el("section", { class: "card" }, el("h3", {}, t("phone.sms")), texts),
  );
  return onLive((message) => {
    if (message.type !== "update") return;
    if (message.topic === "call.updated") follow(message.data);
    if (message.topic === "phone.ringing") ring(message.data);
    if (message.topic === "phone.actions" && call && message.data.call_id === call.id) {
      show({ call, actions: message.data.actions });
    }
    if (message.topic === "phone.sms") texts.prepend(el("li", {}, `${message.data.number}: ${message.data.body}`));
  });
}
