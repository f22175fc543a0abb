"""The GB/T 2260 areas this deployment knows, as data: add a row to serve a new banner.

A code's subtree is every code that starts with its prefix (the code without its trailing
zero pairs): 150000 → "15" (the whole region), 150100 → "1501" (Hohhot), 152501 → "152501".
Street (9-digit) and community (12-digit) codes extend their county's code, so the same rule
holds when a deployment adds them.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.scope import PLATFORM_AREA


@dataclass(frozen=True, slots=True)
class AreaRow:
    code: str
    parent: str | None
    name_zh: str
    name_en: str


REGION = PLATFORM_AREA

AREAS: tuple[AreaRow, ...] = (
    AreaRow(REGION, None, "内蒙古自治区", "Inner Mongolia Autonomous Region"),
    AreaRow("150100", REGION, "呼和浩特市", "Hohhot"),
    AreaRow("150102", "150100", "新城区", "Xincheng District"),
    AreaRow("150103", "150100", "回民区", "Huimin District"),
    AreaRow("150104", "150100", "玉泉区", "Yuquan District"),
    AreaRow("150105", "150100", "赛罕区", "Saihan District"),
    AreaRow("150121", "150100", "土默特左旗", "Tumed Left Banner"),
    AreaRow("150122", "150100", "托克托县", "Togtoh County"),
    AreaRow("150123", "150100", "和林格尔县", "Horinger County"),
    AreaRow("150124", "150100", "清水河县", "Qingshuihe County"),
    AreaRow("150125", "150100", "武川县", "Wuchuan County"),
    AreaRow("152500", REGION, "锡林郭勒盟", "Xilingol League"),
    AreaRow("152501", "152500", "二连浩特市", "Erenhot"),
    AreaRow("150700", REGION, "呼伦贝尔市", "Hulunbuir"),
    AreaRow("150781", "150700", "满洲里市", "Manzhouli"),
)


def prefix_of(code: str) -> str:
    """The prefix every code in ``code``'s subtree starts with."""
    prefix = code
    while len(prefix) > 6 and prefix.endswith("000"):
        prefix = prefix[:-3]
    while 2 < len(prefix) <= 6 and prefix.endswith("00"):
        prefix = prefix[:-2]
    return prefix


def district_codes() -> dict[str, str]:
    """Area codes by the names a senior's district is written with (Chinese or English)."""
    names: dict[str, str] = {}
    for row in AREAS:
        for name in (row.name_zh, row.name_en, row.name_en.removesuffix(" District")):
            names[name.casefold()] = row.code
    return names
