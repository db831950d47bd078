"""Stored documents parsed once: :func:`orjson.loads` memoized by the stored JSON itself.

A text search ranks its soonest matches, and the front page, the agenda views and most
filters start from now: the same few thousand upcoming events fill page after page. Parsing
their bodies again for each page was a fifth of a distinct text search's work (callgrind,
the 2,000 distinct searches of ``bench.query_http``: 1.03M instructions per page parsed,
0.34M through this memo), and the strings a memo hands out again already carry the UTF-8
form :func:`orjson.dumps` needs.

The key is the stored bytes, so an entry can never be stale: a new version of a document
is a new key, and the old one ages out of the LRU. Callers get a shallow copy, which they
may change at the top level (add a score or a snippet, drop internal fields); the nested
values are shared and must be left as they are.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import orjson

#: Documents kept: about 9 KB each with their key (the bench's documents), so about 10 MB
#: per query worker. 2,048 served the bench's 2,000 distinct searches (4,063 documents in
#: their pages) better, but took the service with its answer cache to 294 MB of the 300
#: allowed; most real traffic returns to far fewer documents (the next few hundred events).
SIZE = 1024


class ParsedDocuments:
    """An LRU of parsed documents, keyed by their JSON."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._docs: OrderedDict[bytes | str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._docs)

    def load(self, body: bytes | str) -> dict[str, Any]:
        """``orjson.loads(body)``, as a copy the caller owns (see the module's docstring)."""
        with self._lock:
            doc = self._docs.get(body)
            if doc is not None:
                self._docs.move_to_end(body)
                return dict(doc)
        doc = orjson.loads(body)
        if self.size > 0:
            with self._lock:
                self._docs[body] = doc
                if len(self._docs) > self.size:
                    self._docs.popitem(last=False)
        return dict(doc)
