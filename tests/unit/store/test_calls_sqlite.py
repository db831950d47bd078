"""The SQLite call store's own cases (the rest: tests/contract/test_calls_contract.py)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from shared.calls import Call, CallMessage
from shared.store.calls_sqlite import CallStore


async def test_links_of_a_call_stored_before_the_link_rule_are_not_served(tmp_path) -> None:
    store = CallStore(tmp_path / "calls.sqlite")
    call = Call.create(publisher="ville", publisher_id="old", title="Fonds", funder="Ville",
                       deadline=datetime.now(UTC) + timedelta(days=9),
                       application_url="https://ville.example/candidater")
    await store.apply([CallMessage.upsert(call, 1)])
    raw = call.to_dict() | {"application_url": "JavaScript:alert(1)",
                            "attachments": [{"title": "x", "url": "javascript:x"}],
                            "contact": {"name": "Service", "url": "data:text/html,x"}}
    with sqlite3.connect(store.path) as conn:  # as an older version stored it
        conn.execute("UPDATE calls SET data = ?", (json.dumps(raw),))
    doc = await store.get(call.id)
    assert doc is not None
    assert (doc["application_url"], doc["attachments"], doc["contact"]["url"]) == (None, [], None)
