"""The caller's language, from Accept-Language.

No header (a program, a script) gets English; a header that names neither language gets
zh-CN, the centre's own."""

from __future__ import annotations

from typing import Literal

Language = Literal["zh-CN", "en"]


def negotiate(accept_language: str | None) -> Language:
    """The first of zh / en by the header's weights."""
    if not accept_language:
        return "en"
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in {"zh", "en"} and weight > 0:
            ranked.append((-weight, position, "en" if primary == "en" else "zh-CN"))
    return min(ranked)[2] if ranked else "zh-CN"
