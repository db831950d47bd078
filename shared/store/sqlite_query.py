"""Translate a :class:`SearchQuery` into SQL for :mod:`shared.store.sqlite`.

The filtered set is ``FROM {source} WHERE {where}``; the search, the count and the facets all
use it, so facets are counted on exactly the set the results come from. Date ranges are rowid
ranges (rowids are chronological), and with a text query the rowid bounds are put on the FTS
table so FTS5 reads only the matching slice of its index.

The store takes date-ordered pages, relevance order, totals and facets from its in-memory bitmap
index (:mod:`shared.store.sqlite_bitmaps`, :mod:`shared.store.sqlite_rank`); the SQL here
serves distance order, and is what the tests compare the bitmap index with.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.store.base import SearchQuery, Sort
from shared.store.geo_grid import disc_box

HASH_BITS = 24
#: The JSON of document ``d`` (kept out of ``docs`` so that scans stay narrow).
BODY = "(SELECT body FROM docs_body WHERE rowid = d.body_id)"
KM_PER_DEG = 111.32

# How each multi-valued facet combines several requested values.
TAG_FILTERS: tuple[tuple[str, str, bool], ...] = (
    # (query attribute, doc_tags facet, all values required)
    ("themes", "themes", False),
    ("keywords", "keywords", False),
    ("accessibility", "accessibility", True),
    ("audiences", "audience", False),
    ("sources", "sources", False),
)
GEO_BOX = (
    "d.rowid IN (SELECT id FROM docs_geo WHERE min_lat >= ? AND max_lat <= ?"
    " AND min_lon >= ? AND max_lon <= ?)"
)
TAG_IN = "d.rowid IN (SELECT doc_rowid FROM doc_tags WHERE facet = ? AND value IN ("
COLUMN_FILTERS: tuple[tuple[str, str], ...] = (
    ("quartiers", "quartier"),
    ("communes", "commune"),
    ("organizers", "organizer"),
    ("statuses", "status"),
)


@dataclass(slots=True)
class SearchPlan:
    source: str
    where: str
    params: list[Any]
    order: str
    cursor_cols: str
    limit: int
    cursor_where: str = ""
    cursor_params: list[Any] = field(default_factory=list)
    ranked: bool = False  # relevance order (of a text query)
    by_date: bool = False  # ordered by rowid (date), the cursor is one rowid

    @property
    def sql(self) -> str:
        where = self.where + self.cursor_where
        return (
            f"SELECT {BODY}, {self.cursor_cols} FROM {self.source} WHERE {where}"
            f" ORDER BY {self.order} LIMIT {self.limit + 1}"
        )

    @property
    def params_all(self) -> list[Any]:
        return [*self.params, *self.cursor_params]

    @property
    def count_sql(self) -> str:
        return f"SELECT COUNT(*) FROM {self.source} WHERE {self.where}"

    @property
    def count_params(self) -> list[Any]:
        return self.params

    @property
    def rowids_sql(self) -> str:
        """The rowids of the filtered set, for facet counts."""
        return f"SELECT d.rowid AS rid FROM {self.source} WHERE {self.where}"


#: Facet names in search results -> ``doc_tags`` facet, and how many values to return.
FACETS: dict[str, tuple[str, int]] = {
    "theme": ("themes", 100),
    "quartier": ("quartier", 100),
    "commune": ("commune", 100),
    "accessibility": ("accessibility", 100),
    "keyword": ("keywords", 20),
    "organizer": ("organizer", 50),
    "audience": ("audience", 100),
    "source": ("sources", 100),
}


def facet_sql(plan: SearchPlan) -> str:
    """Counts of every facet value over the filtered set of ``plan``."""
    # CROSS JOIN keeps the filtered set as the outer loop; one range probe per document on
    # the covering index doc_tags(doc_rowid, facet, value) reads all its tags at once.
    return (
        f"SELECT t.facet, t.value, COUNT(*) FROM ({plan.rowids_sql}) r"
        " CROSS JOIN doc_tags t ON t.doc_rowid = r.rid WHERE t.facet != 'place'"
        " GROUP BY t.facet, t.value"
    )


def shape_facets(rows: list[tuple[str, str, int]]) -> dict[str, list[dict[str, Any]]]:
    by_tag: dict[str, list[tuple[str, int]]] = {}
    for tag, value, n in rows:
        by_tag.setdefault(tag, []).append((value, n))
    out: dict[str, list[dict[str, Any]]] = {}
    for name, (tag, top) in FACETS.items():
        values = sorted(by_tag.get(tag, ()), key=lambda v: (-v[1], v[0]))[:top]
        out[name] = [{"value": v, "count": n} for v, n in values]
    return out


def fts_expression(q: str, to_index_text: Callable[[str], str]) -> str | None:
    """An FTS5 expression: every stemmed term required, the last one as a prefix."""
    terms = to_index_text(q).split()
    if not terms:
        return None
    quoted = ['"' + t.replace('"', "") + '"' for t in terms]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def build_search(
    query: SearchQuery, max_span: int, to_index_text: Callable[[str], str]
) -> SearchPlan:
    from shared.store.sqlite import decode_cursor  # local: avoid an import cycle

    where: list[str] = []
    params: list[Any] = []
    match = fts_expression(query.q, to_index_text) if query.q else None
    if match is not None:
        source = "docs_fts f JOIN docs d ON d.rowid = f.rowid"
        rowid_col = "f.rowid"
        where.append("docs_fts MATCH ?")
        params.append(match)
    else:
        source = "docs d"
        rowid_col = "d.rowid"

    if query.start is not None:
        start = int(query.start.timestamp())
        where.append(f"{rowid_col} >= ?")
        params.append(max(start - max_span, 0) << HASH_BITS)
        where.append("d.end_ts >= ?")
        params.append(start)
    if query.end is not None:
        where.append(f"{rowid_col} < ?")
        params.append(max(int(query.end.timestamp()), 0) << HASH_BITS)

    if not query.include_cancelled and "cancelled" not in query.statuses:
        where.append("d.status != 'cancelled'")
    for attr, column in COLUMN_FILTERS:
        values = getattr(query, attr)
        if values:
            where.append(f"d.{column} IN ({','.join('?' * len(values))})")
            params.extend(values)
    for attr, facet, require_all in TAG_FILTERS:
        values = getattr(query, attr)
        if not values:
            continue
        groups = [(v,) for v in values] if require_all else [tuple(values)]
        for group in groups:
            where.append(f"{TAG_IN}{','.join('?' * len(group))}))")
            params.extend([facet, *group])
    if query.free is not None:
        where.append("d.is_free = ?")
        params.append(int(query.free))
    if query.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = query.bbox
        where.append(GEO_BOX)
        params.extend([min_lat, max_lat, min_lon, max_lon])

    distance = "0"
    by_date = False
    if query.near is not None:
        lat, lon = query.near
        kx = KM_PER_DEG * math.cos(math.radians(lat))
        distance = f"(((d.lat - {lat!r}) * {KM_PER_DEG!r}) * ((d.lat - {lat!r}) * {KM_PER_DEG!r})"
        distance += f" + ((d.lon - {lon!r}) * {kx!r}) * ((d.lon - {lon!r}) * {kx!r}))"
        if query.radius_km is not None:
            # the R*Tree narrows to the enclosing box, the exact test keeps the disc
            where.append(GEO_BOX)
            params.extend(disc_box(query.near, query.radius_km, KM_PER_DEG))
            where.append(f"{distance} <= ?")
            params.append(query.radius_km**2)
        else:
            where.append("d.lat IS NOT NULL")

    if query.sort == Sort.RELEVANCE and match is not None:
        order, cursor_cols = "f.rank, d.rowid", "f.rank, d.rowid"
        cursor_expr = "(f.rank > ? OR (f.rank = ? AND d.rowid > ?))"
    elif query.sort == Sort.DISTANCE and query.near is not None:
        order, cursor_cols = f"{distance}, d.rowid", f"{distance}, d.rowid"
        cursor_expr = f"({distance} > ? OR ({distance} = ? AND d.rowid > ?))"
    else:
        order, cursor_cols = f"{rowid_col}", f"{rowid_col}"
        cursor_expr = f"{rowid_col} > ?"
        by_date = True

    plan = SearchPlan(
        source=source,
        where=" AND ".join(where) or "1",
        params=params,
        order=order,
        cursor_cols=cursor_cols,
        limit=query.limit,
        ranked=query.sort == Sort.RELEVANCE and match is not None,
        by_date=by_date,
    )
    if query.cursor:
        values = decode_cursor(query.cursor)
        plan.cursor_where = " AND " + cursor_expr
        expected = 1 if cursor_expr.count("?") == 1 else 2
        if len(values) != expected or not all(isinstance(v, int | float) for v in values):
            raise ValueError("malformed cursor (or a cursor from another sort order)")
        if expected == 1:
            plan.cursor_params = [values[0]]
        else:
            plan.cursor_params = [values[0], values[0], values[1]]
    return plan
