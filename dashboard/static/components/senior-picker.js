// The senior picker: one labelled search box (name, phone or resident ID) whose matches are a
// listbox under it, a page at a time from the seniors API's keyset search. Arrow keys move
// through the matches, Enter chooses, Escape closes; a click chooses too (ARIA combobox).
import { api, el } from "/static/api.js";
import { t } from "/static/i18n.js";

const PAGE = 8;
const RESIDENT_ID = /^\d{17}[\dXx]$/;
let pickers = 0;

// What the typed text is: a full resident ID, a phone number (digits), or part of a name.
export function searchFor(text) {
  const typed = text.trim();
  if (RESIDENT_ID.test(typed)) return { resident_id: typed.toUpperCase() };
  if (/^\+?[\d\s-]{4,}$/.test(typed)) return { phone: typed };
  return { name: typed };
}

const summary = (s) => [s.name, t("pages.seniors.age", { n: s.age }), s.district,
  s.resident_id_masked].filter(Boolean).join(" · ");

// ``onPick`` gets the chosen senior (the search's row: id, name, age, district, phones, …).
export function seniorPicker({ onPick }) {
  pickers += 1;
  const id = (name) => `senior-picker-${pickers}-${name}`;
  const input = el("input", { id: id("input"), type: "search", autocomplete: "off",
    role: "combobox", "aria-expanded": "false", "aria-autocomplete": "list",
    "aria-controls": id("list"), "aria-describedby": id("hint") });
  const list = el("ul", { id: id("list"), role: "listbox", class: "picker-list",
    "aria-label": t("picker.matches"), hidden: true });
  const status = el("p", { class: "note picker-status", role: "status" });
  let found = [];  // the seniors listed, in order
  let more = null;  // the senior the next page starts after
  let active = -1;
  let asked = 0;
  let typing = null;

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function mark(index) {
    active = index;
    for (const [n, option] of [...list.children].entries()) {
      option.setAttribute("aria-selected", String(n === index));
    }
    const option = list.children[index];
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }

  function choose(index) {
    const option = list.children[index];
    if (!option) return;
    if (option.dataset.more) { fetchPage(true); return; }
    const senior = found[index];
    close();
    input.value = senior.name;
    status.textContent = t("picker.chosen", { who: summary(senior) });
    onPick(senior);
  }

  function draw() {
    const options = found.map((s, n) => el("li", { id: id(`option-${n}`), role: "option",
      "data-senior": s.id, "aria-selected": "false",
      onmousedown: (event) => event.preventDefault(),  // keep the focus in the box
      onclick: () => choose(n) }, summary(s)));
    if (more !== null) {
      options.push(el("li", { id: id("more"), role: "option", class: "picker-more", "data-more": "1",
        "aria-selected": "false", onmousedown: (event) => event.preventDefault(),
        onclick: () => fetchPage(true) }, t("picker.more")));
    }
    list.replaceChildren(...options);
    list.hidden = options.length === 0;
    input.setAttribute("aria-expanded", String(!list.hidden));
  }

  async function fetchPage(following = false) {
    const typed = input.value.trim();
    if (!typed) { found = []; more = null; draw(); status.textContent = ""; return; }
    const query = new URLSearchParams({ limit: String(PAGE), ...searchFor(typed) });
    if (following && more !== null) query.set("after", String(more));
    const mine = ++asked;
    let page;
    try {
      page = await api(`/api/v1/seniors?${query}`);
    } catch (error) {
      if (mine === asked) status.textContent = error.message;
      return;
    }
    if (mine !== asked) return;  // a later keystroke's answer is the one to show
    const first = following ? found.length : 0;
    found = following ? found.concat(page.items) : page.items;
    more = page.next_after;
    draw();
    status.textContent = found.length ? t("picker.count", { n: found.length }) : t("picker.none");
    if (following) mark(first);
  }

  input.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(() => fetchPage(), 250);
  });
  input.addEventListener("keydown", (event) => {
    const count = list.children.length;
    if (event.key === "ArrowDown" && count) {
      event.preventDefault();
      if (list.hidden) draw();
      mark((active + 1) % count);
    } else if (event.key === "ArrowUp" && count) {
      event.preventDefault();
      mark(active <= 0 ? count - 1 : active - 1);
    } else if (event.key === "Enter") {
      event.preventDefault();  // never submits a form around the picker
      if (active >= 0) choose(active);
      else if (found.length === 1) choose(0);
      else { clearTimeout(typing); fetchPage(); }
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", close);  // a click on a match keeps the focus (mousedown)

  const element = el("div", { class: "senior-picker" },
    el("label", { for: input.id }, t("picker.label")), input,
    el("p", { class: "note", id: id("hint") }, t("picker.hint")), list, status);
  return { element, focus: () => input.focus(), stop: () => clearTimeout(typing) };
}
