"""Translate search parameters into Elasticsearch request bodies (pure functions).

Field layout of the documents index (:data:`shared.store.elastic_index.DOCS`,
:func:`shared.store.elastic.es_source`): ``text`` and ``title_text`` hold the words as the
SQLite store indexes them (Python's accent-folded Snowball French stems,
:func:`shared.store.sqlite_docs.index_text`, split on whitespace by Elasticsearch), so the
query side uses the same stems: every word is required, the last one as a prefix of a stem
(SQLite's ``"stem"*``), and both stores find the same documents. ``rank_key`` is the SQLite
rowid (start time, then a hash of the id): date order and its ties are the same in both
stores. Facets are terms aggregations over the same query, so they count exactly the filtered
set (the index has one shard, so term counts are exact).

Result windows are explicit: a search asks ``limit + 1`` hits and pages with ``search_after``
(never ``from``, so ``index.max_result_window`` never applies); reads of every hit of a query
(an event's documents, dedup candidates) page by :data:`PAGE` until the last page.
"""

from __future__ import annotations

import base64
import json
import math
from typing import Any

from shared.store.base import SearchQuery, Sort
from shared.text import stems

#: Hits per request when every hit of a query is read, page by page.
PAGE = 1000
#: Values counted per kind (keywords, organizers, places) for suggestions: every value of
#: the upcoming documents up to this bound (three aggregations stay under the cluster's
#: default ``search.max_buckets``, 65,536).
SUGGEST_BUCKETS = 10_000

#: Facet name in results -> (keyword field, how many values).
FACETS: dict[str, tuple[str, int]] = {
    "theme": ("themes", 100),
    "quartier": ("quartier", 100),
    "commune": ("commune", 100),
    "accessibility": ("accessibility", 100),
    "keyword": ("keywords", 20),
    "organizer": ("organizer", 50),
    "audience": ("audience", 100),
    "source": ("source_ids", 100),
}
#: SearchQuery attribute -> keyword field, for filters where any value may match.
ANY_OF = (("themes", "themes"), ("keywords", "keywords"), ("quartiers", "quartier"),
          ("communes", "commune"), ("audiences", "audience"), ("organizers", "organizer"),
          ("sources", "source_ids"), ("statuses", "status"))
TERM_FIELDS = {
    "themes": "themes", "theme": "themes", "keywords": "keywords", "keyword": "keywords",
    "quartier": "quartier", "commune": "commune", "organizer": "organizer",
    "accessibility": "accessibility", "audience": "audience", "sources": "source_ids",
    "source": "source_ids",
}
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, shape: tuple[str, ...]) -> list[Any]:
    """The ``search_after`` values of ``cursor``, checked against ``shape`` (one of
    ``"long"``, ``"number"``, ``"str"`` per sort key): a cursor Elasticsearch would refuse
    is the caller's ``ValueError`` (a 400), never a request that fails (a 500)."""
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        values = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("malformed cursor") from exc
    if not isinstance(values, list) or len(values) != len(shape) or not all(
            _fits(v, kind) for v, kind in zip(values, shape, strict=True)):
        raise ValueError("malformed cursor (or a cursor from another sort order)")
    return values


def _fits(value: Any, kind: str) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if kind == "long":
        return isinstance(value, int) and LONG_MIN <= value <= LONG_MAX
    return math.isfinite(value)


def words_query(field: str, words: list[str]) -> list[dict[str, Any]]:
    """Every stem of ``words`` required in ``field``, the last one as a prefix of a stem."""
    must: list[dict[str, Any]] = [{"term": {field: w}} for w in words[:-1]]
    last = words[-1]
    must.append({"bool": {"should": [{"term": {field: last}}, {"prefix": {field: last}}],
                          "minimum_should_match": 1}})
    return must


def text_query(q: str) -> dict[str, Any] | None:
    """The words of ``q`` as the SQLite store matches them; titles count three times."""
    words = stems(q)
    if not words:
        return None
    return {"bool": {"must": words_query("text", words), "should": [
        {"match": {"title_text": {"query": " ".join(words), "boost": 3}}}]}}


