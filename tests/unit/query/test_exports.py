"""The export renderers, on documents built like the store builds them."""

from __future__ import annotations

import csv as stdcsv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import icalendar

from services.query.exports import csv, ics, jsonld, rss
from services.query.exports.feed import Feed, all_day_dates, when_fr
from shared.model import Event, Location, Occurrence, ThemeTag
from shared.store.base import occurrence_docs

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2026, 12, 5, 20, 0, tzinfo=PARIS)
FEED = Feed(title="Maillage – test", description="Des événements", base_url="https://m.example",
            self_url="https://m.example/v1/events.ics?q=x", html_url="https://m.example/?q=x",
            tz=PARIS, generated=datetime(2026, 12, 1, tzinfo=PARIS))


def docs(**kw: Any) -> list[dict[str, Any]]:
    fields: dict[str, Any] = {
        "occurrences": [Occurrence(start=START, end=START + timedelta(hours=2))],
        "location": Location(name="Salle Guy Ropartz", address="14 rue Guy Ropartz",
                             city="Rennes", lat=48.12, lon=-1.65),
        "organizer": "Chorale",
        "themes": (ThemeTag("culture", "test"),),
        "description_text": "Un concert.",
        "is_free": True,
    }
    fields.update(kw)
    event = Event.create(source_id="s", source_uid=kw.pop("uid", "u1"),
                         title=fields.pop("title", "Concert"), **fields)
    return occurrence_docs(event)


