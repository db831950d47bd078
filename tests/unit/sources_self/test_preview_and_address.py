"""What the preview says and which addresses it takes, one case per test (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.harvester.formats.base import LinkedItem, ParseResult
from services.sources_self.preview import Preview, summarise, warnings
from services.sources_self.validate import guess_format, source_address, source_id
from shared.errors import InvalidInput
from shared.model import Event, Occurrence, Skipped

NOW = datetime(2026, 12, 2, 10, tzinfo=UTC)


def event(uid: str, days: int) -> Event:
    return Event(id=uid, source_id="s", source_uid=uid, title=f"Atelier {uid}",
                 occurrences=(Occurrence(NOW + timedelta(days=days)),))


def test_a_calendar_without_zone_and_floating_times_is_said_read_in_europe_paris() -> None:
    body = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20261205T180000\r\nEND:VEVENT\r\n"
    said = warnings(ParseResult("ics", [event("a", 3)]), body)
    assert any("sans fuseau horaire, lues comme Europe/Paris" in w for w in said)


def test_a_calendar_naming_its_zone_has_no_time_zone_warning() -> None:
    body = (b"BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:Europe/Paris\r\nBEGIN:VEVENT\r\n"
            b"DTSTART:20261205T180000\r\nEND:VEVENT\r\n")
    assert warnings(ParseResult("ics", [event("a", 3)]), body) == []


def test_utc_and_tzid_times_are_not_floating() -> None:
    body = (b"BEGIN:VEVENT\r\nDTSTART:20261205T180000Z\r\nEND:VEVENT\r\n"
            b"BEGIN:VEVENT\r\nDTSTART;TZID=Europe/Paris:20261205T180000\r\nEND:VEVENT\r\n")
    assert warnings(ParseResult("ics", [event("a", 3)]), body) == []


def test_json_ld_start_without_offset_is_floating() -> None:
    body = b'<script type="application/ld+json">{"startDate": "2026-12-05T18:00"}</script>'
    assert any("sans fuseau" in w for w in warnings(ParseResult("html", [event("a", 3)]), body))


def test_items_without_dates_are_counted_in_french() -> None:
    parsed = ParseResult("rss", [event("a", 3)],
                         skipped=[Skipped("no DTSTART", "x"), Skipped("no start date", "y")],
                         linked=[LinkedItem("z", "Z", "https://a.example/z")])
    said = warnings(parsed, b"")
    assert said[0].startswith("1\u00a0élément sans date d’événement\u00a0: Maillage lira")
    assert "2\u00a0éléments sans date d’événement\u00a0: ils ne seront pas publiés." in said


def test_the_next_five_are_upcoming_events_in_date_order_one_line_each() -> None:
    events = [event(f"e{n}", days) for n, days in enumerate((9, -2, 1, 4, 7, 2, 3))]
    out = summarise(Preview("https://a.example"), ParseResult("ics", events), b"", NOW)
    assert (out.found, out.upcoming) == (7, 6)
    assert [u.title for u in out.next] == [f"Atelier e{n}" for n in (2, 5, 6, 3, 4)]


@pytest.mark.parametrize(("raw", "field_message"), [
    ("", "Indiquez l’adresse"),
    ("ftp://asso.example/a.ics", "commence par https://"),
    ("https://m.facebook.com/asso/events", "Facebook"),
    ("http://192.168.1.10/agenda.ics", "n’est pas publique"),
    ("http://[::1]/agenda.ics", "n’est pas publique"),
])
def test_addresses_maillage_will_not_read_are_refused_in_french(
        raw: str, field_message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        source_address(raw)
    assert field_message in refused.value.errors["url"]


def test_an_address_without_scheme_is_read_as_https_and_webcal_is_kept() -> None:
    assert source_address("asso.example/agenda.ics") == "https://asso.example/agenda.ics"
    assert source_address("webcal://asso.example/a.ics") == "webcal://asso.example/a.ics"
    assert guess_format("webcal://asso.example/a") == "ics"
    assert guess_format("https://openagenda.com/mon-asso") == "openagenda"
    assert guess_format("https://asso.example/agenda") is None


def test_the_source_id_is_stable_for_one_calendar_whatever_its_spelling() -> None:
    assert source_id("velo", "webcal://Asso.example/a.ics") == source_id(
        "velo", "https://asso.example/a.ics")
    assert source_id("velo", "https://asso.example/a.ics") != source_id(
        "velo", "https://asso.example/b.ics")
