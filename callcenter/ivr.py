"""The 12349 voice menu as data, and the pure step function that walks it.

A senior calling from a registered number skips the menu: a greeting by name and straight to
an operator. Everyone else hears short, slow prompts; a wrong key or silence repeats the menu
once, and the second wrong key or silence reaches a person. Nobody is hung up on from the menu.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from callcenter.port import CallAction, Enqueue, Gather, Say

ZH = "zh-CN"
EN = "en-US"
ENGLISH_KEY = "9"
HUMAN_KEY = "0"
EMERGENCY_QUEUE = "emergency"
GENERAL_QUEUE = "general"
EMERGENCY_PRIORITY = 1
KNOWN_CALLER_PRIORITY = 2  # a registered senior: ahead of strangers, behind emergencies
DEFAULT_PRIORITY = 3  # a call that has not chosen yet
# Seconds of silence after each prompt before it counts as no input: the one table both
# networks apply (Twilio renders it as <Gather timeout>, the simulator waits it out itself).
GATHER_TIMEOUTS: dict[str, int] = {
    "menu": 4,
    "menu_repeat": 3,  # the repeat has just said that waiting reaches a person
    "callback_offer": 6,
    "wellbeing": 8,
}


@dataclass(frozen=True, slots=True)
class MenuOption:
    """One menu entry: the key, where it goes, and the words that choose it by voice."""

    key: str
    queue: str
    priority: int
    label: dict[str, str]
    keywords: tuple[str, ...] = ()


MENU: tuple[MenuOption, ...] = (
    MenuOption("1", EMERGENCY_QUEUE, EMERGENCY_PRIORITY,
               {ZH: "紧急求助", EN: "an emergency"}, ("紧急", "救命", "急救", "emergency", "help")),
    MenuOption("2", "policy", 3, {ZH: "政务咨询", EN: "policy questions"},
               ("政策", "咨询", "补贴", "policy")),
    MenuOption("3", "service", 3, {ZH: "服务申请", EN: "a service request"},
               ("服务", "申请", "送餐", "service")),
    MenuOption("4", "complaint", 4, {ZH: "投诉建议", EN: "a complaint"}, ("投诉", "complaint")),
)
HUMAN = MenuOption(HUMAN_KEY, GENERAL_QUEUE, 3, {ZH: "人工服务", EN: "an operator"},
                   ("人工", "接线员", "operator"))

PROMPTS: dict[str, dict[str, str]] = {
    ZH: {
        "menu": "12349您好。紧急求助，请按1。政务咨询按2，服务申请按3，投诉建议按4，"
                "人工服务按0。For English, press 9.",
        "menu_repeat": "紧急求助请按1，稍候转人工。",
        "again": "没有听清，请再选一次。",
        "connecting": "正在为您转接{label}，请稍候。",
        "urgent": "正在为您紧急转接值班员，请不要挂机。",
        "urgent_named": "{name}您好，正在为您紧急转接值班员，请不要挂机。",
        "known": "您好，这里是12349，马上为您接通值班员，请不要挂机。",
        "known_named": "{name}您好，这里是12349，马上为您接通值班员，请不要挂机。",
    },
    EN: {
        "menu": "Hello, this is 12349. For an emergency, press 1. Policy questions, press 2. "
                "Service requests, press 3. Complaints, press 4. An operator, press 0.",
        "menu_repeat": "For an emergency, press 1, or hold for an operator.",
        "again": "Sorry, I did not catch that. Please choose again.",
        "connecting": "Connecting you to {label}. Please hold.",
        "urgent": "Connecting you to an operator now. Please stay on the line.",
        "urgent_named": "Hello {name}. Connecting you to an operator now. Please stay on the line.",
        "known": "Hello. Putting you through to an operator now. Please hold.",
        "known_named": "Hello {name}. Putting you through to an operator now. Please hold.",
    },
}
MENU_PLAYS = 2  # the menu once, then repeated once
WRONG_LIMIT = 2


@dataclass(frozen=True, slots=True)
class IvrState:
    """Where a caller is in the menu: language, how often it played, wrong keys so far."""

    language: str = ZH
    plays: int = 0
    wrong: int = 0
    done: bool = False


@dataclass(frozen=True, slots=True)
class IvrStep:
    """The new state, the actions to perform, and what the caller chose (for the call's path)."""

    state: IvrState
    actions: tuple[CallAction, ...]
    chose: str


def start(*, emergency: bool = False, known: bool = False, name: str | None = None,
          language: str = ZH) -> IvrStep:
    """The first words on an inbound call. A known emergency (an alarm unit, an open alarm) and
    a registered senior skip the menu: a greeting, by name when the number is theirs alone, and
    an operator at once."""
    state = IvrState(language=language if language in PROMPTS else ZH)
    if emergency:
        text = _greeting(state.language, "urgent", name)
        return _queue(state, text, EMERGENCY_QUEUE, EMERGENCY_PRIORITY, chose="fast-path:emergency")
    if known:
        text = _greeting(state.language, "known", name)
        return _queue(state, text, GENERAL_QUEUE, KNOWN_CALLER_PRIORITY, chose="fast-path:known")
    return _play_menu(state, chose="menu")


def prompt_language(languages: Sequence[str]) -> str:
    """The first of a senior's languages the prompts are written in (zh-CN otherwise)."""
    for language in languages:
        found = next((p for p in PROMPTS if p.split("-")[0] == language.split("-")[0].lower()),
                     None)
        if found is not None:
            return found
    return ZH


def on_digits(state: IvrState, digits: str) -> IvrStep:
    key = digits.strip()[:1]
    if key == ENGLISH_KEY and state.language != EN:
        return _play_menu(replace(state, language=EN, plays=0), chose="key:9")
    option = _option_for_key(key)
    if option is None:
        return _wrong(state, chose=f"key:{key or '?'}")
    return _route(state, option, chose=f"key:{key}")


def on_speech(state: IvrState, text: str) -> IvrStep:
    option = _option_for_speech(text)
    if option is None:
        return _wrong(state, chose="speech:?")
    return _route(state, option, chose=f"speech:{option.key}")


def on_no_input(state: IvrState) -> IvrStep:
    """Silence: a short repeat that says waiting reaches a person, then a person (the repeat
    has told them, and the queue's hold message follows at once)."""
    if state.plays < MENU_PLAYS:
        return _play_menu(state, chose="silence", prompt="menu_repeat")
    return _queue(state, None, HUMAN.queue, HUMAN.priority, chose="silence:human")


def _greeting(language: str, kind: str, name: str | None) -> str:
    prompts = PROMPTS[language]
    return prompts[f"{kind}_named"].format(name=name) if name else prompts[kind]


def _option_for_key(key: str) -> MenuOption | None:
    if key == HUMAN_KEY:
        return HUMAN
    return next((option for option in MENU if option.key == key), None)


def _option_for_speech(text: str) -> MenuOption | None:
    lowered = text.lower()
    for option in (*MENU, HUMAN):  # emergency first: "救命" wins over anything else said
        if any(word in lowered for word in option.keywords):
            return option
    return None


def _wrong(state: IvrState, *, chose: str) -> IvrStep:
    state = replace(state, wrong=state.wrong + 1)
    if state.wrong >= WRONG_LIMIT:
        return _route(state, HUMAN, chose=f"{chose}:human")
    prompts = PROMPTS[state.language]
    again = _play_menu(state, chose=chose)
    return IvrStep(again.state, (Say(prompts["again"], state.language), *again.actions), chose)


def _play_menu(state: IvrState, *, chose: str, prompt: str = "menu") -> IvrStep:
    hints = tuple(word for option in (*MENU, HUMAN) for word in option.keywords)
    gather = Gather(PROMPTS[state.language][prompt], state.language,
                    timeout_seconds=GATHER_TIMEOUTS[prompt], speech_hints=hints)
    return IvrStep(replace(state, plays=state.plays + 1), (gather,), chose)


def _route(state: IvrState, option: MenuOption, *, chose: str) -> IvrStep:
    prompts = PROMPTS[state.language]
    if option.priority == EMERGENCY_PRIORITY:
        text = prompts["urgent"]
    else:
        text = prompts["connecting"].format(label=option.label[state.language])
    return _queue(state, text, option.queue, option.priority, chose=chose)


def _queue(state: IvrState, text: str | None, queue: str, priority: int, *,
           chose: str) -> IvrStep:
    said = (Say(text, state.language),) if text else ()
    return IvrStep(replace(state, done=True), (*said, Enqueue(queue, priority)), chose)
