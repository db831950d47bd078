""""Free on a day" finds every venue with a free slot that day, however many slots the day
has (a real SQLite board): the first version read at most 1,000 of the day's slots."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

from services.venues.list_pages import free_venues
from services.venues.model import Slot
from services.venues.project import PROJECTIONS
from services.venues.validate import occurrence
from shared.records import Entry
from shared.store.board_sqlite import SqliteBoard

DAY = date.today() + timedelta(days=3)


async def test_every_venue_free_that_day_is_found(tmp_path: Path) -> None:
    board = SqliteBoard(tmp_path / "board.sqlite")
    messages = []
    for i in range(1_050):
        for n, day in enumerate((DAY, DAY + timedelta(days=1))):
            starts, ends = occurrence(day, time(18), time(22))
            slot = Slot(id=f"c{n}", venue=f"v{i}", starts=starts, ends=ends,
                        venue_name=f"Salle {i}", owner="a").to_record()
            messages.append(PROJECTIONS["venueslot"](
                Entry(f"maillage.rec.venueslot.v{i}.c{n}", len(messages) + 1, "create", slot),
                None))
    booked = {**messages[0].doc, "state": "booked"}  # type: ignore[dict-item]
    messages.append(PROJECTIONS["venueslot"](
        Entry("maillage.rec.venueslot.v0.c0", len(messages) + 1, "update", booked), None))
    await board.apply(messages)
    await board.settle()
    found = await free_venues(board, DAY)
    assert len(found) == 1_049 and "v0" not in found
    assert len(await free_venues(board, DAY + timedelta(days=1))) == 1_050
    assert await free_venues(board, DAY + timedelta(days=2)) == []
    await board.close()
