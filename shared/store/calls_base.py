"""The calls-for-projects store contract, shared by the SQLite and Elasticsearch stores.

A call store is a projection of the ``CALLS`` stream (:meth:`CallsStore.apply`: idempotent
and ordered by version per call, a retraction leaves a tombstone, the status is derived from
the dates at query time) searched by the query service and the alert sender. It also keeps
the association tokens and saved-search alerts (:mod:`shared.store.calls_members`), in SQLite
for both stores until they move to the store of record (docs/decisions/0001-store-of-record.md),
where team-up declarations already are (:mod:`services.associations.interests`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from shared.calls import CallMessage
from shared.clean import http_url
from shared.store.base import Outcome, SearchPage
from shared.store.calls_members import TokenInfo


class CallSort(StrEnum):
    DEADLINE = "deadline"
    RELEVANCE = "relevance"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class CallQuery:
    """Search parameters for calls, validated by the caller."""

    now: datetime
    q: str | None = None
    themes: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ("open",)  # empty: every status
    deadline_before: datetime | None = None
    deadline_after: datetime | None = None
    funders: tuple[str, ...] = ()
    perimeters: tuple[str, ...] = ()
    quartiers: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()
    after_seq: int | None = None  # only calls first seen after this sequence number
    sort: CallSort = CallSort.DEADLINE
    limit: int = 20
    cursor: str | None = None
    facets: bool = False


def call_doc(data: dict[str, Any], status: str, first_seen: str, first_seq: int
             ) -> dict[str, Any]:
    """The public form of a stored call: its JSON, its status, when it was first seen."""
    doc = dict(data)
    doc.pop("schema", None)
    _only_http_links(doc)
    doc["status"] = status
    doc["first_seen"] = first_seen
    doc["seq"] = first_seq
    return doc


def _only_http_links(doc: dict[str, Any]) -> None:
    """The model's link rule (:mod:`shared.clean`) on a call stored before it existed."""
    if doc.get("application_url") and not http_url(doc["application_url"]):
        doc["application_url"] = None
    attachments = doc.get("attachments") or []
    if any(not http_url(a.get("url")) for a in attachments):
        doc["attachments"] = [a for a in attachments if http_url(a.get("url"))]
    contact = doc.get("contact") or {}
    if contact.get("url") and not http_url(contact["url"]):
        contact["url"] = None


class CallsStore(Protocol):
    """What the indexer, the query service and the ingest service use of a call store."""

    async def apply(self, messages: Sequence[CallMessage]) -> list[Outcome]: ...

    async def search(self, query: CallQuery) -> SearchPage: ...

    async def get(self, cid: str, now: datetime | None = None) -> dict[str, Any] | None: ...

    async def count(self) -> int: ...

    async def max_seq(self) -> int: ...

    async def reset(self) -> None: ...

    async def close(self) -> None: ...

    def issue_token(self, association: str) -> tuple[str, str]: ...

    def check_token(self, token: str) -> TokenInfo | None: ...

    def list_tokens(self) -> list[dict[str, Any]]: ...

    def revoke_token(self, token_id: str) -> bool: ...

    def add_alert(self, who: TokenInfo, url: str, query: list[tuple[str, str]], last_seq: int
                  ) -> dict[str, Any]: ...

    def alerts(self, token_id: str | None = None) -> list[dict[str, Any]]: ...

    def delete_alert(self, alert_id: str, token_id: str) -> bool: ...

    def alert_delivered(self, alert_id: str, last_seq: int) -> None: ...

    def alert_failed(self, alert_id: str, kind: str) -> None: ...
