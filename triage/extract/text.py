"""The shared working copy of a ticket text and small text helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable
from typing import Any

# A claimed span is overwritten with this character. It is neither a word character nor
# whitespace, so no later pattern can match across it or treat it as a separator.
MASK = "\x00"

# Characters of Japanese / Chinese script; their presence switches a few reading rules
# (month-first "11/8", yearless kanji dates).
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


class MaskedText:
    """The original text plus a copy of it in which claimed spans are blanked out.

    Offsets are identical in both copies, so a match found in `masked` can be reported
    with the original characters.
    """

    def __init__(self, text: str) -> None:
        self.original = text
        self.masked = text

    def mask(self, spans: Iterable[tuple[int, int]]) -> None:
        spans = list(spans)
        if not spans:
            return
        chars = list(self.masked)
        for start, end in spans:
            chars[start:end] = MASK * (end - start)
        self.masked = "".join(chars)

    def is_free(self, start: int, end: int) -> bool:
        return MASK not in self.masked[start:end]


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def dedupe(
    items: Iterable[tuple[int, Any]], key: Callable[[Any], Hashable] | None = None
) -> list[Any]:
    """Values of (position, value) pairs in order of position, first occurrence kept."""
    seen: set[Hashable] = set()
    out: list[Any] = []
    for _, value in sorted(items, key=lambda pair: pair[0]):
        marker = key(value) if key else value
        if marker not in seen:
            seen.add(marker)
            out.append(value)
    return out
