"""The indices of the Elasticsearch stores: names, settings and mappings.

Every index is created by the store itself (:func:`create`), with its mappings and its alias
in the same request, so there is no index template to install or to collide with another
one, and two processes starting at once cannot leave two indices under one alias: the
second creation of the same concrete name fails with ``resource_already_exists_exception``,
which :func:`create` takes as success. Writes always name the alias with ``require_alias``,
so a write racing a :meth:`drop` fails instead of auto-creating a plain index with dynamic
mappings under the alias's name.

For a store alias ``A`` (``MAILLAGE_ES_INDEX``):

``A``          -> ``A-v<N>``        canonical documents (a reindex builds ``A-v<N+1>``);
``A-events``   -> ``A-events-v1``   one document per source event: version, tombstone, JSON;
``A-members``  -> ``A-members-v1``  one document per source occurrence (dedup features);
``A-meta``     -> ``A-meta-v1``     the writer lease and the journal of the batch in flight.

Text fields hold the words exactly as the SQLite store indexes them (accent-folded Snowball
French stems computed in Python, :func:`shared.store.sqlite_docs.index_text`) and are split
on whitespace only, so both stores find the same documents for the same words.
"""

from __future__ import annotations

import re
from typing import Any

from elasticsearch import AsyncElasticsearch, BadRequestError

#: Longest keyword indexed (characters): past it the value is kept in ``_source`` but not
#: indexed, where Lucene would reject the whole document (a term over 32,766 bytes; four
#: bytes per character at worst).
KEYWORD_MAX = 2048

KEYWORD: dict[str, Any] = {"type": "keyword", "ignore_above": KEYWORD_MAX}
#: Stems split on whitespace; prefixes of 2 to 5 characters indexed apart, so that the prefix
#: on the last word of a query is one term lookup (as SQLite's FTS5 ``prefix = '2 3'``).
STEMS: dict[str, Any] = {"type": "text", "analyzer": "whitespace",
                         "index_prefixes": {"min_chars": 2, "max_chars": 5}}
LONG: dict[str, Any] = {"type": "long"}
STORED: dict[str, Any] = {"type": "object", "enabled": False}

DOCS: dict[str, Any] = {
    "settings": {"number_of_shards": 1, "refresh_interval": "1s",
                 "max_result_window": 10_000},
    "mappings": {"dynamic": False, "properties": {
        "id": KEYWORD, "event_id": KEYWORD, "member_event_ids": KEYWORD, "members": KEYWORD,
        "rank_key": LONG,  # the SQLite rowid (start << 24 | hash): same date order
        "title_text": STEMS, "text": STEMS,
        "title_key": KEYWORD,  # folded title: one suggestion per title
        "start_ts": LONG, "end_ts": LONG, "status": KEYWORD,
        "themes": KEYWORD, "keywords": KEYWORD, "accessibility": KEYWORD,
        "audience": KEYWORD, "organizer": KEYWORD, "quartier": KEYWORD, "commune": KEYWORD,
        "place_name": KEYWORD, "source_ids": KEYWORD, "is_free": {"type": "boolean"},
        "geo": {"type": "geo_point", "ignore_malformed": True},
        "doc": STORED,
    }},
}
EVENTS: dict[str, Any] = {
    "settings": {"number_of_shards": 1},
    "mappings": {"dynamic": False, "properties": {
        "version": LONG, "deleted": {"type": "boolean"}, "source_id": KEYWORD,
        "data": STORED,
    }},
}
MEMBERS: dict[str, Any] = {
    "settings": {"number_of_shards": 1},
    "mappings": {"dynamic": False, "properties": {
        "mid": KEYWORD, "event_id": KEYWORD, "start_ts": LONG, "day": {"type": "integer"},
        "all_day": {"type": "boolean"}, "cluster_id": KEYWORD, "feat": STORED, "doc": STORED,
    }},
}
META: dict[str, Any] = {
    "settings": {"number_of_shards": 1},
    "mappings": {"dynamic": False, "properties": {}},
}
CALLS: dict[str, Any] = {
    "settings": {"number_of_shards": 1, "refresh_interval": "1s"},
    "mappings": {"dynamic": False, "properties": {
        "call_id": KEYWORD, "publisher": KEYWORD, "version": LONG,
        "deleted": {"type": "boolean"}, "first_seq": LONG, "opens_ts": LONG,
        "deadline_ts": LONG, "funder": KEYWORD, "perimeter": KEYWORD, "quartier": KEYWORD,
        # ASCII-lower-cased copies: SQLite compares these filters COLLATE NOCASE
        "publisher_nocase": KEYWORD, "funder_nocase": KEYWORD, "perimeter_nocase": KEYWORD,
        "quartier_nocase": KEYWORD,
        "themes": KEYWORD, "audiences": KEYWORD, "text": STEMS,
        "data": STORED, "first_seen": STORED,
    }},
}


def versioned(alias: str, n: int = 1) -> str:
    """The concrete index ``alias-v<n>``."""
    return f"{alias}-v{n}"


def version_of(alias: str, index: str) -> int | None:
    """``n`` when ``index`` is ``alias-v<n>``, else ``None`` (another store's index)."""
    found = re.fullmatch(re.escape(alias) + r"-v(\d+)", index)
    return int(found.group(1)) if found else None


def body(definition: dict[str, Any], replicas: int | None) -> dict[str, Any]:
    """``definition`` with ``replicas`` replica shards when given (tests: 0)."""
    settings = dict(definition["settings"])
    if replicas is not None:
        settings["number_of_replicas"] = replicas
    return {"settings": settings, "mappings": definition["mappings"]}


async def create(es: AsyncElasticsearch, index: str, alias: str, definition: dict[str, Any],
                 replicas: int | None = None) -> bool:
    """Create ``index`` with its mappings and ``alias`` in one request; ``False`` when it
    already exists (another process created it: same name, same definition)."""
    spec = body(definition, replicas)
    try:
        await es.indices.create(index=index, settings=spec["settings"],
                                mappings=spec["mappings"],
                                aliases={alias: {"is_write_index": True}})
    except BadRequestError as exc:
        if _error_type(exc.body) == "resource_already_exists_exception":
            return False
        raise
    return True


def _error_type(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("type") if isinstance(error, dict) else None


async def concrete(es: AsyncElasticsearch, aliases: list[str]) -> list[str]:
    """The concrete indices of this store: those behind ``aliases`` and every
    ``<alias>-v<n>`` left without one (an interrupted reindex). The wildcards are only read
    here; what is deleted is named (``action.destructive_requires_name``)."""
    targets = ",".join([*aliases, *(f"{a}-v*" for a in aliases)])
    found = await es.indices.get(index=targets, features="aliases", expand_wildcards="all",
                                 allow_no_indices=True, ignore_unavailable=True)
    return sorted(name for name, info in found.items()
                  if any(version_of(a, name) is not None for a in aliases)
                  or set(info.get("aliases") or ()) & set(aliases))
