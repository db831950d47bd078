"""ICS parser: one edge case per test (fixtures are written inline, never copied)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.harvester.formats.base import ParseContext
from services.harvester.formats.ics import parse
from shared.errors import ParseError
from shared.model import Status

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ctx(**kw: object) -> ParseContext:
    return ParseContext(source_id="src", now=NOW, **kw)  # type: ignore[arg-type]


def cal(*lines: str, head: tuple[str, ...] = ()) -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *head, *lines, "END:VCALENDAR"]
    return ("\r\n".join(body) + "\r\n").encode("utf-8")


def vevent(*props: str, uid: str = "u1", summary: str | None = "Fête") -> list[str]:
    lines = ["BEGIN:VEVENT", f"UID:{uid}"]
    if summary is not None:
        lines.append(f"SUMMARY:{summary}")
    return [*lines, *props, "END:VEVENT"]


def one(body: bytes, **kw: object):
    result = parse(body, ctx(**kw))
    assert len(result.events) == 1, result.skipped
    return result.events[0]


def test_ics_tzid_start_is_aware_in_that_zone():
    ev = one(
        cal(
            *vevent(
                "DTSTART;TZID=Europe/Paris:20260314T143000",
                "DTEND;TZID=Europe/Paris:20260314T160000",
            )
        )
    )
    occ = ev.occurrences[0]
    assert occ.start == datetime(2026, 3, 14, 14, 30, tzinfo=PARIS)
    assert occ.end == datetime(2026, 3, 14, 16, 0, tzinfo=PARIS)
    assert ev.timezone == "Europe/Paris" and ev.source_format == "ics"


def test_ics_floating_time_is_read_in_source_timezone():
    ev = one(cal(*vevent("DTSTART:20260314T143000")), timezone="America/Montreal")
    assert ev.occurrences[0].start.utcoffset() == timedelta(hours=-4)
    assert ev.occurrences[0].start.hour == 14


def test_ics_floating_time_defaults_to_paris():
    ev = one(cal(*vevent("DTSTART:20260310T143000")))
    assert ev.occurrences[0].start == datetime(2026, 3, 10, 13, 30, tzinfo=UTC)


def test_ics_x_wr_timezone_applies_to_floating_times():
    body = cal(*vevent("DTSTART:20260314T143000"), head=("X-WR-TIMEZONE:Europe/Brussels",))
    ev = one(body, timezone="America/Montreal")
    assert ev.occurrences[0].start == datetime(2026, 3, 14, 13, 30, tzinfo=UTC)
    assert ev.timezone == "Europe/Brussels"


def test_ics_x_wr_timezone_utc_keeps_source_zone_for_display():
    body = cal(*vevent("DTSTART:20260314T143000Z"), head=("X-WR-TIMEZONE:GMT",))
    ev = one(body)
    assert ev.timezone == "Europe/Paris"
    assert ev.occurrences[0].start == datetime(2026, 3, 14, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tzid", "expected_zone"),
    [
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Romance Standard Time", "Europe/Paris"),
        ("GMT Standard Time", "Europe/London"),
    ],
)
def test_ics_windows_zone_name_without_vtimezone(tzid: str, expected_zone: str):
    ev = one(cal(*vevent(f"DTSTART;TZID={tzid}:20260310T100000")))
    assert ev.occurrences[0].start == datetime(2026, 3, 10, 10, tzinfo=ZoneInfo(expected_zone))
    assert ev.timezone == expected_zone


CUSTOM_TZ = (
    "BEGIN:VTIMEZONE",
    "TZID:GMT +0100 (Standard) / GMT +0200 (Daylight)",
    "BEGIN:STANDARD",
    "DTSTART:16010101T030000",
    "TZOFFSETFROM:+0200",
    "TZOFFSETTO:+0100",
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0200",
    "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
)


def test_ics_custom_free_text_tzid_is_matched_to_paris_by_offsets():
    tzid = "GMT +0100 (Standard) / GMT +0200 (Daylight)"
    ev = one(cal(*CUSTOM_TZ, *vevent(f'DTSTART;TZID="{tzid}":20260710T100000')))
    assert ev.occurrences[0].start == datetime(2026, 7, 10, 8, 0, tzinfo=UTC)
    assert ev.timezone == "Europe/Paris"


def test_ics_unknown_tzid_without_vtimezone_falls_back_to_source_timezone():
    ev = one(cal(*vevent("DTSTART;TZID=Heure de Rennes:20260310T100000")))
    assert ev.occurrences[0].start == datetime(2026, 3, 10, 10, tzinfo=PARIS)


def test_ics_all_day_starts_at_local_midnight_with_exclusive_end():
    ev = one(cal(*vevent("DTSTART;VALUE=DATE:20260320", "DTEND;VALUE=DATE:20260322")))
    occ = ev.occurrences[0]
    assert occ.all_day
    assert occ.start == datetime(2026, 3, 20, tzinfo=PARIS)
    assert occ.end == datetime(2026, 3, 22, tzinfo=PARIS)


def test_ics_all_day_without_dtend_lasts_one_day():
    occ = one(cal(*vevent("DTSTART;VALUE=DATE:20260320"))).occurrences[0]
    assert occ.end == datetime(2026, 3, 21, tzinfo=PARIS)


def test_ics_duration_instead_of_dtend():
    occ = one(cal(*vevent("DTSTART:20260320T180000Z", "DURATION:PT1H30M"))).occurrences[0]
    assert occ.end - occ.start == timedelta(minutes=90)


def test_ics_no_dtend_no_duration_has_unknown_end():
    occ = one(cal(*vevent("DTSTART;TZID=Europe/Paris:20260320T180000"))).occurrences[0]
    assert occ.end is None


def test_ics_value_date_carrying_a_datetime_is_read_as_local_time():
    occ = one(cal(*vevent("DTSTART;VALUE=DATE:20260804T120000"))).occurrences[0]
    assert occ.start == datetime(2026, 8, 4, 12, tzinfo=PARIS)
    assert not occ.all_day


def test_ics_geo_gives_source_coordinates():
    ev = one(
        cal(
            *vevent(
                "DTSTART:20260320T180000Z",
                "GEO:48.1113;-1.6800",
                "LOCATION:Salle de la Cité\\, 10 rue Saint-Louis\\, 35000 Rennes",
            )
        )
    )
    loc = ev.location
    assert loc is not None
    assert (loc.lat, loc.lon, loc.precision) == (48.1113, -1.68, "source")
    assert loc.name == "Salle de la Cité"
    assert loc.address == "10 rue Saint-Louis"
    assert (loc.postcode, loc.city) == ("35000", "Rennes")


def test_ics_location_starting_with_street_number_is_an_address():
    ev = one(cal(*vevent("DTSTART:20260320T180000Z", "LOCATION:12 rue de Paris")))
    assert ev.location is not None and ev.location.name is None
    assert ev.location.address == "12 rue de Paris"


def test_ics_url_that_is_not_http_is_dropped():
    ev = one(cal(*vevent("DTSTART:20260320T180000Z", "URL:F")))
    assert ev.url is None


def test_ics_url_is_kept():
    ev = one(cal(*vevent("DTSTART:20260320T180000Z", "URL:https://asso.example/fete")))
    assert ev.url == "https://asso.example/fete"


def test_ics_categories_repeated_and_comma_lists_are_merged():
    ev = one(
        cal(
            *vevent(
                "DTSTART:20260320T180000Z",
                "CATEGORIES:Musique,Concert",
                "CATEGORIES:Jeunesse",
                "CATEGORIES:Musique",
            )
        )
    )
    assert ev.categories == ("Musique", "Concert", "Jeunesse")


def test_ics_organizer_common_name_wins_over_source_default():
    ev = one(
        cal(
            *vevent(
                "DTSTART:20260320T180000Z",
                'ORGANIZER;CN="Amicale Laïque":mailto:contact@asso.example',
            )
        ),
        organizer="Défaut",
    )
    assert ev.organizer == "Amicale Laïque"


def test_ics_organizer_defaults_to_source_organizer():
    ev = one(cal(*vevent("DTSTART:20260320T180000Z")), organizer="Cercle Paul Bert")
    assert ev.organizer == "Cercle Paul Bert"


def test_ics_escaped_text_is_unescaped():
    ev = one(
        cal(
            *vevent("DTSTART:20260320T180000Z", "DESCRIPTION:Un\\, deux\\; trois\\nfin"),
        )
    )
    assert ev.description == "Un, deux; trois\nfin"


def test_ics_event_status_cancelled_and_tentative():
    body = cal(
        *vevent("DTSTART:20260320T180000Z", "STATUS:CANCELLED", uid="a"),
        *vevent("DTSTART:20260321T180000Z", "STATUS:TENTATIVE", uid="b"),
        *vevent("DTSTART:20260322T180000Z", "STATUS:CONFIRMED", uid="c"),
    )
    events = {e.source_uid: e for e in parse(body, ctx()).events}
    assert events["a"].status == Status.CANCELLED
    assert events["a"].occurrences[0].status == Status.CANCELLED
    assert events["b"].status == Status.TENTATIVE
    assert events["c"].status == Status.SCHEDULED


def test_ics_bom_and_crlf_are_accepted():
    body = b"\xef\xbb\xbf" + cal(*vevent("DTSTART:20260320T180000Z"))
    assert one(body).title == "Fête"


def test_ics_lf_line_endings_and_tab_folding():
    body = cal(*vevent("DTSTART:20260320T180000Z", "DESCRIPTION:début\r\n\tsuite"))
    ev = one(body.replace(b"\r\n", b"\n"))
    assert ev.description == "débutsuite"


def test_ics_latin1_body_is_decoded_as_windows_1252():
    body = cal(*vevent("DTSTART:20260320T180000Z", summary="Fête à l’école")).decode()
    ev = one(body.encode("cp1252"))
    assert ev.title == "Fête à l’école"


def test_ics_broken_utf8_keeps_the_valid_characters():
    body = cal(*vevent("DTSTART:20260320T180000Z", summary="Fête été")).replace(
        "été".encode(), b"\xc3\xa9t\xc3"
    )
    assert one(body).title.startswith("Fête ét")


def test_ics_lowercase_property_names_are_accepted():
    body = (
        b"BEGIN:Vcalendar\nversion:2.0\nbegin:vevent\nuid:x\nsummary:Bal\n"
        b"dtstart;value=date:20260320\nend:vevent\nEND:VCALENDAR\n"
    )
    ev = one(body)
    assert ev.title == "Bal" and ev.occurrences[0].all_day


def test_ics_missing_uid_derives_a_stable_uid():
    lines = ["BEGIN:VEVENT", "SUMMARY:Sans uid", "DTSTART:20260320T180000Z", "END:VEVENT"]
    first, second = one(cal(*lines)), one(cal(*lines))
    assert first.source_uid.startswith("derived-")
    assert first.id == second.id


def test_ics_no_summary_takes_the_first_line_of_the_description():
    ev = one(
        cal(*vevent("DTSTART:20260320T180000Z", "DESCRIPTION:Atelier vélo\\nDétails", summary=None))
    )
    assert ev.title == "Atelier vélo"


def test_ics_no_summary_nor_description_is_skipped():
    result = parse(cal(*vevent("DTSTART:20260320T180000Z", summary=None)), ctx())
    assert not result.events
    assert "no title" in result.skipped[0].reason


def test_ics_event_outside_window_is_skipped_with_reason():
    result = parse(cal(*vevent("DTSTART:20100320T180000Z")), ctx())
    assert not result.events
    assert result.skipped[0].reason.startswith("no occurrence between")
    assert result.skipped[0].uid == "u1"


def test_ics_empty_vevents_are_skipped_for_missing_dtstart():
    result = parse(cal("BEGIN:VEVENT", "END:VEVENT", "BEGIN:VEVENT", "END:VEVENT"), ctx())
    assert not result.events
    assert [s.reason for s in result.skipped] == ["no DTSTART", "no DTSTART"]


def test_ics_calendar_with_only_vtodo_gives_no_event_and_a_reason():
    body = cal("BEGIN:VTODO", "UID:t", "SUMMARY:Tâche", "DUE:20260320T100000Z", "END:VTODO")
    result = parse(body, ctx())
    assert not result.events
    assert result.skipped[0].reason == "no VEVENT in the calendar (found VTODO)"


def test_ics_empty_calendar_gives_no_event():
    result = parse(b"\xef\xbb\xbfBEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", ctx())
    assert result.events == []


def test_ics_truncated_file_keeps_complete_events():
    body = cal(*vevent("DTSTART:20260320T180000Z")).replace(b"END:VCALENDAR\r\n", b"")
    body += b"BEGIN:VEVENT\r\nUID:cut\r\nSUMM"
    assert one(body).source_uid == "u1"


def test_ics_quoted_tzid_that_swallowed_the_value_is_repaired():
    ev = one(cal(*vevent('DTSTART;TZID="W. Europe Standard Time:20260609T090000"')))
    assert ev.occurrences[0].start == datetime(2026, 6, 9, 9, tzinfo=ZoneInfo("Europe/Berlin"))


def test_ics_broken_dtstart_skips_only_that_event():
    body = cal(
        *vevent("DTSTART:Next Year", uid="bad"), *vevent("DTSTART:20260320T180000Z", uid="good")
    )
    result = parse(body, ctx())
    assert [e.source_uid for e in result.events] == ["good"]
    assert result.skipped[0].reason == "no DTSTART"


def test_ics_unreadable_vtimezone_is_ignored_and_reported():
    bad_tz = (
        "BEGIN:VTIMEZONE",
        "TZID:Europe/Paris",
        "BEGIN:STANDARD",
        "DTSTART:18830101T000000",
        "TZOFFSETFROM:+5328",
        "TZOFFSETTO:+0100",
        "END:STANDARD",
        "END:VTIMEZONE",
    )
    result = parse(cal(*bad_tz, *vevent("DTSTART;TZID=Europe/Paris:20260320T180000")), ctx())
    assert result.events[0].occurrences[0].start == datetime(2026, 3, 20, 18, tzinfo=PARIS)
    assert any("VTIMEZONE ignored" in s.reason for s in result.skipped)


def test_ics_vtimezone_with_two_tzids_is_dropped():
    bad_tz = (
        "BEGIN:VTIMEZONE",
        "TZID:Africa/Abidjan",
        "BEGIN:STANDARD",
        "DTSTART:20240101T000000",
        "TZOFFSETFROM:+0000",
        "TZOFFSETTO:+0000",
        "END:STANDARD",
        "TZID:America/Los_Angeles",
        "END:VTIMEZONE",
    )
    ev = one(cal(*bad_tz, *vevent("DTSTART:20260320T180000")))
    assert ev.occurrences[0].start == datetime(2026, 3, 20, 18, tzinfo=PARIS)


def test_ics_html_page_is_not_a_calendar():
    with pytest.raises(ParseError, match="not an iCalendar document"):
        parse(b"<html><body>Moved</body></html>", ctx())
