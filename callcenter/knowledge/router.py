"""HTTP routes of the knowledge base: everyone on duty searches, supervisors edit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from accounts import service as accounts_service
from accounts.deps import require_roles
from accounts.models import StaffUser
from accounts.roles import ALL_ROLES, Role
from callcenter.knowledge import service
from callcenter.knowledge.exceptions import ArticleNotFoundError
from callcenter.knowledge.models import PolicyArticle
from callcenter.knowledge.schemas import ArticleIn, ArticleOut, Language, SearchHit
from runtime.deps import RuntimeDep, SessionDep
from storage.bounds import Limit, RowId

router = APIRouter(prefix="/api/v1/knowledge", tags=["knowledge"])
Reader = Annotated[StaffUser, Depends(require_roles(ALL_ROLES))]
Editor = Annotated[StaffUser, Depends(require_roles({Role.SUPERVISOR}))]


@router.get("", response_model=list[SearchHit])
async def search(
    user: Reader,
    session: SessionDep,
    q: Annotated[str, Query(max_length=200)] = "",
    language: Language | None = None,
    limit: Limit = 10,
) -> list[SearchHit]:
    """Search articles (Chinese and English); best matches first."""
    return await service.search(session, query=q, language=language, limit=limit)


@router.get("/{article_id}", response_model=ArticleOut)
async def read(article_id: RowId, user: Reader, session: SessionDep) -> PolicyArticle:
    """One article."""
    try:
        return await service.get_article(session, article_id)
    except ArticleNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error


@router.post("", response_model=ArticleOut, status_code=status.HTTP_201_CREATED)
async def create(body: ArticleIn, user: Editor, runtime: RuntimeDep,
                 session: SessionDep) -> PolicyArticle:
    """Add an article (supervisors)."""
    now = runtime.clock.now()
    article = await service.create_article(session, data=body, by=user.username, now=now)
    await accounts_service.record_audit(session, actor=user.username, action="knowledge.create",
                                        subject_type="article", subject_id=str(article.id),
                                        now=now)
    await session.commit()
    return article


@router.put("/{article_id}", response_model=ArticleOut)
async def update(article_id: RowId, body: ArticleIn, user: Editor, runtime: RuntimeDep,
                 session: SessionDep) -> PolicyArticle:
    """Replace an article's text (supervisors)."""
    now = runtime.clock.now()
    try:
        article = await service.update_article(session, article_id=article_id, data=body,
                                               by=user.username, now=now)
    except ArticleNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    await accounts_service.record_audit(session, actor=user.username, action="knowledge.update",
                                        subject_type="article", subject_id=str(article_id),
                                        now=now)
    await session.commit()
    return article


@router.delete("/{article_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(article_id: RowId, user: Editor, runtime: RuntimeDep,
                 session: SessionDep) -> None:
    """Remove an article (supervisors)."""
    try:
        await service.delete_article(session, article_id=article_id)
    except ArticleNotFoundError as error:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(error)) from error
    await accounts_service.record_audit(session, actor=user.username, action="knowledge.delete",
                                        subject_type="article", subject_id=str(article_id),
                                        now=runtime.clock.now())
    await session.commit()
