"""Tag counts of document sets from fixed-width rows plus the overflow list equal a plain count."""

from __future__ import annotations

import random
from array import array
from collections import Counter

import numpy as np
import pytest

from shared.store import tag_rows
from shared.store.tag_rows import TagRows


def naive(tags: list[list[int]], slots: list[int], n_tags: int) -> list[int]:
    counted = Counter(t for s in slots for t in tags[s])
    return [counted[i] for i in range(n_tags)]


@pytest.mark.parametrize(("width", "narrow", "chunk"), [
    (tag_rows.WIDTH, tag_rows.NARROW, tag_rows.CHUNK), (1, 10**6, 7), (3, 40, 1000),
    (tag_rows.WIDTH, 40, 64)])
def test_counts_equal_a_plain_count_across_batches_and_growth(
        width: int, narrow: int, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tag_rows, "WIDTH", width)
    monkeypatch.setattr(tag_rows, "NARROW", narrow)
    monkeypatch.setattr(tag_rows, "CHUNK", chunk)  # sets of several chunks
    rng = random.Random(width)
    rows = TagRows()
    tags: list[list[int]] = []
    n_tags = 60
    # batches of every size, past the first capacity (1,024 rows) twice; the first ones use
    # the first 40 tag ids only, so that 16-bit rows with NARROW = 40 become 32-bit later
    for size in (0, 1, 700, 500, 1500, 3):
        ids = range(40 if size in (1, 700) else n_tags)
        batch = [rng.sample(ids, rng.choice([0, 1, 2, 5, 12, 13, 17, 20, 30]))
                 for _ in range(size)]
        rows.extend(batch)
        tags += batch
        assert len(rows) == len(tags)
        for _ in range(5):
            slots = sorted(rng.sample(range(len(tags)), rng.randint(0, len(tags))))
            counts = rows.counts(np.array(slots, dtype=np.uint32), n_tags)
            assert counts.tolist() == naive(tags, slots, n_tags)
    assert rows.overflowing == sum(len(t) > width for t in tags) > 0
    assert (rows._rows.dtype == np.uint16) == (narrow >= n_tags)
    # an array.array of slots, as the bitmaps give them, and tags added since (ids beyond
    # those seen): counts cover every id asked for
    slots = list(range(0, len(tags), 7))
    counts = rows.counts(array("I", slots), n_tags + 5)
    assert counts.tolist() == naive(tags, slots, n_tags) + [0] * 5


def test_no_slots_count_nothing() -> None:
    rows = TagRows()
    rows.extend([[1, 2], []])
    assert rows.counts(array("I"), 4).tolist() == [0, 0, 0, 0]
    assert rows.counts(array("I", [1]), 4).tolist() == [0, 0, 0, 0]


def test_tag_ids_past_16_bits_widen_the_rows() -> None:
    rows = TagRows()
    rows.extend([[3, 1], [2]])
    rows.extend([[70_000, 1], [tag_rows.NARROW - 1]])  # stored plus one: NARROW fits, not more
    counts = rows.counts(array("I", [0, 1, 2, 3]), 70_001)
    assert counts[[1, 2, 3, tag_rows.NARROW - 1, 70_000]].tolist() == [2, 1, 1, 1, 1]
    assert counts.sum() == 6
