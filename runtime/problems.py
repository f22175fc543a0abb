"""The bodies of refusals: a stable ``code`` for programs, a ``detail`` for people.

The words for each code, in zh-CN and English, live in ``runtime/refusals.py``."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from pydantic import BaseModel


class Problem(BaseModel):
    """Every refusal: a stable code and one readable sentence in the caller's language."""

    code: str
    detail: str


class FieldProblem(BaseModel):
    field: str
    code: str
    message: str


class ValidationProblem(BaseModel):
    """422: the sentence, and one entry per refused field (none when no one field is at fault)."""

    code: str = "invalid"
    detail: str
    errors: list[FieldProblem] = []


class Refusal(HTTPException):
    """A refusal named by its code; the words come from the table, filled with ``params``.

    ``extra`` fields go into the body beside code and detail (an owner, a retry time)."""

    def __init__(self, status_code: int, code: str, *, params: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None, detail: str = "") -> None:
        super().__init__(status_code, detail or code)
        self.code = code
        self.params = params or {}
        self.extra = extra or {}
