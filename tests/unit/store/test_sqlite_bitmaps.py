"""The in-memory bitmap index counts exactly what SQL counts.

Every total and facet count of :class:`SqliteStore` comes from the bitmap index; these tests
compute the same numbers with the SQL of :mod:`shared.store.sqlite_query` (the filtered set as
SQL, ``COUNT(*)`` and ``GROUP BY``) over random queries, while another store instance (as the
indexer process would) adds, updates, retracts and resets, and check that the reader follows
the change log instead of rebuilding, and rebuilds when the log no longer reaches back.
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.model import Event, EventMessage, Location, Occurrence, ThemeTag
from shared.store import sqlite_bitmaps, sqlite_rank, sqlite_reads, sqlite_sets, tag_rows
from shared.store.base import SearchQuery, Sort
from shared.store.sqlite import SqliteStore
from shared.store.sqlite_docs import HASH_BITS, index_text
from shared.store.sqlite_query import BODY, build_search, facet_sql, shape_facets

WORDS = ("atelier concert réparation répétition vélo couture chorale conférence exposition "
         "balade jardin compost lecture conte marché bal folk yoga danse théâtre cinéma débat "
         "jeux société tricot cuisine brocante nature oiseaux photo peinture slam jazz").split()
THEMES = ["musique", "sport", "ecologie", "solidarite", "numerique", "jeunesse"]
QUARTIERS = ["Centre", "Maurepas", "Villejean", "Le Blosne", "Cleunay"]
ACCESS = ["hi", "vi", "pi", "mi", "lsf"]
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def make_event(rng: random.Random, n: int, source: str | None = None) -> Event:
    start = NOW + timedelta(days=rng.randint(-20, 60), hours=rng.randint(0, 23))
    count = rng.choice([1, 1, 1, 3])
    hours = rng.choice([1, 2, 3, 24 * 5, 24 * 30]) if rng.random() < 0.2 else 2
    located = rng.random() < 0.85
    return Event.create(
        source_id=source or f"s{rng.randint(1, 6)}", source_uid=f"u{n}",
        title=" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 4))).capitalize(),
        occurrences=tuple(Occurrence(start + timedelta(weeks=w),
                                     start + timedelta(weeks=w, hours=hours))
                          for w in range(count)),
        description_text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 12))),
        location=Location(name=f"Salle {rng.randint(1, 9)}",
                          lat=48.11 + rng.gauss(0, 0.02) if located else None,
                          lon=-1.68 + rng.gauss(0, 0.03) if located else None,
                          quartier=rng.choice([*QUARTIERS, None]),
                          commune=rng.choice(["Rennes", "Bruz", None])),
        organizer=rng.choice(["Asso A", "Asso B", "Asso C", None]),
        keywords=tuple({rng.choice(WORDS) for _ in range(rng.randint(0, 3))}),
        themes=tuple(ThemeTag(t, "test") for t in rng.sample(THEMES, rng.randint(0, 2))),
        accessibility=tuple(rng.sample(ACCESS, rng.randint(0, 3))),
        audience=tuple(rng.sample(["enfants", "familles", "seniors"], rng.randint(0, 1))),
        is_free=rng.choice([True, False, None]),
        status=rng.choice(["scheduled"] * 8 + ["cancelled", "postponed"]),
        source_format="ics",
    )


def random_query(rng: random.Random) -> SearchQuery:
    query = SearchQuery(start=NOW + timedelta(hours=rng.randint(-30 * 24, 30 * 24)),
                        facets=True, limit=rng.choice([1, 5, 20]))
    if rng.random() < 0.2:
        query = replace(query, start=None)
    if rng.random() < 0.3:
        query = replace(query, end=NOW + timedelta(hours=rng.randint(0, 70 * 24)))
    if rng.random() < 0.5:
        word = rng.choice(WORDS)
        q = word[: rng.randint(2, len(word))]
        if rng.random() < 0.3:
            q = f"{rng.choice(WORDS)} {q}"
        query = replace(query, q=q)
    if rng.random() < 0.3:
        query = replace(query, themes=tuple(rng.sample(THEMES, rng.randint(1, 2))))
    if rng.random() < 0.2:
        query = replace(query, quartiers=(rng.choice(QUARTIERS),))
    if rng.random() < 0.2:
        query = replace(query, accessibility=tuple(rng.sample(ACCESS, rng.randint(1, 2))))
    if rng.random() < 0.15:
        query = replace(query, keywords=(rng.choice(WORDS),), organizers=("Asso B",))
    if rng.random() < 0.15:
        query = replace(query, free=rng.random() < 0.5, audiences=("enfants",))
    if rng.random() < 0.15:
        query = replace(query, include_cancelled=True)
    if rng.random() < 0.1:
        query = replace(query, statuses=(rng.choice(["cancelled", "postponed", "scheduled"]),))
    if rng.random() < 0.1:
        query = replace(query, communes=("Bruz",), sources=("s1", "s2"))
    geo = rng.random()
    # shapes seen before (cached sets, extended after writes) and new ones (the grids)
    shift = rng.choice([0.0, 0.0, rng.uniform(-0.02, 0.02)])
    if geo < 0.1:
        query = replace(query, bbox=(-1.70 + shift, 48.09 + shift, -1.66 + shift, 48.13))
    elif geo < 0.2:
        query = replace(query, near=(48.11 + shift, -1.68),
                        radius_km=rng.choice([0.5, 2.0, rng.uniform(0.2, 3.0)]),
                        sort=Sort.DISTANCE)
    elif geo < 0.25:
        query = replace(query, near=(48.11, -1.68), sort=Sort.DISTANCE)
    return query


def assert_counts_match_sql(store: SqliteStore, query: SearchQuery) -> int:
    page = store.search_sync(query)
    conn = store._conn()
    plan = build_search(query, store.max_span(), index_text)
    total = conn.execute(plan.count_sql, plan.count_params).fetchone()[0]
    assert page.total == total, query
    facets = shape_facets(conn.execute(facet_sql(plan), plan.count_params).fetchall())
    assert page.facets == facets, query
    # pages in date and distance order come from the bitmaps too: same documents, same order
    if plan.by_date or (query.sort == Sort.DISTANCE and query.near):
        for _ in range(3):
            rows = conn.execute(plan.sql, plan.params_all).fetchall()
            assert [i["id"] for i in page.items] == [
                json.loads(r[0])["id"] for r in rows[:query.limit]], query
            assert (page.next is None) == (len(rows) <= query.limit)
            if page.next is None:
                break
            query = replace(query, cursor=page.next)
            plan = build_search(query, store.max_span(), index_text)
            page = store.search_sync(query)
    return int(total)


def write(store: SqliteStore, messages: list[EventMessage]) -> None:
    for i in range(0, len(messages), 50):
        store.apply_sync(messages[i:i + 50])


PATHS = {  # module settings that send every search down one way of counting
    "by-value": {"BY_DOCUMENT": 0, "BY_COMPLEMENT": -1},
    "by-document": {"BY_DOCUMENT": 20_000, "BY_COMPLEMENT": -1},
    "by-complement": {"BY_DOCUMENT": 0, "BY_COMPLEMENT": 10**9},
    # most documents' tags partly on further rows of shared.store.tag_rows, which turn
    # from 16-bit to 32-bit once the tag ids pass 20; facet values ordered by np.lexsort
    # (the integer key holds too few rank bits); distance order through discs first; the
    # grid of followed documents made again after every write
    "narrow-rows-discs": {"BY_DOCUMENT": 20_000, "BY_COMPLEMENT": 10**9, "WIDTH": 2,
                          "NARROW": 20, "RANK_BITS": 1, "NEAR_SCAN": 0, "GRID_SLACK": 0},
}


@pytest.mark.parametrize("path_name", list(PATHS))
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_totals_and_facets_equal_sql_while_another_process_writes(
        tmp_path: Path, seed: int, path_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every way of counting facets (bitmap intersections for large sets, each document's
    tags for small ones, the live documents' counts minus the others' for sets holding most
    of them) is checked, and pages in date and distance order."""
    for name, value in PATHS[path_name].items():
        monkeypatch.setattr(tag_rows if name in ("WIDTH", "NARROW") else sqlite_bitmaps, name,
                            value)
    rng = random.Random(seed)
    path = tmp_path / "index.sqlite"
    writer, reader = SqliteStore(path), SqliteStore(path)
    events = [make_event(rng, n) for n in range(300)]
    # the same events announced by a second source: merged documents with several sources
    twins = [e.with_(id=e.id + "-twin", source_id="s9", source_uid=e.source_uid + "t")
             for e in events[:30]]
    write(writer, [EventMessage.upsert(e, 1) for e in events + twins])

    seen = {assert_counts_match_sql(reader, random_query(rng)) for _ in range(60)}
    assert len(seen) > 20  # the queries select sets of many different sizes
    assert reader.bitmaps.builds == 1

    # new versions (changed titles, themes, dates), retractions and new events
    changed = [make_event(rng, n) for n in rng.sample(range(300), 60)]
    gone = [EventMessage.retract(e.id, e.source_id, 3, "gone") for e in events[200:240]]
    fresh = [make_event(rng, n) for n in range(300, 360)]
    write(writer, [EventMessage.upsert(e, 2) for e in changed + fresh] + gone)
    for _ in range(60):
        assert_counts_match_sql(reader, random_query(rng))
    assert reader.bitmaps.builds == 1  # followed the change log

    assert await_terms(reader) == sql_terms(reader)


