"""Relevance order for :mod:`shared.store.sqlite`: BM25 over the first matches in date order.

FTS5's ``bm25()`` needs, for every row it scores, the position lists of the query's phrases and,
for each phrase, a count of the rows that hold it: on a common word with a prefix that is tens
of milliseconds at 100k documents, whatever the page. The bitmap index
(:mod:`shared.store.sqlite_bitmaps`) already knows the matching set, the number of documents
holding each phrase, the average document length and, per word, the documents holding it at
least n times; so this module computes the same formula as FTS5 (``k1 = 1.2``, ``b = 0.75``,
every column weighted 1, the IDF of a phrase present in more than half of the documents
floored at 1e-6; a prefix phrase counts every word it starts) for the
:data:`RELEVANCE_WINDOW` soonest matches, without reading their text.

So relevance ranks the soonest matches, not every match: for an agenda, the best of the next
couple of hundred events; the later matches follow in date order (so cursors still reach every
one of them, and ``total`` and the facets count them all). Below the window, the order is
exact BM25.
"""

from __future__ import annotations

import math
import sqlite3

import numpy as np
from pyroaring import BitMap

from shared.store.sqlite_bitmaps import BitmapIndex

K1 = 1.2
B = 0.75
#: How many matches (the soonest ones) relevance order ranks.
RELEVANCE_WINDOW = 200


#: The rank of the matches after the window (they follow in date order).
AFTER_WINDOW = 1.0


def page(conn: sqlite3.Connection, index: BitmapIndex, selected: BitMap, words: list[str],
         after: tuple[float, int] | None, n: int) -> list[tuple[float, int]]:
    """``(rank, rowid)`` of the ``n`` documents after cursor ``after`` in relevance order:
    the window best first, then every later match in date order (rank :data:`AFTER_WINDOW`),
    so that cursors reach every match."""
    if after is not None and after[0] >= AFTER_WINDOW:  # already past the window
        return [(AFTER_WINDOW, r) for r in index.by_date(selected, after[1], n)]
    window = ranked(conn, index, selected, words)
    out = [o for o in window if after is None or o > after][:n]
    if window and len(out) < n:  # the window holds the soonest matches: the rest follow it
        last = max(r for _, r in window)
        out += [(AFTER_WINDOW, r) for r in index.by_date(selected, last, n - len(out))]
    return out


def ranked(conn: sqlite3.Connection, index: BitmapIndex, selected: BitMap, words: list[str],
           window: int | None = None) -> list[tuple[float, int]]:
    """``(rank, rowid)`` of the first ``window`` documents of ``selected`` in date order, best
    first (``rank`` is minus the BM25 score, as FTS5's ``rank``; ties by rowid)."""
    slots, rowids = index.first_by_date(selected, None, window or RELEVANCE_WINDOW)
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
    freqs = index.frequencies(slots, [[w] for w in words[:-1]] + [expansions])
    sizes = np.frombuffer(index.size_of, dtype=np.int32)[slots]
    # the same float operations, in the same order, as FTS5's bm25() (a document at a time)
    norm = K1 * (1 - B + B * sizes / avgdl)
    score = np.zeros(len(slots))
    for weight, f in zip(idf, freqs, strict=True):
        score += weight * f * (K1 + 1) / (f + norm)
    ids = np.asarray(rowids, dtype=np.int64)
    order = np.lexsort((ids, -score))  # best first, ties by rowid
    return list(zip((-score[order]).tolist(), ids[order].tolist(), strict=True))
