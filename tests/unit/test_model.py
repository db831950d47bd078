"""The event model: stable ids, JSON round trip, message ids."""

from __future__ import annotations

import json
import pickle
from datetime import datetime, timedelta

import pytest

from shared.model import (
    PARIS,
    Event,
    EventMessage,
    HarvestStatus,
    Location,
    Occurrence,
    Skipped,
    Status,
    ThemeTag,
    event_id,
)

START = datetime(2026, 12, 5, 20, 0, tzinfo=PARIS)


def sample() -> Event:
    return Event.create(
        source_id="chorale",
        source_uid="concert-1@example.org",
        title="Concert de Noël",
        occurrences=(Occurrence(START, START + timedelta(hours=2)),
                     Occurrence(START + timedelta(days=7), status=Status.CANCELLED)),
        description="<p>Chants du monde</p>",
        location=Location(name="Le Triangle", lat=48.0887, lon=-1.6596, quartier="Le Blosne"),
        categories=("Concert",),
        themes=(ThemeTag("culture", "category:Concert"),),
        accessibility=("hi", "lsf"),
        is_free=True,
        extra={"expansion": "complete"},
    )


def test_event_id_depends_only_on_source_and_uid() -> None:
    assert event_id("a", "x") == event_id("a", "x")
    assert event_id("a", "x") != event_id("b", "x")
    assert event_id("a", "x") != event_id("a", "y")
    assert sample().id == event_id("chorale", "concert-1@example.org")


def test_event_round_trips_through_json() -> None:
    event = sample()
    assert Event.from_dict(json.loads(json.dumps(event.to_dict()))) == event


def test_messages_round_trip_through_pickle_field_by_field() -> None:
    """How enriched batches cross from the enrichment workers (shared.model._pickling)."""
    message = EventMessage.upsert(sample(), version=7)
    back = pickle.loads(pickle.dumps([message, EventMessage.retract("ev_x", "chorale", 8, "gone")]))
    assert back[0] == message and back[0].to_json() == message.to_json()
    assert back[0].event.location == message.event.location  # type: ignore[union-attr]
    assert hash(back[0].event.occurrences[0]) == hash(message.event.occurrences[0])  # type: ignore[union-attr]
    assert back[1].kind == "retract" and back[1].event is None
    with pytest.raises(AttributeError):  # still frozen
        back[0].event.title = "x"  # type: ignore[misc,union-attr]
    state = message.event.__getstate__()  # type: ignore[union-attr]
    assert isinstance(state, tuple) and state[0] == message.event.id  # type: ignore[union-attr]


def test_times_stay_timezone_aware() -> None:
    restored = Event.from_dict(sample().to_dict())
    assert all(o.start.tzinfo is not None for o in restored.occurrences)
    assert restored.occurrences[0].start == START


def test_unknown_keys_are_ignored_for_forward_compatibility() -> None:
    data = sample().to_dict()
    data["future_field"] = 1
    data["location"]["future_field"] = 2
    assert Event.from_dict(data) == sample()


def test_content_hash_changes_with_content_only() -> None:
    assert sample().content_hash() == sample().content_hash()
    assert sample().with_(title="Concert").content_hash() != sample().content_hash()


def test_message_ids_are_deterministic_per_event_kind_and_version() -> None:
    up = EventMessage.upsert(sample(), version=7)
    assert up.msg_id == EventMessage.upsert(sample(), version=7).msg_id
    assert up.msg_id != EventMessage.upsert(sample(), version=8).msg_id
    down = EventMessage.retract(sample().id, "chorale", 7, "gone")
    assert down.msg_id != up.msg_id
    assert EventMessage.from_json(up.to_json()) == up
    assert EventMessage.from_json(down.to_json()) == down


@pytest.mark.parametrize("raw", [
    b'{"kind": "explode", "event_id": "x", "source_id": "s", "version": 1}',
    b'{"kind": "upsert", "event_id": "x", "source_id": "s", "version": 1}',
])
def test_malformed_messages_are_refused(raw: bytes) -> None:
    with pytest.raises(ValueError):
        EventMessage.from_json(raw)


def test_harvest_status_round_trips() -> None:
    status = HarvestStatus("s", "http://x", START, 12, False, skipped=(Skipped("no date", "u"),),
                           error_kind="timeout", error_message="too slow")
    assert HarvestStatus.from_dict(json.loads(status.to_json())) == status


def test_with_gives_what_replace_gives_and_cleans_the_changed_fields() -> None:
    from dataclasses import replace

    event = sample()
    changes = {"description": "a\x01b", "keywords": ("x\x02",), "url": "javascript:alert(1)",
               "image": " https://example.org/i.png ", "is_free": False}
    copy = event.with_(**changes)
    assert copy == replace(event, **changes)
    assert (copy.description, copy.keywords, copy.url) == ("ab", ("x",), None)
    assert copy.image == "https://example.org/i.png" and type(copy) is Event
    assert event.with_() == event and event.description == "<p>Chants du monde</p>"


def test_with_refuses_an_unknown_field() -> None:
    with pytest.raises(TypeError, match="nope"):
        sample().with_(nope=1)
