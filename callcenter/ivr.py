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
MN = "mn"
ENGLISH_KEY = "9"
MONGOLIAN_KEY = "8"
# Languages whose prompts exist only as recordings (no speech synthesis speaks them): a call
# is held in one only where the network has every prompt recorded in it; the words given with
# each action are then the Mandarin ones, said if a recording goes missing.
RECORDED_ONLY = (MN,)
# Added to the Mandarin menu where Mongolian is recorded, in the menu's own "X按N" words: the
# silent stranger's path must stay within prompt_timing.SILENT_TARGET_S with every offer added.
LANGUAGE_OFFER = {MN: "蒙古语按8。"}
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
    # The repeat has just said that waiting reaches a person, and a key during it counts:
    # the pause after it only lets a caller who heard "按1" press it.
    "menu_repeat": 2,
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
    # The caller's own language (routing looks for an operator who speaks it), when it is not
    # the prompts' language; and the recorded-only languages this call may switch to.
    caller_language: str = ""
    recorded: tuple[str, ...] = ()

    @property
    def speaks(self) -> str:
        return self.caller_language or self.language


@dataclass(frozen=True, slots=True)
class IvrStep:
    """The new state, the actions to perform, and what the caller chose (for the call's path)."""

    state: IvrState
    actions: tuple[CallAction, ...]
    chose: str


def start(*, emergency: bool = False, known: bool = False, name: str | None = None,
          language: str = ZH, caller_language: str = "",
          recorded: Sequence[str] = ()) -> IvrStep:
    """The first words on an inbound call. A known emergency (an alarm unit, an open alarm) and
    a registered senior skip the menu: a greeting, by name when the number is theirs alone, and
    an operator at once. ``recorded``: recorded-only languages the network can play."""
    usable = language in PROMPTS or language in recorded
    state = IvrState(language=language if usable else ZH,
                     caller_language=caller_language if caller_language != language else "",
                     recorded=tuple(recorded))
    if emergency:
        said = _greeting(state.language, "urgent", name)
        return _queue(state, said, EMERGENCY_QUEUE, EMERGENCY_PRIORITY, chose="fast-path:emergency")
    if known:
        said = _greeting(state.language, "known", name)
        return _queue(state, said, GENERAL_QUEUE, KNOWN_CALLER_PRIORITY, chose="fast-path:known")
    return _play_menu(state, chose="menu")


def prompt_language(languages: Sequence[str], recorded: Sequence[str] = ()) -> str:
    """The first of a senior's languages the prompts are written or recorded in (zh-CN
    otherwise)."""
    for language in languages:
        base = language.split("-")[0].lower()
        found = next((p for p in (*PROMPTS, *recorded) if p.split("-")[0] == base), None)
        if found is not None:
            return found
    return ZH


def caller_language(languages: Sequence[str]) -> str:
    """A senior's first language as routing names it (zh-CN, en-US, mn, …)."""
    if not languages:
        return ZH
    base = languages[0].split("-")[0].lower()
    return next((p for p in (*PROMPTS, *RECORDED_ONLY) if p.split("-")[0] == base), languages[0])


def on_digits(state: IvrState, digits: str) -> IvrStep:
    key = digits.strip()[:1]
    if key == ENGLISH_KEY and state.language != EN:
        return _play_menu(replace(state, language=EN, plays=0), chose="key:9")
    if key == MONGOLIAN_KEY and MN in state.recorded and state.language != MN:
        return _play_menu(replace(state, language=MN, caller_language="", plays=0),
                          chose="key:8")
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


def prompts_of(language: str) -> dict[str, str]:
    """A language's prompt words (a recorded-only language: the Mandarin ones)."""
    return PROMPTS.get(language, PROMPTS[ZH])


def _greeting(language: str, kind: str, name: str | None) -> Say:
    prompts = prompts_of(language)
    if name and language not in RECORDED_ONLY:  # a recording cannot say the caller's name
        return Say(prompts[f"{kind}_named"].format(name=name), language, f"{kind}_named")
    return Say(prompts[kind], language, kind)


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
    again = _play_menu(state, chose=chose)
    said = Say(prompts_of(state.language)["again"], state.language, "again")
    return IvrStep(again.state, (said, *again.actions), chose)


def _play_menu(state: IvrState, *, chose: str, prompt: str = "menu") -> IvrStep:
    hints = tuple(word for option in (*MENU, HUMAN) for word in option.keywords)
    text, key = prompts_of(state.language)[prompt], prompt
    if prompt == "menu" and state.language == ZH:
        for language in state.recorded:  # the offer is recorded in the language it offers
            text, key = f"{text}{LANGUAGE_OFFER[language]}", f"{key}+{language}/offer"
    gather = Gather(text, state.language, timeout_seconds=GATHER_TIMEOUTS[prompt],
                    speech_hints=hints, key=key)
    return IvrStep(replace(state, plays=state.plays + 1), (gather,), chose)


def _route(state: IvrState, option: MenuOption, *, chose: str) -> IvrStep:
    prompts = prompts_of(state.language)
    if option.priority == EMERGENCY_PRIORITY:
        said = Say(prompts["urgent"], state.language, "urgent")
    else:
        label = option.label.get(state.language, option.label[ZH])
        said = Say(prompts["connecting"].format(label=label), state.language,
                   f"connecting_{option.queue}")
    return _queue(state, said, option.queue, option.priority, chose=chose)


def _queue(state: IvrState, said: Say | None, queue: str, priority: int, *,
           chose: str) -> IvrStep:
    return IvrStep(replace(state, done=True),
                   (*((said,) if said else ()), Enqueue(queue, priority)), chose)
