"""The challenge actions as data: what each asks, how it is spoken, how long it may take."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum


class Action(StrEnum):
    BLINK = "blink"
    OPEN_MOUTH = "open_mouth"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    NOD = "nod"


@dataclass(frozen=True)
class ActionSpec:
    action: Action
    prompt_zh: str
    prompt_en: str
    # Generous: an 85-year-old hears the prompt, understands it and moves slowly.
    window_seconds: float


ACTIONS: dict[Action, ActionSpec] = {
    Action.BLINK: ActionSpec(Action.BLINK, "请眨眨眼", "Please blink", 5.0),
    Action.OPEN_MOUTH: ActionSpec(Action.OPEN_MOUTH, "请张开嘴", "Please open your mouth", 5.0),
    Action.TURN_LEFT: ActionSpec(Action.TURN_LEFT, "请向左转头", "Please turn your head left", 6.0),
    Action.TURN_RIGHT: ActionSpec(Action.TURN_RIGHT, "请向右转头", "Please turn your head right",
                                  6.0),
    Action.NOD: ActionSpec(Action.NOD, "请点点头", "Please nod", 6.0),
}
# The first seconds of every session: hold still and look at the camera (the neutral baseline).
BASELINE_SECONDS = 1.5


@dataclass(frozen=True)
class ScriptStep:
    """One action and the window (seconds from the first frame) in which it must happen."""

    action: Action
    starts_at: float
    ends_at: float


def random_actions(count: int | None = None) -> list[Action]:
    """2–3 different actions in random order, from the system's random source."""
    rng = secrets.SystemRandom()
    wanted = count if count is not None else rng.choice((2, 3))
    return rng.sample(list(Action), wanted)


def script_for(actions: list[Action]) -> list[ScriptStep]:
    """Consecutive windows after the baseline, one per action."""
    steps: list[ScriptStep] = []
    start = BASELINE_SECONDS
    for action in actions:
        end = start + ACTIONS[action].window_seconds
        steps.append(ScriptStep(action, start, end))
        start = end
    return steps