def vevents(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_ics_lines_end_with_crlf_and_fold_at_75_octets() -> None:
    long = "Une description accentuée — éèêàç — " * 10
    body = ics.render(docs(description_text=long), FEED)
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert b"\n" not in body.replace(b"\r\n", b"")
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character


def test_ics_text_is_escaped_and_reads_back() -> None:
    title = "Repas; soupe, pain \\ « fromage »"
    body = ics.render(docs(title=title, description_text="a\nb"), FEED)
    assert b"Repas\\; soupe\\, pain \\\\ " in body
    (event,) = vevents(body)
    assert str(event["SUMMARY"]) == title
    assert str(event["DESCRIPTION"]).startswith("a\nb")


def test_ics_has_a_vtimezone_for_paris_and_local_times() -> None:
    body = ics.render(docs(), FEED)
    cal = icalendar.Calendar.from_ical(body)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert b"DTSTART;TZID=Europe/Paris:20261205T200000" in body
    assert vevents(body)[0].decoded("DTSTART") == START


def test_ics_uid_is_stable_per_occurrence() -> None:
    first = vevents(ics.render(docs(), FEED))[0]["UID"]
    again = vevents(ics.render(docs(title="Concert (titre corrigé)"), FEED))[0]["UID"]
    assert first == again and str(first).startswith("oc_")


def test_ics_calendar_properties_for_subscription() -> None:
    cal = icalendar.Calendar.from_ical(ics.render(docs(), FEED))
    assert str(cal["X-WR-CALNAME"]) == "Maillage – test"
    assert str(cal["VERSION"]) == "2.0" and cal["PRODID"]
    assert "METHOD" not in cal


def test_ics_cancelled_occurrence_has_status_cancelled() -> None:
    (event,) = vevents(ics.render(docs(status="cancelled"), FEED))
    assert str(event["STATUS"]) == "CANCELLED"


def test_ics_dtstamp_and_last_modified_come_from_the_update_time() -> None:
    updated = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    (event,) = vevents(ics.render(docs(updated=updated), FEED))
    assert event.decoded("DTSTAMP") == updated
    assert event.decoded("LAST-MODIFIED") == updated


def test_ics_without_update_time_is_stable_for_the_day() -> None:
    assert ics.render(docs(), FEED) == ics.render(docs(), FEED)


def test_ics_all_day_occurrence_uses_dates_with_exclusive_end() -> None:
    day = datetime(2026, 12, 5, tzinfo=PARIS)
    items = docs(occurrences=[Occurrence(start=day, end=day, all_day=True)])
    (event,) = vevents(ics.render(items, FEED))
    assert event.decoded("DTSTART") == day.date()
    assert event.decoded("DTEND") == day.date() + timedelta(days=1)


def test_all_day_end_at_midnight_is_exclusive() -> None:
    day = datetime(2026, 12, 5, tzinfo=PARIS)
    item = docs(occurrences=[Occurrence(start=day, end=day + timedelta(days=2),
                                        all_day=True)])[0]
    assert all_day_dates(item, PARIS) == (day.date(), day.date() + timedelta(days=2))


def test_when_fr_formats_in_french() -> None:
    assert when_fr(docs()[0], PARIS) == "samedi 5 décembre 2026, de 20\u00a0h à 22\u00a0h"


def test_when_fr_names_minutes_the_first_of_the_month_and_an_overnight_end() -> None:
    start = datetime(2027, 1, 1, 20, 30, tzinfo=PARIS)
    item = docs(occurrences=[Occurrence(start=start, end=start + timedelta(hours=5))])[0]
    assert when_fr(item, PARIS) == (
        "du vendredi 1er janvier 2027 à 20\u00a0h\u00a030"
        " au samedi 2 janvier 2027 à 1\u00a0h\u00a030")


def test_rss_is_a_valid_feed_with_one_item_per_occurrence() -> None:
    body = rss.render(docs(), FEED)
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Maillage – test"
    (entry,) = parsed.entries
    assert entry.title.startswith("Concert – samedi 5 décembre 2026")
    assert entry.link.startswith("https://m.example/evenement/oc_")
    assert "Salle Guy Ropartz" in entry.description


def test_rss_marks_cancelled_items() -> None:
    (entry,) = feedparser.parse(rss.render(docs(status="cancelled"), FEED)).entries
    assert entry.title.startswith("[Annulé] ")


def test_rss_escapes_markup_in_titles() -> None:
    (entry,) = feedparser.parse(rss.render(docs(title="<script>x</script> & co"), FEED)).entries
    assert "<script>x</script> & co" in entry.title


def test_jsonld_is_a_schema_org_item_list_of_events() -> None:
    data = json.loads(jsonld.render(docs(), FEED))
    assert data["@context"] == "https://schema.org" and data["@type"] == "ItemList"
    event = data["itemListElement"][0]["item"]
    assert event["@type"] == "Event"
    assert event["startDate"] == START.isoformat()
    assert event["location"]["geo"] == {"@type": "GeoCoordinates", "latitude": 48.12,
                                        "longitude": -1.65}
    assert event["isAccessibleForFree"] is True
    assert event["eventStatus"] == "https://schema.org/EventScheduled"


def test_jsonld_cancelled_event_status() -> None:
    event = json.loads(jsonld.render(docs(status="cancelled"), FEED))["itemListElement"][0]
    assert event["item"]["eventStatus"] == "https://schema.org/EventCancelled"


def test_csv_has_a_header_and_one_row_per_occurrence() -> None:
    body = csv.render(docs(occurrences=[Occurrence(start=START),
                                        Occurrence(start=START + timedelta(days=7))]), FEED)
    assert body.endswith(b"\r\n")
    rows = list(stdcsv.DictReader(io.StringIO(body.decode())))
    assert len(rows) == 2
    assert rows[0]["title"] == "Concert" and rows[0]["themes"] == "culture"
    assert rows[0]["start"] == "2026-12-05T20:00:00+01:00"
    assert rows[0]["lat"] == "48.12"


def test_csv_neutralizes_formulas() -> None:
    body = csv.render(docs(title="=HYPERLINK(\"http://evil\")"), FEED)
    row = next(stdcsv.DictReader(io.StringIO(body.decode())))
    assert row["title"].startswith("'=")


def stored_before_the_rule(**raw: Any) -> list[dict[str, Any]]:
    """Documents as an older index holds them: the model's cleaning bypassed."""
    items = docs()
    for item in items:
        item.update(raw)
    return items


def test_rss_of_a_title_with_control_characters_is_well_formed_xml() -> None:
    import xml.etree.ElementTree as ET

    items = stored_before_the_rule(title="Concert\x01 de\x0b la chorale\ufffe",
                                   organizer="Chorale\x1f", description_text="Entrée\x00 libre")
    root = ET.fromstring(rss.render(items, FEED))  # an XML 1.0 parser: raised before
    assert root.find("channel/item/title").text.startswith("Concert de la chorale – ")


def test_links_stored_before_the_rule_are_left_out_of_every_export() -> None:
    items = stored_before_the_rule(url="JavaScript:alert(1)", image="data:image/svg+xml,x")
    for module in (ics, jsonld, csv, rss):
        assert b"javascript:" not in module.render(items, FEED).lower(), module.__name__
    assert b"data:image" not in jsonld.render(items, FEED)


# -- a location known only by its commune (precision "commune") is not an exact point ---------

PACE = Location(name="Salle des fêtes de Pacé", city="Pacé", lat=48.152678, lon=-1.777343,
                commune="Pacé", insee="35210", precision="commune")


def test_ics_has_no_geo_for_a_commune_level_place() -> None:
    (event,) = vevents(ics.render(docs(location=PACE), FEED))
    assert "GEO" not in event and "Pacé" in str(event["LOCATION"])
    (event,) = vevents(ics.render(docs(), FEED))
    assert "GEO" in event


def test_jsonld_has_no_geo_for_a_commune_level_place() -> None:
    body = json.loads(jsonld.render(docs(location=PACE), FEED))
    place = body["itemListElement"][0]["item"]["location"]
    assert "geo" not in place and place["address"]["addressLocality"] == "Pacé"


def test_csv_says_what_the_coordinates_are() -> None:
    rows = list(stdcsv.DictReader(io.StringIO(csv.render(docs(location=PACE), FEED).decode())))
    assert (rows[0]["lat"], rows[0]["precision"]) == ("48.152678", "commune")
