"""Writing and searching policy articles.

On SQLite the terms go into an FTS5 table and results are ranked by bm25; on PostgreSQL a GIN
index over ``to_tsvector('simple', search_terms)`` finds them and ``ts_rank`` ranks them; on
other databases the ``search_terms`` column is matched term by term.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from callcenter.knowledge.exceptions import ArticleNotFoundError
from callcenter.knowledge.models import PolicyArticle
from callcenter.knowledge.schemas import ArticleIn, SearchHit
from callcenter.knowledge.terms import search_terms

MAX_QUERY_TERMS = 24


def _indexed_terms(article: ArticleIn | PolicyArticle) -> str:
    # The title counts twice so that an article about the query ranks above a passing mention.
    words = [article.title, article.title, " ".join(article.tags), article.body]
    return " ".join(search_terms(" ".join(words)))


def _uses_fts(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


async def _reindex(session: AsyncSession, article: PolicyArticle) -> None:
    if not _uses_fts(session):
        return
    await session.execute(text("DELETE FROM policy_search WHERE rowid = :id"), {"id": article.id})
    await session.execute(text("INSERT INTO policy_search(rowid, terms) VALUES (:id, :terms)"),
                          {"id": article.id, "terms": article.search_terms})


async def create_article(session: AsyncSession, *, data: ArticleIn, by: str, now: datetime,
                         demo: bool = False) -> PolicyArticle:
    article = PolicyArticle(**data.model_dump(), demo=demo, search_terms=_indexed_terms(data),
                            updated_at=now, updated_by=by)
    session.add(article)
    await session.flush()
    await _reindex(session, article)
    return article


async def update_article(session: AsyncSession, *, article_id: int, data: ArticleIn, by: str,
                         now: datetime) -> PolicyArticle:
    article = await get_article(session, article_id)
    for field, value in data.model_dump().items():
        setattr(article, field, value)
    article.search_terms = _indexed_terms(data)
    article.demo = False  # edited by a person: no longer the shipped demo text
    article.updated_at = now
    article.updated_by = by
    await session.flush()
    await _reindex(session, article)
    return article


async def delete_article(session: AsyncSession, *, article_id: int) -> None:
    article = await get_article(session, article_id)
    if _uses_fts(session):
        await session.execute(text("DELETE FROM policy_search WHERE rowid = :id"),
                              {"id": article_id})
    await session.delete(article)
    await session.flush()


async def get_article(session: AsyncSession, article_id: int) -> PolicyArticle:
    article = await session.get(PolicyArticle, article_id)
    if article is None:
        raise ArticleNotFoundError(article_id)
    return article


async def search(session: AsyncSession, *, query: str, language: str | None = None,
                 limit: int = 10) -> list[SearchHit]:
    """Articles best matching ``query``; an empty query lists the newest."""
    terms = list(dict.fromkeys(search_terms(query)))[:MAX_QUERY_TERMS]
    if not terms:
        newest = select(PolicyArticle).order_by(PolicyArticle.updated_at.desc()).limit(limit)
        if language:
            newest = newest.where(PolicyArticle.language == language)
        rows = await session.execute(newest)
        return [_hit(article, []) for article in rows.scalars()]
    ids = await _SEARCHES.get(session.get_bind().dialect.name, _like_ids)(
        session, terms, language, limit)
    articles = {a.id: a for a in (await session.execute(
        select(PolicyArticle).where(PolicyArticle.id.in_(ids)))).scalars()}
    return [_hit(articles[i], terms) for i in ids if i in articles]


async def _fts_ids(session: AsyncSession, terms: Sequence[str], language: str | None,
                   limit: int) -> list[int]:
    match = " OR ".join(f'"{term}"' for term in terms)
    sql = ("SELECT s.rowid FROM policy_search s JOIN policy_articles a ON a.id = s.rowid "
           "WHERE policy_search MATCH :match AND (:language IS NULL OR a.language = :language) "
           "ORDER BY bm25(policy_search) LIMIT :limit")
    rows = await session.execute(text(sql), {"match": match, "language": language,
                                             "limit": limit})
    return [int(row[0]) for row in rows]


async def _like_ids(session: AsyncSession, terms: Sequence[str], language: str | None,
                    limit: int) -> list[int]:
    query = select(PolicyArticle).where(
        or_(*(PolicyArticle.search_terms.contains(term) for term in terms)))
    if language:
        query = query.where(PolicyArticle.language == language)
    articles = (await session.execute(query)).scalars().all()
    scored = sorted(articles, key=lambda a: -sum(a.search_terms.count(t) for t in terms))
    return [article.id for article in scored[:limit]]


def _search_vector() -> ColumnElement[str]:
    """The indexed expression, spelled as migration 0025_knowledge_pg_search made the index."""
    return func.to_tsvector(literal_column("'simple'::regconfig"), PolicyArticle.search_terms)


def tsvector_search(terms: Sequence[str], language: str | None, limit: int) -> Select[int]:
    """PostgreSQL: the ids of articles with any of ``terms``, best ``ts_rank`` first."""
    # Terms are CJK characters, digits and lower-case letters only, so quoting each is safe.
    query = func.to_tsquery(literal_column("'simple'::regconfig"),
                            " | ".join(f"'{term}'" for term in terms))
    statement = (select(PolicyArticle.id).where(_search_vector().bool_op("@@")(query))
                 .order_by(func.ts_rank(_search_vector(), query).desc(), PolicyArticle.id)
                 .limit(limit))
    return statement.where(PolicyArticle.language == language) if language else statement


async def _tsvector_ids(session: AsyncSession, terms: Sequence[str], language: str | None,
                        limit: int) -> list[int]:
    return list((await session.execute(tsvector_search(terms, language, limit))).scalars())


_SEARCHES = {"sqlite": _fts_ids, "postgresql": _tsvector_ids}


def _hit(article: PolicyArticle, terms: Sequence[str]) -> SearchHit:
    body = article.body
    at = min((body.find(t) for t in terms if t in body), default=0)
    start = max(0, at - 30)
    snippet = ("…" if start else "") + body[start:start + 120] + ("…" if len(body) > start + 120
                                                                  else "")
    return SearchHit(id=article.id, title=article.title, category=article.category,
                     language=article.language, snippet=snippet, demo=article.demo)
