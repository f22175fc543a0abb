"""How long prompts take to say, and how long a caller takes from answer to the queue.

Prompts are synthesised (Twilio's Polly voices, the phone page's speech synthesis), so their
length is estimated from the text: Mandarin at 4.5 characters a second (read Mandarin averages
about 224 ms a character: Lee & Chan, Int. J. Industrial Ergonomics 31(5), 2003), English at
2.5 words a second (150 words a minute), both slowed to ``SPEECH_RATE``, plus a pause at every
punctuation mark. Digits are read one by one (the Twilio adapter marks them up so).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from callcenter import ivr
from callcenter.port import CallAction, Enqueue, Gather, Say

SPEECH_RATE = 0.85  # prompts are spoken slower than a voice's default: seniors listen
ZH_CHARS_PER_SECOND = 4.5
EN_WORDS_PER_SECOND = 2.5
PAUSE_SECONDS = 0.2
MAX_PROMPTS = 10  # a path that has not reached the queue by then loops
# Issue 13's targets, from answer to the queue.
REGISTERED_TARGET_S = 10.0
SILENT_TARGET_S = 25.0
SAMPLE_NAME = "张桂英"  # a registered caller's greeting is measured with a three-character name

_SYLLABLE = re.compile(r"[\u3400-\u9fff]")  # one Han character, one syllable
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_PAUSE = re.compile(r"[，。；：！？、,.;:!?]")


def spoken_seconds(text: str) -> float:
    """Estimated seconds to say ``text`` at ``SPEECH_RATE``; a digit counts as a character in
    Mandarin and as a word among English words."""
    han = len(_SYLLABLE.findall(text))
    words = len(_WORD.findall(text))
    digits = len(_DIGIT.findall(text))
    if words > han:  # an English prompt: its digits are English words
        words, digits = words + digits, 0
    speaking = (han + digits) / ZH_CHARS_PER_SECOND + words / EN_WORDS_PER_SECOND
    return speaking / SPEECH_RATE + len(_PAUSE.findall(text)) * PAUSE_SECONDS


def heard_seconds(actions: Sequence[CallAction]) -> float:
    """Seconds of speech before the caller reaches an Enqueue (or the end of the actions)."""
    total = 0.0
    for action in actions:
        if isinstance(action, Enqueue):
            break
        if isinstance(action, Say):
            total += spoken_seconds(action.text)
        elif isinstance(action, Gather):
            total += spoken_seconds(action.prompt)
    return total


def silence_after(actions: Sequence[CallAction]) -> float | None:
    """Seconds from handing the actions to the phone until a silent caller is no input: the
    prompts, then the Gather's timeout. None when the actions ask nothing."""
    gather = _gather_of(actions)
    if gather is None:
        return None
    return heard_seconds(actions) + gather.timeout_seconds


def seconds_to_queue(first: ivr.IvrStep, keys: Sequence[str] = ()) -> float:
    """Seconds from answer until the caller reaches the Enqueue, along the menu path that
    ``keys`` take: every prompt heard to its end, each key pressed as its prompt ends; once the
    keys run out the caller says nothing and each Gather waits out its timeout."""
    step, pending, elapsed = first, list(keys), 0.0
    for _ in range(MAX_PROMPTS):
        elapsed += heard_seconds(step.actions)
        if any(isinstance(action, Enqueue) for action in step.actions):
            return elapsed
        gather = _gather_of(step.actions)
        if gather is None:
            raise ValueError(f"the path {step.chose!r} neither queues the caller nor asks")
        if pending:
            step = ivr.on_digits(step.state, pending.pop(0))
        else:
            elapsed += gather.timeout_seconds
            step = ivr.on_no_input(step.state)
    raise ValueError(f"not queued after {MAX_PROMPTS} prompts: the menu loops")


def queue_times() -> dict[str, float]:
    """What ``anxin bench ivr`` prints: answer → queue for each kind of caller, computed from
    the prompts and Gather timeouts, rounded to 0.1 s."""
    paths = {
        "registered_queued_s": (ivr.start(known=True, name=SAMPLE_NAME), ""),
        "open_alarm_queued_s": (ivr.start(emergency=True, name=SAMPLE_NAME), ""),
        "silent_queued_s": (ivr.start(), ""),
        # The Mandarin menu with every recorded-only language offered (FreeSWITCH, recorded).
        "silent_offered_queued_s": (ivr.start(recorded=ivr.RECORDED_ONLY), ""),
        "key_1_queued_s": (ivr.start(), "1"),
    }
    figures = {name: round(seconds_to_queue(first, keys), 1)
               for name, (first, keys) in paths.items()}
    return {**figures, "registered_target_s": REGISTERED_TARGET_S,
            "silent_target_s": SILENT_TARGET_S}


def _gather_of(actions: Sequence[CallAction]) -> Gather | None:
    return next((a for a in reversed(actions) if isinstance(a, Gather)), None)
