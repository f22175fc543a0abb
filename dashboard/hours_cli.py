"""``anxin centre-hours ...``: when each centre answers its own work (areas/hours.py).

Outside its hours a centre's work goes to its parent at once (docs/operations.md → Centres
and areas). The running desk reads the change before its next task.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from areas import service as areas_service
from areas.exceptions import CentreNotFoundError, OpeningHoursError
from areas.hours import DEFAULT_TIME_ZONE, StoredHours, daily

hours_app = typer.Typer(help="Centres' opening hours: outside them their work goes to the "
                             "parent centre", no_args_is_help=True)


def _stored(every_day: str | None, always: bool, file: Path | None) -> StoredHours | None:
    """The hours asked for: exactly one of the three ways to give them."""
    if sum((every_day is not None, always, file is not None)) != 1:
        raise OpeningHoursError("give exactly one of --daily, --always or --file")
    if every_day is not None:
        opens, dash, closes = every_day.partition("-")
        if not dash:
            raise OpeningHoursError(f"--daily {every_day!r}: write it as 08:00-20:00")
        return daily(opens.strip(), closes.strip())
    if file is not None:
        try:
            loaded = json.loads(file.read_text())
        except (OSError, ValueError) as error:
            raise OpeningHoursError(f"{file}: {error}") from error
        if not isinstance(loaded, dict):
            raise OpeningHoursError(f"{file}: expected {{\"mon\": [[\"08:00\", \"20:00\"]], …}}")
        return loaded
    return None


async def _store(slug: str, hours: StoredHours | None, time_zone: str) -> str:
    from dashboard.cli import load_settings
    from storage.engine import create_sessionmaker, settings_engine

    engine = settings_engine(load_settings())
    try:
        async with create_sessionmaker(engine)() as session:
            centre = await areas_service.set_opening_hours(session, slug=slug, hours=hours,
                                                           time_zone=time_zone)
            await session.commit()
    finally:
        await engine.dispose()
    return centre.name_zh


@hours_app.command("set")
def set_hours(
    slug: Annotated[str, typer.Argument(help="the centre, e.g. erenhot")],
    every_day: Annotated[str | None, typer.Option(
        "--daily", help="the same hours every day, e.g. 08:00-20:00")] = None,
    always: Annotated[bool, typer.Option(help="open around the clock")] = False,
    file: Annotated[Path | None, typer.Option(
        help='JSON: {"mon": [["08:00", "12:00"], ["14:00", "20:00"]], …}; a day left out '
             "is closed")] = None,
    time_zone: Annotated[str, typer.Option(help="the centre's time zone")] = DEFAULT_TIME_ZONE,
) -> None:
    """Set a centre's opening hours; bad hours are refused with the reason, unchanged."""
    try:
        name = asyncio.run(_store(slug, _stored(every_day, always, file), time_zone))
    except (OpeningHoursError, CentreNotFoundError) as error:
        typer.echo(f"anxin: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(f"{name}: opening hours stored")
