"""What families are told, as data: each text says only what has happened.

Every template names the facts it states and a check of those facts; ``render`` refuses a
text whose facts do not hold (``UntrueNotice``), so no code path can tell a family "handled"
or "someone is on the way" before it is so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

OPEN_ALARM = ("raised", "acknowledged")


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """What is true about the senior's case when a notice would be sent."""

    senior_name: str
    alarm_state: str | None = None  # raised, acknowledged, resolved
    resolved_by_person: bool = False  # an operator closed it (not an automatic clear)
    reached: str | None = None  # "senior" or "contact" once someone answered a call-back
    cascade_done: bool = False  # every number was tried
    provider_name: str | None = None  # set only once a provider has accepted the visit
    arrival_local: datetime | None = None  # the provider's estimated arrival, local time


@dataclass(frozen=True, slots=True)
class NoticeTemplate:
    name: str
    zh: str
    en: str
    holds: Callable[[NoticeFacts], bool]
    when: str  # the condition in words, for docs and error messages


def _open(facts: NoticeFacts) -> bool:
    return facts.alarm_state in OPEN_ALARM


TEMPLATES: dict[str, NoticeTemplate] = {t.name: t for t in (
    NoticeTemplate(
        "alarm_received", "【12349】{name}的求助已收到，值班员正在处理。",
        "[12349] We have received {name}'s call for help; an operator is on it.",
        _open, "while the alarm is open"),
    NoticeTemplate(
        "contacting_family",
        "【12349】{name}发出了求助信号，本人暂未接听电话，值班员正在联系家属，请留意来电。",
        "[12349] {name} called for help and has not answered our call; we are calling the "
        "family now, please keep your phone at hand.",
        lambda f: _open(f) and f.reached is None, "while the alarm is open and nobody answered"),
    NoticeTemplate(
        "reached", "【12349】值班员已与{who}通上电话，正在跟进{name}的情况。",
        "[12349] Our operator has spoken with {who_en} and is following up on {name}.",
        lambda f: f.reached is not None, "after the senior or a contact answered"),
    NoticeTemplate(
        "still_trying", "【12349】暂未联系上{name}本人和家属，值班员正在继续处理。",
        "[12349] We have not yet reached {name} or the family; our operator is still on it.",
        lambda f: _open(f) and f.cascade_done and f.reached is None and f.provider_name is None,
        "while the alarm is open, every number was tried and nobody was sent yet"),
    NoticeTemplate(
        "visit_arranged", "【12349】已安排{provider}上门查看{name}，预计{arrival}前到达。",
        "[12349] {provider} is on the way to {name}, expected by {arrival}.",
        lambda f: f.provider_name is not None and f.arrival_local is not None,
        "after a provider accepted the visit"),
    NoticeTemplate(
        "case_closed", "【12349】{name}的求助已由值班员处理完毕。",
        "[12349] Our operator has finished handling {name}'s call for help.",
        lambda f: f.alarm_state == "resolved" and f.resolved_by_person,
        "after an operator resolved the alarm"),
)}


class UntrueNotice(Exception):
    """The notice would state something that has not happened."""

    def __init__(self, template: NoticeTemplate) -> None:
        super().__init__(f"notice {template.name!r} may only be sent {template.when}")


def params_of(facts: NoticeFacts) -> tuple[tuple[str, str], ...]:
    """The values a gateway's registered template fills in (Chinese carriers send only
    registered templates): in the order the zh-CN texts use them."""
    who = {"senior": facts.senior_name, "contact": "家属"}.get(facts.reached or "", "")
    arrival = facts.arrival_local.strftime("%H:%M") if facts.arrival_local else ""
    found = (("name", facts.senior_name), ("who", who),
             ("provider", facts.provider_name or ""), ("arrival", arrival))
    return tuple((key, value) for key, value in found if value)


def render(name: str, facts: NoticeFacts, *, language: str = "zh-CN") -> str:
    """The notice's text in ``language``; ``UntrueNotice`` if its facts do not hold."""
    template = TEMPLATES[name]
    if not template.holds(facts):
        raise UntrueNotice(template)
    who = {"senior": (facts.senior_name, facts.senior_name), "contact": ("家属", "the family")}
    who_zh, who_en = who.get(facts.reached or "", ("", ""))
    arrival = facts.arrival_local.strftime("%H:%M") if facts.arrival_local else ""
    text = template.zh if language.startswith("zh") else template.en
    return text.format(name=facts.senior_name, who=who_zh, who_en=who_en,
                       provider=facts.provider_name or "", arrival=arrival)
