"""Documents by place, for boxes, discs and distance order without a pass over every document.

Testing the box or disc of a search against the coordinates of all documents costs 0.75 ms
at 100k documents, for a disc of 1 km holding 9% of them. :class:`GeoGrid` sorts the located
documents by rows of latitude (:data:`CELL` degrees, about 1.1 km) and, within a row, by
longitude: the candidates of a box are then one slice per row it crosses, found by binary
search, and only those get the exact test. A grid covers a range of slots; the caller keeps
one of those given by the last build of the index, and one of those followed since.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: Height of a row of the grid, in degrees of latitude.
CELL = 0.01
#: Beyond this many rows, the caller scans every document instead.
MAX_ROWS = 400
#: Added to each side of a disc's enclosing box (degrees): the exact test decides, the box
#: only has to hold every document it accepts despite rounding.
MARGIN = 1e-6


class GeoGrid:
    def __init__(self, lat: Any, lon: Any, first: int = 0) -> None:
        """A grid of the slots ``first .. len(lat) - 1`` (coordinates by slot; NaN: not
        located)."""
        self.end = len(lat)
        lat, lon = lat[first:], lon[first:]
        located = np.flatnonzero(~np.isnan(lat))
        rows = np.floor(lat[located] / CELL).astype(np.int64)
        order = np.lexsort((lon[located], rows))
        self.slots = (located[order] + first).astype(np.uint32)
        self.lon = np.ascontiguousarray(lon[located][order])
        self.rows = rows[order]

    def candidates(self, min_lat: float, max_lat: float, min_lon: float,
                   max_lon: float) -> Any | None:
        """Slots (uint32, unordered) of the documents of the grid that may lie in the box, a
        superset of those that do; None when the box crosses too many rows to be worth it."""
        first, last = math.floor(min_lat / CELL), math.floor(max_lat / CELL)
        if last - first >= MAX_ROWS:
            return None
        row_starts = np.searchsorted(self.rows, np.arange(first, last + 2))
        parts = []
        for lo, hi in zip(row_starts[:-1].tolist(), row_starts[1:].tolist(), strict=True):
            if lo == hi:
                continue
            west = lo + int(np.searchsorted(self.lon[lo:hi], min_lon, "left"))
            east = lo + int(np.searchsorted(self.lon[lo:hi], max_lon, "right"))
            if west < east:
                parts.append(self.slots[west:east])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)


def disc_box(near: tuple[float, float], radius_km: float,
             km_per_deg: float) -> tuple[float, float, float, float]:
    """``(min_lat, max_lat, min_lon, max_lon)`` enclosing the disc, with a margin."""
    lat0, lon0 = near
    kx = km_per_deg * math.cos(math.radians(lat0))
    dlat = radius_km / km_per_deg + MARGIN
    dlon = radius_km / max(kx, 1e-9) + MARGIN
    return lat0 - dlat, lat0 + dlat, lon0 - dlon, lon0 + dlon
