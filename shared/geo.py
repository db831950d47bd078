"""Small pure-Python geometry: point in (multi)polygon with holes, fast enough for enrichment.

Coordinates are WGS84 ``(lon, lat)`` as in GeoJSON. Each ring is pre-cut into horizontal bands:
a ray-casting test only looks at the edges of the band that holds the point, so a commune
outline of 1,600 vertices costs a few dozen comparisons. A bounding box check comes first.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Point = tuple[float, float]
Edge = tuple[float, float, float, float]

_BAND_EDGES = 24  # aim for about this many edges per band


class Ring:
    """A closed ring, banded for point-in-ring tests."""

    __slots__ = ("min_y", "band_h", "bands", "bbox")

    def __init__(self, coords: Sequence[Sequence[float]]) -> None:
        pts = [(float(c[0]), float(c[1])) for c in coords]
        if len(pts) > 1 and pts[0] == pts[-1]:
            pts.pop()
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        self.bbox = (min(xs), min(ys), max(xs), max(ys))
        self.min_y = self.bbox[1]
        n_bands = max(1, len(pts) // _BAND_EDGES)
        height = (self.bbox[3] - self.bbox[1]) or 1e-9
        self.band_h = height / n_bands
        self.bands: list[list[Edge]] = [[] for _ in range(n_bands)]
        for i, (x1, y1) in enumerate(pts):
            x2, y2 = pts[(i + 1) % len(pts)]
            if y1 == y2:
                continue  # horizontal edges never cross a horizontal ray
            lo, hi = (y1, y2) if y1 < y2 else (y2, y1)
            first = self._band(lo)
            last = self._band(hi)
            for b in range(first, last + 1):
                self.bands[b].append((x1, y1, x2, y2))

    def _band(self, y: float) -> int:
        b = int((y - self.min_y) / self.band_h)
        return min(max(b, 0), len(self.bands) - 1)

    def contains(self, x: float, y: float) -> bool:
        minx, miny, maxx, maxy = self.bbox
        if not (minx <= x <= maxx and miny <= y <= maxy):
            return False
        inside = False
        for x1, y1, x2, y2 in self.bands[self._band(y)]:
            if (y1 > y) != (y2 > y):
                cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                if x < cross:
                    inside = not inside
        return inside


class Polygon:
    """One outer ring and its holes."""

    __slots__ = ("outer", "holes")

    def __init__(self, rings: Sequence[Sequence[Sequence[float]]]) -> None:
        self.outer = Ring(rings[0])
        self.holes = [Ring(r) for r in rings[1:]]

    def contains(self, x: float, y: float) -> bool:
        return self.outer.contains(x, y) and not any(h.contains(x, y) for h in self.holes)


@dataclass(frozen=True, slots=True)
class Area:
    """A named area (quartier, commune): a bounding box and one or more polygons."""

    code: str
    name: str
    bbox: tuple[float, float, float, float]
    polygons: tuple[Polygon, ...]

    @classmethod
    def from_geometry(cls, code: str, name: str, geometry: dict[str, Any]) -> Area:
        kind = geometry.get("type")
        if kind == "Polygon":
            parts = [geometry["coordinates"]]
        elif kind == "MultiPolygon":
            parts = list(geometry["coordinates"])
        else:
            raise ValueError(f"unsupported geometry type {kind!r} for {name}")
        polygons = tuple(Polygon(p) for p in parts if p)
        boxes = [p.outer.bbox for p in polygons]
        bbox = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )
        return cls(code, name, bbox, polygons)

    def contains(self, lon: float, lat: float) -> bool:
        minx, miny, maxx, maxy = self.bbox
        if not (minx <= lon <= maxx and miny <= lat <= maxy):
            return False
        return any(p.contains(lon, lat) for p in self.polygons)


class AreaIndex:
    """A set of areas answering "which area holds this point?" (first match wins)."""

    def __init__(self, areas: Iterable[Area]) -> None:
        self.areas = tuple(areas)
        boxes = [a.bbox for a in self.areas] or [(0.0, 0.0, 0.0, 0.0)]
        self.bbox = (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )

    def __len__(self) -> int:
        return len(self.areas)

    def locate(self, lat: float, lon: float) -> Area | None:
        minx, miny, maxx, maxy = self.bbox
        if not (minx <= lon <= maxx and miny <= lat <= maxy):
            return None
        for area in self.areas:
            if area.contains(lon, lat):
                return area
        return None


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(a))
