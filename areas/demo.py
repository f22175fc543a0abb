"""The demo's centres: Hohhot's city centre, and two border stations under their leagues."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from areas import lines, service
from areas.exceptions import CentreNotFoundError
from areas.hours import StoredHours, daily

# (slug, area, parent centre, zh-CN name, English name); "region" comes with the schema.
DEMO_CENTRES: tuple[tuple[str, str, str, str, str], ...] = (
    ("hohhot", "150100", "region", "呼和浩特市12349养老服务中心", "Hohhot 12349 centre"),
    ("xilingol", "152500", "region", "锡林郭勒盟12349养老服务中心", "Xilingol League 12349 centre"),
    ("erenhot", "152501", "xilingol", "二连浩特市12349服务站", "Erenhot 12349 station"),
    ("hulunbuir", "150700", "region", "呼伦贝尔市12349养老服务中心", "Hulunbuir 12349 centre"),
    ("manzhouli", "150781", "hulunbuir", "满洲里市12349服务站", "Manzhouli 12349 station"),
)

# The border stations answer their own work by day; at night the league centre does.
DEMO_HOURS: dict[str, StoredHours] = {"erenhot": daily("08:00", "20:00"),
                                      "manzhouli": daily("08:00", "20:00")}
# The number each demo centre answers (made up in the form a 12349 line has: the city's
# long-distance prefix, then 12349 or a local number ending in it).
DEMO_LINES: tuple[tuple[str, str], ...] = (
    ("hohhot", "0471-12349"),
    ("xilingol", "0479-12349"),
    ("erenhot", "0479-7512349"),
    ("hulunbuir", "0470-12349"),
    ("manzhouli", "0470-6212349"),
)


async def seed_centres(session: AsyncSession) -> int:
    """Add the demo's areas and centres that are missing; returns how many centres."""
    await service.ensure_areas(session)
    added = 0
    for slug, area, parent, name_zh, name_en in DEMO_CENTRES:
        try:
            await service.centre_by_slug(session, slug)
        except CentreNotFoundError:
            await service.add_centre(session, slug=slug, area_code=area, name_zh=name_zh,
                                     name_en=name_en, parent_slug=parent)
            if slug in DEMO_HOURS:
                await service.set_opening_hours(session, slug=slug, hours=DEMO_HOURS[slug])
            added += 1
    known = await lines.line_areas(session)
    for slug, number in DEMO_LINES:
        if lines.line_key(number) not in known:
            await lines.add_line(session, centre_slug=slug, number=number)
    return added
