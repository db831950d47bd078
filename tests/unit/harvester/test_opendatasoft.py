"""Opendatasoft records API parser (v1, v2.0, v2.1): one edge case per test."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from services.harvester.formats import opendatasoft
from services.harvester.formats.base import ParseContext
from shared.errors import ParseError
from shared.model import Status

FIXTURES = Path(__file__).parents[2] / "fixtures" / "harvester" / "opendatasoft"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
V1 = (
    "https://data.example.org/api/records/1.0/search/"
    "?dataset=evenements-publics-openagenda&q=Rennes&rows=2"
)
V21 = (
    "https://data.example.org/api/explore/v2.1/catalog/datasets/agenda/records"
    "?limit=2&where=location_city%3D%22Rennes%22"
)


def ctx(url: str | None = V1) -> ParseContext:
    return ParseContext(source_id="ods-rennes", now=NOW, url=url)


def parse_fixture(name: str, url: str | None = V1):
    return opendatasoft.parse((FIXTURES / name).read_bytes(), ctx(url))


def parse_doc(doc, url: str | None = V1):
    return opendatasoft.parse(json.dumps(doc).encode(), ctx(url))


def test_v1_records_fields_become_events():
    result = parse_fixture("v1_records.json")
    assert [e.source_uid for e in result.events] == ["61234567", "61234568"]
    assert result.events[0].title == "Braderie du Blosne"


def test_v1_timings_json_string_gives_occurrences():
    occ = parse_fixture("v1_records.json").events[0].occurrences
    assert [(o.start.isoformat(), o.end.isoformat()) for o in occ] == [
        ("2025-06-22T08:00:00+02:00", "2025-06-22T18:00:00+02:00")
    ]


def test_first_and_last_dates_used_when_timings_are_missing():
    event = parse_fixture("v1_records.json").events[1]
    assert [o.start for o in event.occurrences] == [
        datetime(2025, 6, 28, 18, 0, tzinfo=UTC),
        datetime(2025, 7, 5, 18, 0, tzinfo=UTC),
    ]
    assert event.extra["timings_partial"] is True


def test_status_json_string_cancelled():
    assert parse_fixture("v1_records.json").events[1].status == Status.CANCELLED


def test_location_fields_and_lat_lon_list():
    loc = parse_fixture("v1_records.json").events[0].location
    assert (loc.name, loc.postcode, loc.quartier, loc.insee) == (
        "Square de Sarajevo",
        "35200",
        "Le Blosne",
        "35238",
    )
    assert (loc.lat, loc.lon) == (48.0865, -1.6591)


def test_geometry_point_is_lon_lat_when_no_coordinates_field():
    loc = parse_fixture("v1_records.json").events[1].location
    assert (loc.lat, loc.lon) == (48.1056, -1.6745)


def test_keywords_semicolon_string_is_split():
    assert parse_fixture("v1_records.json").events[0].keywords == (
        "braderie",
        "vide-grenier",
        "Blosne",
    )


def test_accessibility_semicolon_string():
    assert parse_fixture("v1_records.json").events[0].accessibility == ("pi", "mi")


def test_entree_libre_is_free():
    event = parse_fixture("v1_records.json").events[0]
    assert (event.price, event.is_free) == ("Entrée libre", True)


def test_age_0_to_99_is_no_audience_restriction():
    assert parse_fixture("v1_records.json").events[0].audience == ()


def test_long_description_preferred():
    assert "<strong>Blosne</strong>" in parse_fixture("v1_records.json").events[0].description


def test_registration_json_string_kept_in_extra():
    extra = parse_fixture("v1_records.json").events[0].extra
    assert extra["registration"] == ["https://blosne.example.org"]


def test_v1_next_url_advances_start_by_records_read():
    next_url = parse_fixture("v1_records.json").next_url
    params = dict(parse_qsl(urlsplit(next_url).query))
    assert params["start"] == "2" and params["rows"] == "2" and params["q"] == "Rennes"


def test_v1_last_page_has_no_next_url():
    doc = json.loads((FIXTURES / "v1_records.json").read_text())
    doc["nhits"] = 2
    assert parse_doc(doc).next_url is None


def test_v21_results_are_flat_records():
    result = parse_fixture("v21_results.json", V21)
    assert [e.title for e in result.events] == [
        "Nuit des musées au Musée de Bretagne",
        "Marché des producteurs",
    ]


def test_v21_coordinates_object():
    loc = parse_fixture("v21_results.json", V21).events[0].location
    assert (loc.lat, loc.lon) == (48.1056, -1.6745)


def test_v21_generic_french_field_names():
    event = parse_fixture("v21_results.json", V21).events[1]
    assert event.source_uid == "rec-2"
    assert (event.location.name, event.location.city) == ("Place des Lices", "Rennes")
    assert (event.location.lat, event.location.lon) == (48.1123, -1.6827)


def test_v21_date_only_fields_are_all_day():
    occ = parse_fixture("v21_results.json", V21).events[1].occurrences[0]
    assert occ.all_day and occ.start.isoformat() == "2025-06-18T00:00:00+02:00"
    assert occ.end.isoformat() == "2025-06-19T00:00:00+02:00"


def test_v21_next_url_uses_offset():
    next_url = parse_fixture("v21_results.json", V21).next_url
    params = dict(parse_qsl(urlsplit(next_url).query))
    assert params["offset"] == "2" and params["limit"] == "2"


def test_v21_stops_before_the_10000_offset_limit():
    doc = {"total_count": 50000, "results": [{"title": "x", "date_start": "2025-06-02"}]}
    assert parse_doc(doc, V21.replace("limit=2", "limit=1&offset=9998")).next_url is None


def test_v20_records_with_links_next():
    doc = {
        "total_count": 30,
        "links": [{"rel": "next", "href": "https://data.example.org/p2"}],
        "records": [
            {
                "record": {
                    "id": "r1",
                    "fields": {"title": "Troc de plantes", "date_start": "2025-06-07T10:00:00"},
                }
            }
        ],
    }
    result = parse_doc(doc)
    assert result.next_url == "https://data.example.org/p2"
    assert result.events[0].occurrences[0].start.isoformat() == "2025-06-07T10:00:00+02:00"


def test_record_without_title_is_skipped():
    doc = {"nhits": 1, "records": [{"recordid": "r", "fields": {"date_start": "2025-06-07"}}]}
    assert parse_doc(doc).skipped[0].reason == "no title"


def test_record_without_uid_gets_a_content_uid():
    doc = {"total_count": 1, "results": [{"title": "Sans id", "date_start": "2025-06-07"}]}
    assert parse_doc(doc, V21).events[0].source_uid.startswith("h:")


def test_mongodb_style_export_is_unrecognized_json():
    doc = {
        "version": "1",
        "nb_results": 1,
        "data": [
            {
                "title": "Fanfare",
                "dateEvenement": {"$date": "2025-06-05T00:00:00.000Z"},
                "heureEvenement": "16h",
            }
        ],
    }
    assert not opendatasoft.matches(doc)
    with pytest.raises(ParseError, match="unrecognized JSON"):
        parse_doc(doc)


def test_matches_v1_v20_and_v21_shapes():
    assert opendatasoft.matches({"nhits": 0, "records": []})
    assert opendatasoft.matches({"total_count": 0, "results": []})
    assert opendatasoft.matches({"records": [{"record": {"fields": {}}}]})
    assert not opendatasoft.matches({"events": []})
