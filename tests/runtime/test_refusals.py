"""The refusal table: every domain error has a code with words in both languages."""

from __future__ import annotations

import importlib
import inspect

import pytest

from runtime.language import negotiate
from runtime.refusals import BY_STATUS, REFUSALS, code_of, say

DOMAIN_ERRORS = ["accounts", "alarms", "alerts", "callcenter", "callcenter.knowledge",
                 "devices", "dispatch", "incidents", "liveness", "seniors"]


def domain_errors() -> list[type[Exception]]:
    found = []
    for package in DOMAIN_ERRORS:
        module = importlib.import_module(f"{package}.exceptions")
        found += [value for _, value in inspect.getmembers(module, inspect.isclass)
                  if issubclass(value, Exception) and value.__module__ == module.__name__]
    return found


@pytest.mark.parametrize("error", domain_errors(), ids=lambda error: error.__name__)
def test_every_domain_error_has_its_own_code(error: type[Exception]) -> None:
    """A domain error maps to its own entry in the table, not to a status's generic words."""
    instance = error.__new__(error)
    code = code_of(instance, 409)
    assert code not in BY_STATUS.values(), f"{error.__name__} has no words in REFUSALS"


def test_every_code_has_words_in_both_languages() -> None:
    """No empty sentence in either language."""
    assert all(words.zh.strip() and words.en.strip() for words in REFUSALS.values())


@pytest.mark.parametrize(("header", "language"), [
    (None, "en"), ("zh-CN,zh;q=0.9", "zh-CN"), ("en-US,en;q=0.9", "en"),
    ("fr-FR, en;q=0.5, zh;q=0.8", "zh-CN"), ("de-DE", "zh-CN"), ("en;q=0, zh;q=0.1", "zh-CN"),
])
def test_the_language_follows_accept_language(header: str | None, language: str) -> None:
    """The best-weighted of zh / en wins; no header means a program, which gets English."""
    assert negotiate(header) == language


def test_words_without_the_field_they_name_drop_it() -> None:
    """A template's field the error did not carry is left out, never shown as {name}."""
    assert say("device_not_found", "zh-CN") == "找不到设备"
