"""Whose areas the current work may see: set once per authenticated request, read by the
database filter (storage/scope.py) and the live feed.

Work that no staff member asked for (background loops, the ingest, webhooks, work spawned
after an answer) runs with EVERYWHERE: the system serves every centre.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import Context, ContextVar, copy_context
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AreaScope:
    """Area-code prefixes a caller may see; None means every area (and rows with none)."""

    prefixes: frozenset[str] | None

    def covers(self, area_code: str | None) -> bool:
        if self.prefixes is None:
            return True
        return area_code is not None and any(area_code.startswith(p) for p in self.prefixes)


EVERYWHERE = AreaScope(None)
_current: ContextVar[AreaScope] = ContextVar("area_scope", default=EVERYWHERE)


def current_scope() -> AreaScope:
    return _current.get()


def enter_scope(scope: AreaScope) -> None:
    """Narrow the rest of this request (its task) to ``scope``."""
    _current.set(scope)


@contextmanager
def scoped(scope: AreaScope) -> Iterator[None]:
    """Run the block as a caller with ``scope`` (tests, and work done on someone's behalf)."""
    token = _current.set(scope)
    try:
        yield
    finally:
        _current.reset(token)


def everywhere_context() -> Context:
    """A copy of the current context that sees every area (for tasks started by a request)."""
    context = copy_context()
    context.run(_current.set, EVERYWHERE)
    return context