def filters(query: SearchQuery) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(filter, must_not)`` clauses of everything but the text."""
    flt: list[dict[str, Any]] = []
    must_not: list[dict[str, Any]] = []
    if query.start is not None:
        flt.append({"range": {"end_ts": {"gte": int(query.start.timestamp())}}})
    if query.end is not None:
        flt.append({"range": {"start_ts": {"lt": int(query.end.timestamp())}}})
    if not query.include_cancelled and "cancelled" not in query.statuses:
        must_not.append({"term": {"status": "cancelled"}})
    for attr, field in ANY_OF:
        values = getattr(query, attr)
        if values:
            flt.append({"terms": {field: list(values)}})
    for value in query.accessibility:
        flt.append({"term": {"accessibility": value}})
    if query.free is not None:
        flt.append({"term": {"is_free": query.free}})
    if query.bbox is not None:
        min_lon, min_lat, max_lon, max_lat = query.bbox
        flt.append({"geo_bounding_box": {"geo": {
            "top_left": {"lat": max_lat, "lon": min_lon},
            "bottom_right": {"lat": min_lat, "lon": max_lon},
        }}})
    if query.near is not None:
        lat, lon = query.near
        if query.radius_km is not None:
            flt.append({"geo_distance": {"distance": f"{query.radius_km}km",
                                         "geo": {"lat": lat, "lon": lon}}})
        else:
            flt.append({"exists": {"field": "geo"}})
    return flt, must_not


DATE_ORDER: list[Any] = [{"rank_key": "asc"}, {"id": "asc"}]


def sort_clause(query: SearchQuery) -> tuple[list[Any], tuple[str, ...]]:
    """The sort of ``query`` and the shape of its ``search_after`` values."""
    if query.sort == Sort.RELEVANCE and query.q and text_query(query.q) is not None:
        return [{"_score": "desc"}, *DATE_ORDER], ("number", "long", "str")
    if query.sort == Sort.DISTANCE and query.near is not None:
        lat, lon = query.near
        return [{"_geo_distance": {"geo": {"lat": lat, "lon": lon}, "order": "asc",
                                   "unit": "km"}}, *DATE_ORDER], ("number", "long", "str")
    return list(DATE_ORDER), ("long", "str")


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The body of ``_search`` for ``query`` (one more hit than the limit, to know if there
    is a next page)."""
    flt, must_not = filters(query)
    bool_q: dict[str, Any] = {"filter": flt, "must_not": must_not}
    text = text_query(query.q) if query.q else None
    if text is not None:
        bool_q["must"] = [text]
    sort, shape = sort_clause(query)
    body: dict[str, Any] = {
        "query": {"bool": bool_q},
        "sort": sort,
        "size": query.limit + 1,
        "track_total_hits": True,
        "_source": ["doc"],
    }
    if query.cursor:
        body["search_after"] = decode_cursor(query.cursor, shape)
    if query.facets:
        body["aggs"] = facet_aggs()
    return body


def facet_aggs() -> dict[str, Any]:
    return {name: {"terms": {"field": field, "size": size, "order": [{"_count": "desc"},
                                                                      {"_key": "asc"}]}}
            for name, (field, size) in FACETS.items()}


