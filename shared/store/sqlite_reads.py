"""Related documents, facet terms and search-box suggestions for :mod:`shared.store.sqlite`."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

import orjson

from shared.store.sqlite_docs import HASH_BITS, index_text
from shared.store.sqlite_query import BODY, fts_expression
from shared.text import fold

RELATED_PERIOD_S = 14 * 86400
#: ``terms()`` accepts the contract's names and the facet names of search results.
TERM_FACETS = {
    "themes": "themes", "theme": "themes", "keywords": "keywords", "keyword": "keywords",
    "quartier": "quartier", "commune": "commune", "organizer": "organizer",
    "accessibility": "accessibility", "audience": "audience", "sources": "sources",
    "source": "sources",
}
SUGGEST_KINDS = {"keywords": "keyword", "organizer": "organizer", "place": "place"}


def suggest_tags(conn: sqlite3.Connection) -> list[tuple[str, str, str, int]]:
    """``(kind, text, folded text, count)`` of every keyword, organizer and place of upcoming
    documents, most used first (cached by the store per write generation)."""
    now = int(time.time())
    rows = conn.execute(
        "SELECT t.facet, t.value, COUNT(*) AS n FROM doc_tags t"
        " JOIN docs d ON d.rowid = t.doc_rowid"
        " WHERE t.facet IN ('keywords', 'organizer', 'place') AND d.end_ts >= ?"
        " GROUP BY t.facet, t.value ORDER BY n DESC, t.value",
        (now,),
    ).fetchall()
    return [(SUGGEST_KINDS[f], v, " ".join(fold(v).split()), n) for f, v, n in rows]


def _folded_prefix(prefix: str) -> str:
    return " ".join(fold(prefix).split())


def suggest(
    conn: sqlite3.Connection, tags: list[tuple[str, str, str, int]], prefix: str, limit: int
) -> list[dict[str, Any]]:
    """Completions of ``prefix``: keywords, organizers and places whose text (or one of its
    words) starts with it, then titles of upcoming documents matching it as a search."""
    want = _folded_prefix(prefix)
    if len(want) < 2:
        return []
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    starts = [t for t in tags if t[2].startswith(want)]
    inside = [t for t in tags if not t[2].startswith(want) and f" {want}" in f" {t[2]}"]
    for kind, text, folded, _n in starts + inside:
        if folded not in seen and len(out) < limit:
            seen.add(folded)
            out.append({"text": text, "kind": kind})
    expr = fts_expression(prefix, index_text)
    if expr is None or len(out) >= limit:
        return out
    now = int(time.time())
    rows = conn.execute(
        f"SELECT {BODY} FROM docs_fts f JOIN docs d ON d.rowid = f.rowid"
        " WHERE docs_fts MATCH ? AND f.rowid >= ? AND d.end_ts >= ? ORDER BY f.rowid LIMIT 200",
        ("title : (" + expr + ")", max(now - 86400 * 31, 0) << HASH_BITS, now),
    )
    for (raw,) in rows:
        title = orjson.loads(raw)["title"]
        folded = _folded_prefix(title)
        if folded not in seen:
            seen.add(folded)
            out.append({"text": title, "kind": "title"})
            if len(out) >= limit:
                break
    return out
