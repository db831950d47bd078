"""Bulk writes of the Elasticsearch stores: chunked, retried on 429, errors sorted per item.

A bulk request is not atomic: each action succeeds or fails on its own. :func:`bulk` sends
the actions in requests of at most :data:`CHUNK_BYTES` (a batch of events with hundreds of
occurrences each would otherwise pass ``http.max_content_length``), retries the actions the
cluster refused with 429 (with a growing delay), and sorts the other failures:

* a 400 on one document (``document_parsing_exception``, ``illegal_argument_exception``...)
  is that document's fault: :class:`ItemsRejected` names the documents, so that the store
  can send the messages behind them to the dead-letter stream instead of retrying the batch
  forever;
* anything else (a missing index, a read-only cluster, a 5xx, a 409 not expected, and the
  400s about the index rather than the document: a closed index, an alias without a write
  index) is the store's: :class:`StoreError`, the batch is retried later.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from elasticsearch import AsyncElasticsearch

from shared.errors import TransientError
from shared.store.sqlite_docs import dumps

CHUNK_BYTES = 8 * 1024 * 1024
RETRIES_429 = 5
#: Longest document id Elasticsearch takes, in UTF-8 bytes (``IndexRequest.validate``).
ID_MAX_BYTES = 512
#: Largest external version (a long; ``VersionType.EXTERNAL`` takes 0 and up).
VERSION_MAX = 2**63 - 1


class StoreError(TransientError):
    """A write the cluster refused; the batch is retried (nak) by the indexer."""


@dataclass(frozen=True, slots=True)
class Rejection:
    index: str
    id: str
    reason: str


class ItemsRejected(StoreError):
    """Documents the cluster refused for their content (per-item 400s)."""

    def __init__(self, items: list[Rejection]) -> None:
        super().__init__(f"{len(items)} document(s) refused: {items[0].reason}")
        self.items = items


def unwritable(doc_id: Any, version: int) -> str | None:
    """Why Elasticsearch would refuse to write the document ``doc_id`` at the external
    ``version``, when it refuses it for the whole request rather than for that item:
    ``BulkRequest.validate`` fails a bulk request with a 400
    (``action_request_validation_exception``) for one id over 512 bytes or one version
    its version type does not take, and a version past a long does not even parse. Such a
    message would fail every batch it is in, so the stores refuse it alone, before any
    request (an empty id, which only its item refuses, is refused here too)."""
    if not isinstance(doc_id, str) or not doc_id:
        return "an empty id"
    try:
        size = len(doc_id.encode("utf-8"))
    except UnicodeEncodeError:
        return "an id that is not valid UTF-8"
    if size > ID_MAX_BYTES:
        return f"an id of {size} bytes (Elasticsearch takes {ID_MAX_BYTES} at most)"
    if not 0 <= version <= VERSION_MAX:
        return f"version {version} (Elasticsearch takes external versions from 0 to 2^63-1)"
    return None


def pairs(ops: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Group bulk lines into actions (``delete`` has no source line)."""
    out: list[list[dict[str, Any]]] = []
    i = 0
    while i < len(ops):
        if "delete" in ops[i]:
            out.append([ops[i]])
            i += 1
        else:
            out.append([ops[i], ops[i + 1]])
            i += 2
    return out


def _chunks(lines: list[bytes], todo: list[int]) -> list[list[int]]:
    chunks: list[list[int]] = [[]]
    size = 0
    for i in todo:
        if chunks[-1] and size + len(lines[i]) > CHUNK_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(i)
        size += len(lines[i])
    return chunks


def _reason(result: dict[str, Any]) -> str:
    error = result.get("error")
    if isinstance(error, dict):
        return f"{error.get('type')}: {error.get('reason')}"
    return str(error)


async def bulk(es: AsyncElasticsearch, ops: list[dict[str, Any]], *, refresh: bool = False,
               conflicts_ok: bool = False, missing_ok: bool = False) -> list[dict[str, Any]]:
    """Send ``ops`` (bulk lines); the result of each action, in order. 409s are results when
    ``conflicts_ok``, 404s when ``missing_ok``."""
    actions = pairs(ops)
    # sqlite_docs.dumps: orjson, or json for what orjson refuses (an integer over 64 bits)
    lines = [b"".join(dumps(part).encode() + b"\n" for part in action) for action in actions]
    results: list[dict[str, Any]] = [{} for _ in actions]
    todo = list(range(len(actions)))
    rejected: list[Rejection] = []
    for attempt in range(RETRIES_429 + 1):
        retry: list[int] = []
        for chunk in _chunks(lines, todo) if todo else []:
            # pre-serialized lines, as the client's own bulk helpers send them
            body: Any = [lines[i] for i in chunk]
            resp = await es.bulk(operations=body, refresh=True if refresh else None)
            for i, item in zip(chunk, resp["items"], strict=True):
                result = next(iter(item.values()))
                results[i] = result
                status = result.get("status", 500)
                if status < 300 or (status == 409 and conflicts_ok) or (
                        status == 404 and missing_ok and "error" not in result):
                    continue
                if status == 404 and missing_ok and _type(result) == "document_missing_exception":
                    continue
                if status == 429:
                    retry.append(i)
                elif status == 400 and not _store_fault(result):
                    rejected.append(Rejection(result.get("_index", ""), str(result.get("_id")),
                                              _reason(result)))
                else:
                    raise StoreError(f"bulk item failed ({status}): {_reason(result)}")
        todo = retry
        if not todo:
            break
        await asyncio.sleep(min(0.2 * 2 ** attempt, 5.0))
    if rejected:
        raise ItemsRejected(rejected)
    if todo:
        raise StoreError(f"{len(todo)} bulk items still rejected (429) after retries")
    return results


def mget_sources(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The sources of the documents an ``mget`` response (its ``docs``) found, by id.

    A document the cluster could not read (its shard unavailable, its index missing or
    closed) comes back in its place with an ``error`` and no ``found``, in a response that
    is a 200 all the same (``MultiGetHit.error`` in the specification, per-item failures of
    ``TransportMultiGetAction``). That is the store's failure (:class:`StoreError`), never
    "not found": a batch would take a stored event for a new one and write over it.
    """
    out: dict[str, dict[str, Any]] = {}
    for doc in docs:
        if "error" in doc:
            raise StoreError(f"mget of {doc.get('_id')} in {doc.get('_index')} failed: "
                             f"{_reason(doc)}")
        if doc.get("found"):
            out[doc["_id"]] = doc["_source"]
    return out


def _store_fault(result: dict[str, Any]) -> bool:
    """Whether a per-item 400 is about the index rather than the document: a closed index
    (``IndexClosedException`` is a 400; ``BulkOperation.addFailureIfIndexIsClosed``) or an
    alias without a write index (``IndexAbstraction.getWriteIndex``'s
    ``IllegalArgumentException``, a 400 for every write through the alias, deletes too)."""
    error = result.get("error")
    return isinstance(error, dict) and (
        error.get("type") == "index_closed_exception"
        or "no write index is defined for alias" in str(error.get("reason")))


def _type(result: dict[str, Any]) -> str | None:
    error = result.get("error")
    return error.get("type") if isinstance(error, dict) else None
