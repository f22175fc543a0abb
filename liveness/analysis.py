"""The analysis pipeline over the process pool: frames → landmarks → findings → encodings on
chosen frames → verdict. The event loop only awaits the pool."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context

from liveness import imaging
from liveness.actions import Action, ScriptStep
from liveness.decision import Thresholds, Verdict, decide, judge_identity
from liveness.detectors import (
    DEPTH_ACTIONS,
    LivenessFindings,
    LivenessRules,
    judge_liveness,
    with_texture_depth,
)
from liveness.imaging import TimedFrame
from liveness.landmarks import FaceFrame, LandmarkSequence


@dataclass(frozen=True)
class Analysis:
    verdict: Verdict
    findings: LivenessFindings
    chosen_frames: list[int] = field(default_factory=list)
    seconds: float = 0.0


def open_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes started fresh (spawn), never forked from the running server."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))


@asynccontextmanager
async def pool_of(workers: int) -> AsyncIterator[ProcessPoolExecutor]:
    pool = open_pool(workers)
    try:
        yield pool
    finally:
        await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)


def warm_up() -> int:
    """Load dlib's models in a worker (called once per worker by the benchmark and server)."""
    imaging._models()
    return 1


def _judge(sequence: LandmarkSequence, script: list[ScriptStep], rules: LivenessRules
           ) -> LivenessFindings:
    return judge_liveness(sequence, script, rules)


async def landmarks_in_pool(pool: Executor, frames: list[TimedFrame], *, workers: int,
                            width: int) -> LandmarkSequence:
    """Split the frames into one run per worker; each run detects on its own first frame."""
    loop = asyncio.get_running_loop()
    size = max(1, -(-len(frames) // workers))
    runs = [frames[i:i + size] for i in range(0, len(frames), size)]
    parts = await asyncio.gather(*(
        loop.run_in_executor(pool, imaging.track_landmarks, run, width) for run in runs))
    merged: list[FaceFrame] = [frame for part in parts for frame in part]
    frame_width, frame_height = await loop.run_in_executor(pool, imaging.frame_size,
                                                           frames[0].jpeg)
    return LandmarkSequence(frame_width, frame_height, merged)


async def _planarity(pool: Executor, frames: list[TimedFrame], sequence: LandmarkSequence,
                     findings: LivenessFindings) -> dict[Action, float | None]:
    """For each turn or nod seen: does the face texture from the baseline to the peak move as
    one plane? (Tracked through at most 16 frames in a worker.)"""
    loop = asyncio.get_running_loop()
    if not findings.chosen_frames:
        return {}
    start = findings.chosen_frames[0]
    box = sequence.frames[start].box
    asked = [f for f in findings.actions
             if f.found and f.frame is not None and f.action in DEPTH_ACTIONS]
    if box is None or not asked:
        return {}
    jobs = []
    for finding in asked:
        assert finding.frame is not None
        step = max(1, (finding.frame - start) // 15)
        picks = [*range(start, finding.frame, step), finding.frame]
        jobs.append(loop.run_in_executor(pool, imaging.texture_planarity,
                                         [frames[i].jpeg for i in picks], box))
    shares = await asyncio.gather(*jobs)
    return {finding.action: share for finding, share in zip(asked, shares, strict=True)}


async def analyse(pool: Executor, *, frames: list[TimedFrame], script: list[ScriptStep],
                  templates: list[list[float]], thresholds: Thresholds, workers: int,
                  width: int, rules: LivenessRules | None = None) -> Analysis:
    started = time.perf_counter()
    loop = asyncio.get_running_loop()
    sequence = await landmarks_in_pool(pool, frames, workers=workers, width=width)
    findings = await loop.run_in_executor(pool, _judge, sequence, script,
                                          rules or LivenessRules())
    findings = with_texture_depth(findings, await _planarity(pool, frames, sequence, findings),
                                  rules)
    identity = None
    if findings.chosen_frames:
        encodings = await asyncio.gather(*(
            loop.run_in_executor(pool, imaging.encode_at, frames[i].jpeg, box)
            for i in findings.chosen_frames if (box := sequence.frames[i].box) is not None))
        identity = judge_identity(list(encodings), templates, thresholds)
    verdict = decide(findings, identity)
    return Analysis(verdict, findings, findings.chosen_frames, time.perf_counter() - started)
