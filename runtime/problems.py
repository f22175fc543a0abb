"""The bodies of refusals, as the API document describes them."""

from __future__ import annotations

from pydantic import BaseModel


class Problem(BaseModel):
    """Every refusal: one readable sentence."""

    detail: str


class FieldProblem(BaseModel):
    field: str
    message: str


class ValidationProblem(BaseModel):
    """422: the sentence, and one entry per refused field (none when no one field is at fault)."""

    detail: str
    errors: list[FieldProblem] = []
