"""The SQLite write path on what its fast JSON encoder and decoder refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from shared.model import Event, EventMessage, Occurrence
from shared.store.base import Outcome, SearchQuery
from shared.store.sqlite import SqliteStore


def test_an_integer_over_64_bits_in_extra_is_stored_and_read_back(tmp_path: Path) -> None:
    start = datetime.now(UTC) + timedelta(days=3)
    event = Event.create(source_id="s", source_uid="u", title="Concert",
                         occurrences=(Occurrence(start),), extra={"ticket": 2**70})
    message = EventMessage.upsert(event, 1)
    decoded = EventMessage.from_json(message.to_json())  # orjson refuses it: json reads it
    assert decoded == message
    store = SqliteStore(tmp_path / "s.sqlite")
    assert store.apply_sync([decoded]) == [Outcome.APPLIED]
    page = store.search_sync(SearchQuery(limit=5))
    assert page.items[0]["extra"] == {"ticket": 2**70}
