"""Bodies of the knowledge-base routes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Category(StrEnum):
    SUBSIDY = "subsidy"
    HOW_TO_APPLY = "how_to_apply"
    WHERE_TO_GO = "where_to_go"
    SERVICE_PRICES = "service_prices"
    HOTLINE = "hotline"
    OTHER = "other"


class Language(StrEnum):
    ZH = "zh-CN"
    EN = "en"


class ArticleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Language = Language.ZH
    category: Category
    title: Annotated[str, Field(min_length=2, max_length=200)]
    body: Annotated[str, Field(min_length=2, max_length=20_000)]
    tags: Annotated[list[Annotated[str, Field(min_length=1, max_length=32)]],
                    Field(max_length=20)] = []


class ArticleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    language: str
    category: str
    title: str
    body: str
    tags: list[str]
    demo: bool
    updated_at: datetime
    updated_by: str


class SearchHit(BaseModel):
    id: int
    title: str
    category: str
    language: str
    snippet: str
    demo: bool
