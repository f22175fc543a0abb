"""Every error answer, translated once: a stable ``code`` and words in the caller's language."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from dashboard import scoping
from runtime.language import Language, negotiate
from runtime.problems import Refusal
from runtime.refusals import code_of, params_of, say, say_field

QUIET_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def install(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, refused)
    app.add_exception_handler(RequestValidationError, invalid)


def language_of(request: Request) -> Language:
    return negotiate(request.headers.get("accept-language"))


async def refused(request: Request, error: Exception) -> JSONResponse:
    """4xx/5xx: the code of the domain error behind it, and its words for this caller."""
    assert isinstance(error, HTTPException)
    language = language_of(request)
    english = error.detail if isinstance(error.detail, str) else ""
    if isinstance(error, Refusal):
        code, params, extra = error.code, error.params, error.extra
        english = english if english != code else ""
    else:
        cause = error.__cause__
        code, params, extra = code_of(cause, error.status_code), params_of(cause), {}
    body = {"code": code, "detail": say(code, language, params=params, english=english), **extra}
    if error.status_code == 404:
        await scoping.audit_if_hidden(request)
    return JSONResponse(body, status_code=error.status_code, headers=_headers(error, language))


async def invalid(request: Request, error: Exception) -> JSONResponse:
    """422 with one entry per refused field: its name, the error type, the words."""
    assert isinstance(error, RequestValidationError)
    language = language_of(request)
    problems = [_field_problem(item, language) for item in error.errors()]
    separator = "；" if language == "zh-CN" else "; "
    colon = "：" if language == "zh-CN" else ": "
    summary = separator.join(f"{p['field']}{colon}{p['message']}" if p["field"] else p["message"]
                             for p in problems)
    return JSONResponse({"code": "invalid", "detail": summary, "errors": problems},
                        status_code=422, headers={"Content-Language": language})


def _field_problem(item: Any, language: Language) -> dict[str, str]:
    field = ".".join(str(part) for part in item["loc"] if part not in QUIET_LOCATIONS)
    pydantic = str(item["msg"]).removeprefix("Value error, ")
    kind = str(item["type"])
    message = say_field(kind, language, context=dict(item.get("ctx") or {}), pydantic=pydantic)
    if kind == "value_error":  # a validator's own sentence, written in English
        message = pydantic if language == "en" else REFUSED_VALUE
    return {"field": field, "code": kind, "message": message}


REFUSED_VALUE = "填写的值不符合要求"


def _headers(error: HTTPException, language: Language) -> dict[str, str]:
    headers = dict(error.headers or {})
    headers["Content-Language"] = language
    return headers