def test_cached_sets_take_in_the_documents_of_the_writes_followed(tmp_path: Path) -> None:
    """Periods, prefixes, discs, boxes and "not cancelled" are cached by the reader and, when
    it follows writes, extended with the new documents rather than recomputed: the same
    queries, repeated after each write, must still count what SQL counts."""
    rng = random.Random(11)
    path = tmp_path / "index.sqlite"
    writer, reader = SqliteStore(path), SqliteStore(path)
    events = [make_event(rng, n) for n in range(200)]
    write(writer, [EventMessage.upsert(e, 1) for e in events])
    queries = [
        SearchQuery(start=NOW + timedelta(days=3), end=NOW + timedelta(days=20), facets=True),
        SearchQuery(start=NOW, facets=True),
        SearchQuery(end=NOW + timedelta(days=10), include_cancelled=True, facets=True),
        SearchQuery(q="con", start=None, facets=True),
        SearchQuery(q="atelier zeph", start=None, facets=True),  # no such word yet
        SearchQuery(near=(48.11, -1.68), radius_km=2.0, sort=Sort.DISTANCE, facets=True),
        SearchQuery(bbox=(-1.70, 48.09, -1.66, 48.13), start=None, facets=True),
    ]
    for query in queries:
        assert_counts_match_sql(reader, query)
    for version in (2, 3, 4):
        changed = [make_event(rng, n) for n in rng.sample(range(200), 20)]
        fresh = [make_event(rng, n).with_(title=f"Atelier zephyr {n} concertina")
                 for n in range(200 + 10 * version, 210 + 10 * version)]
        cancelled = [e.with_(status="cancelled") for e in rng.sample(events, 5)]
        gone = [EventMessage.retract(e.id, e.source_id, version, "gone")
                for e in rng.sample(events, 5)]
        write(writer, [EventMessage.upsert(e, version) for e in changed + fresh + cancelled]
              + gone)
        totals = [assert_counts_match_sql(reader, query) for query in queries]
        assert totals[4] > 0  # the new word reached the cached prefix "zeph"
    assert reader.bitmaps.builds == 1  # followed each time: the caches were kept


