"""Contract of the call store: versions, tombstones, status from dates, search, members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.calls import Call, CallKind, CallMessage
from shared.store.base import Outcome
from shared.store.calls_sqlite import CallQuery, CallSort, CallStore

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)


def call(pid: str = "a", title: str = "Jardins solidaires", days: int = 30, **kw) -> Call:
    return Call.create(publisher="ville", publisher_id=pid, title=title, funder="Ville de Rennes",
                       deadline=NOW + timedelta(days=days), **kw)


@pytest.fixture
def store(tmp_path: Path) -> CallStore:
    return CallStore(tmp_path / "calls.sqlite")


def q(**kw) -> CallQuery:
    return CallQuery(now=NOW, **kw)


async def test_same_call_pushed_twice_is_stored_once(store) -> None:
    await store.apply([CallMessage.upsert(call(), 1), CallMessage.upsert(call(), 2)])
    assert await store.count() == 1


async def test_older_version_never_overwrites_newer(store) -> None:
    await store.apply([CallMessage.upsert(call(title="Nouveau"), 5)])
    assert await store.apply([CallMessage.upsert(call(title="Ancien"), 3)]) == [Outcome.STALE]
    assert (await store.get(call().id, NOW))["title"] == "Nouveau"


async def test_retraction_leaves_a_tombstone_against_late_upserts(store) -> None:
    c = call()
    await store.apply([CallMessage.upsert(c, 1), CallMessage.retract(c.id, "ville", 3, "x")])
    await store.apply([CallMessage.upsert(c, 2)])
    assert await store.get(c.id, NOW) is None


async def test_status_is_derived_from_the_dates(store) -> None:
    await store.apply([
        CallMessage.upsert(call("open"), 1),
        CallMessage.upsert(call("soon", opens=NOW + timedelta(days=2), days=40), 1),
        CallMessage.upsert(call("past", days=-1), 1),
    ])
    for status, pid in (("open", "open"), ("upcoming", "soon"), ("closed", "past")):
        page = await store.search(q(statuses=(status,)))
        assert [d["publisher_id"] for d in page.items] == [pid]
        assert page.items[0]["status"] == status


async def test_french_search_matches_stems_without_accents(store) -> None:
    await store.apply([CallMessage.upsert(call("a", "Solidarité alimentaire"), 1),
                       CallMessage.upsert(call("b", "Fête de la musique"), 1)])
    page = await store.search(q(q="solidarite"))
    assert [d["publisher_id"] for d in page.items] == ["a"]


async def test_theme_filter_and_facets(store) -> None:
    await store.apply([CallMessage.upsert(call("a", themes=("culture",)), 1),
                       CallMessage.upsert(call("b", themes=("sport",)), 1)])
    page = await store.search(q(themes=("culture",), facets=True))
    assert page.total == 1
    assert {"value": "culture", "count": 1} in page.facets["themes"]


async def test_sorted_by_deadline_and_paged_with_a_cursor(store) -> None:
    await store.apply([CallMessage.upsert(call(str(d), days=d), 1) for d in (9, 3, 6)])
    first = await store.search(q(limit=2))
    assert [d["publisher_id"] for d in first.items] == ["3", "6"]
    second = await store.search(q(limit=2, cursor=first.next))
    assert [d["publisher_id"] for d in second.items] == ["9"] and second.next is None


async def test_new_sort_and_after_seq_give_only_newer_calls(store) -> None:
    await store.apply([CallMessage.upsert(call("a"), 1)])
    seq = await store.max_seq()
    await store.apply([CallMessage.upsert(call("b"), 1), CallMessage.upsert(call("a"), 2)])
    page = await store.search(q(after_seq=seq, sort=CallSort.NEW))
    assert [d["publisher_id"] for d in page.items] == ["b"]


async def test_interest_declared_twice_is_updated_and_can_be_hidden(store) -> None:
    c = call()
    await store.apply([CallMessage.upsert(c, 1)])
    token_id, token = store.issue_token("Les Jardiniers")
    who = store.check_token(token)
    assert who is not None and who.association == "Les Jardiniers"
    store.declare_interest(c.id, who, "a@example.org", "un terrain")
    interest = store.declare_interest(c.id, who, "a@example.org", "un terrain et des outils")
    assert [i["brings"] for i in store.interests(c.id)] == ["un terrain et des outils"]
    hide = CallMessage(CallKind.HIDE_INTEREST, c.id, "ville", 2, interest_id=interest["id"])
    await store.apply([hide])
    assert store.interests(c.id) == []


async def test_revoked_or_forged_token_is_refused(store) -> None:
    token_id, token = store.issue_token("Asso")
    assert store.check_token(token[:-2] + "xx") is None
    store.revoke_token(token_id)
    assert store.check_token(token) is None


async def test_links_of_a_call_stored_before_the_link_rule_are_not_served(tmp_path) -> None:
    import json
    import sqlite3

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
