"""The 12349 voice menu as data, and the pure step function that walks it.

Short, slow prompts; one repeat of the menu; 0, silence or a second wrong key reach a person.
The caller is never hung up on from the menu.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from callcenter.port import CallAction, Enqueue, Gather, Say

ZH = "zh-CN"
EN = "en-US"
ENGLISH_KEY = "9"
HUMAN_KEY = "0"
EMERGENCY_QUEUE = "emergency"
GENERAL_QUEUE = "general"
EMERGENCY_PRIORITY = 1
DEFAULT_PRIORITY = 3  # a call that has not chosen yet


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
        "welcome": "您好，这里是12349养老服务热线。",
        "menu": "紧急求助，请按1。政务咨询，请按2。服务申请，请按3。投诉建议，请按4。"
                "人工服务，请按0。For English, press 9。",
        "again": "没有听清，请再选一次。",
        "connecting": "正在为您转接{label}，请稍候，不要挂机。",
        "urgent": "正在为您紧急转接值班员，请不要挂机。",
    },
    EN: {
        "welcome": "Hello, this is the 12349 senior services line.",
        "menu": "For an emergency, press 1. Policy questions, press 2. Service requests, "
                "press 3. Complaints, press 4. For an operator, press 0.",
        "again": "Sorry, I did not catch that. Please choose again.",
        "connecting": "Connecting you to {label}. Please hold.",
        "urgent": "Connecting you to an operator now. Please stay on the line.",
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


def start(*, emergency: bool) -> IvrStep:
    """The first words on an inbound call; a known emergency skips the menu."""
    state = IvrState()
    if emergency:
        return _route(state, MENU[0], urgent=True, chose="fast-path:emergency")
    return _play_menu(state, chose="menu", greeting=True)


def on_digits(state: IvrState, digits: str) -> IvrStep:
    key = digits.strip()[:1]
    if key == ENGLISH_KEY and state.language != EN:
        return _play_menu(replace(state, language=EN, plays=0), chose="key:9", greeting=True)
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
    """Silence: play the menu once more, then hand the caller to a person."""
    if state.plays < MENU_PLAYS:
        return _play_menu(state, chose="silence")
    return _route(state, HUMAN, chose="silence:human")


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


def _play_menu(state: IvrState, *, chose: str, greeting: bool = False) -> IvrStep:
    prompts = PROMPTS[state.language]
    hints = tuple(word for option in (*MENU, HUMAN) for word in option.keywords)
    actions: list[CallAction] = []
    if greeting:
        actions.append(Say(prompts["welcome"], state.language))
    actions.append(Gather(prompts["menu"], state.language, speech_hints=hints))
    return IvrStep(replace(state, plays=state.plays + 1), tuple(actions), chose)


def _route(state: IvrState, option: MenuOption, *, chose: str, urgent: bool = False) -> IvrStep:
    prompts = PROMPTS[state.language]
    if urgent or option.priority == EMERGENCY_PRIORITY:
        text = prompts["urgent"]
    else:
        text = prompts["connecting"].format(label=option.label[state.language])
    actions = (Say(text, state.language), Enqueue(option.queue, option.priority))
    return IvrStep(replace(state, done=True), actions, chose)
