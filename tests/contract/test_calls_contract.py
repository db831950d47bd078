"""The calls store contract: versions, tombstones, status from dates, search, facets, members.

Runs against the SQLite store always, against Elasticsearch when ``ELASTICSEARCH_URL`` is set
(see ``conftest.py``), and against the stand-in Elasticsearch node of the unit tests
(``tests/unit/store/fake_elastic.py``), which runs the Elasticsearch store's own logic.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.calls import Call, CallKind, CallMessage
from shared.store.base import Outcome
from shared.store.calls_base import CallQuery, CallSort, CallsStore
from tests.contract.conftest import ES_URL

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
CALL_BACKENDS = ["sqlite", "elasticsearch-standin", *(["elasticsearch"] if ES_URL else [])]


def call(pid: str = "a", title: str = "Jardins solidaires", days: int = 30, **kw) -> Call:
    kw.setdefault("funder", "Ville de Rennes")
    return Call.create(publisher="ville", publisher_id=pid, title=title,
                       deadline=NOW + timedelta(days=days), **kw)


@pytest.fixture(params=CALL_BACKENDS)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CallsStore]:
    if request.param == "sqlite":
        from shared.store.calls_sqlite import CallStore

        sqlite = CallStore(tmp_path / "calls.sqlite")
        yield sqlite
        await sqlite.close()
        return
    from shared.store.elastic_calls import ElasticCallStore
    from tests.unit.store.fake_elastic import running

    name = f"maillage-calls-contract-{uuid.uuid4().hex[:12]}"
    if request.param == "elasticsearch":
        assert ES_URL
        es = ElasticCallStore(ES_URL, name, tmp_path / "members.sqlite", refresh=True)
        await es.reset()
        yield es
        await es.drop()
        await es.close()
        return
    async with running() as fake:
        es = ElasticCallStore(fake.url, name, tmp_path / "members.sqlite", refresh=True)
        yield es
        await es.close()


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


async def test_a_token_names_its_association_and_old_hide_messages_change_nothing(
        store) -> None:
    c = call()
    await store.apply([CallMessage.upsert(c, 1)])
    token_id, token = store.issue_token("Les Jardiniers")
    who = store.check_token(token)
    assert who is not None and who.association == "Les Jardiniers"
    # interests are records of the store of record now (tests/integration/accounts/
    # test_interests.py); a hide message left in the stream from before is a no-op here
    hide = CallMessage(CallKind.HIDE_INTEREST, c.id, "ville", 2, interest_id="in_x")
    assert await store.apply([hide]) == [Outcome.APPLIED]
    assert (await store.get(c.id, NOW))["title"] == c.title


async def test_revoked_or_forged_token_is_refused(store) -> None:
    token_id, token = store.issue_token("Asso")
    assert store.check_token(token[:-2] + "xx") is None
    store.revoke_token(token_id)
    assert store.check_token(token) is None


async def test_count_and_get_skip_tombstones(store) -> None:
    a, b = call("a"), call("b")
    await store.apply([CallMessage.upsert(a, 1), CallMessage.upsert(b, 1),
                       CallMessage.retract(b.id, "ville", 2, "withdrawn")])
    assert await store.count() == 1
    assert (await store.get(a.id, NOW))["status"] == "open"
    assert await store.get(b.id, NOW) is None
    assert await store.get("cp_missing", NOW) is None


async def test_outcomes_follow_message_order_within_a_batch(store) -> None:
    c = call()
    outcomes = await store.apply([CallMessage.upsert(c, 5), CallMessage.upsert(c, 4),
                                  CallMessage.retract(c.id, "ville", 6, "x"),
                                  CallMessage.upsert(c, 7)])
    assert outcomes == [Outcome.APPLIED, Outcome.STALE, Outcome.RETRACTED, Outcome.APPLIED]
    assert (await store.get(c.id, NOW))["title"] == c.title


async def test_a_call_back_after_a_withdrawal_is_new_again(store) -> None:
    c = call("a")
    await store.apply([CallMessage.upsert(c, 1), CallMessage.upsert(call("b"), 1)])
    first = (await store.get(c.id, NOW))["seq"]
    await store.apply([CallMessage.retract(c.id, "ville", 2, "x")])
    await store.apply([CallMessage.upsert(c, 3)])
    again = await store.get(c.id, NOW)
    assert again["seq"] > first and again["seq"] == await store.max_seq()
    page = await store.search(q(sort=CallSort.NEW))
    assert [d["publisher_id"] for d in page.items] == ["a", "b"]


async def test_an_update_keeps_the_order_it_was_first_seen_in(store) -> None:
    await store.apply([CallMessage.upsert(call("a"), 1), CallMessage.upsert(call("b"), 1)])
    seq = (await store.get(call("a").id, NOW))["seq"]
    await store.apply([CallMessage.upsert(call("a", title="Jardins, édition 2"), 2)])
    assert (await store.get(call("a").id, NOW))["seq"] == seq


async def test_facets_count_the_filtered_set(store) -> None:
    await store.apply([
        CallMessage.upsert(call("a", themes=("culture", "jeunesse"), audiences=("jeunes",),
                                funder="Ville de Rennes", quartier="Maurepas",
                                perimeter="quartier"), 1),
        CallMessage.upsert(call("b", themes=("culture",), funder="Rennes Métropole"), 1),
        CallMessage.upsert(call("c", themes=("sport",), days=-2), 1),
        CallMessage.upsert(call("d", themes=("culture",), opens=NOW + timedelta(days=3),
                                days=20), 1),
    ])
    page = await store.search(q(statuses=(), facets=True))
    assert page.total == 4
    assert page.facets["themes"] == [{"value": "culture", "count": 3},
                                     {"value": "jeunesse", "count": 1},
                                     {"value": "sport", "count": 1}]
    assert page.facets["audiences"] == [{"value": "jeunes", "count": 1}]
    assert page.facets["funder"] == [{"value": "Ville de Rennes", "count": 3},
                                     {"value": "Rennes Métropole", "count": 1}]
    assert page.facets["quartier"] == [{"value": "Maurepas", "count": 1}]
    assert page.facets["perimeter"] == [{"value": "rennes", "count": 3},
                                        {"value": "quartier", "count": 1}]
    assert page.facets["status"] == [{"value": "open", "count": 2},
                                     {"value": "closed", "count": 1},
                                     {"value": "upcoming", "count": 1}]


async def test_text_filters_ignore_ascii_case_as_sqlite_nocase_does(store) -> None:
    await store.apply([CallMessage.upsert(call("a", funder="Ville de Rennes"), 1),
                       CallMessage.upsert(call("b", funder="Région Bretagne"), 1)])
    page = await store.search(q(funders=("VILLE DE RENNES",)))
    assert [d["publisher_id"] for d in page.items] == ["a"]
    assert (await store.search(q(funders=("RÉGION BRETAGNE",)))).total == 0  # only ASCII
    assert (await store.search(q(publishers=("Ville",)))).total == 2


async def test_deadline_bounds_and_closed_calls_latest_first(store) -> None:
    await store.apply([CallMessage.upsert(call(str(d), days=d), 1) for d in (-9, -3, 4, 12)])
    page = await store.search(q(statuses=("closed",)))
    assert [d["publisher_id"] for d in page.items] == ["-3", "-9"]
    page = await store.search(q(statuses=(), deadline_after=NOW,
                                deadline_before=NOW + timedelta(days=10)))
    assert [d["publisher_id"] for d in page.items] == ["4"]


async def test_relevance_returns_only_matching_calls(store) -> None:
    await store.apply([
        CallMessage.upsert(call("a", "Jardins partagés", description="jardin jardin"), 1),
        CallMessage.upsert(call("b", "Culture", description="un jardin"), 1),
        CallMessage.upsert(call("c", "Sport"), 1),
    ])
    page = await store.search(q(q="jardin", sort=CallSort.RELEVANCE))
    assert sorted(d["publisher_id"] for d in page.items) == ["a", "b"]
    assert (await store.search(q(q="jard"))).total == 2  # the last word as a prefix


@pytest.mark.parametrize("sort", list(CallSort))
async def test_cursor_pages_have_no_duplicates_or_holes(store, sort) -> None:
    await store.apply([CallMessage.upsert(call(f"c{i}", f"Jardin {i}", days=5 + i % 4,
                                               description="jardin " * (1 + i % 3)), 1)
                       for i in range(11)])
    query = q(q="jardin" if sort == CallSort.RELEVANCE else None, sort=sort, limit=3)
    seen: list[str] = []
    while True:
        page = await store.search(query)
        assert page.total == 11
        seen += [d["id"] for d in page.items]
        if page.next is None:
            break
        query = replace(query, cursor=page.next)
    assert len(seen) == len(set(seen)) == 11


async def test_a_cursor_of_another_sort_or_shape_is_a_value_error(store) -> None:
    await store.apply([CallMessage.upsert(call(str(i)), 1) for i in range(3)])
    page = await store.search(q(limit=1))
    with pytest.raises(ValueError):
        await store.search(q(limit=1, sort=CallSort.NEW, cursor=page.next))
    with pytest.raises(ValueError):
        await store.search(q(cursor="!!not-a-cursor"))


async def test_reset_forgets_the_calls_not_the_members(store) -> None:
    await store.apply([CallMessage.upsert(call(), 1)])
    _, token = store.issue_token("Asso")
    await store.reset()
    assert await store.count() == 0
    assert store.check_token(token) is not None
    assert await store.apply([CallMessage.upsert(call(), 1)]) == [Outcome.APPLIED]
