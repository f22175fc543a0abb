"""``anxin liveness ...`` commands and the ``anxin bench liveness`` benchmark."""

from __future__ import annotations

import asyncio
import json
import warnings
from pathlib import Path
from typing import Annotated

import typer

from liveness.analysis import pool_of
from liveness.decision import Thresholds

# The photos kept with the tests (tests/liveness/faces/SOURCES.md says where they come from).
DEFAULT_FACES = Path(__file__).resolve().parents[1] / "tests" / "liveness" / "faces"
liveness_app = typer.Typer(help="Proof-of-life for subsidies", no_args_is_help=True)
FacesOption = Annotated[Path, typer.Option(help="folder with the test photos")]


@liveness_app.command("rotate-key")
def rotate_key_command() -> None:
    """Re-encrypt every template and audit frame under ANXIN_BIOMETRIC_KEY (opening them with
    ANXIN_BIOMETRIC_KEY_PREVIOUS); prints one JSON line, exits 1 if some rows stay unreadable."""
    from config.exceptions import InsecureSettingsError
    from config.keys import biometric_keys
    from config.settings import Settings, prepare_secrets
    from liveness.rotation import ResealReport, reseal_all
    from storage.engine import create_sessionmaker, settings_engine
    from storage.migrate import upgrade

    try:
        settings = prepare_secrets(Settings())
    except InsecureSettingsError as error:
        typer.echo(f"anxin: refusing to start: {error}", err=True)
        raise typer.Exit(2) from error

    async def run() -> ResealReport:
        engine = settings_engine(settings)
        try:
            await upgrade(engine)
            async with create_sessionmaker(engine)() as session:
                report = await reseal_all(session, biometric_keys(settings))
                await session.commit()
            return report
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    typer.echo(json.dumps({"key_id": report.key_id, "templates": report.templates,
                           "audit_frames": report.audit_frames,
                           "unreadable": report.unreadable}))
    if report.unreadable:
        raise typer.Exit(1)


@liveness_app.command("eval")
def evaluate_command(faces: FacesOption = DEFAULT_FACES,
                     rounds: Annotated[int, typer.Option(min=1)] = 10,
                     workers: Annotated[int, typer.Option(min=1)] = 2) -> None:
    """Attack and genuine sessions through the real pipeline; prints one JSON report."""
    from config.settings import Settings
    from liveness.evaluation import evaluate

    settings = Settings()
    thresholds = Thresholds(settings.liveness_accept_distance, settings.liveness_review_distance,
                            settings.liveness_replay_distance)

    async def run() -> dict[str, object]:
        async with pool_of(workers) as pool:
            return await evaluate(pool, faces=faces, thresholds=thresholds, workers=workers,
                                  rounds=rounds)

    warnings.simplefilter("ignore")
    typer.echo(json.dumps(asyncio.run(run()), ensure_ascii=False))


def bench_liveness(faces: FacesOption = DEFAULT_FACES,
                   workers: Annotated[int, typer.Option(min=1)] = 2,
                   runs: Annotated[int, typer.Option(min=1)] = 5) -> None:
    """One 4 s, 15 fps, 640×480 session: pooled p50/p95 against the naive way."""
    from liveness.bench import benchmark

    async def run() -> dict[str, object]:
        async with pool_of(workers) as pool:
            return await benchmark(pool, faces=faces, workers=workers, runs=runs)

    warnings.simplefilter("ignore")
    typer.echo(json.dumps(asyncio.run(run())))
