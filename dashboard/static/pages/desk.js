import { api, el } from "/static/api.js";
import { t } from "/static/i18n.js";
import { onLive } from "/static/live.js";
import { subjectLine } from "/static/components/task-subject.js";
import { seniorPanel } from "/static/components/senior-panel.js";
import { seniorOrders, serviceOrderForm } from "/static/components/service-order.js";

// The operator's own queue: state, offers with a countdown, the task in hand, the senior's record.
export default async function desk(main) {
  const state = el("strong", { id: "desk-state" }, "–");
  const offers = el("ul", { id: "desk-offers", class: "hits" });
  const working = el("ul", { id: "desk-working", class: "hits" });
  const senior = el("aside", { class: "detail", id: "desk-senior", hidden: true });
  let current = { offers: [], working_on: [] };

  // On answer the senior's record pops up (the incident page's panel) with a link to the incident.
  // Renders can overlap (an accept and a live update); only the newest one draws the panel.
  let shownFor = null;
  let showing = 0;
  async function showSenior(task) {
    const run = ++showing;
    shownFor = task.id;
    const stale = () => run !== showing;
    const [kind, ref] = task.ref.split(":");
    const alarm = kind === "alarm" ? await api(`/api/v1/alarms/${ref}`) : null;
    let seniorId = alarm ? alarm.senior_id : null;
    if (kind === "call") seniorId = (await api(`/api/v1/calls/${ref}`)).senior_id;
    if (stale()) return;
    if (!seniorId) { senior.hidden = true; return; }
    const panel = el("div", { id: "desk-record" });
    const link = el("p", { id: "desk-incident" });
    senior.replaceChildren(link, panel);
    senior.hidden = false;
    const record = await seniorPanel(panel, seniorId);
    if (stale()) return;
    if (record.open_incident_id) {
      link.replaceChildren(el("a", { href: `#/incident/${record.open_incident_id}`, id: "desk-incident-link" }, t("incident.open_link")));
    }
    // During the call the operator can send a service; a green-key press is a service request.
    const orders = await seniorOrders(seniorId);
    const form = await serviceOrderForm({ seniorId, sourceRef: task.ref,
      source: alarm?.kind === "service_request" ? "green_key" : kind === "alarm" ? "alarm" : "operator",
      onCreated: orders.refresh });
    if (stale()) return;
    senior.append(form, orders.element);
  }

  function countdown(task) {
    if (!task.reservation_expires) return el("span", { class: "tag" }, t("desk.broadcast"));
    const left = Math.max(0, Math.round((new Date(task.reservation_expires) - Date.now()) / 1000));
    return el("span", { class: "tag countdown", "data-expires": task.reservation_expires }, `${left} ${t("desk.seconds_left")}`);
  }

  // Wrap-up: how long is left before offers resume, and a button to end it early.
  const wrapUp = el("span", { id: "desk-wrap", hidden: true });
  function renderWrapUp() {
    const until = current.operator && current.operator.state === "wrap_up" && current.operator.wrap_until;
    wrapUp.hidden = !until;
    if (!until) return;
    const left = Math.max(0, Math.round((new Date(until) - Date.now()) / 1000));
    wrapUp.replaceChildren(el("span", { class: "tag" }, `${left} ${t("desk.wrap_left")}`), " ",
      el("button", { type: "button", id: "desk-ready", onclick: () => setAvailable() }, t("desk.ready")));
  }

  function render() {
    renderWrapUp();
    offers.replaceChildren(...(current.offers.length ? current.offers.map((task) => el("li", { "data-id": task.id, "data-ref": task.ref, class: "desk-task" },
      ...subjectLine(task), " ", countdown(task), " ",
      el("button", { type: "button", class: "primary accept", onclick: () => act(task, "accept") }, t("desk.accept")), " ",
      el("button", { type: "button", class: "refuse", onclick: () => act(task, "refuse") }, t("desk.refuse"))))
      : [el("li", { class: "muted" }, t("desk.none"))]));
    working.replaceChildren(...(current.working_on.length ? current.working_on.map((task) => el("li", { "data-id": task.id, "data-ref": task.ref, class: "desk-task" },
      ...subjectLine(task), " ",
      el("button", { type: "button", class: "complete", onclick: () => act(task, "complete") }, t("desk.complete"))))
      : [el("li", { class: "muted" }, t("desk.none"))]));
  }

  async function refresh() {
    current = await api("/api/v1/routing/me");
    state.textContent = current.operator ? t(`op.${current.operator.state}`) : t("op.offline");
    state.dataset.state = current.operator ? current.operator.state : "offline";
    render();
    const inHand = current.working_on[0];
    if (inHand && shownFor !== inHand.id) await showSenior(inHand).catch(() => { shownFor = null; });
  }

  async function act(task, action) {
    try {
      await api(`/api/v1/routing/tasks/${task.id}/${action}`, { method: "POST" });
    } catch (failure) {
      alert(failure.message);
    }
    await refresh();
  }

  async function changeState(value) {
    try { await api("/api/v1/routing/me/state", { method: "POST", body: { state: value } }); } catch (failure) { alert(failure.message); }
    await refresh();
  }
  const setAvailable = () => changeState("available");
  const setState = (value) => el("button", { type: "button", "data-set": value, onclick: () => changeState(value) }, t(`desk.${value}`));

  main.append(
    el("div", { class: "page-head" }, el("h2", {}, t("desk.title")),
      el("span", {}, `${t("desk.state")}: `, state), wrapUp, setState("available"), setState("break"), setState("offline")),
    el("div", { class: "split" },
      el("div", { class: "grow" }, el("h3", {}, t("desk.offers")), offers, el("h3", {}, t("desk.working")), working),
      senior),
  );
  const ticker = setInterval(render, 1000);
  const stop = onLive((message) => {
    if (message.type === "update" && message.topic.startsWith("routing.")) refresh();
  });
  await refresh();
  return () => { clearInterval(ticker); stop(); };
}
