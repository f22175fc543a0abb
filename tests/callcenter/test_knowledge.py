"""The policy knowledge base: Chinese search, ranking, editing rights, demo content."""

from __future__ import annotations

import httpx

from accounts.roles import Role
from callcenter.knowledge.terms import search_terms
from tests.conftest import LoginAs

ARTICLE = {"category": "subsidy", "title": "高龄津贴申领", "tags": ["高龄"],
           "body": "年满80周岁的老年人可以到社区服务站申请高龄津贴，需要身份证和户口本。"}


def test_chinese_text_becomes_bigrams_and_words() -> None:
    """Neighbouring characters pair up; Latin words and numbers stay whole."""
    assert search_terms("高龄津贴 for 80岁") == ["高龄", "龄津", "津贴", "for", "80", "岁"]


async def test_operator_finds_an_article_by_a_question(client: httpx.AsyncClient,
                                                       login_as: LoginAs) -> None:
    """A spoken-style question (怎么申请高龄津贴) finds the article; the best match is first."""
    supervisor = await login_as(Role.SUPERVISOR)
    created = await client.post("/api/v1/knowledge", json=ARTICLE, headers=supervisor)
    assert created.status_code == 201, created.text
    other = {**ARTICLE, "title": "助餐服务价格", "body": "每餐12元，补贴对象自付3元。",
             "category": "service_prices", "tags": []}
    await client.post("/api/v1/knowledge", json=other, headers=supervisor)
    operator = await login_as(Role.OPERATOR)
    for query in ("怎么申请高龄津贴", "津贴", "户口本"):
        hits = (await client.get("/api/v1/knowledge", params={"q": query},
                                 headers=operator)).json()
        assert hits[0]["title"] == "高龄津贴申领", query
    price = (await client.get("/api/v1/knowledge", params={"q": "助餐多少钱"},
                              headers=operator)).json()
    assert price[0]["title"] == "助餐服务价格"
    nothing = (await client.get("/api/v1/knowledge", params={"q": "火箭发射"},
                                headers=operator)).json()
    assert nothing == []


async def test_edits_are_searchable_and_only_supervisors_edit(client: httpx.AsyncClient,
                                                              login_as: LoginAs) -> None:
    """An updated article is found by its new words, not its old; operators cannot edit."""
    supervisor = await login_as(Role.SUPERVISOR)
    article_id = (await client.post("/api/v1/knowledge", json=ARTICLE,
                                    headers=supervisor)).json()["id"]
    operator = await login_as(Role.OPERATOR)
    assert (await client.post("/api/v1/knowledge", json=ARTICLE,
                              headers=operator)).status_code == 403
    assert (await client.put(f"/api/v1/knowledge/{article_id}", json=ARTICLE,
                             headers=operator)).status_code == 403
    changed = {**ARTICLE, "body": "百岁老人长寿补贴每月500元。", "title": "长寿补贴"}
    assert (await client.put(f"/api/v1/knowledge/{article_id}", json=changed,
                             headers=supervisor)).status_code == 200
    found = (await client.get("/api/v1/knowledge", params={"q": "长寿"}, headers=operator)).json()
    assert [hit["id"] for hit in found] == [article_id]
    old = (await client.get("/api/v1/knowledge", params={"q": "户口本"}, headers=operator)).json()
    assert old == []
    assert (await client.delete(f"/api/v1/knowledge/{article_id}",
                                headers=supervisor)).status_code == 204
    assert (await client.get(f"/api/v1/knowledge/{article_id}",
                             headers=operator)).status_code == 404


async def test_bad_article_is_refused(client: httpx.AsyncClient, login_as: LoginAs) -> None:
    """A missing title or an unknown category answers 422 naming the field."""
    supervisor = await login_as(Role.SUPERVISOR)
    response = await client.post("/api/v1/knowledge", headers=supervisor,
                                 json={**ARTICLE, "category": "gossip"})
    assert response.status_code == 422 and "category" in response.json()["detail"]


async def test_postgresql_answers_a_chinese_query_from_its_index(
        migrated_postgres_url: str) -> None:
    """On PostgreSQL a Chinese question is answered from the GIN index, the best match first."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    from callcenter.knowledge import service
    from callcenter.knowledge.schemas import ArticleIn
    from storage.engine import create_engine, create_sessionmaker

    engine = create_engine(migrated_postgres_url)
    now = datetime(2026, 12, 2, tzinfo=UTC)
    try:
        async with create_sessionmaker(engine)() as session:
            passing = {**ARTICLE, "title": "社区服务站", "body": "服务站也办理高龄津贴。"}
            for data in (passing, ARTICLE):
                await service.create_article(session, data=ArticleIn(**data), by="t", now=now)
            await session.commit()
            hits = await service.search(session, query="怎么申请高龄津贴")
            await session.execute(text("SET enable_seqscan = off"))
            terms = search_terms("高龄津贴")
            compiled = service.tsvector_search(terms, None, 10).compile(
                dialect=engine.dialect, compile_kwargs={"literal_binds": True})
            plan = "\n".join((await session.execute(text(f"EXPLAIN {compiled}"))).scalars())
    finally:
        await engine.dispose()
    assert [hit.title for hit in hits] == ["高龄津贴申领", "社区服务站"]
    assert "ix_policy_articles_search" in plan
