"""Times as HTTP input: ISO 8601 text, never a bare number.

Pydantic also reads a number as seconds since 1970, so ``until=-24`` meant 31 December 1969
and was answered with an empty list instead of an error. A route's time parameters use
``QueryTime`` and say what they need.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator

_NUMBER = re.compile(r"\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")


def _text_not_number(value: object) -> object:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value)):
        raise ValueError("a time is ISO 8601 text with a zone, such as "
                         "2026-01-05T00:00:00+08:00, not a number")
    return value


QueryTime = Annotated[datetime, BeforeValidator(_text_not_number)]
