import { api, el } from "/static/api.js";
import { t } from "/static/i18n.js";
import { ORDER_ROLES, seniorOrders, serviceOrderForm } from "/static/pages/service-order.js";

const DISTRICTS = ["新城区", "回民区", "玉泉区", "赛罕区", "土默特左旗", "托克托县", "和林格尔县", "清水河县", "武川县"];

// Seniors: search by name, phone and district; click a row for the whole record.
export default async function seniors(main, { user } = {}) {
  const name = el("input", { id: "search-name", placeholder: t("seniors.name") });
  const phone = el("input", { id: "search-phone", placeholder: t("seniors.phone") });
  const district = el("select", { id: "search-district" },
    el("option", { value: "" }, t("seniors.all_districts")),
    DISTRICTS.map((d) => el("option", { value: d }, d)));
  const total = el("p", { class: "muted", id: "seniors-total" });
  const body = el("tbody", { id: "seniors-rows" });
  const detail = el("aside", { class: "detail", id: "senior-detail", hidden: true });

  async function search(event) {
    if (event) event.preventDefault();
    const query = new URLSearchParams({ limit: "100" });
    if (name.value.trim()) query.set("name", name.value.trim());
    if (phone.value.trim()) query.set("phone", phone.value.trim());
    if (district.value) query.set("district", district.value);
    const page = await api(`/api/v1/seniors?${query}`);
    total.textContent = page.total ? t("seniors.total", { n: page.total }) : t("seniors.none");
    body.replaceChildren(...page.items.map((s) => el("tr", { "data-id": s.id, onclick: () => show(s.id) },
      el("td", {}, s.name), el("td", {}, s.age), el("td", {}, s.district),
      el("td", {}, s.phones.join(" ")), el("td", { class: "mono" }, s.resident_id_masked),
      el("td", {}, s.lives_alone ? t("yes") : ""))));
  }

  async function show(id) {
    const s = await api(`/api/v1/seniors/${id}`);
    detail.hidden = false;
    detail.replaceChildren(
      el("button", { class: "link close", type: "button", onclick: () => { detail.hidden = true; } }, t("senior.close")),
      el("h3", {}, `${s.name} · ${s.age}`),
      el("p", {}, s.address),
      el("p", { class: "mono" }, s.resident_id_masked),
      el("p", {}, s.phones.join(" · ")),
      el("h4", {}, t("senior.contacts")),
      el("ol", {}, s.contacts.map((c) => el("li", {}, `${c.name}（${c.relation}）${c.phones.join(" ")}`))),
      el("h4", {}, t("senior.medical")), el("p", {}, s.medical_notes || "—"),
      el("h4", {}, t("senior.languages")), el("p", {}, s.languages.join(", ")),
      el("h4", {}, t("senior.subsidies")), el("p", {}, s.subsidy_categories.join(", ") || "—"),
      el("h4", {}, t("senior.consents")),
      el("ul", {}, s.consents.map((c) => el("li", {}, `${c.purpose}: ${c.granted ? t("yes") : t("no")} (${c.method})`))),
    );
    if (user && ORDER_ROLES.includes(user.role)) {  // an order taken on a call about this senior
      const orders = await seniorOrders(s.id);
      detail.append(await serviceOrderForm({ seniorId: s.id, onCreated: orders.refresh }), orders.element);
    }
  }

  main.append(
    el("h2", {}, t("seniors.title")),
    el("form", { class: "search", onsubmit: search }, name, phone, district,
      el("button", { type: "submit" }, t("seniors.search"))),
    total,
    el("div", { class: "split" },
      el("table", { class: "grid" },
        el("thead", {}, el("tr", {}, ["seniors.name", "seniors.age", "seniors.district", "seniors.phone", "seniors.id", "seniors.alone"].map((k) => el("th", {}, t(k))))),
        body),
      detail),
  );
  await search();
}
