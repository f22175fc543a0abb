import { api, el } from "/static/api.js";
import { currentLanguage, t } from "/static/i18n.js";
import { joined } from "/static/components/words.js";
import { ORDER_ROLES, seniorOrders, serviceOrderForm } from "/static/components/service-order.js";

const DISTRICTS = ["新城区", "回民区", "玉泉区", "赛罕区", "土默特左旗", "托克托县", "和林格尔县", "清水河县", "武川县"];

const PAGE = 25;
// Who may change a senior's record, and so move them to another area (accounts/roles.py).
const EDITORS = ["operator", "supervisor", "subsidy_staff", "admin"];
const areaName = (area) => (currentLanguage() === "en" ? area.name_en : area.name_zh);

// A code in words from the locale table, or the code itself when the table has none.
function words(prefix, code) {
  const key = `${prefix}${code}`;
  return t(key) === key ? code : t(key);
}

// Seniors: search by name, phone and district as you type, a page at a time (the server
// counts and pages by key: each page starts after the last senior of the one before);
// click a row, or press Enter on it, for the whole record.
export default async function seniors(main, { user } = {}) {
  const name = el("input", { id: "search-name", type: "search", autocomplete: "off" });
  const phone = el("input", { id: "search-phone", type: "search", inputmode: "tel", autocomplete: "off" });
  const district = el("select", { id: "search-district" },
    el("option", { value: "" }, t("seniors.all_districts")),
    DISTRICTS.map((d) => el("option", { value: d }, d)));
  const total = el("p", { class: "note", id: "seniors-total", role: "status" });
  const previous = el("button", { type: "button", id: "seniors-previous" }, t("pages.previous"));
  const next = el("button", { type: "button", id: "seniors-next" }, t("pages.next"));
  let offset = 0;
  // starts[k] is the senior page k begins after (null: the first page).
  let starts = [null];
  let following = null;
  let asked = 0;
  const restart = () => { offset = 0; starts = [null]; };
  const body = el("tbody", { id: "seniors-rows" });
  const detail = el("aside", { class: "detail", id: "senior-detail", hidden: true });

  async function search(event) {
    if (event) { event.preventDefault(); restart(); }
    const query = new URLSearchParams({ limit: String(PAGE) });
    const start = starts[starts.length - 1];
    if (start !== null) query.set("after", String(start));
    if (name.value.trim()) query.set("name", name.value.trim());
    if (phone.value.trim()) query.set("phone", phone.value.trim());
    if (district.value) query.set("district", district.value);
    const mine = ++asked;
    const page = await api(`/api/v1/seniors?${query}`);
    if (mine !== asked) return;  // a later keystroke's answer is the one to show
    const counted = page.total_exact ? page.total : `${page.total}+`;
    total.textContent = page.total
      ? t("pages.seniors.page", { from: offset + 1, to: offset + page.items.length, n: counted })
      : t("seniors.none");
    following = page.next_after;
    previous.disabled = starts.length === 1;
    next.disabled = following === null;
    body.replaceChildren(...page.items.map((s) => el("tr", { "data-id": s.id, tabindex: "0", onclick: () => show(s.id),
      onkeydown: (key) => { if (key.key === "Enter") show(s.id); } },
      el("td", {}, s.name), el("td", {}, s.age), el("td", {}, s.district),
      el("td", {}, s.phones.join(" ")), el("td", { class: "mono" }, s.resident_id_masked),
      el("td", {}, s.lives_alone ? t("yes") : ""))));
  }

  async function show(id) {
    const s = await api(`/api/v1/seniors/${id}`);
    detail.hidden = false;
    detail.replaceChildren(
      el("button", { class: "link close", type: "button", onclick: () => { detail.hidden = true; } }, t("senior.close")),
      el("h2", {}, `${s.name} · ${t("pages.seniors.age", { n: s.age })}`),
      el("p", {}, s.address),
      el("p", { class: "mono" }, s.resident_id_masked),
      el("p", {}, s.phones.join(" · ")),
      el("h3", {}, t("senior.contacts")),
      el("ol", {}, s.contacts.map((c) => el("li", {}, `${c.name}（${c.relation}）${c.phones.join(" ")}`))),
      el("h3", {}, t("senior.medical")), el("p", {}, s.medical_notes || "—"),
      el("h3", {}, t("senior.languages")), el("p", {}, joined(s.languages.map((l) => words("pages.language.", l)))),
      el("h3", {}, t("senior.subsidies")), el("p", { id: "senior-subsidies" },
        joined(s.subsidy_categories.map((c) => words("pages.subsidy.", c))) || "—"),
      el("h3", {}, t("senior.consents")),
      el("ul", { id: "senior-consents" }, s.consents.map((c) => el("li", {}, t(c.granted ? "pages.consent.granted" : "pages.consent.refused", {
        purpose: words("pages.consent.", c.purpose), method: words("pages.consent_method.", c.method) })))),
    );
    if (user && EDITORS.includes(user.role)) detail.append(await moveForm(s));
    if (user && ORDER_ROLES.includes(user.role)) {  // an order taken on a call about this senior
      const orders = await seniorOrders(s.id);
      detail.append(await serviceOrderForm({ seniorId: s.id, onCreated: orders.refresh }), orders.element);
    }
  }

  // Moving a senior to another area: their open alarms, tasks, devices and orders go with
  // them to the centre there (the server audits who moved them from where to where).
  async function moveForm(s) {
    const areas = await api("/api/v1/seniors/areas");
    const here = areas.find((a) => a.code === s.area_code);
    const target = el("select", { id: "senior-move-area" },
      ...areas.map((a) => el("option", { value: a.code, selected: a.code === s.area_code }, areaName(a))));
    const address = el("input", { id: "senior-move-address", value: s.address, required: true, maxlength: 255 });
    const said = el("p", { id: "senior-move-message", role: "status" });
    const form = el("form", { id: "senior-move", class: "staff-form" },
      el("h3", {}, t("pages.seniors.move")),
      el("p", {}, t("pages.seniors.area_now", { area: here ? areaName(here) : s.district })),
      el("label", {}, t("pages.seniors.move_to"), target), el("label", {}, t("pages.seniors.new_address"), address),
      el("button", { type: "submit" }, t("pages.seniors.move_button")), said);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = areas.find((a) => a.code === target.value);
      if (!chosen || chosen.code === s.area_code) { said.textContent = t("pages.seniors.move_same"); said.className = "error"; return; }
      try {
        await api(`/api/v1/seniors/${s.id}`, { method: "PATCH",
          body: { area_code: chosen.code, district: chosen.name_zh, address: address.value.trim() } });
        said.textContent = t("pages.seniors.moved", { name: s.name, area: areaName(chosen) });
        said.className = "note";
        await search();
      } catch (error) {
        said.textContent = t("pages.seniors.move_failed");
        said.className = "error";
      }
    });
    return form;
  }

  let typing = null;
  const soon = () => { clearTimeout(typing); typing = setTimeout(() => { restart(); search(); }, 250); };
  name.addEventListener("input", soon);
  phone.addEventListener("input", soon);
  district.addEventListener("change", () => { restart(); search(); });
  previous.addEventListener("click", () => {
    if (starts.length > 1) { starts.pop(); offset = Math.max(0, offset - PAGE); }
    search();
  });
  next.addEventListener("click", () => {
    if (following !== null) { starts.push(following); offset += PAGE; }
    search();
  });

  main.append(
    el("h1", {}, t("seniors.title")),
    el("form", { class: "search filters", onsubmit: search },
      el("label", {}, t("seniors.name"), name), el("label", {}, t("seniors.phone"), phone),
      el("label", {}, t("seniors.district"), district),
      el("button", { type: "submit" }, t("seniors.search"))),
    total,
    el("div", { class: "pager" }, previous, next),
    el("div", { class: "split" },
      el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, ["seniors.name", "seniors.age", "seniors.district", "seniors.phone", "seniors.id", "seniors.alone"].map((k) => el("th", { scope: "col" }, t(k))))),
        body),
      detail),
  );
  await search();
  return () => clearTimeout(typing);
}
