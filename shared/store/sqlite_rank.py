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
    exact, (prefix, expansions) = words[:-1], stats.prefix
    out = []
    marks = ",".join("?" * len(rowids))
    for rowid, *columns in conn.execute(
            f"SELECT id, c0, c1, c2, c3 FROM docs_fts_content WHERE id IN ({marks})", rowids):
        tokens = " ".join(c for c in columns if c).split()
        norm = K1 * (1 - B + B * len(tokens) / avgdl)
        freqs = [tokens.count(w) for w in exact]
        if len(expansions) <= EXPANSION_LIMIT:
            freqs.append(sum(tokens.count(w) for w in expansions))
        else:
            freqs.append(sum(1 for t in tokens if t.startswith(prefix)))
        score = sum(w * f * (K1 + 1) / (f + norm) for w, f in zip(idf, freqs, strict=True))
        out.append((-score, rowid))
    out.sort()
    return out
