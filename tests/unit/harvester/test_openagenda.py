"""OpenAgenda API v2 parser: one edge case per test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from services.harvester.formats import openagenda
from services.harvester.formats.base import ParseContext
from shared.errors import ParseError
from shared.model import Status

FIXTURES = Path(__file__).parents[2] / "fixtures" / "harvester" / "openagenda"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
API = "https://api.openagenda.com/v2/agendas/12345678/events?key=abc&detailed=1&size=3"


def ctx(url: str | None = API, **kw) -> ParseContext:
    return ParseContext(source_id="oa-assos", now=NOW, url=url, **kw)


def parse_fixture(name: str, **kw):
    return openagenda.parse((FIXTURES / name).read_bytes(), ctx(**kw))


def parse_doc(doc, **kw):
    return openagenda.parse(json.dumps(doc).encode(), ctx(**kw))


def test_list_response_gives_one_event_per_item():
    result = parse_fixture("events_page.json")
    assert [e.source_uid for e in result.events] == ["48213377", "48213378", "48213379"]
    assert all(e.source_format == "openagenda" for e in result.events)


def test_each_timing_becomes_an_occurrence_with_its_offset():
    event = parse_fixture("events_page.json").events[0]
    assert [o.start.isoformat() for o in event.occurrences] == [
        "2025-06-26T19:00:00+02:00",
        "2025-07-03T19:00:00+02:00",
    ]
    assert event.occurrences[0].end == datetime(2025, 6, 26, 21, 30, tzinfo=UTC)


def test_multilingual_fields_prefer_french():
    event = parse_fixture("events_page.json").events[0]
    assert event.title == "Fest-noz place Sainte-Anne"
    assert event.keywords == ("fest-noz", "danse bretonne")


def test_long_description_wins_over_short_description():
    event = parse_fixture("events_page.json").events[0]
    assert event.description.startswith("Un **fest-noz**")


def test_title_only_in_english_is_used():
    event = parse_fixture("events_page.json").events[2]
    assert event.title == "Online talk about Rennes history"


def test_location_keeps_district_insee_and_coordinates():
    loc = parse_fixture("events_page.json").events[0].location
    assert (loc.name, loc.city, loc.postcode, loc.quartier, loc.insee) == (
        "Place Sainte-Anne",
        "Rennes",
        "35000",
        "Centre",
        "35238",
    )
    assert (loc.lat, loc.lon, loc.precision) == (48.1142, -1.68, "source")


def test_accessibility_object_of_booleans_keeps_true_codes():
    assert parse_fixture("events_page.json").events[0].accessibility == ("pi", "mi")


def test_accessibility_as_list_is_accepted():
    assert parse_fixture("events_page.json").events[1].accessibility == ("pi",)


def test_status_6_is_cancelled_on_event_and_occurrences():
    event = parse_fixture("events_page.json").events[1]
    assert event.status == Status.CANCELLED
    assert {o.status for o in event.occurrences} == {Status.CANCELLED}


def test_conditions_gratuit_is_free_price_text():
    event = parse_fixture("events_page.json").events[0]
    assert (event.price, event.is_free) == ("Gratuit", True)


def test_conditions_with_an_amount_is_not_marked_free():
    event = parse_fixture("events_page.json").events[1]
    assert (event.price, event.is_free) == ("5 € l'atelier", None)


def test_age_minimum_becomes_audience():
    assert parse_fixture("events_page.json").events[1].audience == ("age:12+",)


def test_attendance_mode_2_is_online_without_location():
    event = parse_fixture("events_page.json").events[2]
    assert event.location is not None and event.location.online
    assert event.extra["online_url"] == "https://visio.example.org/rennes"


def test_image_is_base_plus_filename():
    event = parse_fixture("events_page.json").events[0]
    assert event.image == "https://cdn.openagenda.com/main/festnoz.base.image.jpg"


def test_url_uses_agenda_and_event_slugs():
    event = parse_fixture("events_page.json").events[0]
    assert event.url == "https://openagenda.com/assos-rennes/events/bal-breton-place-sainte-anne"


def test_url_falls_back_to_agenda_uid_from_the_api_url():
    event = parse_fixture("events_page.json").events[1]
    assert event.url == "https://openagenda.com/agendas/12345678/events/48213378"


def test_registration_values_kept_in_extra():
    event = parse_fixture("events_page.json").events[0]
    assert event.extra["registration"] == ["contact@cercle-celtique-rennes.example"]


def test_organizer_defaults_to_source_organizer():
    event = parse_fixture("events_page.json", organizer="Cercle celtique").events[0]
    assert event.organizer == "Cercle celtique"


def test_after_cursor_builds_next_url_keeping_other_params():
    next_url = parse_fixture("events_page.json").next_url
    params = parse_qsl(urlsplit(next_url).query)
    assert ("key", "abc") in params and ("detailed", "1") in params
    assert [v for k, v in params if k == "after[]"] == [
        "0",
        "1750955400000",
        "1750962600000",
        "48213377",
    ]


def test_next_url_replaces_the_previous_cursor():
    url = API + "&after[]=1&after[]=2"
    next_url = parse_fixture("events_page.json", url=url).next_url
    assert [v for k, v in parse_qsl(urlsplit(next_url).query) if k == "after[]"][0] == "0"
    assert "after%5B%5D=1" not in next_url and "after[]=1&" not in next_url


def test_null_after_means_last_page():
    result = parse_doc({"total": 0, "events": [], "after": None})
    assert result.next_url is None and result.events == []


def test_removed_events_are_reported_not_imported():
    result = parse_fixture("incremental.json")
    assert result.removed_uids == ["50976230", "50976231"]
    assert [s.reason.split(":")[0] for s in result.skipped] == ["removed", "removed"]
    assert [e.source_uid for e in result.events] == ["1325588"]


def test_incremental_url_adds_updated_since_and_removed():
    url = openagenda.incremental_url(API, datetime(2025, 5, 31, 22, 0, tzinfo=UTC))
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["updatedAt[gte]"] == "2025-05-31T22:00:00.000Z"
    assert params["removed"] == "1" and params["key"] == "abc"


def test_single_event_response_is_read():
    doc = {
        "success": True,
        "event": {
            "uid": 7,
            "title": {"fr": "Vide-grenier"},
            "timings": [{"begin": "2025-06-08T08:00:00+02:00", "end": "2025-06-08T18:00:00+02:00"}],
        },
    }
    assert [e.title for e in parse_doc(doc).events] == ["Vide-grenier"]


def test_bare_event_object_is_read():
    doc = {"uid": 8, "title": "Concert", "timings": [{"begin": "2025-06-09T20:00:00+02:00"}]}
    assert parse_doc(doc).events[0].occurrences[0].end is None


def test_list_without_timings_falls_back_to_first_and_last_timing():
    doc = {
        "events": [
            {
                "uid": 9,
                "title": {"fr": "Expo"},
                "firstTiming": {
                    "begin": "2025-06-10T10:00:00+02:00",
                    "end": "2025-06-10T18:00:00+02:00",
                },
                "lastTiming": {
                    "begin": "2025-06-12T10:00:00+02:00",
                    "end": "2025-06-12T18:00:00+02:00",
                },
            }
        ]
    }
    event = parse_doc(doc).events[0]
    assert len(event.occurrences) == 2 and event.extra["timings_partial"] is True


def test_midnight_to_2359_timings_are_all_day():
    doc = {
        "uid": 10,
        "title": "Fête",
        "timings": [{"begin": "2025-06-15T00:00:00+02:00", "end": "2025-06-15T23:59:00+02:00"}],
    }
    occ = parse_doc(doc).events[0].occurrences[0]
    assert occ.all_day and occ.end.isoformat() == "2025-06-16T00:00:00+02:00"


def test_timings_outside_the_window_are_dropped():
    doc = {
        "uid": 11,
        "title": "Vieux",
        "timings": [{"begin": "2020-01-01T10:00:00+01:00", "end": "2020-01-01T11:00:00+01:00"}],
    }
    result = parse_doc(doc)
    assert result.events == [] and result.skipped[0].reason == "outside the harvest window"


def test_event_without_timings_is_skipped_with_reason():
    result = parse_doc({"events": [{"uid": 12, "title": {"fr": "Sans date"}, "timings": []}]})
    assert result.skipped[0].reason == "no usable date"


def test_duplicate_uid_in_one_page_is_kept_once():
    item = {"uid": 13, "title": "Deux fois", "timings": [{"begin": "2025-06-09T20:00:00+02:00"}]}
    result = parse_doc({"events": [item, item]})
    assert len(result.events) == 1 and result.skipped[0].reason == "duplicate uid in the document"


def test_error_response_raises_one_line_parse_error():
    with pytest.raises(ParseError, match="OpenAgenda error response: invalid key"):
        parse_doc({"success": False, "message": "invalid key"})


def test_matches_recognizes_list_and_single_event_shapes():
    assert openagenda.matches({"events": [{"uid": 1, "timings": []}], "after": None})
    assert openagenda.matches({"success": True, "event": {"uid": 1, "timings": []}})
    assert not openagenda.matches({"events": [{"id": 1, "start_date": "2025-01-01"}]})
    assert not openagenda.matches({"data": [{"title": "x"}]})
