"""Mainland resident identity numbers (GB 11643-1999): check digit, birth date, masking."""

from __future__ import annotations

import re
from datetime import date

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CODES = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """The 18th character for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CODES[total % 11]


def normalise_resident_id(value: str) -> str:
    """The ID in canonical form, or ValueError naming what is wrong with it."""
    text = value.strip().upper()
    if not _SHAPE.match(text):
        raise ValueError("resident ID must be 17 digits followed by a digit or X")
    if check_digit(text[:17]) != text[17]:
        raise ValueError("resident ID check digit does not match")
    birth_date_of(text)
    return text


def birth_date_of(resident_id: str) -> date:
    try:
        return date(int(resident_id[6:10]), int(resident_id[10:12]), int(resident_id[12:14]))
    except ValueError as error:
        raise ValueError("resident ID holds an impossible birth date") from error


def mask_resident_id(resident_id: str) -> str:
    """Region code and last four kept, birth date hidden: 150102********123X."""
    return f"{resident_id[:6]}{'*' * 8}{resident_id[14:]}"
