"""The tags of each document, laid out for counting the tags of any set of documents.

Counting the facets of a filtered set document by document gathers every tag of its
documents and counts them (``np.bincount``). With one flat list of tags and an offset per
document (CSR), the gather takes five numpy passes (lengths, cumulative sums, repeat,
positions, gather): 1.2 ms for 12,000 documents. With the tags in fixed-width rows, it is one
``np.take`` of whole rows: 0.3 ms. Rows are :data:`WIDTH` wide; a document with more tags
continues on further rows of the same width in a second table, gathered the same way for the
few documents of a set that have them. Tag ids are 16-bit while they fit (:data:`NARROW`), so
a row is 32 bytes.

On the bench's documents (about 11 tags, 90% at most 13, at most 25), counting the sets of
300 text searches (median 5,900 documents; min and median of 7 interleaved runs) took
0.36/0.41 ms with rows of 16 uint16 (0.1% of the documents on further rows), 0.41/0.47 with
16 int32, 0.45/0.50 with 12 uint16 (18% further), 0.51/0.62 with 12 int32, 0.50/0.61 with
10 uint16 (57% further).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Tags kept in a row.
WIDTH = 16
#: The largest tag id plus one that 16-bit rows hold; past it, the rows become 32-bit.
NARROW = 0xFFFF
#: Documents whose rows are gathered and counted at a time, in buffers kept between calls.
#: Fresh arrays for a set of 10,000 documents (its rows, then the same widened for
#: ``np.bincount``) reach glibc's mmap threshold (which the query service fixes, see
#: :mod:`shared.memory`): a new mapping and hundreds of page faults each time, which made
#: counting 3-4 times slower than counting in buffers already mapped.
CHUNK = 4096


def _grown(table: Any, size: int) -> Any:
    """``table`` (rows along the first axis) with room for ``size`` rows, at least doubled."""
    if size <= len(table):
        return table
    capacity = max(size, 2 * len(table))
    grown = np.zeros((capacity, *table.shape[1:]), dtype=table.dtype)
    grown[:len(table)] = table
    return grown


class TagRows:
    """Tag ids of documents by slot (slots are given in order, from 0)."""

    def __init__(self) -> None:
        self.size = 0
        # row s holds the first WIDTH tag ids of slot s plus one (0: no tag)
        self._rows = np.zeros((1024, WIDTH), dtype=np.uint16)
        # the further tags, WIDTH per row; by slot: its first row there and how many
        self._more = np.zeros((64, WIDTH), dtype=np.uint16)
        self._more_used = 0
        self._more_first = np.zeros(1024, dtype=np.int64)
        self._more_rows = np.zeros(1024, dtype=np.int32)
        self.overflowing = 0  # documents with more than WIDTH tags
        self._over = np.zeros(64, dtype=np.int64)  # their slots, in increasing order
        # gathered rows, and the same as intp (np.bincount's input): see CHUNK
        self._gathered: Any = None
        self._wide: Any = None

    def __len__(self) -> int:
        return self.size

    def extend(self, tags: Sequence[Sequence[int]]) -> None:
        """Give the next ``len(tags)`` slots their tag ids."""
        n = len(tags)
        if not n:
            return
        first = self.size
        self._rows = _grown(self._rows, first + n)
        self._more_first = _grown(self._more_first, first + n)
        self._more_rows = _grown(self._more_rows, first + n)
        lengths = np.fromiter((len(t) for t in tags), dtype=np.int64, count=n)
        flat = np.fromiter((i for t in tags for i in t), dtype=np.int64,
                           count=int(lengths.sum())) + 1
        if len(flat) and self._rows.dtype == np.uint16 and int(flat.max()) > NARROW:
            self._rows, self._more = self._rows.astype(np.int32), self._more.astype(np.int32)
        slots = np.repeat(np.arange(first, first + n), lengths)
        # position of each tag within its document's list
        column = np.arange(len(flat)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        inside = column < WIDTH
        self._rows[slots[inside], column[inside]] = flat[inside]
        more_rows = (np.maximum(lengths - WIDTH, 0) + WIDTH - 1) // WIDTH
        if more_rows.any():
            starts = self._more_used + np.cumsum(more_rows) - more_rows
            self._more_first[first:first + n] = starts
            self._more_rows[first:first + n] = more_rows
            self._more_used += int(more_rows.sum())
            self._more = _grown(self._more, self._more_used)
            beyond = column[~inside] - WIDTH
            row = starts[slots[~inside] - first] + beyond // WIDTH
            self._more[row, beyond % WIDTH] = flat[~inside]
            over = np.flatnonzero(more_rows) + first
            self._over = _grown(self._over, self.overflowing + len(over))
            self._over[self.overflowing:self.overflowing + len(over)] = over
            self.overflowing += len(over)
        self.size = first + n

    def counts(self, slots: Any, n_tags: int) -> Any:
        """How many of the documents ``slots`` (an array of uint32, or a buffer of them, in
        increasing order) carry each tag: an int64 array of ``n_tags`` counts, indexed by
        tag id. Not thread-safe (its buffers are shared): the bitmap index calls it under
        its lock."""
        idx = np.frombuffer(slots, dtype=np.uint32)
        counts = np.zeros(n_tags + 1, dtype=np.int64)
        if not len(idx):
            return counts[1:]
        if self._gathered is None or self._gathered.dtype != self._rows.dtype:
            self._gathered = np.empty((CHUNK, self._rows.shape[1]), dtype=self._rows.dtype)
            self._wide = np.empty(self._gathered.size, dtype=np.intp)
        for i in range(0, len(idx), CHUNK):
            part = idx[i:i + CHUNK]
            gathered = np.take(self._rows, part, axis=0, out=self._gathered[:len(part)])
            wide = self._wide[:gathered.size]
            wide[:] = gathered.ravel()
            counts += np.bincount(wide, minlength=n_tags + 1)
        if self.overflowing:
            over = self._overflowing_in(idx)
            if len(over):
                counts += self._more_counts(self._more_first[over], self._more_rows[over],
                                            len(counts))
        return counts[1:]

    def _overflowing_in(self, idx: Any) -> Any:
        """The slots of ``idx`` (sorted) with further rows: the few such slots looked up in
        ``idx`` (a binary search each), or, when they are more, ``idx`` tested whole."""
        if self.overflowing >= len(idx):
            return idx[np.flatnonzero(self._more_rows[idx])]
        over = self._over[:self.overflowing]
        at = np.minimum(np.searchsorted(idx, over), len(idx) - 1)
        return over[idx[at] == over]

    def _more_counts(self, first: Any, rows: Any, size: int) -> Any:
        """Counts (tag id plus one) of the further rows: the k-th row of every document that
        has one, for k = 0, 1, ..."""
        counts = np.zeros(size, dtype=np.int64)
        k = 0
        while len(first):
            counts += np.bincount(np.take(self._more, first + k, axis=0).ravel(),
                                  minlength=size)
            k += 1
            keep = rows > k
            first, rows = first[keep], rows[keep]
        return counts
