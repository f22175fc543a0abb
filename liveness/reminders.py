"""The port for certification reminders. The real telephony adapter (call or SMS) belongs to
the telephony domain; until it lands, the logging sender beside this port is used."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from callcenter.port import TelephonyProvider

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reminder:
    senior_id: int
    phones: list[str]
    category: str
    due_on: date
    message: str


class ReminderSender(Protocol):
    async def send(self, reminder: Reminder) -> None: ...


@dataclass
class TelephonyReminderSender:
    """Texts the senior's first phone through the call centre's telephony port."""

    provider: TelephonyProvider

    async def send(self, reminder: Reminder) -> None:
        if reminder.phones:
            await self.provider.send_sms(to=reminder.phones[0], body=reminder.message)


@dataclass
class LoggingReminderSender:
    """Logs each reminder and keeps it, standing in for the telephony port."""

    sent: list[Reminder] = field(default_factory=list)

    async def send(self, reminder: Reminder) -> None:
        self.sent.append(reminder)
        log.info(
            "liveness reminder for senior %s (%s) due %s",
            reminder.senior_id,
            reminder.category,
            reminder.due_on,
        )
