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


def query_stems(q_stems: list[str]) -> tuple[frozenset[str], str | None]:
    """The exact stems and the prefix (the last stem) of a query."""
    if not q_stems:
        return frozenset(), None
    return frozenset(q_stems), q_stems[-1]


@lru_cache(maxsize=16384)
def word_stem(word: str) -> tuple[str, str] | None:
    """``(folded, stem)`` of a word of a text, None for a stop word. Memoized by word, so
    that every query reuses it (a text's vocabulary is far smaller than its words)."""
    folded = fold(word)
    if folded in STOP_WORDS:
        return None
    return folded, stem_word(folded)


def _matches(word: str, exact: frozenset[str], prefix: str | None) -> bool:
    found = word_stem(word)
    if found is None:
        return False
    folded, stem = found
    return stem in exact or (prefix is not None and (stem.startswith(prefix)
                                                      or folded.startswith(prefix)))


def _spans(text: str, exact: frozenset[str], prefix: str | None) -> list[tuple[int, int]]:
    return [m.span() for m in _WORD.finditer(text) if _matches(m.group(), exact, prefix)]


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


def snippet(title: str, text: str, q_stems: list[str]) -> str:
    """An escaped excerpt of ``text`` (or of ``title``) with the query words marked."""
    exact, prefix = query_stems(q_stems)

    def hit(word: str) -> bool:
        return _matches(word, exact, prefix)

    text = " ".join((text or "").split())
    if text:
        first = next((m.start() for m in _WORD.finditer(text) if hit(m.group())), None)
        if first is not None:
            lo, hi = _window(text, first)
            # only the words inside the window are rendered, so only they are tested
            spans = []
            for m in _WORD.finditer(text, max(0, lo - 1)):
                if m.start() >= hi:
                    break
                if m.end() > lo and hit(m.group()):
                    spans.append(m.span())
            return _render(text, spans, lo, hi)
    title = title or ""
    title_spans = [m.span() for m in _WORD.finditer(title) if hit(m.group())]
    if title_spans or not text:
        return _render(title, title_spans, 0, len(title))
    lo, hi = _window(text, 0)
    return _render(text, [], lo, hi)
