"""Names for audit subjects: higher domains register how to name their rows (a senior by
name, not "senior 13"), since accounts may not import them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import AuditEntry, StaffUser

Namer = Callable[[AsyncSession, Sequence[int]], Awaitable[dict[int, str]]]


async def _staff_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, str]:
    """A staff account by its display name (its username when it has none)."""
    rows = await session.execute(select(StaffUser.id, StaffUser.display_name, StaffUser.username)
                                 .where(StaffUser.id.in_(ids)))
    return {row.id: row.display_name or row.username for row in rows}


_NAMERS: dict[str, Namer] = {"staff": _staff_names}


def register(subject_type: str, namer: Namer) -> None:
    _NAMERS[subject_type] = namer


async def names_for(session: AsyncSession, entries: Sequence[AuditEntry]
                    ) -> dict[tuple[str, str], str]:
    """(subject_type, subject_id) → name, for the entries whose type has a namer."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.subject_type in _NAMERS and (entry.subject_id or "").isdigit():
            wanted.setdefault(entry.subject_type, set()).add(int(entry.subject_id or 0))
    names: dict[tuple[str, str], str] = {}
    for subject_type, ids in wanted.items():
        found = await _NAMERS[subject_type](session, sorted(ids))
        names.update({(subject_type, str(i)): name for i, name in found.items()})
    return names
