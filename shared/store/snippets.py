"""Highlighted excerpts for search results, computed in Python.

The words of the original text are stemmed one by one with :mod:`shared.text` and compared to
the stems of the query (the last query term also matches as a prefix, as in the FTS query), so
``concerts`` in a query highlights ``Concert`` in a title. Everything outside the
``<mark>…</mark>`` tags is HTML-escaped. Both stores give each result of a text search its
``snippet`` and ``title_html`` this way (:func:`highlight`): one rule for every highlight.
"""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from shared.text import STOP_WORDS, fold, stem_word

_WORD = re.compile(r"\w+", re.UNICODE)
CONTEXT = 60
MAX_LEN = 180


@lru_cache(maxsize=16384)
def word_stem(word: str) -> tuple[str, str, str] | None:
    """``(folded, stem, heads)`` of a word of a text (``heads``: the first character of each,
    which rules most words out of a prefix match without a call), None for a stop word.
    Memoized by word, so that every query reuses it (a text's vocabulary is far smaller than
    its words)."""
    folded = fold(word)
    if folded in STOP_WORDS:
        return None
    stem = stem_word(folded)
    return folded, stem, folded[:1] + stem[:1]


class Marker:
    """The words of texts that match one query: its stems exactly, its last stem as a
    prefix. Each distinct word is tested once per query (the results of a page repeat their
    words)."""

    def __init__(self, q_stems: list[str]) -> None:
        self.exact = frozenset(q_stems)
        self.prefix = q_stems[-1] if q_stems else None
        self.head = self.prefix[:1] if self.prefix else ""  # in every word's heads if ""
        self.seen: set[str] = set()
        self.hits: set[str] = set()

    def matched(self, words: set[str]) -> set[str]:
        """The matching words of ``words``."""
        new = words - self.seen
        if new:
            self.seen |= new
            exact, prefix, head = self.exact, self.prefix, self.head
            for word in new:  # inlined: a page brings a few hundred new words
                found = word_stem(word)
                if found is not None and (found[1] in exact or (
                        prefix is not None and head in found[2]
                        and (found[1].startswith(prefix) or found[0].startswith(prefix)))):
                    self.hits.add(word)
        return words & self.hits


def _words(parts: list[str]) -> set[str]:
    """The distinct ``\\w+`` words of the whitespace-separated ``parts`` of a text: most
    parts are a word already (``str.isalnum``), and only the others go through the regular
    expression (a third of the time of running it on the whole text)."""
    words = set(parts)
    mixed = [part for part in words if not part.isalnum()]
    words.difference_update(mixed)
    for part in mixed:
        words.update(_WORD.findall(part))
    return words


def _is_word_char(char: str) -> bool:
    """What ``\\w`` matches (:data:`_WORD`): ``str.isalnum()`` characters and ``_``."""
    return char.isalnum() or char == "_"


def _find_word(text: str, word: str, start: int, end: int) -> int:
    """Where ``word`` first occurs in ``text[start:end]`` as a whole word (a ``\\w+`` run of
    its own), or -1: ``str.find`` and a look at both neighbours, instead of a regular
    expression stepping through every word."""
    size = len(text)
    i = text.find(word, start, end)
    while i >= 0:
        after = i + len(word)
        if ((i == 0 or not _is_word_char(text[i - 1]))
                and (after == size or not _is_word_char(text[after]))):
            return i
        i = text.find(word, i + 1, end)
    return -1


def _spans(text: str, words: Iterable[str], lo: int, hi: int) -> list[tuple[int, int]]:
    """``(start, end)`` of the whole-word occurrences of ``words`` starting within
    ``text[lo:hi]``, in order (whole words never overlap)."""
    spans = []
    size = len(text)
    for word in words:
        i = _find_word(text, word, lo, size)
        while 0 <= i < hi:  # a word may end past hi (it is rendered whole)
            spans.append((i, i + len(word)))
            i = _find_word(text, word, i + len(word), size)
    spans.sort()
    return spans


def _render(text: str, spans: list[tuple[int, int]], lo: int, hi: int) -> str:
    out: list[str] = []
    pos = lo
    for a, b in spans:
        if b <= lo or a >= hi:
            continue
        out.append(html.escape(text[pos:a]))
        out.append("<mark>" + text[a:b] + "</mark>")  # a \w+ word: nothing to escape
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
    item = {"title": title, "description_text": text}
    highlight([item], q_stems, marker)
    return str(item["snippet"])


def highlight(items: list[dict[str, Any]], q_stems: list[str],
              marker: Marker | None = None) -> None:
    """Add to each result of a search its ``title_html`` (the title, escaped, the query's
    words marked) and its ``snippet``.

    Each text's words come from :func:`_prepared` (memoized by content); the words of the
    whole page are tested at once (one set, one :meth:`Marker.matched`); each result then
    only looks for the page's few matching words (``str.find``)."""
    marker = Marker(q_stems) if marker is None else marker
    titles = [item.get("title") or "" for item in items]
    prepared = [_prepared(title, item.get("description_text") or "")
                for title, item in zip(titles, items, strict=True)]
    hits = marker.matched(set().union(*(words for _text, words in prepared)))
    for item, title, (text, _words_of) in zip(items, titles, prepared, strict=True):
        item["title_html"], item["snippet"] = _marked(title, text, hits)


@lru_cache(maxsize=2048)
def _prepared(title: str, text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with its whitespace collapsed, and the distinct words of the title and text.
    Memoized by content: the soonest events come back in page after page (a text search
    ranks the soonest matches), and this was a third of highlighting a page."""
    collapsed = " ".join(text.split())
    # the words interned: entries share the strings of the vocabulary
    return (text if collapsed == text else collapsed,
            tuple(map(sys.intern, _words(f"{title} {collapsed}".split()))))


def _marked(title: str, text: str, hits: set[str]) -> tuple[str, str]:
    """The marked title, and the snippet: the excerpt of ``text`` (whitespace already
    collapsed) around its first match; else the title when it has one (or there is no
    text), else the start of the text. ``hits`` holds the matching words (a superset of
    those of the title and text will do: only whole-word occurrences count)."""
    # the page's matching words found in each string at all (a test in C), whole or not
    in_title = [word for word in hits if word in title]
    title_spans = _spans(title, in_title, 0, len(title)) if in_title else []
    title_html = _render(title, title_spans, 0, len(title))
    in_text = [word for word in hits if word in text]
    size = first = len(text)
    for word in in_text:
        i = _find_word(text, word, 0, first)
        if i >= 0:
            first = i
    if first < size:
        lo, hi = _window(text, first)
        return title_html, _render(text, _spans(text, in_text, lo, hi), lo, hi)
    if title_spans or not text:
        return title_html, title_html
    lo, hi = _window(text, 0)
    return title_html, _render(text, [], lo, hi)
