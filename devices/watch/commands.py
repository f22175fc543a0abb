"""Downlink commands to a watch, as data: who may send each, and the frame content it becomes.

A watch answers a command with a frame of the same type (``[3G*ID*0002*CR]``); the gateway
waits for that answer and the command is recorded with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from accounts.roles import Role
from devices.exceptions import CommandError
from devices.schemas import CommandRequest

PHONE = re.compile(r"^\+?[0-9]{3,20}$")
REMIND_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
OPERATORS = frozenset({Role.OPERATOR, Role.SUPERVISOR})
SUPERVISORS = frozenset({Role.SUPERVISOR})


@dataclass(frozen=True, slots=True)
class WatchCommand:
    name: str
    roles: frozenset[Role]
    content: Callable[[CommandRequest], str]

    def answer_type(self, content: str) -> str:
        return content.split(",", 1)[0]


def _message(request: CommandRequest) -> str:
    if not request.text:
        raise CommandError("message needs a text")
    # The watch shows UTF-16BE text sent as hex digits.
    return f"MESSAGE,{request.text.encode('utf-16-be').hex().upper()}"


def _numbers(request: CommandRequest) -> str:
    numbers = request.numbers or []
    if not 1 <= len(numbers) <= 3 or not all(PHONE.match(n) for n in numbers):
        raise CommandError("sos_numbers needs one to three phone numbers (digits, optional +)")
    return "SOS," + ",".join([*numbers, "", ""][:3])


def _interval(request: CommandRequest) -> str:
    if request.seconds is None or not 10 <= request.seconds <= 86400:
        raise CommandError("report_interval needs seconds between 10 and 86400")
    return f"UPLOAD,{request.seconds}"


def _remind(request: CommandRequest) -> str:
    times = request.times or []
    if not 1 <= len(times) <= 3 or not all(REMIND_TIME.match(t) for t in times):
        raise CommandError("remind needs one to three times as HH:MM")
    # hh:mm-switch-repeat: switch 1 is on; repeat 1 rings once, 2 every day, 3-<seven 0/1
    # flags, Sunday first> on chosen weekdays. A medication reminder rings every day.
    return "REMIND," + ",".join(f"{t}-1-2" for t in times)


def _language(request: CommandRequest) -> str:
    if request.language is None or request.timezone is None:
        raise CommandError("language needs a language code and a timezone offset")
    return f"LZ,{request.language},{request.timezone:g}"


def fixed(content: str) -> Callable[[CommandRequest], str]:
    return lambda request: content


COMMANDS: dict[str, WatchCommand] = {c.name: c for c in (
    WatchCommand("locate", OPERATORS, fixed("CR")),
    WatchCommand("message", OPERATORS, _message),
    WatchCommand("find", OPERATORS, fixed("FIND")),
    WatchCommand("sos_numbers", SUPERVISORS, _numbers),
    WatchCommand("report_interval", SUPERVISORS, _interval),
    WatchCommand("remind", SUPERVISORS, _remind),
    WatchCommand("language", SUPERVISORS, _language),
    WatchCommand("reset", SUPERVISORS, fixed("RESET")),
    WatchCommand("power_off", SUPERVISORS, fixed("POWEROFF")),
)}
# Frame types a watch uses to answer a command; one nobody waits for is not a dead letter.
ANSWER_TYPES = frozenset({"CR", "MESSAGE", "FIND", "SOS", "SOS1", "SOS2", "SOS3", "UPLOAD",
                          "REMIND", "LZ", "RESET", "POWEROFF"})


def setup_contents(*, centre_line: str, report_seconds: int) -> tuple[str, ...]:
    """What a watch is sent when it connects: the centre's line as its SOS number and the
    report interval."""
    return f"SOS,{centre_line},,", f"UPLOAD,{report_seconds}"
