"""The runtime context: every long-lived resource, created and closed by the app's lifespan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from config.settings import Settings
from runtime.bus import EventBus
from runtime.clock import Clock
from runtime.parts import Part, PartNotRunningError

if TYPE_CHECKING:
    from cluster.leases import Leases

T = TypeVar("T")


@dataclass
class Runtime:
    """What request handlers and background tasks share: the core every part stands on, and
    the runtimes the lifespan parts (runtime/parts.py) opened, read with ``part``."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    bus: EventBus
    leases: Leases  # cluster-wide jobs (cluster/leases.py)
    _parts: dict[Part[Any], object] = field(default_factory=dict, repr=False)

    def part(self, part: Part[T]) -> T:
        """The runtime ``part`` opened; an error naming it when it is not open."""
        try:
            return cast(T, self._parts[part])
        except KeyError:
            raise PartNotRunningError(
                f"the {part.name!r} part is not running: add it to the lifespan's parts "
                "(dashboard/app.py LIFESPAN_PARTS), and list it under the needs of the part "
                "that uses it") from None

    def provide(self, part: Part[T], value: T) -> None:
        self._parts[part] = value

    def withdraw(self, part: Part[Any]) -> None:
        self._parts.pop(part, None)
