"""WordPress The Events Calendar REST parser: one edge case per test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.harvester.formats import wordpress
from services.harvester.formats.base import ParseContext
from shared.errors import ParseError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "harvester" / "wordpress"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
API = "https://asso-jardins.example.org/wp-json/tribe/events/v1/events?per_page=3"


def ctx(**kw) -> ParseContext:
    return ParseContext(source_id="wp-jardins", now=NOW, url=API, **kw)


def events(**kw):
    return wordpress.parse((FIXTURES / "tribe_events.json").read_bytes(), ctx(**kw)).events


def parse_doc(doc):
    return wordpress.parse(json.dumps(doc).encode(), ctx())


def test_every_event_of_the_page_is_read():
    assert [e.source_uid for e in events()] == ["asso-jardins.example.org?id=1412", "1413", "1414"]


def test_title_html_entities_are_unescaped():
    assert events()[0].title == "Troc de graines – Jardin des Mille Pattes"


def test_utc_dates_are_used_when_present():
    occ = events()[0].occurrences[0]
    assert occ.start == datetime(2025, 6, 14, 12, 0, tzinfo=UTC)
    assert occ.end == datetime(2025, 6, 14, 15, 30, tzinfo=UTC)


def test_all_day_keeps_local_dates_with_exclusive_end():
    occ = events()[1].occurrences[0]
    assert occ.all_day
    assert (occ.start.isoformat(), occ.end.isoformat()) == (
        "2025-06-21T00:00:00+02:00",
        "2025-06-23T00:00:00+02:00",
    )


def test_utc_offset_timezone_without_utc_dates():
    occ = events()[2].occurrences[0]
    assert occ.start.isoformat() == "2025-06-25T18:30:00+02:00"


def test_venue_becomes_location_with_coordinates():
    loc = events()[0].location
    assert (loc.name, loc.address, loc.city, loc.postcode) == (
        "Jardin des Mille Pattes",
        "Rue de Bourgogne",
        "Rennes",
        "35000",
    )
    assert (loc.lat, loc.lon) == (48.1208, -1.7041)


def test_empty_venue_list_means_no_location():
    assert events()[1].location is None


def test_virtual_event_is_online():
    assert events()[2].location.online


def test_organizer_names_are_unescaped():
    assert events()[0].organizer == "Les Jardins d'Ille-et-Vilaine"


def test_no_organizer_falls_back_to_source_organizer():
    assert events(organizer="Jardins partagés")[1].organizer == "Jardins partagés"


def test_categories_and_tags():
    event = events()[0]
    assert event.categories == ("Jardinage",)
    assert event.keywords == ("graines", "Villejean")


def test_cost_zero_is_free():
    assert (events()[0].price, events()[0].is_free) == ("Gratuit", True)


def test_cost_entities_are_unescaped_and_not_free():
    assert (events()[1].price, events()[1].is_free) == ("3 € – 5 €", None)


def test_image_false_means_no_image():
    assert events()[0].image.endswith("graines.jpg") and events()[1].image is None


def test_next_rest_url_is_the_next_page():
    result = wordpress.parse((FIXTURES / "tribe_events.json").read_bytes(), ctx())
    assert result.next_url.endswith("events?page=2&per_page=3")


def test_single_event_object_is_read():
    doc = {
        "id": 5,
        "title": "Repair café",
        "start_date": "2025-06-07 10:00:00",
        "utc_start_date": "2025-06-07 08:00:00",
        "timezone": "Europe/Paris",
    }
    assert parse_doc(doc).events[0].occurrences[0].start == datetime(2025, 6, 7, 8, tzinfo=UTC)


def test_event_with_unparseable_date_is_skipped():
    result = parse_doc(
        {
            "events": [{"id": 6, "title": "?", "start_date": "bientôt", "all_day": False}],
            "rest_url": API,
            "total_pages": 1,
        }
    )
    assert result.events == [] and result.skipped[0].reason == "no usable date"


def test_rest_error_body_raises_parse_error():
    with pytest.raises(ParseError, match="rest_no_route"):
        parse_doc({"code": "rest_no_route", "message": "No route", "data": {"status": 404}})


def test_matches_tribe_list_but_not_openagenda():
    assert wordpress.matches({"events": [{"id": 1, "start_date": "x", "utc_start_date": "y"}]})
    assert wordpress.matches({"events": [], "rest_url": "u", "total_pages": 0})
    assert not wordpress.matches({"events": [{"uid": 1, "timings": []}]})


@pytest.mark.parametrize(
    ("fixture", "owner"),
    [
        ("wordpress/tribe_events.json", "wordpress"),
        ("openagenda/events_page.json", "openagenda"),
        ("openagenda/incremental.json", "openagenda"),
        ("opendatasoft/v1_records.json", "opendatasoft"),
        ("opendatasoft/v21_results.json", "opendatasoft"),
        ("activitypub/mobilizon_create.json", "activitypub"),
        ("activitypub/gancio_events.json", "activitypub"),
    ],
)
def test_json_fixture_is_claimed_by_its_own_format_only(fixture, owner):
    from services.harvester.formats import activitypub, openagenda, opendatasoft

    modules = {
        "activitypub": activitypub,
        "openagenda": openagenda,
        "opendatasoft": opendatasoft,
        "wordpress": wordpress,
    }
    doc = json.loads((FIXTURES.parent / fixture).read_text())
    assert [name for name, mod in modules.items() if mod.matches(doc)] == [owner]
