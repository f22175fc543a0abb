"""``anxin liveness eval``: attacks and genuine sessions through the real pipeline, reported
as ISO/IEC 30107-3 style rates (APCER per attack type, BPCER) plus FMR/FNMR."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from liveness import imaging
from liveness.actions import Action, random_actions, script_for
from liveness.analysis import analyse, warm_up
from liveness.decision import Outcome, Thresholds, decide, distance, judge_identity
from liveness.detectors import judge_liveness
from liveness.models import ChallengeSession
from liveness.photo_frames import Presentation, photo_frames
from liveness.service import refusal
from liveness.synthetic import Performance, live_sequence, photo_sequence

SAME_PERSON = {"obama": ["obama2", "obama3"], "biden": ["biden2"]}
# obama-480p is obama.jpg downscaled (distance 0.055): a replay of the enrolment photo itself.
COPY_OF_ENROLMENT = ("obama-480p", "obama")


@dataclass
class Tally:
    attempts: int = 0
    accepted: int = 0

    def rate(self) -> float:
        return round(self.accepted / self.attempts, 4) if self.attempts else 0.0


@dataclass
class Report:
    apcer: dict[str, Tally] = field(default_factory=dict)
    genuine: Tally = field(default_factory=Tally)
    genuine_review: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def count(self, attack: str, outcome: Outcome) -> None:
        tally = self.apcer.setdefault(attack, Tally())
        tally.attempts += 1
        tally.accepted += outcome == Outcome.PASS


async def load_templates(pool: Executor, faces: Path) -> dict[str, list[float]]:
    loop = asyncio.get_running_loop()
    photos = await asyncio.to_thread(read_photos, faces)
    verdicts = await asyncio.gather(*(
        loop.run_in_executor(pool, imaging.judge_photo, data, imaging.PhotoRules())
        for data in photos.values()))
    return {name: v.template for name, v in zip(photos, verdicts, strict=True)
            if v.template is not None}


def read_photos(faces: Path) -> dict[str, bytes]:
    return {path.stem: path.read_bytes() for path in sorted(faces.glob("*.jpg"))}


def _synthetic_attacks(report: Report, templates: dict[str, list[float]], th: Thresholds,
                       rounds: int) -> None:
    rng = random.Random(7)
    probe = templates["obama2"]
    enrolled = [templates["obama"]]
    makers: dict[str, Callable[[float, int], object]] = {
        "still_photo": lambda s, seed: photo_sequence(seconds=s, seed=seed),
        "jiggled_photo": lambda s, seed: photo_sequence(seconds=s, jiggle=1.0, seed=seed),
        "tilted_photo": lambda s, seed: photo_sequence(seconds=s, tilt_degrees=35, seed=seed),
    }
    for n in range(rounds):
        script = script_for(random_actions())
        for attack, make in makers.items():
            sequence = make(script[-1].ends_at, n)
            findings = judge_liveness(sequence, script)  # type: ignore[arg-type]
            report.count(attack, decide(findings, judge_identity([probe, probe], enrolled,
                                                                 th)).outcome)
        live = judge_liveness(live_sequence(script, seed=n, who=Performance.of_an_older_person(
            rng)), script)
        swap = judge_identity([probe, templates["biden"], probe], enrolled, th)
        report.count("identity_swap", decide(live, swap).outcome)
        impostor = judge_identity([templates["biden"], templates["biden2"]], enrolled, th)
        report.count("impostor", decide(live, impostor).outcome)
        copy, original = COPY_OF_ENROLMENT
        replay = judge_identity([templates[copy], templates[copy]], [templates[original]], th)
        report.count("enrolment_photo_replay", decide(live, replay).outcome)


def _session_replays(report: Report, rounds: int) -> None:
    """The session rule: a used or expired session is never accepted, whatever it carries."""
    now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for n in range(rounds):
        session = ChallengeSession(nonce=f"n{n}", expires_at=now + timedelta(minutes=3),
                                   used_at=now)
        replayed = refusal(session, nonce=f"n{n}", now=now + timedelta(seconds=30))
        expired = ChallengeSession(nonce=f"n{n}", expires_at=now, used_at=None)
        late = refusal(expired, nonce=f"n{n}", now=now + timedelta(seconds=1))
        for reason in (replayed, late):
            report.count("expired_or_replayed_session",
                         Outcome.FAIL if reason is not None else Outcome.PASS)


def _genuine(report: Report, templates: dict[str, list[float]], th: Thresholds,
             rounds: int) -> None:
    rng = random.Random(11)
    for n in range(rounds):
        person = rng.choice(sorted(SAME_PERSON))
        probes = [templates[name] for name in SAME_PERSON[person] if name in templates]
        script = script_for(random_actions())
        findings = judge_liveness(live_sequence(
            script, seed=1000 + n, who=Performance.of_an_older_person(rng)), script)
        chosen = [rng.choice(probes) for _ in range(3)]
        verdict = decide(findings, judge_identity(chosen, [templates[person]], th))
        report.genuine.attempts += 1
        report.genuine.accepted += verdict.outcome == Outcome.FAIL
        report.genuine_review += verdict.outcome == Outcome.REVIEW


async def _image_attacks(report: Report, pool: Executor, faces: Path,
                         templates: dict[str, list[float]], th: Thresholds, workers: int) -> None:
    photo = (faces / "obama2.jpg").read_bytes()
    shows = {"still_photo": Presentation(), "jiggled_photo": Presentation(jiggle_px=6),
             "tilted_photo": Presentation(tilt_degrees=35),
             "screen_replay": Presentation(jiggle_px=3, tilt_degrees=20, screen=True)}
    turns = ([Action.TURN_LEFT, Action.BLINK], [Action.NOD, Action.TURN_RIGHT])
    for attack, how in shows.items():
        for seed in range(3):
            script = script_for(turns[seed] if seed < len(turns) else random_actions())
            frames = photo_frames(photo, seconds=script[-1].ends_at, fps=5, how=how, seed=seed)
            result = await analyse(pool, frames=frames, script=script,
                                   templates=[templates["obama"]], thresholds=th,
                                   workers=workers, width=320)
            report.count(attack, result.verdict.outcome)


def _verification_rates(templates: dict[str, list[float]], th: Thresholds) -> dict[str, float]:
    owner = {name: person for person, names in SAME_PERSON.items() for name in [person, *names]}
    names = [n for n in templates if n in owner]
    genuine = impostor = false_match = false_non_match = 0
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            d = distance(templates[a], templates[b])
            if owner[a] == owner[b]:
                genuine += 1
                false_non_match += d > th.accept
            else:
                impostor += 1
                false_match += d <= th.accept
    return {"fmr": round(false_match / max(impostor, 1), 4),
            "fnmr": round(false_non_match / max(genuine, 1), 4),
            "genuine_pairs": genuine, "impostor_pairs": impostor}


async def evaluate(pool: Executor, *, faces: Path, thresholds: Thresholds, workers: int,
                   rounds: int = 20) -> dict[str, object]:
    report = Report()
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    await asyncio.gather(*(loop.run_in_executor(pool, warm_up) for _ in range(workers)))
    templates = await load_templates(pool, faces)
    report.timings["templates_s"] = round(time.perf_counter() - started, 2)
    mark = time.perf_counter()
    _synthetic_attacks(report, templates, thresholds, rounds)
    _session_replays(report, rounds)
    _genuine(report, templates, thresholds, rounds * 4)
    report.timings["synthetic_s"] = round(time.perf_counter() - mark, 2)
    mark = time.perf_counter()
    await _image_attacks(report, pool, faces, templates, thresholds, workers)
    report.timings["image_attacks_s"] = round(time.perf_counter() - mark, 2)
    report.timings["total_s"] = round(time.perf_counter() - started, 2)
    return {
        "report": "liveness_eval",
        "apcer": {name: tally.rate() for name, tally in sorted(report.apcer.items())},
        "attempts": {name: tally.attempts for name, tally in sorted(report.apcer.items())},
        "bpcer": report.genuine.rate(), "genuine_attempts": report.genuine.attempts,
        "genuine_review_rate": round(report.genuine_review / max(report.genuine.attempts, 1), 4),
        "verification": _verification_rates(templates, thresholds),
        "thresholds": thresholds.as_dict(), "timings": report.timings,
    }
