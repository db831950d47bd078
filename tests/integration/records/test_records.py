"""The store of record (shared/records.py) on a real nats-server: no lost update, one winner of
a create race, nothing acknowledged lost on kill -9, claims, expiring keys and rate limits."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator

import pytest

from shared.bus import LIMITS, Bus, StreamSpec
from shared.natsserver import NatsServer
from shared.records import Claims, Conflict, Entry, Expiring, NotFound, RateLimit, Records

pytestmark = pytest.mark.integration


@pytest.fixture
async def two(nats_server: NatsServer) -> AsyncIterator[tuple[Records, Records]]:
    """Two connections to the same server: two replicas of a service."""
    first = await Bus.connect(nats_server.url, name="replica-1")
    await first.ensure()
    second = await Bus.connect(nats_server.url, name="replica-2")
    try:
        yield Records(first.js), Records(second.js)
    finally:
        await first.close()
        await second.close()


async def test_create_read_update_history_and_diff(bus: Bus) -> None:
    records = Records(bus.js)
    subject = records.subject("association", "velo")
    created = await records.create(subject, {"name": "Vélo", "rna": None}, actor="p_1")
    assert created.op == "create" and created.seq > 0
    updated = await records.update(subject, lambda r: {**r, "name": "Vélo Rennes"},
                                   actor="p_2", reason="typo")
    assert [(c.field, c.before, c.after) for c in updated.changes] == [
        ("name", "Vélo", "Vélo Rennes")]
    again = await records.update(subject, lambda r: r, actor="p_2")
    assert again.seq == updated.seq  # no change, no write
    current = await records.get(subject)
    assert current is not None and current.record["name"] == "Vélo Rennes"
    history = await records.history(subject)
    assert [(e.op, e.actor) for e in history] == [("create", "p_1"), ("update", "p_2")]
    assert history[1].reason == "typo" and history[1].at


async def test_update_of_a_missing_record_is_not_found(bus: Bus) -> None:
    records = Records(bus.js)
    with pytest.raises(NotFound):
        await records.update(records.subject("association", "none"), dict, actor="x")


async def test_delete_keeps_history_purge_erases_it(bus: Bus) -> None:
    records = Records(bus.js)
    subject = records.subject("person", "p_1")
    await records.create(subject, {"email": "a@b.fr"}, actor="p_1")
    assert await records.delete(subject, actor="p_1")
    assert await records.get(subject) is None
    assert [e.op for e in await records.history(subject)] == ["create", "delete"]
    await records.create(subject, {"email": "c@d.fr"}, actor="p_1")  # back after a delete
    await records.purge(subject)
    assert await records.history(subject) == []
    assert await records.get(subject) is None


async def test_latest_lists_the_children_of_a_parent(bus: Bus) -> None:
    records = Records(bus.js)
    for person in ("p_1", "p_2", "p_3"):
        await records.create(records.subject("membership", "velo", person),
                             {"person": person, "state": "pending"}, actor=person)
    await records.create(records.subject("membership", "jardin", "p_1"), {"person": "p_1"},
                         actor="p_1")
    await records.update(records.subject("membership", "velo", "p_1"),
                         lambda r: {**r, "state": "active"}, actor="p_9")
    await records.delete(records.subject("membership", "velo", "p_3"), actor="p_3")
    latest = await records.latest(records.subject("membership", "velo") + ".*")
    assert {e.record["person"]: e.record["state"] for e in latest} == {
        "p_1": "active", "p_2": "pending"}
    of_p1 = await records.latest(records.prefix + ".membership.*.p_1")
    assert len(of_p1) == 2
    assert await records.latest(records.subject("membership", "nobody") + ".*") == []


async def test_concurrent_updates_from_two_replicas_lose_nothing(
        two: tuple[Records, Records]) -> None:
    first, second = two
    subject = first.subject("association", "compteur")
    await first.create(subject, {"count": 0, "by": []}, actor="x")

    async def bump(records: Records, who: str, n: int) -> None:
        await records.update(subject, lambda r: {"count": r["count"] + 1, "by": r["by"] + [n]},
                             actor=who)

    per_replica = 15
    await asyncio.gather(*(bump(r, name, n) for n in range(per_replica)
                           for r, name in ((first, "a"), (second, "b"))))
    final = await second.get(subject)
    assert final is not None and final.record["count"] == 2 * per_replica
    history = await first.history(subject)
    assert len(history) == 2 * per_replica + 1
    # each write was computed from the state just before it
    counts = [e.record["count"] for e in history]
    assert counts == list(range(2 * per_replica + 1))


async def test_a_create_race_has_one_winner(two: tuple[Records, Records]) -> None:
    first, second = two
    subject = first.subject("association", "course")
    results = await asyncio.gather(
        *(records.create(subject, {"by": i}, actor=str(i))
          for i in range(10) for records in (first, second)),
        return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException))
    assert len(await first.history(subject)) == 1


async def test_a_writer_that_keeps_losing_gets_a_conflict(bus: Bus) -> None:
    records = Records(bus.js, attempts=2)
    other = Records(bus.js)
    subject = records.subject("association", "disputee")
    await records.create(subject, {"n": 0}, actor="x")
    read = records.last
    tries = 0

    async def read_then_let_another_replica_write(subj: str) -> Entry | None:
        nonlocal tries
        tries += 1
        entry = await read(subj)
        await other.update(subject, lambda r: {"n": r["n"] + 100}, actor="other")
        return entry

    records.last = read_then_let_another_replica_write  # type: ignore[method-assign]
    with pytest.raises(Conflict):
        await records.write(subject, lambda r: {"n": (r or {"n": 0})["n"] + 1}, actor="loser")
    assert tries == 2
    final = await other.get(subject)
    assert final is not None and final.record["n"] == 200  # only the other writer's changes


async def test_kill_9_of_nats_server_after_ack_loses_nothing(nats_server: NatsServer) -> None:
    bus = await Bus.connect(nats_server.url, name="before")
    await bus.ensure()
    records = Records(bus.js)
    for i in range(200):
        await records.create(records.subject("person", f"p_{i}"), {"i": i}, actor="t")
    subject = records.subject("association", "a")
    await records.create(subject, {"v": 0}, actor="t")
    for v in range(1, 20):
        await records.update(subject, lambda r, v=v: {"v": v}, actor="t")
    await bus.close()
    assert nats_server.process is not None
    nats_server.process.send_signal(signal.SIGKILL)
    nats_server.process.wait()
    nats_server.start()  # same store directory, same port
    bus = await Bus.connect(nats_server.url, name="after")
    try:
        records = Records(bus.js)
        found = await records.latest(records.prefix + ".person.*")
        assert sorted(e.record["i"] for e in found) == list(range(200))
        current = await records.get(subject)
        assert current is not None and current.record == {"v": 19}
        assert len(await records.history(subject)) == 20
    finally:
        await bus.close()


async def test_a_claim_has_one_owner(bus: Bus, nats_server: NatsServer) -> None:
    buses = [await Bus.connect(nats_server.url, name=f"c{i}") for i in range(2)]
    try:
        claims = [Claims(await b.kv("claims")) for b in buses]
        results = await asyncio.gather(*(
            claims[i % 2].take("email", "Anne@Exemple.fr", f"p_{i}") for i in range(10)))
        assert results.count(True) == 1
        owner = await claims[0].owner("email", " anne@exemple.FR ")
        assert owner == f"p_{results.index(True)}"
        await claims[1].release("email", "anne@exemple.fr", "p_other")  # not theirs: kept
        assert await claims[0].owner("email", "anne@exemple.fr") == owner
        assert owner is not None
        await claims[1].release("email", "anne@exemple.fr", owner)
        assert await claims[0].take("email", "anne@exemple.fr", "p_new")
    finally:
        for b in buses:
            await b.close()


async def test_expiring_keys_are_taken_once_and_expire(bus: Bus) -> None:
    expiring = Expiring(bus.js, await bus.kv("signin"), "signin")
    await expiring.put("t1", {"email": "a@b.fr"}, ttl=60)
    taken = await asyncio.gather(*(expiring.take("t1") for _ in range(8)))
    assert [t for t in taken if t is not None] == [{"email": "a@b.fr"}]
    assert await expiring.get("t1") is None
    await expiring.put("t2", {"email": "a@b.fr"}, ttl=1)
    await asyncio.sleep(2.2)
    assert await expiring.get("t2") is None
    await expiring.put("t3", {"expires": time.time() - 1}, ttl=60)  # past its own expiry
    assert await expiring.take("t3") is None


async def test_remove_all_under_a_prefix(bus: Bus) -> None:
    expiring = Expiring(bus.js, await bus.kv("sessions"), "sessions")
    for key in ("p_1.aa", "p_1.bb", "p_2.cc"):
        await expiring.put(key, {"person": key[:3]}, ttl=60)
    await expiring.remove_all("p_1")
    assert await expiring.get("p_1.aa") is None and await expiring.get("p_1.bb") is None
    assert await expiring.get("p_2.cc") is not None


async def test_rate_limit_refuses_past_the_limit_with_the_time_to_wait(bus: Bus) -> None:
    spec = StreamSpec("LIMIT_TEST", ("maillage.limit.test.>",), max_age_s=30,
                      max_msgs_per_subject=3, discard_new_per_subject=True,
                      duplicate_window_s=10)
    await bus.js.add_stream(spec.config(1))
    limit = RateLimit(bus.js, spec)
    results = await asyncio.gather(*(limit.hit("anne@exemple.fr") for _ in range(10)))
    assert results.count(0.0) == 3
    assert all(1 <= r <= 30 for r in results if r)
    assert await limit.hit("autre@exemple.fr") == 0.0


async def test_declared_limits_exist_after_ensure(bus: Bus) -> None:
    for name, spec in LIMITS.items():
        info = await bus.js.stream_info(name)
        assert info.config.max_msgs_per_subject == spec.max_msgs_per_subject
        assert info.config.discard_new_per_subject


async def test_write_many_keeps_the_expected_sequence_check(bus: Bus) -> None:
    """Bulk writes (imports) are published without waiting for each ack, yet a record written
    by someone else since it was read is refused, not overwritten."""
    records = Records(bus.js)
    taken = records.subject("association", "taken")
    first = await records.create(taken, {"name": "Déjà là"}, actor="p_1")
    writes = [(Entry(records.subject("association", f"a{i}"), 0, "create", {"name": f"A{i}"},
                     (), "cli", "", "import"), 0) for i in range(40)]
    writes.append((Entry(taken, 0, "update", {"name": "Import"}, (), "cli", "", "import"),
                   first.seq - 1 if first.seq > 1 else 999_999))
    writes.append((Entry(records.subject("association", "a0"), 0, "create", {"name": "Bis"},
                         (), "cli", "", "import"), 0))  # same subject twice: second refused
    results = await records.write_many(writes, window=7)
    assert all(isinstance(seq, int) for seq in results[:40])
    assert results[40] is None and results[41] is None
    got = await records.get(taken)
    assert got is not None and got.record == {"name": "Déjà là"}
    a0 = await records.get(records.subject("association", "a0"))
    assert a0 is not None and a0.record == {"name": "A0"} and a0.actor == "cli"


async def test_write_many_tells_on_write_of_each_stored_entry(bus: Bus) -> None:
    seen: list[tuple[str, int]] = []

    async def note(entry: Entry) -> None:
        seen.append((entry.subject, entry.seq))

    records = Records(bus.js, on_write=note)
    writes = [(Entry(records.subject("association", f"n{i}"), 0, "create", {"i": i}, (),
                     "p_1", "", "import"), 0) for i in range(3)]
    writes.append(writes[0])  # refused: not told
    results = await records.write_many(writes)
    stored = zip(writes, results, strict=True)
    assert sorted(seen) == sorted((w.subject, seq) for (w, _), seq in stored if seq)
    assert len(seen) == 3
