"""Relevance order for :mod:`shared.store.sqlite`: BM25 over the first matches in date order.

FTS5's ``bm25()`` needs, for every row it scores, the position lists of the query's phrases and,
for each phrase, a count of the rows that hold it: on a common word with a prefix that is tens
of milliseconds at 100k documents, whatever the page. The bitmap index
(:mod:`shared.store.sqlite_bitmaps`) already knows the matching set, the number of documents
holding each phrase and the average document length, so this module computes the same formula
as FTS5 (``k1 = 1.2``, ``b = 0.75``, every column weighted 1, the IDF of a phrase present in
more than half of the documents floored at 1e-6; a prefix phrase counts every word it starts)
on the indexed text of the :data:`RELEVANCE_WINDOW` soonest matches, read by rowid.

So relevance ranks the soonest matches, not every match: for an agenda, the best of the next
few hundred events, while ``total`` and the facets still count every match. Below the window,
the order is exact BM25.
"""

from __future__ import annotations

import math
import re
import sqlite3

from pyroaring import BitMap

from shared.store.sqlite_bitmaps import BitmapIndex

K1 = 1.2
B = 0.75
#: How many matches (the soonest ones) relevance order ranks.
RELEVANCE_WINDOW = 500
#: A prefix expanding to more words than this is counted word by word (``startswith``).
EXPANSION_LIMIT = 16


def ranked(conn: sqlite3.Connection, index: BitmapIndex, selected: BitMap, words: list[str],
           window: int = RELEVANCE_WINDOW) -> list[tuple[float, int]]:
    """``(rank, rowid)`` of the first ``window`` documents of ``selected`` in date order, best
    first (``rank`` is minus the BM25 score, as FTS5's ``rank``; ties by rowid)."""
    rowids = index.by_date(selected, None, window)
    if not rowids or not words:
        return [(0.0, r) for r in rowids]
    stats = index.phrase_stats(words)
    n_rows = max(stats.rows, 1)
    avgdl = stats.words / n_rows if stats.words > 0 else 1.0
    idf = []
    for hits in stats.hits:
        value = math.log((n_rows - hits + 0.5) / (hits + 0.5))
        idf.append(value if value > 0 else 1e-6)
    prefix, expansions = stats.prefix
    # the columns hold [a-z0-9]+ stems separated by single spaces: " word " occurrences are
    # counted with str.count, except where two follow each other (they share a space; rare),
    # where the words are split and counted
    needles = [[w] for w in words[:-1]]
    many = len(expansions) > EXPANSION_LIMIT
    needles.append([] if many else expansions)
    starts = re.compile(rf"(?<![a-z0-9]){re.escape(prefix)}")
    out = []
    marks = ",".join("?" * len(rowids))
    sizes, slot_of = index.size_of, index.slot_of
    for rowid, *columns in conn.execute(
            f"SELECT id, c0, c1, c2, c3 FROM docs_fts_content WHERE id IN ({marks})", rowids):
        text = " " + " ".join(c for c in columns if c) + " "
        norm = K1 * (1 - B + B * sizes[slot_of[rowid]] / avgdl)
        score = 0.0
        for weight, found in zip(idf, needles, strict=True):
            if not found:
                f = len(starts.findall(text))
            else:
                f = 0
                for word in found:
                    n = text.count(f" {word} ")
                    if n and f" {word} {word} " in text:
                        n = text.split().count(word)
                    f += n
            score += weight * f * (K1 + 1) / (f + norm)
        out.append((-score, rowid))
    out.sort()
    return out
