"""``anxin retention run``: roll up and delete now, instead of waiting for the background job."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

retention_app = typer.Typer(help="Retention and roll-ups of readings, audit and dead letters",
                            no_args_is_help=True)


@retention_app.command("run")
def run(
    verbose: Annotated[bool, typer.Option(help="one line per hour rolled up")] = False,
) -> None:
    """Run passes until every finished hour is rolled up and everything expired is gone."""
    from config.settings import Settings
    from retention import flows
    from runtime.clock import SystemClock
    from storage.engine import create_engine, create_sessionmaker
    from storage.migrate import upgrade

    settings = Settings()
    policy = flows.RetentionPolicy.from_settings(settings)

    def said(line: str) -> None:
        typer.echo(line)

    async def passes() -> flows.RetentionReport:
        engine = create_engine(settings.resolved_database_url)
        total = flows.RetentionReport()
        try:
            await upgrade(engine)
            sessions = create_sessionmaker(engine)
            while True:
                report = await flows.retention_pass(sessions, policy=policy, clock=SystemClock(),
                                                    on_batch=said if verbose else None)
                total.hours_rolled += report.hours_rolled
                total.days_rolled += report.days_rolled
                for name, count in report.deleted.items():
                    total.deleted[name] = total.deleted.get(name, 0) + count
                if report.hours_rolled < flows.HOURS_PER_PASS:
                    return total
        finally:
            await engine.dispose()

    total = asyncio.run(passes())
    typer.echo(f"rolled up {total.hours_rolled} hours and {total.days_rolled} days; "
               f"deleted {total.deleted}")
