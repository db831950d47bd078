"""Translate search parameters into Elasticsearch request bodies (pure functions).

Field layout of the documents index (see ``deploy/elasticsearch/index-template.json`` and
:func:`shared.store.elastic.es_source`): ``all_text`` (French analyzer: elision, lowercase,
asciifolding, stop words, light French stemmer) with an ``all_text.folded`` subfield (folded,
unstemmed) for the prefix on the last word; ``title`` with ``title.prefix`` (edge n-grams) for
suggestions; keyword fields for facets and filters; ``geo`` a ``geo_point``.

Text queries mirror the SQLite store: every word is required (stop words dropped), the last
one also matches as a prefix of a folded word, so ``concerts`` finds *Concert* and ``répar``
finds *réparation*. Facets are terms aggregations over the same query, so they count exactly the
filtered set (the index has one shard, so term counts are exact).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from shared.store.base import SearchQuery, Sort
from shared.text import fold, tokens

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
TEXT_FIELDS = ["title^3", "all_text"]


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, expected: int) -> list[Any]:
    padded = cursor + "=" * (-len(cursor) % 4)
    try:
        values = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("malformed cursor") from exc
    if not isinstance(values, list) or len(values) != expected:
        raise ValueError("malformed cursor (or a cursor from another sort order)")
    return values


def text_query(q: str) -> dict[str, Any] | None:
    """Every word required; the last one as a word or as a folded prefix."""
    words = tokens(q)
    if not words:
        return None
    must: list[dict[str, Any]] = [
        {"match": {"all_text": {"query": w, "zero_terms_query": "all"}}} for w in words[:-1]
    ]
    last = words[-1]
    must.append({"bool": {"should": [
        {"match": {"all_text": {"query": last, "zero_terms_query": "none"}}},
        {"prefix": {"all_text.folded": {"value": fold(last)}}},
    ], "minimum_should_match": 1}})
    return {"bool": {"must": must, "should": [
        {"multi_match": {"query": q, "fields": TEXT_FIELDS}}]}}


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


def sort_clause(query: SearchQuery) -> list[Any]:
    if query.sort == Sort.RELEVANCE and query.q and text_query(query.q) is not None:
        return [{"_score": "desc"}, {"start_ts": "asc"}, {"id": "asc"}]
    if query.sort == Sort.DISTANCE and query.near is not None:
        lat, lon = query.near
        return [{"_geo_distance": {"geo": {"lat": lat, "lon": lon}, "order": "asc",
                                   "unit": "km"}}, {"id": "asc"}]
    return [{"start_ts": "asc"}, {"id": "asc"}]


def search_body(query: SearchQuery) -> dict[str, Any]:
    """The body of ``_search`` for ``query`` (one more hit than the limit, to know if there
    is a next page)."""
    flt, must_not = filters(query)
    bool_q: dict[str, Any] = {"filter": flt, "must_not": must_not}
    text = text_query(query.q) if query.q else None
    if text is not None:
        bool_q["must"] = [text]
    sort = sort_clause(query)
    body: dict[str, Any] = {
        "query": {"bool": bool_q},
        "sort": sort,
        "size": query.limit + 1,
        "track_total_hits": True,
        "_source": ["doc"],
    }
    if query.cursor:
        body["search_after"] = decode_cursor(query.cursor, len(sort))
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
    within ``period_s`` of it, not ended at ``now_ts``, of other events."""
    start = int(doc["start_ts"])
    events = sorted({s["event_id"] for s in doc.get("sources") or ()} | {doc["event_id"]})
    should = [{"constant_score": {"filter": {"term": {"themes": t}}, "boost": 2}}
              for t in doc.get("themes") or ()]
    should += [{"constant_score": {"filter": {"term": {"keywords": k}}, "boost": 1}}
               for k in doc.get("keywords") or ()]
    flt: list[dict[str, Any]] = [
        {"range": {"start_ts": {"gte": start - period_s, "lte": start + period_s}}},
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
    """Titles whose words start with the folded words of ``prefix``, and the keywords,
    organizers and places of upcoming documents (filtered by prefix in Python)."""
    return {
        "size": limit * 4,
        "_source": ["doc.title"],
        "query": {"bool": {
            "must": [{"match": {"title.prefix": {"query": prefix, "operator": "and"}}}],
            "filter": [{"range": {"end_ts": {"gte": now_ts}}}],
        }},
        "sort": [{"start_ts": "asc"}],
        "aggs": {kind: {"terms": {"field": field, "size": 1000}}
                 for kind, field in (("keyword", "keywords"), ("organizer", "organizer"),
                                     ("place", "place_name"))},
    }


def candidates_body(start_ts: int, day: int, all_day: bool, window_s: int) -> dict[str, Any]:
    """Members that may match a member starting at ``start_ts`` (see :mod:`.dedup`)."""
    same_day: dict[str, Any] = {"term": {"day": day}}
    if not all_day:
        same_day = {"bool": {"filter": [same_day, {"term": {"all_day": True}}]}}
    return {
        "size": 10_000,
        "_source": ["feat"],
        "query": {"bool": {"should": [
            {"range": {"start_ts": {"gte": start_ts - window_s, "lte": start_ts + window_s}}},
            same_day,
        ], "minimum_should_match": 1}},
    }
