"""Certification status as a rule on dates: certified, due soon, overdue."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum


class Standing(StrEnum):
    CERTIFIED = "certified"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def standing(certified_until: date | None, today: date, due_soon_days: int) -> Standing:
    if certified_until is None or certified_until < today:
        return Standing.OVERDUE
    if certified_until <= today + timedelta(days=due_soon_days):
        return Standing.DUE_SOON
    return Standing.CERTIFIED
