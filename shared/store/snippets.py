"""Highlighted excerpts for search results, computed in Python.

The words of the original text are stemmed one by one with :mod:`shared.text` and compared to
the stems of the query (the last query term also matches as a prefix, as in the FTS query), so
``concerts`` in a query highlights ``Concert`` in a title. Everything outside the
``<mark>…</mark>`` tags is HTML-escaped.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from shared.text import STOP_WORDS, fold, stem_word

_WORD = re.compile(r"\w+", re.UNICODE)
CONTEXT = 60
MAX_LEN = 180


@lru_cache(maxsize=16384)
def word_stem(word: str) -> tuple[str, str] | None:
    """``(folded, stem)`` of a word of a text, None for a stop word. Memoized by word, so
    that every query reuses it (a text's vocabulary is far smaller than its words)."""
    folded = fold(word)
    if folded in STOP_WORDS:
        return None
    return folded, stem_word(folded)


class Marker:
    """The words of texts that match one query: its stems exactly, its last stem as a
    prefix. Each distinct word is tested once per query (the results of a page repeat their
    words); texts are then matched with set operations."""

    def __init__(self, q_stems: list[str]) -> None:
        self.exact = frozenset(q_stems)
        self.prefix = q_stems[-1] if q_stems else None
        self.seen: set[str] = set()
        self.hits: set[str] = set()

    def matched(self, words: set[str]) -> set[str]:
        """The matching words of ``words``."""
        for word in words - self.seen:
            self.seen.add(word)
            if self._matches(word):
                self.hits.add(word)
        return words & self.hits

    def _matches(self, word: str) -> bool:
        found = word_stem(word)
        if found is None:
            return False
        folded, stem = found
        prefix = self.prefix
        return stem in self.exact or (prefix is not None and (stem.startswith(prefix)
                                                              or folded.startswith(prefix)))


def _render(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> str:
    out: list[str] = []
    pos = lo
    for a, b in spans:
        if b <= lo or a >= hi:
            continue
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + html.escape(text[a:b]) + "</mark>")
        pos = b
    out.append(html.escape(text[pos:hi]))
    return ("…" if lo > 0 else "") + "".join(out) + ("…" if hi < len(text) else "")


def _window(text: str, first: int) -> tuple[int, int]:
    lo = max(0, first - CONTEXT)
    if lo > 0:
        space = text.rfind(" ", 0, lo + 1)
        lo = space + 1 if space >= 0 and lo - space < 20 else lo
    hi = min(len(text), lo + MAX_LEN)
    if hi < len(text):
        space = text.rfind(" ", lo, hi)
        hi = space if space > first else hi
    return lo, hi


def snippet(title: str, text: str, q_stems: list[str], marker: Marker | None = None) -> str:
    """An escaped excerpt of ``text`` (or of ``title``) with the query words marked; the
    results of one query may share a ``marker`` (built from ``q_stems``)."""
    marker = Marker(q_stems) if marker is None else marker
    text = " ".join((text or "").split())
    if text:
        matched = marker.matched(set(_WORD.findall(text)))
        if matched:
            first = next(m.start() for m in _WORD.finditer(text) if m.group() in matched)
            lo, hi = _window(text, first)
            # only the words inside the window are rendered
            spans = []
            for m in _WORD.finditer(text, max(0, lo - 1)):
                if m.start() >= hi:
                    break
                if m.end() > lo and m.group() in matched:
                    spans.append(m.span())
            return _render(text, spans, lo, hi)
    title = title or ""
    in_title = marker.matched(set(_WORD.findall(title)))
    title_spans = [m.span() for m in _WORD.finditer(title) if m.group() in in_title]
    if title_spans or not text:
        return _render(title, title_spans, 0, len(title))
    lo, hi = _window(text, 0)
    return _render(text, [], lo, hi)
