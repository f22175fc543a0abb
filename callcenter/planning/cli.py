"""``anxin plan staffing``: the Erlang C planner on the command line."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from callcenter.planning.erlang import plan

plan_app = typer.Typer(help="Planning: staffing", no_args_is_help=True)


@plan_app.command("staffing")
def staffing(
    calls_per_hour: Annotated[float, typer.Option(help="calls offered per hour")],
    handle_minutes: Annotated[float, typer.Option(help="average handle time, minutes")],
    target: Annotated[float, typer.Option(help="share answered within the threshold")] = 0.985,
    within: Annotated[float, typer.Option(help="answer threshold, seconds")] = 60,
    shrinkage: Annotated[float, typer.Option(help="breaks, training, leave (share)")] = 0.0,
) -> None:
    """Print the operators needed (Erlang C) as one JSON line."""
    try:
        result = plan(calls_per_hour=calls_per_hour, handle_seconds=handle_minutes * 60,
                      target=target, within_seconds=within, shrinkage=shrinkage)
    except ValueError as error:
        typer.echo(f"anxin: {error}", err=True)
        raise typer.Exit(2) from error
    typer.echo(json.dumps(asdict(result), ensure_ascii=False))
