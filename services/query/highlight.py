"""Highlighted snippets for a full-text query, computed from the original text.

The search store matches accent-folded French stems, with the last query word as a prefix
(see :mod:`shared.store.sqlite_query`); :class:`Highlighter` applies the same rule to each
word of a title or description, so "vélo" marks "Vélos" and "chor" marks "Chorale". The
result is HTML: the text is escaped and matched words are wrapped in ``<mark>``.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

from shared.text import STOP_WORDS, fold, stem_word, stems

_ORIGINAL_WORD = re.compile(r"[^\W_]+")
_FOLDED_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=16384)
def word_stems(word: str) -> tuple[str, ...]:
    """The stems of a word of a text (of each piece its folding splits it into, stop words
    left out); memoized by word, for every query."""
    return tuple(stem_word(piece) for piece in _FOLDED_WORD.findall(fold(word))
                 if piece not in STOP_WORDS)


class Highlighter:
    def __init__(self, q: str) -> None:
        terms = stems(q)
        self.prefix = terms[-1] if terms else None
        self.exact = frozenset(terms[:-1])
        self.tested: dict[str, bool] = {}  # word -> matches (a page repeats its words)

    def matches(self, word: str) -> bool:
        found = self.tested.get(word)
        if found is None:
            found = self.tested[word] = any(
                stem in self.exact or (self.prefix is not None and stem.startswith(self.prefix))
                for stem in word_stems(word))
        return found

    def spans(self, text: str) -> list[tuple[int, int]]:
        if self.prefix is None:
            return []
        return [m.span() for m in _ORIGINAL_WORD.finditer(text) if self.matches(m.group())]

    def mark(self, text: str, spans: list[tuple[int, int]] | None = None,
             start: int = 0, end: int | None = None) -> str:
        """``text[start:end]`` escaped, matched words in ``<mark>``."""
        end = len(text) if end is None else end
        out: list[str] = []
        pos = start
        for s, e in spans if spans is not None else self.spans(text):
            if s < start or e > end:
                continue
            out.append(html.escape(text[pos:s]))
            out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
            pos = e
        out.append(html.escape(text[pos:end]))
        return "".join(out)

    def snippet(self, text: str, width: int = 180) -> str:
        """About ``width`` characters of ``text`` around its first match, marked."""
        text = " ".join(text.split())
        spans = self.spans(text)
        if len(text) <= width:
            return self.mark(text, spans)
        first = spans[0][0] if spans else 0
        start = max(0, first - width // 3)
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else start
        end = min(len(text), start + width)
        if end < len(text):
            space = text.rfind(" ", start, end)
            end = space if space > start else end
        prefix = "… " if start else ""
        suffix = " …" if end < len(text) else ""
        return prefix + self.mark(text, spans, start, end) + suffix


def highlight_item(item: dict[str, Any], highlighter: Highlighter) -> None:
    """Add ``title_html`` and, unless the store gave one, ``snippet`` (both HTML)."""
    item["title_html"] = highlighter.mark(item.get("title") or "")
    if "snippet" not in item:
        item["snippet"] = highlighter.snippet(item.get("description_text") or "")
