import { api, el } from "/static/api.js";
import { currentLanguage, t } from "/static/i18n.js";
import { joined } from "/static/components/words.js";

// Staff accounts (admin only): create an account; change its name, role, and (for those who
// answer alarms and calls) skills and languages; lift log-in locks; sign it out everywhere;
// disable it (ending its sessions) or enable it again; choose the centres it works for and
// its role in each. Every change is audited by the server.

const ROLES = ["operator", "supervisor", "dispatcher", "subsidy_staff", "admin"];
const DESK_ROLES = ["operator", "supervisor"];
const SKILLS = ["emergency", "consultation", "medical"];
const LANGUAGES = ["zh-CN", "mn", "yue", "en"];

function roleSelect(id, value) {
  return el("select", { id }, ...ROLES.map((role) => el("option", { value: role, selected: role === value }, t(`role.${role}`))));
}

function choices(name, codes, chosen, kind) {
  return el("fieldset", { class: "choices" }, el("legend", {}, t(`pages.staff.${name}`)),
    ...codes.map((code) => el("label", { class: "choice" },
      el("input", { type: "checkbox", name, value: code, checked: chosen.includes(code) }), t(`pages.${kind}.${code}`))));
}

const centreName = (c) => (currentLanguage() === "en" ? c.name_en : c.name_zh);

// Where an account works, in words: "Erenhot 12349 station · Operator; …".
function workplaces(user) {
  return user.centres.map((c) => `${centreName(c)} · ${t(`role.${c.role}`)}`).join(t("pages.staff.centre_separator")) || "–";
}

const picked = (form, name) => [...form.querySelectorAll(`input[name=${name}]:checked`)].map((box) => box.value);

// The server's 409 and 422 answers, in words.
function refusal(error) {
  if (error.status === 409) return t("pages.staff.conflict");
  if (error.status === 422) return t("pages.staff.invalid");
  return t("pages.staff.failed");
}

