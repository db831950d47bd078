"""The grid's candidates of a box or disc hold every document the exact test accepts."""

from __future__ import annotations

import random

import numpy as np

from shared.store.geo_grid import CELL, MAX_ROWS, GeoGrid, disc_box
from shared.store.sqlite_bitmaps import _inside
from shared.store.sqlite_query import KM_PER_DEG


def points(rng: random.Random, n: int) -> tuple[np.ndarray, np.ndarray]:
    lat, lon = [], []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.1:  # not located
            lat.append(float("nan"))
            lon.append(float("nan"))
        elif kind < 0.3:  # on row boundaries and on shared coordinates
            lat.append(round(48.0 + rng.randint(0, 30) * CELL, 2))
            lon.append(rng.choice([-1.68, -1.7, -1.66]))
        else:
            lat.append(48.11 + rng.gauss(0, 0.03))
            lon.append(-1.68 + rng.gauss(0, 0.04))
    return np.array(lat), np.array(lon)


def test_candidates_hold_every_document_in_the_box_or_disc() -> None:
    rng = random.Random(3)
    lat, lon = points(rng, 5000)
    grid = GeoGrid(lat, lon)
    for _ in range(300):
        if rng.random() < 0.5:
            near = (round(48.11 + rng.gauss(0, 0.03), rng.choice([2, 6])), -1.68)
            radius = rng.choice([0.1, 0.5, 1.0, 2.5, 10.0])
            box, bbox = disc_box(near, radius, KM_PER_DEG), None
        else:
            south, west = 48.05 + rng.random() * 0.1, -1.75 + rng.random() * 0.1
            bbox = (west, south, west + rng.choice([0.0, 0.01, 0.05]),
                    south + rng.choice([0.0, 0.01, 0.03]))
            box, near, radius = (bbox[1], bbox[3], bbox[0], bbox[2]), None, None
        found = grid.candidates(*box)
        assert found is not None
        expected = np.flatnonzero(_inside(lat, lon, bbox, near, radius))
        kept = found[_inside(lat[found], lon[found], bbox, near, radius)]
        assert sorted(kept.tolist()) == expected.tolist()
        assert len(found) == len(set(found.tolist()))  # each document once


def test_a_grid_of_the_later_slots_gives_only_those() -> None:
    lat, lon = points(random.Random(2), 3000)
    grid = GeoGrid(lat, lon, first=2000)
    box = disc_box((48.11, -1.68), 3.0, KM_PER_DEG)
    found = grid.candidates(*box)
    assert found is not None and found.min() >= 2000
    expected = 2000 + np.flatnonzero(_inside(lat[2000:], lon[2000:], None, (48.11, -1.68), 3.0))
    kept = found[_inside(lat[found], lon[found], None, (48.11, -1.68), 3.0)]
    assert sorted(kept.tolist()) == expected.tolist() and len(expected) > 100


def test_boxes_crossing_too_many_rows_are_left_to_a_full_scan() -> None:
    lat, lon = points(random.Random(1), 100)
    grid = GeoGrid(lat, lon)
    assert grid.candidates(40.0, 40.0 + (MAX_ROWS + 1) * CELL, -2.0, 2.0) is None
    assert grid.candidates(48.0, 48.0 + (MAX_ROWS - 2) * CELL, -2.0, 2.0) is not None