def test_counts_kept_by_day_take_in_tags_of_past_documents(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The counts kept for the documents ending from a day on still cover every tag when a
    followed write brings a tag only a past document carries (none of theirs)."""
    monkeypatch.setattr(sqlite_bitmaps, "BY_DOCUMENT", 0)
    monkeypatch.setattr(sqlite_bitmaps, "BY_COMPLEMENT", 10**9)
    rng = random.Random(12)
    path = tmp_path / "index.sqlite"
    writer, reader = SqliteStore(path), SqliteStore(path)
    write(writer, [EventMessage.upsert(make_event(rng, n), 1) for n in range(100)])
    query = SearchQuery(start=NOW, facets=True)
    assert_counts_match_sql(reader, query)
    past = make_event(rng, 100).with_(
        keywords=("jamais-vu",),
        occurrences=(Occurrence(NOW - timedelta(days=40), NOW - timedelta(days=39)),))
    write(writer, [EventMessage.upsert(past, 2)])
    assert_counts_match_sql(reader, query)
    assert_counts_match_sql(reader, replace(query, q="atelier"))
    assert reader.bitmaps.builds == 1


def await_terms(store: SqliteStore) -> list[dict[str, object]]:
    import asyncio

    return asyncio.run(store.terms("themes", start=NOW))


def sql_terms(store: SqliteStore) -> list[dict[str, object]]:
    rows = store._conn().execute(
        "SELECT t.value, COUNT(*) AS n FROM doc_tags t JOIN docs d ON d.rowid = t.doc_rowid"
        " WHERE t.facet = 'themes' AND d.end_ts >= ? AND d.status != 'cancelled'"
        " GROUP BY t.value ORDER BY n DESC, t.value", (int(NOW.timestamp()),)).fetchall()
    return [{"value": v, "count": n} for v, n in rows]


def test_a_reader_behind_the_pruned_log_rebuilds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(5)
    path = tmp_path / "index.sqlite"
    writer, reader = SqliteStore(path), SqliteStore(path)
    write(writer, [EventMessage.upsert(make_event(rng, n), 1) for n in range(100)])
    query = SearchQuery(start=NOW - timedelta(days=30), facets=True)
    assert_counts_match_sql(reader, query)
    assert reader.bitmaps.builds == 1

    monkeypatch.setattr(sqlite_sets, "KEEP_ROWS", 10)
    write(writer, [EventMessage.upsert(make_event(rng, n), 2) for n in range(100, 200)])
    assert assert_counts_match_sql(reader, query) > 100
    assert reader.bitmaps.builds == 2  # the log no longer reached back: rebuilt, same counts


def test_warm_tells_when_the_index_was_built_anew(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The query service freezes the heap after a build (shared.memory.freeze_heap), not
    after following writes."""
    rng = random.Random(6)
    path = tmp_path / "index.sqlite"
    writer, reader = SqliteStore(path), SqliteStore(path)
    write(writer, [EventMessage.upsert(make_event(rng, n), 1) for n in range(50)])
    assert reader.warm_sync() is True  # the first build
    assert reader.warm_sync() is False
    write(writer, [EventMessage.upsert(make_event(rng, n), 2) for n in range(50, 60)])
    assert reader.warm_sync() is False  # followed through the log
    monkeypatch.setattr(sqlite_sets, "KEEP_ROWS", 10)
    write(writer, [EventMessage.upsert(make_event(rng, n), 2) for n in range(60, 160)])
    assert reader.warm_sync() is True  # the log no longer reached back: rebuilt
    assert reader.bitmaps.builds == 2


def test_a_query_reader_rebuilds_in_the_background_and_answers_meanwhile(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With background rebuilds (the query service), the search that finds the log pruned
    past its index is answered at once from that index; the rebuilt one replaces it in a
    later search, which then counts what SQL counts and follows the next writes."""
    rng = random.Random(8)
    path = tmp_path / "index.sqlite"
    writer = SqliteStore(path)
    reader = SqliteStore(path, background_rebuilds=True)
    write(writer, [EventMessage.upsert(make_event(rng, n), 1) for n in range(100)])
    query = SearchQuery(start=None, include_cancelled=True, facets=True)
    before = assert_counts_match_sql(reader, query)
    assert reader.bitmaps.builds == 1

    monkeypatch.setattr(sqlite_sets, "KEEP_ROWS", 10)
    write(writer, [EventMessage.upsert(make_event(rng, n), 2) for n in range(100, 200)])
    assert reader.search_sync(query).total == before  # the index it had, not a blocking build

    deadline = time.monotonic() + 30
    while reader.bitmaps.builds == 1 and time.monotonic() < deadline:
        time.sleep(0.05)
        reader.search_sync(query)
    assert reader.bitmaps.builds == 2
    assert assert_counts_match_sql(reader, query) > before

    monkeypatch.setattr(sqlite_sets, "KEEP_ROWS", 50_000)
    write(writer, [EventMessage.upsert(make_event(rng, n), 3) for n in range(200, 220)])
    assert_counts_match_sql(reader, query)
    assert reader.bitmaps.builds == 2  # the adopted index follows the log again


def test_reset_by_another_process_empties_the_counts(tmp_path: Path) -> None:
    import asyncio

    rng = random.Random(6)
    path = tmp_path / "index.sqlite"
    writer, reader = SqliteStore(path), SqliteStore(path)
    write(writer, [EventMessage.upsert(make_event(rng, n), 1) for n in range(50)])
    query = SearchQuery(start=None, include_cancelled=True, facets=True)
    assert reader.search_sync(query).total > 50
    asyncio.run(writer.reset())
    page = reader.search_sync(query)
    assert page.total == 0
    assert all(values == [] for values in page.facets.values())


def test_stale_slots_are_dropped_by_a_rebuild(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Updates leave stale slots behind; once they outnumber live ones the index is rebuilt
    (so memory follows the live documents, not the history of writes)."""
    monkeypatch.setattr(sqlite_bitmaps, "STALE_SLACK", 50)
    rng = random.Random(7)
    path = tmp_path / "index.sqlite"
    writer, reader = SqliteStore(path), SqliteStore(path)
    events = [make_event(rng, n) for n in range(40)]
    query = SearchQuery(start=None, include_cancelled=True, facets=True)
    write(writer, [EventMessage.upsert(e, 1) for e in events])
    assert_counts_match_sql(reader, query)
    for version in range(2, 400):
        event = rng.choice(events)
        writer.apply_sync([EventMessage.upsert(event.with_(title=f"v{version}"), version)])
        assert_counts_match_sql(reader, query)
    index = reader.bitmaps
    assert index.builds > 1
    assert index.next_slot - len(index.alive) <= len(index.alive) + 50


@pytest.mark.parametrize("seed", [11, 12])
def test_relevance_scores_are_fts5_bm25(
        tmp_path: Path, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The BM25 of :mod:`shared.store.sqlite_rank` is FTS5's ``rank`` on the same rows, and
    relevance pages (with cursors) list the window's documents best first, each once."""
    monkeypatch.setattr(sqlite_rank, "RELEVANCE_WINDOW", 10_000)  # every match is ranked
    rng = random.Random(seed)
    path = tmp_path / "index.sqlite"
    writer, reader = SqliteStore(path), SqliteStore(path)
    write(writer, [EventMessage.upsert(make_event(rng, n), 1) for n in range(250)])
    # an update and a retraction after the reader's build: live counts must follow
    write(writer, [EventMessage.upsert(make_event(rng, n), 2) for n in range(20)])
    reader.search_sync(SearchQuery())
    # followed in several batches: the slots after the build are not in date order
    for first in (20, 30, 40):
        write(writer, [EventMessage.upsert(make_event(rng, n), 3)
                       for n in range(first, first + 10)])
        reader.search_sync(SearchQuery())
    conn = reader._conn()
    checked = 0
    for _ in range(25):
        word = rng.choice(WORDS)
        q = word[: rng.randint(3, len(word))]
        if rng.random() < 0.4:
            q = f"{rng.choice(WORDS)} {q}"
        query = SearchQuery(q=q, start=None, sort=Sort.RELEVANCE, limit=7)
        plan = build_search(query, reader.max_span(), index_text)
        if not plan.ranked:  # only stop words (a prefix such as "les"): date order
            continue
        seen: list[tuple[float, str]] = []
        while True:
            page = reader.search_sync(query)
            seen += [(item["score"], item["id"]) for item in page.items]
            if page.next is None:
                break
            query = replace(query, cursor=page.next)
        assert len(seen) == len({i for _, i in seen}) == page.total  # window covers all
        scores = [s for s, _ in seen]
        assert scores == sorted(scores, reverse=True)
        expected = {json.loads(body)["id"]: -rank for body, rank, _ in conn.execute(
            plan.sql.replace(f"LIMIT {plan.limit + 1}", ""), plan.params)}
        assert set(expected) == {i for _, i in seen}
        for score, doc_id in seen:
            assert score == pytest.approx(expected[doc_id], rel=1e-9, abs=1e-9), (q, doc_id)
            checked += 1
    assert checked > 100


def test_relevance_ranks_the_soonest_matches_then_the_rest_follow_by_date(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_rank, "RELEVANCE_WINDOW", 6)
    rng = random.Random(21)
    store = SqliteStore(tmp_path / "index.sqlite")
    write(store, [EventMessage.upsert(make_event(rng, n), 1) for n in range(120)])
    query = SearchQuery(q="conc", start=None, sort=Sort.RELEVANCE, limit=4)
    seen: list[dict[str, object]] = []
    while True:
        page = store.search_sync(query)
        seen += page.items
        if page.next is None:
            break
        query = replace(query, cursor=page.next)
    by_date = store.search_sync(replace(query, cursor=None, sort=Sort.DATE, limit=500)).items
    assert page.total == len(by_date) > 20
    ids = [str(d["id"]) for d in seen]
    assert sorted(ids) == sorted(str(d["id"]) for d in by_date)  # every match, once
    window = {str(d["id"]) for d in by_date[:6]}
    assert set(ids[:6]) == window  # the soonest six, best first
    assert [d["score"] for d in seen[:6]] == sorted((d["score"] for d in seen[:6]), reverse=True)
    assert ids[6:] == [str(d["id"]) for d in by_date[6:]]  # then the rest, in date order
    assert all(d["score"] == 0 for d in seen[6:])


def sql_related(conn: sqlite3.Connection, doc: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """The SQL the bitmap version replaced (the oracle). Upcoming documents of other events
    sharing a theme or keyword with ``doc``, in its
    quartier (when it has one) and within ± 14 days of it; best first (shared themes count
    twice, keywords once), then closest in time."""
    themes = [str(t) for t in doc.get("themes") or ()]
    keywords = [str(k) for k in doc.get("keywords") or ()]
    if not themes and not keywords:
        return []
    now = int(time.time())
    start = int(doc["start_ts"])
    lo = max(start - sqlite_reads.RELATED_PERIOD_S, 0) << HASH_BITS
    hi = (start + sqlite_reads.RELATED_PERIOD_S + 1) << HASH_BITS
    events = sorted({s["event_id"] for s in doc.get("sources") or ()} | {doc["event_id"]})
    match = []
    params: list[Any] = []
    for facet, values in (("themes", themes), ("keywords", keywords)):
        if values:
            match.append(f"(t.facet = ? AND t.value IN ({','.join('?' * len(values))}))")
            params += [facet, *values]
    where = [f"({' OR '.join(match)})", "t.doc_rowid BETWEEN ? AND ?", "d.end_ts >= ?",
             "d.status != 'cancelled'", "d.id != ?",
             f"d.id NOT IN (SELECT cluster_id FROM members WHERE event_id IN"
             f" ({','.join('?' * len(events))}))"]
    params += [lo, hi, now, doc["id"], *events]
    quartier = (doc.get("location") or {}).get("quartier")
    if quartier:
        where.append("d.quartier = ?")
        params.append(quartier)
    sql = (
        f"SELECT {BODY}, SUM(CASE WHEN t.facet = 'themes' THEN 2 ELSE 1 END) AS score"
        " FROM doc_tags t JOIN docs d ON d.rowid = t.doc_rowid"
        f" WHERE {' AND '.join(where)} GROUP BY d.rowid"
        " ORDER BY score DESC, ABS(d.start_ts - ?), d.rowid LIMIT ?"
    )
    rows = conn.execute(sql, [*params, start, limit]).fetchall()
    return [json.loads(r[0]) for r in rows]


def test_related_documents_equal_the_sql_version(tmp_path: Path) -> None:
    import asyncio

    rng = random.Random(31)
    store = SqliteStore(tmp_path / "index.sqlite")
    events = [make_event(rng, n) for n in range(300)]
    twins = [e.with_(id=e.id + "-twin", source_id="s9", source_uid=e.source_uid + "t")
             for e in events[:30]]
    write(store, [EventMessage.upsert(e, 1) for e in events + twins])
    conn = store._conn()
    bodies = [json.loads(b) for (b,) in conn.execute("SELECT body FROM docs_body")]
    found = 0
    for doc in rng.sample(bodies, 80):
        expected = [d["id"] for d in sql_related(conn, doc, 6)]
        got = [d["id"] for d in asyncio.run(store.related(doc, 6))]
        assert got == expected, doc["id"]
        found += len(got)
    assert found > 80  # most documents have related ones


def test_a_reader_started_on_an_empty_store_pages_what_it_follows(tmp_path: Path) -> None:
    """The query service builds its index at start, often before the indexer wrote anything:
    every later document comes through the change log, out of date order."""
    rng = random.Random(41)
    path = tmp_path / "index.sqlite"
    writer, reader = SqliteStore(path), SqliteStore(path)
    assert reader.search_sync(SearchQuery(start=None)).total == 0
    write(writer, [EventMessage.upsert(make_event(rng, n), 1) for n in range(60)])
    for _ in range(30):
        assert_counts_match_sql(reader, random_query(rng))
    assert reader.bitmaps.builds == 1
