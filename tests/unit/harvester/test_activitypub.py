"""ActivityPub (Mobilizon, Gancio), Gancio API and Mobilizon GraphQL parser: one edge case each."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.harvester.formats import activitypub
from services.harvester.formats.base import ParseContext
from shared.errors import ParseError
from shared.model import Status

FIXTURES = Path(__file__).parents[2] / "fixtures" / "harvester" / "activitypub"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def ctx(url: str = "https://mobilizon.example.org/@velo_rennes/outbox", **kw) -> ParseContext:
    return ParseContext(source_id="ap", now=NOW, url=url, **kw)


def parse_fixture(name: str, **kw):
    return activitypub.parse((FIXTURES / name).read_bytes(), ctx(**kw))


def parse_doc(doc, **kw):
    return activitypub.parse(json.dumps(doc).encode(), ctx(**kw))


def ap_event(**over):
    event = {
        "type": "Event",
        "id": "https://m.example.org/events/1",
        "name": "Pique-nique",
        "startTime": "2025-06-15T12:00:00+02:00",
    }
    event.update(over)
    return event


def test_create_activity_wrapping_an_event():
    event = parse_fixture("mobilizon_create.json").events[0]
    assert event.title == "Atelier réparation vélo"
    assert event.source_uid.endswith("000000000001") and event.source_format == "activitypub"


def test_start_and_end_time_with_offset():
    occ = parse_fixture("mobilizon_create.json").events[0].occurrences[0]
    assert occ.start == datetime(2025, 6, 12, 16, 0, tzinfo=UTC)
    assert occ.end == datetime(2025, 6, 12, 18, 30, tzinfo=UTC)


def test_place_with_postal_address_and_coordinates():
    loc = parse_fixture("mobilizon_create.json").events[0].location
    assert (loc.name, loc.address, loc.postcode, loc.city) == (
        "La Petite Rennes",
        "2 rue de la Donelière",
        "35000",
        "Rennes",
    )
    assert (loc.lat, loc.lon) == (48.1101, -1.6541)


def test_hashtags_and_mobilizon_category_become_categories():
    assert parse_fixture("mobilizon_create.json").events[0].categories == ("workshops", "vélo")


def test_content_html_is_the_description():
    assert parse_fixture("mobilizon_create.json").events[0].description.startswith("<p>Venez")


def test_image_attachment():
    assert parse_fixture("mobilizon_create.json").events[0].image.endswith("banner.jpg")


def test_attributed_to_gives_an_organizer_handle():
    assert parse_fixture("mobilizon_create.json").events[0].organizer == (
        "velo_rennes@mobilizon.example.org"
    )


def test_ical_status_cancelled():
    event = parse_doc(ap_event(**{"ical:status": "CANCELLED"})).events[0]
    assert event.status == Status.CANCELLED


def test_start_time_only_has_no_end():
    assert parse_doc(ap_event()).events[0].occurrences[0].end is None


def test_floating_start_time_is_read_in_source_timezone():
    occ = parse_doc(ap_event(startTime="2025-06-15T12:00:00")).events[0].occurrences[0]
    assert occ.start.isoformat() == "2025-06-15T12:00:00+02:00"


def test_online_flag_makes_an_online_location():
    assert parse_doc(ap_event(isOnline=True)).events[0].location.online


def test_ordered_collection_page_of_creates_and_next_page():
    page = {
        "type": "OrderedCollectionPage",
        "next": "https://m.example.org/@velo_rennes/outbox?page=2",
        "orderedItems": [
            {"type": "Create", "object": ap_event()},
            {"type": "Create", "object": {"type": "Note", "content": "hi"}},
        ],
    }
    result = parse_doc(page)
    assert [e.title for e in result.events] == ["Pique-nique"]
    assert result.next_url == "https://m.example.org/@velo_rennes/outbox?page=2"
    assert result.skipped[0].reason == "not an Event (Note)"


def test_outbox_collection_without_items_points_to_first_page():
    doc = {"type": "OrderedCollection", "totalItems": 3, "first": "https://m.example.org/o?page=1"}
    assert parse_doc(doc).next_url == "https://m.example.org/o?page=1"


def test_delete_activity_reports_removed_uid():
    result = parse_doc({"type": "Delete", "object": "https://m.example.org/events/9"})
    assert result.removed_uids == ["https://m.example.org/events/9"]


def test_gancio_api_list_uses_unix_seconds():
    events = parse_fixture("gancio_events.json", url="https://gancio.example.org/api/events")
    occ = events.events[0].occurrences[0]
    assert occ.start == datetime(2025, 6, 19, 19, 0, tzinfo=UTC)
    assert events.events[0].source_format == "gancio"


def test_gancio_title_place_url_and_image():
    event = parse_fixture("gancio_events.json", url="https://gancio.example.org/api/events").events[
        0
    ]
    assert event.title == "Concert solidaire & buvette"
    assert event.location.name == "L'Ambassade" and event.location.lat == 48.1047
    assert event.url == "https://gancio.example.org/event/concert-solidaire"
    assert event.image == "https://gancio.example.org/media/concert.jpg"
    assert event.categories == ("concert", "solidarité")


def test_gancio_multidate_is_one_long_occurrence():
    event = parse_fixture("gancio_events.json", url="https://gancio.example.org/api/events").events[
        1
    ]
    assert len(event.occurrences) == 1 and event.extra["multidate"] is True


def test_mobilizon_graphql_search_events():
    doc = {
        "data": {
            "searchEvents": {
                "total": 1,
                "elements": [
                    {
                        "uuid": "abc",
                        "title": "Balade botanique",
                        "url": "https://m.example.org/events/abc",
                        "beginsOn": "2025-06-08T08:00:00Z",
                        "endsOn": "2025-06-08T10:00:00Z",
                        "status": "CONFIRMED",
                        "tags": [{"title": "nature"}],
                        "physicalAddress": {
                            "description": "Parc des Gayeulles",
                            "locality": "Rennes",
                            "postalCode": "35700",
                            "geom": "-1.6371;48.1328",
                        },
                        "organizerActor": {"name": "Les Amis des Gayeulles"},
                    }
                ],
            }
        }
    }
    event = parse_doc(doc).events[0]
    assert event.source_format == "mobilizon" and event.source_uid == "abc"
    assert (event.location.lat, event.location.lon) == (48.1328, -1.6371)
    assert event.organizer == "Les Amis des Gayeulles" and event.categories == ("nature",)


def test_mobilizon_graphql_empty_result_is_not_an_error():
    result = parse_doc({"data": {"events": {"total": 0, "elements": []}}})
    assert result.events == []


def test_graphql_errors_raise_parse_error():
    with pytest.raises(ParseError, match="GraphQL error: unknown field"):
        parse_doc({"errors": [{"message": "unknown field"}], "data": None})


def test_non_activitypub_json_raises_parse_error():
    with pytest.raises(ParseError):
        parse_doc({"hello": "world"})


def test_matches_ap_gancio_and_graphql_but_not_other_apis():
    assert activitypub.matches({"type": "Create", "object": ap_event()})
    assert activitypub.matches([{"title": "x", "start_datetime": 1}])
    assert activitypub.matches({"data": {"events": {"elements": []}}})
    assert not activitypub.matches({"type": "Create", "object": {"type": "Note"}})
    assert not activitypub.matches({"version": "1", "data": [{"title": "x"}]})
