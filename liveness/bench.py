"""``anxin bench liveness``: one 4-second, 15 fps, 640×480 session, pooled vs naive."""

from __future__ import annotations

import asyncio
import statistics
import time
from concurrent.futures import Executor
from pathlib import Path

from liveness import imaging
from liveness.actions import Action, script_for
from liveness.analysis import analyse, warm_up
from liveness.decision import Thresholds
from liveness.photo_frames import Presentation, photo_frames


async def benchmark(pool: Executor, *, faces: Path, workers: int, runs: int = 5
                    ) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    await asyncio.gather(*(loop.run_in_executor(pool, warm_up) for _ in range(workers)))
    photo = (faces / "obama2.jpg").read_bytes()
    template = await loop.run_in_executor(pool, imaging.judge_photo,
                                          (faces / "obama.jpg").read_bytes(),
                                          imaging.PhotoRules())
    assert template.template is not None
    frames = photo_frames(photo, seconds=4.0, fps=15.0, size=(640, 480),
                          how=Presentation(jiggle_px=4, tilt_degrees=20))
    script = script_for([Action.BLINK, Action.TURN_LEFT])
    walls = []
    for _ in range(runs):
        started = time.perf_counter()
        await analyse(pool, frames=frames, script=script, templates=[template.template],
                      thresholds=Thresholds(), workers=workers, width=320)
        walls.append(time.perf_counter() - started)
    started = time.perf_counter()
    await loop.run_in_executor(pool, imaging.naive_analysis, frames)
    naive = time.perf_counter() - started
    p50 = statistics.median(walls)
    p95 = sorted(walls)[max(0, round(0.95 * len(walls)) - 1)]
    return {"bench": "liveness", "frames": len(frames), "size": "640x480", "fps": 15,
            "workers": workers, "runs": runs, "p50_s": round(p50, 3), "p95_s": round(p95, 3),
            "checks_per_minute": round(60 / p50, 1), "naive_s": round(naive, 3),
            "speedup": round(naive / p50, 1)}
