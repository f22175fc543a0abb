"""The kinds of supervisor alert, as data: what each says, in both languages.

These are about the service, not about a senior's condition (those are alarms): an emergency
nobody took, an order no provider accepted, an operator put on a break, an ingest that stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AlertState(StrEnum):
    OPEN = "open"
    SEEN = "seen"  # a supervisor has looked; it stays on the pages until closed
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class AlertKind:
    """One kind: its words (formatted with the alert's detail) and how urgent it is."""

    code: str
    title_zh: str
    title_en: str
    urgent: bool


ALERT_KINDS: dict[str, AlertKind] = {kind.code: kind for kind in (
    AlertKind("p1_waiting", "紧急警报等待{waited}秒仍无人接听：{what}",
              "Emergency unanswered after {waited} s: {what}", True),
    AlertKind("p1_unanswered", "紧急警报超过{waited}秒无人接听：{what}",
              "Emergency still unanswered after {waited} s: {what}", True),
    AlertKind("task_waiting", "工作已等待{waited}秒：{what}",
              "Work waiting for {waited} s: {what}", False),
    AlertKind("operator_break", "值班员{operator}连续未接{misses}次，已转为休息",
              "Operator {operator} missed {misses} offers in a row and is on a break", False),
    AlertKind("order_unassigned", "紧急上门工单无服务商接单：{what}",
              "No provider took the emergency visit: {what}", True),
    AlertKind("ingest_stopped", "设备数据接收已停止：{reason}",
              "Device data ingest stopped: {reason}", True),
    AlertKind("feed_stopped", "警报规则处理已停止：{reason}",
              "Alarm rules stopped: {reason}", True),
)}


def words(code: str, detail: dict[str, object], language: str) -> str:
    """The alert's title in ``language`` (zh-CN or English), missing details left blank."""
    kind = ALERT_KINDS[code]
    template = kind.title_zh if language.startswith("zh") else kind.title_en
    return template.format_map(_Blank(detail))


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""
