"""Phone numbers normalised to E.164 so that a caller ID finds its senior.

Mainland numbers are accepted as mobiles (11 digits starting 1[3-9]) or landlines with an area
code (0 + 2-3 digits + 7-8 digits), with or without +86 / 0086. Other countries must be given
with a leading + (demos on Twilio use overseas numbers).
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0[1-9]\d{8,10}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def normalise_phone(value: str) -> str:
    """E.164 form of ``value``, or ValueError saying why it is not a phone number."""
    text = _SEPARATORS.sub("", value.strip())
    if text.startswith("0086"):
        text = "+86" + text[4:]
    if text.startswith("+86"):
        national = text[3:]
        if _MOBILE.match(national):
            return text
        if _LANDLINE.match("0" + national):
            return text
        raise ValueError(f"{value!r} is not a valid mainland China phone number")
    if text.startswith("+"):
        if _E164.match(text):
            return text
        raise ValueError(f"{value!r} is not a valid international phone number")
    if _MOBILE.match(text):
        return "+86" + text
    if _LANDLINE.match(text):
        return "+86" + text[1:]
    raise ValueError(
        f"{value!r} is not a phone number: use an 11-digit mobile, a landline with area code, "
        "or +country code"
    )


def try_normalise_phone(value: str) -> str | None:
    """E.164 form, or None for input that is not a phone number (such as a withheld caller ID)."""
    try:
        return normalise_phone(value)
    except ValueError:
        return None
