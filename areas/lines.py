"""Which centre a call from an unknown number is for: the one whose line it dialled.

Each centre's numbers (its 12349 line with the long-distance prefix, a trunk's number) are
rows of ``centre_lines``. The centre's operators are offered the call first; with none on
duty there, routing passes it to the parent centre (callcenter/routing/engine.py). A dialled
number no centre claims (the platform's own hotline) leaves the call every centre's, as an
unknown caller's call was before centres had lines.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from areas.models import Centre, CentreLine
from areas.service import centre_by_slug


def line_key(number: str) -> str:
    """A dialled number as lines are stored: digits only, without the country code or the
    trunk prefix 0 (``+86 479 7512349``, ``0479-7512349`` → ``4797512349``)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if digits.startswith("86") and len(digits) > 11:
        digits = digits[2:]
    return digits.lstrip("0")


async def add_line(session: AsyncSession, *, centre_slug: str, number: str) -> str:
    """Let ``centre_slug`` answer ``number``; the stored key. Raises ValueError for a number
    without digits, CentreNotFoundError for an unknown centre."""
    key = line_key(number)
    if not key:
        raise ValueError(f"{number!r} is not a phone number")
    centre = await centre_by_slug(session, centre_slug)
    session.add(CentreLine(number=key, centre_id=centre.id))
    await session.flush()
    return key


async def line_areas(session: AsyncSession) -> dict[str, str]:
    """The area each known line belongs to (its centre's), by line key."""
    rows = await session.execute(select(CentreLine.number, Centre.area_code)
                                 .join(Centre, Centre.id == CentreLine.centre_id)
                                 .execution_options(everywhere=True))
    return {row.number: row.area_code for row in rows}


async def area_of_dialled(session: AsyncSession, dialled: str) -> str | None:
    """The area of the centre whose line ``dialled`` is (None: no centre's line)."""
    return await session.scalar(select(Centre.area_code)
                                .join(CentreLine, Centre.id == CentreLine.centre_id)
                                .where(CentreLine.number == line_key(dialled))
                                .execution_options(everywhere=True))


def area_of_line(lines: dict[str, str], dialled: str) -> str | None:
    """The area of the centre whose line ``dialled`` is (None: no centre's line)."""
    return lines.get(line_key(dialled))

