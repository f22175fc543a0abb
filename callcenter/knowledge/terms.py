"""Search terms that work for Chinese: overlapping character bigrams, plus ordinary words.

Chinese has no spaces, and FTS5's default tokenizer would treat a whole sentence as one token.
Indexing every pair of neighbouring characters (高龄津贴 → 高龄 龄津 津贴) lets a two-character
query such as 津贴 find the article, with no dictionary to maintain.
"""

from __future__ import annotations

import re

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[0-9a-z]+")


def search_terms(text: str) -> list[str]:
    """Terms of ``text`` in order: CJK bigrams (a lone character stays itself) and words."""
    lowered = text.lower()
    terms: list[str] = []
    position = 0
    for match in _CJK_RUN.finditer(lowered):
        terms += _WORD.findall(lowered[position:match.start()])
        run = match.group()
        terms += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
        position = match.end()
    terms += _WORD.findall(lowered[position:])
    return terms
