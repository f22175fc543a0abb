"""Call actions as FreeSWITCH dialplan applications, and FreeSWITCH's news as call statuses.

Prompts play as recorded files (``<prompt_dir>/<language>/<key>.wav``) where every file of a
prompt exists, and are spoken through the configured TTS engine otherwise. Key input is
``play_and_get_digits`` with the Gather's own timeout; with an ASR configured it is
``play_and_detect_speech``, which hears keys and words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from xml.etree import ElementTree

from callcenter import ivr
from callcenter.port import (
    CallAction,
    CallStatus,
    Conference,
    ConnectOperator,
    Enqueue,
    Gather,
    Hangup,
    Say,
)

DIGITS_VAR = "anxin_digits"
SPEECH_VAR = "detect_speech_result"
GATHER_APPS = frozenset({"play_and_get_digits", "play_and_detect_speech"})
# Applications a caller stays in until something happens: the caller is then "waiting".
BLOCKING_APPS = GATHER_APPS | {"park", "conference", "bridge", "eavesdrop"}
CONFERENCE_PROFILE = "default"
# Hangup-Cause of a leg that ended (FreeSWITCH's Q.850 names) → its final status.
HANGUP_STATUS: dict[str, CallStatus] = {
    "NORMAL_CLEARING": CallStatus.COMPLETED,
    "NO_ANSWER": CallStatus.NO_ANSWER,
    "NO_USER_RESPONSE": CallStatus.NO_ANSWER,
    "ALLOTTED_TIMEOUT": CallStatus.NO_ANSWER,
    "ORIGINATOR_CANCEL": CallStatus.CANCELED,
    "USER_BUSY": CallStatus.BUSY,
    "CALL_REJECTED": CallStatus.BUSY,
}
# Events on the control link that move a leg's status (the hang-up goes through HANGUP_STATUS).
EVENT_STATUS: dict[str, CallStatus] = {
    "CHANNEL_PROGRESS": CallStatus.RINGING,
    "CHANNEL_PROGRESS_MEDIA": CallStatus.RINGING,
    "CHANNEL_ANSWER": CallStatus.IN_PROGRESS,
}
_INPUT = re.compile(r"^\s*<")


@dataclass(frozen=True, slots=True)
class App:
    """One dialplan application and its argument."""

    name: str
    arg: str = ""


@dataclass(frozen=True, slots=True)
class Voice:
    """How prompts sound: recordings, the TTS engine and voice, an ASR, hold music."""

    prompt_dir: Path | None = None
    tts_engine: str = "tts_commandline"
    tts_voice: str = "zh"
    asr: str | None = None
    hold_music: str = "local_stream://moh"
    # (language, key) of every recording found by ``scanned`` (read once, off the loop).
    recorded: frozenset[tuple[str, str]] = frozenset()

    def scanned(self) -> Voice:
        """This voice with the recordings in ``prompt_dir`` listed (blocking: a thread)."""
        if self.prompt_dir is None:
            return self
        found = frozenset((path.parent.name, path.stem)
                          for path in self.prompt_dir.glob("*/*.wav") if path.is_file())
        return replace(self, recorded=found)

    def recording(self, language: str, key: str) -> str | None:
        """The file string for a prompt when every part of it is recorded (``a+mn/b``: two
        files played one after the other), else None."""
        if self.prompt_dir is None or not key:
            return None
        files = []
        for part in key.split("+"):
            lang, _, name = part.rpartition("/")
            if (lang or language, name) not in self.recorded:
                return None
            files.append(str(self.prompt_dir / (lang or language) / f"{name}.wav"))
        return files[0] if len(files) == 1 else "file_string://" + "!".join(files)

    def recorded_languages(self) -> tuple[str, ...]:
        """Recorded-only languages with their menu and greetings all recorded."""
        needed = ("menu", "menu_repeat", "again", "known", "urgent", "hold")
        return tuple(lang for lang in ivr.RECORDED_ONLY
                     if all(self.recording(lang, key) for key in needed))

    def prompt(self, text: str, language: str, key: str) -> str:
        """A file string that plays the recording, or speaks the words."""
        return self.recording(language, key) or f"speak:{self.tts_engine}|{self.tts_voice}|{text}"


def render(actions: tuple[CallAction, ...], *, voice: Voice) -> tuple[App, ...]:
    """The applications, in order, that perform the actions on the caller's channel."""
    return tuple(app for action in actions for app in _apps(action, voice))


def _apps(action: CallAction, voice: Voice) -> tuple[App, ...]:
    if isinstance(action, Say):
        recorded = voice.recording(action.language, action.key)
        if recorded:
            return (App("playback", recorded),)
        return (App("speak", f"{voice.tts_engine}|{voice.tts_voice}|{action.text}"),)
    if isinstance(action, Gather):
        return (_gather(action, voice),)
    if isinstance(action, Enqueue):
        return (App("set", f"anxin_queue={action.queue}"),
                App("set", f"anxin_priority={action.priority}"), App("park"))
    if isinstance(action, ConnectOperator):
        return (App("bridge", dial_string(action.operator, gateway="")),)
    if isinstance(action, Conference):
        return (App("conference", f"{action.name}@{CONFERENCE_PROFILE}"),)
    if isinstance(action, Hangup):
        return (App("hangup", "NORMAL_CLEARING"),)
    raise TypeError(f"no FreeSWITCH rendering for {action!r}")


def _gather(action: Gather, voice: Voice) -> App:
    prompt = _quoted(voice.prompt(action.prompt, action.language, action.key))
    timeout_ms = action.timeout_seconds * 1000
    if voice.asr:
        params = f"{{start-input-timers=false,no-input-timeout={timeout_ms}}}"
        return App("play_and_detect_speech",
                   f"{prompt} detect:{voice.asr} {params}builtin:grammar/anxin-menu")
    # min max tries timeout terminators file invalid-file variable regexp
    return App("play_and_get_digits",
               f"1 1 1 {timeout_ms} # {prompt} silence_stream://250 {DIGITS_VAR} \\d")


def _quoted(file_string: str) -> str:
    """Arguments are split at spaces; a prompt with spaces is quoted as one."""
    return f"'{file_string}'" if " " in file_string else file_string


def gather_result(app: str, variables: dict[str, str]) -> tuple[str | None, str | None]:
    """(digits, speech) from a finished gather's channel variables; (None, None) is silence."""
    if app == "play_and_get_digits":
        return variables.get(DIGITS_VAR) or None, None
    raw = variables.get(SPEECH_VAR, "")
    if not _INPUT.match(raw):
        return None, None
    try:
        element = ElementTree.fromstring(raw).find(".//input")
    except ElementTree.ParseError:
        return None, None
    if element is None or not (element.text or "").strip():
        return None, None
    text = (element.text or "").strip()
    return (text, None) if element.get("mode") == "dtmf" else (None, text)


def dial_string(to: str, *, gateway: str, variables: dict[str, str] | None = None) -> str:
    """A number through the trunk's gateway; ``user/…``, ``sofia/…`` as given; ``sip:x`` on
    the external profile. Variables go first, as ``{name=value,…}``."""
    if to.startswith(("user/", "sofia/", "loopback/")):
        target = to
    elif to.startswith("sip:"):
        target = f"sofia/external/{to[4:]}"
    else:
        target = f"sofia/gateway/{gateway}/{to}"
    if not variables:
        return target
    return "{" + ",".join(f"{k}={v}" for k, v in variables.items()) + "}" + target