export default async function staff(main) {
  const body = el("tbody", { id: "staff-rows" });
  const message = el("p", { id: "staff-message", role: "status" });
  let desk = new Map();
  let allCentres = [];

  function say(text, failed = false) {
    message.textContent = text;
    message.className = failed ? "error" : "note";
  }

  async function act(user, action) {
    const path = action === "revoke" ? "sessions/revoke" : action;
    try {
      await api(`/api/v1/staff/${user.id}/${path}`, { method: "POST" });
      say(t(`pages.staff.done_${action}`, { username: user.username }));
    } catch (error) {
      say(refusal(error), true);
    }
    await load();
  }

  function editor(user, row) {
    const operator = desk.get(user.username);
    const name = el("input", { id: `staff-edit-name-${user.id}`, value: user.display_name, required: true, maxlength: 128 });
    const role = roleSelect(`staff-edit-role-${user.id}`, user.role);
    const form = el("form", { class: "staff-edit", "data-for": user.username },
      el("label", {}, t("staff.name"), name), el("label", {}, t("staff.role"), role));
    if (DESK_ROLES.includes(user.role)) {
      form.append(choices("skills", SKILLS, operator ? operator.skills : [], "skill"),
        choices("languages", LANGUAGES, operator ? operator.languages : ["zh-CN"], "language"));
    }
    form.append(el("button", { type: "submit", class: "save" }, t("pages.staff.save")),
      el("button", { type: "button", class: "cancel", onclick: () => load() }, t("pages.staff.cancel")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        await api(`/api/v1/staff/${user.id}`, { method: "PATCH", body: { display_name: name.value.trim(), role: role.value } });
        if (form.querySelector("input[name=skills]")) {
          const languages = picked(form, "languages");
          if (!languages.length) { say(t("pages.staff.need_language"), true); return; }
          await api(`/api/v1/routing/operators/${encodeURIComponent(user.username)}`, { method: "PUT",
            body: { skills: picked(form, "skills"), languages } });
        }
        say(t("pages.staff.done_edit", { username: user.username }));
        await load();
      } catch (error) {
        say(refusal(error), true);
      }
    });
    row.replaceChildren(el("td", { colspan: 7 }, form));
    name.focus();
  }

  // One line per centre: which centre, the role there, and a button to take it away.
  function centreLine(membership) {
    const centre = el("select", { class: "centre", "aria-label": t("pages.staff.centre") },
      ...allCentres.map((c) => el("option", { value: c.slug, selected: c.slug === membership.centre_slug }, centreName(c))));
    const role = el("select", { class: "centre-role", "aria-label": t("pages.staff.centre_role") },
      ...ROLES.map((r) => el("option", { value: r, selected: r === membership.role }, t(`role.${r}`))));
    const line = el("li", { class: "centre-line" }, centre, role);
    line.append(el("button", { type: "button", class: "remove-centre", onclick: () => line.remove() }, t("pages.staff.remove_centre")));
    return line;
  }

  function centresEditor(user, row) {
    const lines = el("ul", { class: "centre-lines" }, ...user.centres.map((m) => centreLine(m)));
    const add = el("button", { type: "button", class: "add-centre", onclick: () =>
      lines.append(centreLine({ centre_slug: allCentres[0]?.slug, role: user.role })) }, t("pages.staff.add_centre"));
    const form = el("form", { class: "staff-centres", "data-for": user.username },
      el("fieldset", {}, el("legend", {}, t("pages.staff.centres_of", { name: user.display_name })), lines, add,
        el("p", { class: "note" }, t("pages.staff.centres_rule"))),
      el("button", { type: "submit", class: "save" }, t("pages.staff.save")),
      el("button", { type: "button", class: "cancel", onclick: () => load() }, t("pages.staff.cancel")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const centres = [...lines.children].map((line) => ({
        centre: line.querySelector("select.centre").value, role: line.querySelector("select.centre-role").value }));
      try {
        await api(`/api/v1/staff/${user.id}/centres`, { method: "PUT", body: { centres } });
        say(t("pages.staff.done_centres", { username: user.username }));
        await load();
      } catch (error) {
        say(error.status === 422 ? t("pages.staff.centres_invalid") : refusal(error), true);
      }
    });
    row.replaceChildren(el("td", { colspan: 7 }, form));
  }

  function actions(user, row) {
    const buttons = [el("button", { type: "button", class: "edit", onclick: () => editor(user, row) }, t("pages.staff.edit")),
      el("button", { type: "button", class: "centres", onclick: () => centresEditor(user, row) }, t("pages.staff.edit_centres"))];
    if (user.locked) buttons.push(el("button", { type: "button", class: "unlock", onclick: () => act(user, "unlock") }, t("staff.unlock")));
    buttons.push(el("button", { type: "button", class: "revoke", onclick: () => act(user, "revoke") }, t("pages.staff.revoke")));
    const change = user.active ? "disable" : "enable";
    buttons.push(el("button", { type: "button", class: change, onclick: () => act(user, change) }, t(`staff.${change}`)));
    return buttons;
  }

  function state(user) {
    if (!user.active) return t("staff.disabled");
    return user.locked ? t("staff.locked") : t("staff.active");
  }

  function skills(user) {
    const operator = desk.get(user.username);
    if (!DESK_ROLES.includes(user.role) || !operator) return "–";
    const words = [...operator.skills.map((s) => t(`pages.skill.${s}`)), ...operator.languages.map((l) => t(`pages.language.${l}`))];
    return joined(words) || "–";
  }

  async function load() {
    const [users, operators, centres] = await Promise.all([api("/api/v1/staff"), api("/api/v1/routing/operators"),
      api("/api/v1/centres")]);
    allCentres = centres;
    desk = new Map(operators.map((op) => [op.username, op]));
    body.replaceChildren(...users.map((u) => {
      const row = el("tr", { "data-username": u.username });
      row.append(el("td", { class: "mono" }, u.username), el("td", { class: "name" }, u.display_name),
        el("td", { class: "role" }, t(`role.${u.role}`)), el("td", { class: "centres" }, workplaces(u)),
        el("td", { class: "skills" }, skills(u)),
        el("td", { class: "state" }, state(u)), el("td", {}, actions(u, row)));
      return row;
    }));
  }

  const username = el("input", { id: "staff-new-username", required: true, pattern: "[a-z][a-z0-9_.\\-]{2,63}", autocomplete: "off" });
  const displayName = el("input", { id: "staff-new-name", required: true, maxlength: 128 });
  const role = roleSelect("staff-new-role", "operator");
  const password = el("input", { id: "staff-new-password", type: "password", required: true, minlength: 10, autocomplete: "new-password" });
  const create = el("form", { class: "staff-form", id: "staff-create" },
    el("label", {}, t("staff.username"), username), el("label", {}, t("staff.name"), displayName),
    el("label", {}, t("staff.role"), role), el("label", {}, t("pages.staff.password"), password),
    el("button", { type: "submit" }, t("pages.staff.create")));
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("/api/v1/staff", { method: "POST", body: { username: username.value.trim(),
        display_name: displayName.value.trim(), role: role.value, password: password.value } });
      say(t("pages.staff.done_create", { username: username.value.trim() }));
      create.reset();
      await load();
    } catch (error) {
      say(error.status === 409 ? t("pages.staff.taken") : t("pages.staff.create_invalid"), true);
    }
  });

  main.append(
    el("h1", {}, t("staff.title")),
    el("section", { class: "card" }, el("h2", {}, t("pages.staff.new")), create,
      el("p", { class: "note" }, t("pages.staff.rules"))),
    message,
    el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["staff.username", "staff.name", "staff.role", "pages.staff.centres", "pages.staff.skills_languages", "staff.state", "staff.actions"].map((k) => el("th", { scope: "col" }, t(k))))),
      body),
  );
  await load();
}
