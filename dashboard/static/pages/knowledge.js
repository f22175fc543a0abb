import { api, el, formatTime } from "/static/api.js";
import { currentLanguage, t } from "/static/i18n.js";

const CATEGORIES = ["subsidy", "how_to_apply", "where_to_go", "service_prices", "hotline", "other"];

// Search articles during a consultation call; supervisors also write and correct them.
export default async function knowledge(main, { user }) {
  const canEdit = ["supervisor", "admin"].includes(user.role);
  const query = el("input", { id: "kb-query", type: "search", placeholder: t("kb.search"), class: "wide", "aria-label": t("kb.search") });
  const results = el("ol", { id: "kb-results", class: "hits" });
  const view = el("article", { id: "kb-article", class: "detail", hidden: true });

  async function search(event) {
    if (event) event.preventDefault();
    const params = new URLSearchParams({ q: query.value.trim(), limit: "20" });
    const hits = await api(`/api/v1/knowledge?${params}`);
    results.replaceChildren(...(hits.length ? hits.map((hit) => el("li", { "data-id": hit.id, onclick: () => open(hit.id) },
      el("strong", {}, hit.title), " ", el("span", { class: "muted" }, t(`kb.cat.${hit.category}`)),
      hit.demo ? el("span", { class: "tag" }, t("kb.demo")) : null,
      el("p", { class: "snippet" }, hit.snippet))) : [el("li", { class: "muted" }, t("kb.none"))]));
  }

  async function open(id) {
    const article = await api(`/api/v1/knowledge/${id}`);
    view.hidden = false;
    view.replaceChildren(
      el("h3", {}, article.title),
      // A seeded article has no editor: the line ends at the time, never with "null".
      el("p", { class: "muted", id: "kb-meta" }, [t(`kb.cat.${article.category}`),
        `${t("kb.updated")} ${formatTime(article.updated_at)}`, article.updated_by].filter(Boolean).join(" · ")),
      article.demo ? el("p", { class: "tag" }, t("kb.demo")) : null,
      el("div", { class: "article-body" }, article.body),
      canEdit ? el("button", { type: "button", id: "kb-edit", onclick: () => edit(article) }, t("kb.edit")) : null,
    );
  }

  function edit(article) {
    const title = el("input", { id: "kb-title", value: article ? article.title : "" });
    const category = el("select", { id: "kb-category" }, CATEGORIES.map((c) =>
      el("option", { value: c, selected: article && article.category === c }, t(`kb.cat.${c}`))));
    const body = el("textarea", { id: "kb-body", rows: 10 });
    body.value = article ? article.body : "";
    const tags = el("input", { id: "kb-tags", value: article ? article.tags.join(", ") : "" });
    const error = el("p", { class: "error", id: "kb-error", role: "alert", hidden: true });
    const save = el("button", { type: "button", class: "primary", id: "kb-save" }, t("kb.save"));
    save.addEventListener("click", async () => {
      const payload = { title: title.value, category: category.value, body: body.value,
        language: article ? article.language : currentLanguage(),
        tags: tags.value.split(/[,，]/).map((s) => s.trim()).filter(Boolean) };
      try {
        const saved = await api(article ? `/api/v1/knowledge/${article.id}` : "/api/v1/knowledge",
          { method: article ? "PUT" : "POST", body: payload });
        await search();
        await open(saved.id);
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      }
    });
    view.hidden = false;
    view.replaceChildren(el("div", { class: "resolve-form" },
      el("label", {}, t("kb.article_title"), title), el("label", {}, t("kb.category"), category),
      el("label", {}, t("kb.body"), body), el("label", {}, t("kb.tags"), tags), error, save));
  }

  main.append(
    el("div", { class: "page-head" }, el("h2", {}, t("kb.title")),
      canEdit ? el("button", { type: "button", id: "kb-new", onclick: () => edit(null) }, t("kb.new")) : null),
    el("form", { class: "search", onsubmit: search }, query, el("button", { type: "submit" }, t("kb.go"))),
    el("div", { class: "split" }, el("div", { class: "grow" }, results), view),
  );
  await search();
}