def shape_facets(aggs: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for name in FACETS:
        buckets = (aggs.get(name) or {}).get("buckets", [])
        out[name] = [{"value": _key(b), "count": b["doc_count"]} for b in buckets]
    return out


def _key(bucket: dict[str, Any]) -> Any:
    return bucket.get("key_as_string", bucket["key"])


def related_body(doc: dict[str, Any], now_ts: int, period_s: int, size: int) -> dict[str, Any]:
    """Documents sharing a theme (weight 2) or keyword (weight 1) with ``doc``, in its quartier,
    within ``period_s`` of it, not ended at ``now_ts``, of other events: best first, then
    closest in time to ``doc``, then in date order (the SQLite store's order), sorted by
    Elasticsearch itself so that no tie is cut before the closest ones are chosen."""
    start = int(doc["start_ts"])
    events = sorted({s["event_id"] for s in doc.get("sources") or ()} | {doc["event_id"]})
    should = [{"constant_score": {"filter": {"term": {"themes": t}}, "boost": 2}}
              for t in dict.fromkeys(str(t) for t in doc.get("themes") or ())]
    should += [{"constant_score": {"filter": {"term": {"keywords": k}}, "boost": 1}}
               for k in dict.fromkeys(str(k) for k in doc.get("keywords") or ())]
    flt: list[dict[str, Any]] = [
        {"range": {"start_ts": {"gte": max(start - period_s, 0), "lte": start + period_s}}},
        {"range": {"end_ts": {"gte": now_ts}}},
    ]
    quartier = (doc.get("location") or {}).get("quartier")
    if quartier:
        flt.append({"term": {"quartier": quartier}})
    return {
        "query": {"bool": {
            "should": should, "minimum_should_match": 1, "filter": flt,
            "must_not": [{"term": {"status": "cancelled"}}, {"term": {"id": doc["id"]}},
                         {"terms": {"member_event_ids": events}}],
        }},
        "sort": [
            {"_score": "desc"},
            {"_script": {"type": "number", "order": "asc", "script": {
                "source": "Math.abs(doc['start_ts'].value - params.start)",
                "params": {"start": start}}}},
            {"rank_key": "asc"},
        ],
        "size": size,
        "_source": ["doc"],
    }


def terms_body(facet: str, start_ts: int, limit: int) -> dict[str, Any]:
    field = TERM_FIELDS.get(facet)
    if field is None:
        raise ValueError(f"unknown facet {facet!r}")
    return {
        "size": 0,
        "query": {"bool": {"filter": [{"range": {"end_ts": {"gte": start_ts}}}],
                           "must_not": [{"term": {"status": "cancelled"}}]}},
        "aggs": {"t": {"terms": {"field": field, "size": limit,
                                 "order": [{"_count": "desc"}, {"_key": "asc"}]}}},
    }


def suggest_body(prefix: str, now_ts: int, limit: int) -> dict[str, Any]:
    """Keywords, organizers and places counted over every upcoming document (the query;
    filtered by prefix in Python), and the titles of the upcoming documents whose title
    words start as the prefix's words do (``post_filter``: it narrows the hits, not the
    aggregations), one hit per title (``collapse``), the soonest first."""
    words = stems(prefix)
    body: dict[str, Any] = {
        "size": limit if words else 0,
        "_source": ["doc.title"],
        "query": {"bool": {"filter": [{"range": {"end_ts": {"gte": now_ts}}}]}},
        "sort": list(DATE_ORDER),
        "aggs": {kind: {"terms": {"field": field, "size": SUGGEST_BUCKETS,
                                  "order": [{"_count": "desc"}, {"_key": "asc"}]}}
                 for kind, field in (("keyword", "keywords"), ("organizer", "organizer"),
                                     ("place", "place_name"))},
    }
    if words:
        body["post_filter"] = {"bool": {"filter": words_query("title_text", words)}}
        body["collapse"] = {"field": "title_key"}
    return body


def candidates_body(start_ts: int, day: int, all_day: bool, window_s: int,
                    after: list[Any] | None = None) -> dict[str, Any]:
    """Members that may match a member starting at ``start_ts`` (see :mod:`.dedup`), one
    page in member id order (``after``: the last id of the previous page)."""
    same_day: dict[str, Any] = {"term": {"day": day}}
    if not all_day:
        same_day = {"bool": {"filter": [same_day, {"term": {"all_day": True}}]}}
    body: dict[str, Any] = {
        "size": PAGE,
        "_source": ["feat"],
        "sort": [{"mid": "asc"}],
        "query": {"bool": {"should": [
            {"range": {"start_ts": {"gte": start_ts - window_s, "lte": start_ts + window_s}}},
            same_day,
        ], "minimum_should_match": 1}},
    }
    if after is not None:
        body["search_after"] = after
    return body
