"""One locale table per language: the same keys in both, and every word a page asks for exists."""

from __future__ import annotations

import json
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "dashboard" / "static"
# The phone page still ships its own strings (addStrings); its owner moves them later.
OWN_STRINGS = {"phone.js"}


def table(language: str) -> dict[str, str]:
    text = (STATIC / "locales" / f"{language}.js").read_text(encoding="utf-8")
    body = text.removeprefix("export default ").rstrip().removesuffix(";")
    # Each part's block opens with a comment line naming the part; JSON has no comments.
    body = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("//"))
    loaded: dict[str, str] = json.loads(body)
    return loaded


def asked_for() -> set[str]:
    """Every literal key passed to t(...) or named by data-i18n in the pages."""
    keys: set[str] = set()
    for path in STATIC.rglob("*"):
        if path.name in OWN_STRINGS or path.suffix not in {".js", ".html"} or \
                path.parent.name == "locales":
            continue
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"\bt\(\s*\"([\w.]+)\"", text))
        keys |= set(re.findall(r"data-i18n=\"([\w.]+)\"", text))
        keys |= set(re.findall(r"label: \"([\w.]+)\"", text))  # the navigation table
    return keys


def test_both_languages_have_the_same_keys() -> None:
    """zh-CN and English name the same words, none of them empty."""
    chinese, english = table("zh-CN"), table("en")
    assert set(chinese) == set(english)
    assert all(value.strip() for value in [*chinese.values(), *english.values()])


def test_every_word_a_page_asks_for_exists() -> None:
    """No page shows a bare key: each literal t("…") key is in the tables."""
    own = {key for name in OWN_STRINGS for key in re.findall(
        r"\"([\w.]+)\": ", (STATIC / "pages" / name).read_text(encoding="utf-8"))}
    missing = asked_for() - set(table("zh-CN")) - own
    assert not missing, sorted(missing)
