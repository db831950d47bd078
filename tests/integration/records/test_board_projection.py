"""Domain records reach the board through the indexer's board consumer (real nats-server,
real SQLite board, records written through :mod:`shared.records`, the test domain of
``tests/board_domain.py``): written, found; updated, changed; deleted, gone; poison
dead-lettered without blocking the next record; ``maillage reindex`` rebuilds the same
board."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from services.indexer import board_domains
from services.indexer.board_consumer import BoardIndexer
from services.indexer.settings import SETTINGS as INDEXER_SETTINGS
from shared.bus import Bus
from shared.model import Location
from shared.natsserver import NatsServer
from shared.records import Records
from shared.settings import load
from shared.store.board_base import BoardMessage, BoardQuery
from shared.store.board_sqlite import SqliteBoard
from shared.store.factory import board_sqlite_path
from tests.board_domain import KIND

pytestmark = pytest.mark.integration

DOMAIN = "tests.board_domain"


def geocode(location: Location) -> Location:
    """Every address at Rennes's town hall (the indexer's geocoder is tested on its own)."""
    return replace(location, lat=48.1113, lon=-1.6800)


@asynccontextmanager
async def projecting(bus: Bus, board: SqliteBoard) -> AsyncIterator[BoardIndexer]:
    indexer = BoardIndexer(bus, board, geocode, by_kind=board_domains.projections([DOMAIN]),
                           batch_size=16)
    task = asyncio.create_task(indexer.run(idle_timeout=0.2))
    try:
        yield indexer
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def until(check: Callable[[], Awaitable[bool]]) -> None:
    async with asyncio.timeout(30):
        while not await check():  # noqa: ASYNC110 - polling the store
            await asyncio.sleep(0.05)


async def counted(board: SqliteBoard, count: int) -> None:
    async def done() -> bool:
        return await board.count("skill") == count

    await until(done)


async def ids(board: SqliteBoard, **kw: Any) -> list[str]:
    return [item["id"] for item in (await board.search(BoardQuery("skill", **kw))).items]


async def dead_letters(bus: Bus) -> list[dict[str, Any]]:
    info = await bus.js.stream_info("DLQ")
    return [json.loads((await bus.js.get_msg("DLQ", seq)).data or b"{}")
            for seq in range(info.state.first_seq, info.state.last_seq + 1)
            if info.state.messages]


async def test_written_updated_deleted_poison_and_reindex(
        nats_server: NatsServer, bus: Bus, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    records = Records(bus.js)
    board = SqliteBoard(tmp_path / "live" / "board.sqlite")
    async with projecting(bus, board) as indexer:
        await records.create(records.subject(KIND, "compta"), {
            "title": "Aide à la comptabilité", "skills": ["comptabilite"], "owner": "asso-1",
            "address": "Place de la Mairie"}, actor="p_1")
        await counted(board, 1)
        assert await ids(board, q="comptabilites") == ["compta"]
        found = await board.get("skill", "compta")
        assert found is not None and found["lat"] == 48.1113  # placed by the geocoder

        await records.update(records.subject(KIND, "compta"),
                             lambda r: {**r, "title": "Tenue de trésorerie"}, actor="p_1")

        async def changed() -> bool:
            return await ids(board, q="trésorerie") == ["compta"]

        await until(changed)
        assert await ids(board, q="comptabilite") == []

        # poison: not JSON, then a record its projection cannot read (no title); the next
        # record is projected all the same, and a kind no domain declares is not read
        await bus.js.publish(records.subject(KIND, "garbage"), b"\xff not json")
        await records.create(records.subject(KIND, "untitled"), {"owner": "asso-1"},
                             actor="p_1")
        await records.create(records.subject("otherkind", "x"), {"title": "Pas pour moi"},
                             actor="p_1")
        await records.create(records.subject(KIND, "graphisme"), {
            "title": "Graphisme", "skills": ["graphisme"], "owner": "asso-2"}, actor="p_2")
        await counted(board, 2)
        letters = await dead_letters(bus)
        assert sorted(d["subject"].rsplit(".", 1)[-1] for d in letters) == [
            "garbage", "untitled"]
        assert all(d["stream"] == "RECORDS" for d in letters)
        assert indexer.stats.dead == 2

        await records.delete(records.subject(KIND, "graphisme"), actor="p_2")
        await counted(board, 1)
        assert await board.get("skill", "graphisme") is None
        await records.create(records.subject(KIND, "hidden"), {
            "title": "Caché", "owner": "asso-2", "hidden": True}, actor="p_2")
        await records.create(records.subject(KIND, "last"), {
            "title": "Dernière offre", "owner": "asso-2"}, actor="p_2")
        await counted(board, 2)
        live = await board.search(BoardQuery("skill", limit=100, with_facets=True))

    # maillage reindex: a fresh board from RECORDS, the same documents
    from services.cli.replay import reindex

    monkeypatch.setattr(board_domains, "DOMAINS", (DOMAIN,))
    settings = load(INDEXER_SETTINGS, {"MAILLAGE_NATS_URL": nats_server.url,
                                       "MAILLAGE_DATA_DIR": str(tmp_path / "data")})
    rebuilt_path = Path(board_sqlite_path(settings))
    rebuilt_path.parent.mkdir(parents=True, exist_ok=True)
    stale = SqliteBoard(rebuilt_path)  # something left from before: reset by the reindex
    await stale.apply([BoardMessage("skill", "old", 1, {"id": "old", "title": "Ancien"})])
    await stale.close()
    assert await reindex(argparse.Namespace(batch_size=16, yes=True), settings) == 0
    rebuilt = SqliteBoard(rebuilt_path)
    again = await rebuilt.search(BoardQuery("skill", limit=100, with_facets=True))
    assert [i["id"] for i in again.items] == [i["id"] for i in live.items] == [
        "last", "compta"]
    # reindex places with the indexer's own geocoder (the reference data, when present)
    unplaced = [[{k: v for k, v in i.items() if k not in ("lat", "lon")} for i in page.items]
                for page in (again, live)]
    assert unplaced[0] == unplaced[1] and again.facets == live.facets
    assert await rebuilt.get("skill", "old") is None
    await rebuilt.close()
    await board.close()


def other_domain(entry: Any, geocode: Any) -> BoardMessage:
    rid = entry.subject.rsplit(".", 1)[-1]
    return BoardMessage("venue", rid, entry.seq, {"id": rid, "title": entry.record["title"]})


async def test_a_kind_declared_later_is_projected_from_the_streams_start(
        bus: Bus, tmp_path: Path) -> None:
    """A domain added after its first records were written (the site deployed before the
    indexer): the consumer, created again for the new kinds, reads them too."""
    records = Records(bus.js)
    board = SqliteBoard(tmp_path / "board.sqlite")
    await records.create(records.subject(KIND, "compta"), {
        "title": "Comptabilité", "owner": "asso-1"}, actor="p_1")
    await records.create(records.subject("testvenue", "salle"), {"title": "Salle"},
                         actor="p_1")
    async with projecting(bus, board):
        await counted(board, 1)
    assert await board.count("venue") == 0  # not declared: not read
    by_kind = {**board_domains.projections([DOMAIN]), "testvenue": other_domain}
    later = BoardIndexer(bus, board, geocode, by_kind=by_kind, batch_size=16)
    task = asyncio.create_task(later.run(idle_timeout=0.2))
    try:
        async def placed() -> bool:
            return await board.count("venue") == 1

        await until(placed)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert later.stats.stale == 1 and later.stats.applied == 1  # compta again: unchanged
    info = await bus.js.consumer_info("RECORDS", "board-indexer")
    assert sorted(info.config.filter_subjects or []) == [
        f"maillage.rec.{KIND}.>", "maillage.rec.testvenue.>"]
    await board.close()


def test_a_kind_two_domains_claim_is_a_configuration_error() -> None:
    from shared.errors import ConfigError

    with pytest.raises(ConfigError, match="testoffer"):
        board_domains.projections([DOMAIN, DOMAIN])
