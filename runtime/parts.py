"""Lifespan parts: each domain's long-lived resources, declared with the parts they need.

A part is data: a name, the parts it needs, and an opener that builds the part's own typed
runtime (a broker client, a phone network, a process pool). ``open_parts`` checks the list
before opening anything, so a part that needs one missing from the list, or listed after it,
stops the start-up with both names instead of quietly running without it.

The list is checked, not sorted: it is read top to bottom as the start-up order (and bottom to
top as the shutdown order), and an order written down is one a reviewer can see. A sorted list
would start in an order nobody wrote, and would still have to reject a cycle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from runtime.context import Runtime

T = TypeVar("T")


class PartOrderError(RuntimeError):
    """The lifespan's list of parts cannot start: a part needs one that is missing, listed
    after it, or listed twice. Raised at start-up, before any part opens."""


class PartNotRunningError(RuntimeError):
    """Code asked for a part that is not open (not in the lifespan's list, or already closed)."""


@dataclass(frozen=True, eq=False)
class Part(Generic[T]):
    """One domain's lifespan part: ``open`` yields the part's runtime, which other code then
    reads with ``runtime.part(THIS_PART)``."""

    name: str
    open: Callable[[Runtime], AbstractAsyncContextManager[T]]
    needs: tuple[Part[Any], ...] = ()

    def __repr__(self) -> str:
        return f"Part({self.name!r})"


def check_order(parts: Sequence[Part[Any]]) -> None:
    """Every part's needs come before it in ``parts``; the error names both parts."""
    listed = {part.name for part in parts}
    opened: set[str] = set()
    for part in parts:
        if part.name in opened:
            raise PartOrderError(f"lifespan part {part.name!r} is listed twice")
        for need in part.needs:
            if need.name not in listed:
                raise PartOrderError(f"lifespan part {part.name!r} needs part {need.name!r}, "
                                     "which is not in the list")
            if need.name not in opened:
                raise PartOrderError(f"lifespan part {part.name!r} needs part {need.name!r}, "
                                     f"which is listed after it: move {need.name!r} up")
        opened.add(part.name)


@asynccontextmanager
async def open_parts(runtime: Runtime, parts: Sequence[Part[Any]]) -> AsyncIterator[None]:
    """Open ``parts`` in order and offer each one's runtime; close them in reverse."""
    check_order(parts)
    async with AsyncExitStack() as stack:
        for part in parts:
            value = await stack.enter_async_context(part.open(runtime))
            runtime.provide(part, value)
            stack.callback(runtime.withdraw, part)
        yield
