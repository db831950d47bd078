"""ICS times that carry a zone keep it (issue 16.4): only values with no zone at all are read
in the calendar's zone, and UTC values only when the calendar declares X-WR-TIMEZONE."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from services.harvester.formats.base import ParseContext
from services.harvester.formats.ics import parse

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2025, 3, 1, tzinfo=UTC)


def cal(*lines: str, head: tuple[str, ...] = ()) -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *head, *lines,
            "END:VCALENDAR"]
    return ("\r\n".join(body) + "\r\n").encode()


def vevent(*props: str, uid: str = "z1", summary: str = "Réunion") -> list[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", *props, "END:VEVENT"]


def starts_and_ends(body: bytes) -> list[tuple[datetime, datetime | None]]:
    result = parse(body, ParseContext(source_id="src", now=NOW))
    assert len(result.events) == 1, result.skipped
    return [(o.start, o.end) for o in result.events[0].occurrences]


# A weekly series written in UTC, crossing Europe's DST change (30 March 2025), with an EXDATE
# and a moved occurrence after it, both in UTC.
UTC_WEEKLY = vevent(
    "DTSTART:20250322T170000Z",
    "DTEND:20250322T180000Z",
    "RRULE:FREQ=WEEKLY;COUNT=5",
    "EXDATE:20250405T170000Z",
    uid="utc-weekly",
) + vevent(
    "RECURRENCE-ID:20250412T170000Z",
    "DTSTART:20250412T190000Z",
    "DTEND:20250412T200000Z",
    uid="utc-weekly",
)


def test_ics_utc_weekly_series_stays_at_its_utc_time_across_dst():
    starts = [s for s, _ in starts_and_ends(cal(*UTC_WEEKLY))]
    assert starts[0] == datetime(2025, 3, 22, 17, tzinfo=UTC)
    assert starts[-1] == datetime(2025, 4, 19, 17, tzinfo=UTC)  # 19:00 in Paris, not 18:00


def test_ics_utc_exdate_after_dst_still_removes_its_occurrence():
    starts = [s for s, _ in starts_and_ends(cal(*UTC_WEEKLY))]
    assert [s for s in starts if s.date().isoformat() == "2025-04-05"] == []


def test_ics_utc_override_after_dst_replaces_its_occurrence_once():
    starts = [s for s, _ in starts_and_ends(cal(*UTC_WEEKLY))]
    assert starts == [
        datetime(2025, 3, 22, 17, tzinfo=UTC),
        datetime(2025, 3, 29, 17, tzinfo=UTC),
        datetime(2025, 4, 12, 19, tzinfo=UTC),
        datetime(2025, 4, 19, 17, tzinfo=UTC),
    ]


def test_ics_utc_times_follow_x_wr_timezone_when_declared():
    # Google's convention: under X-WR-TIMEZONE a UTC series is a local one.
    starts = [s for s, _ in starts_and_ends(
        cal(*vevent("DTSTART:20250322T170000Z", "RRULE:FREQ=WEEKLY;COUNT=2"),
            head=("X-WR-TIMEZONE:Europe/Paris",)))]
    assert starts == [datetime(2025, 3, 22, 18, tzinfo=PARIS), datetime(2025, 3, 29, 18,
                                                                          tzinfo=PARIS)]


# Exchange writes its zones under Windows names, with offsets and rules but no TZNAME.
EXCHANGE_ZONES = (
    "BEGIN:VTIMEZONE",
    "TZID:Eastern Standard Time",
    "BEGIN:STANDARD",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:-0400",
    "TZOFFSETTO:-0500",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "DTSTART:16010101T020000",
    "TZOFFSETFROM:-0500",
    "TZOFFSETTO:-0400",
    "RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
    "BEGIN:VTIMEZONE",
    "TZID:Bureau de Montréal",
    "BEGIN:STANDARD",
    "DTSTART:16010101T000000",
    "TZOFFSETFROM:-0500",
    "TZOFFSETTO:-0500",
    "END:STANDARD",
    "END:VTIMEZONE",
)


def test_ics_vtimezone_without_tzname_keeps_its_offset():
    [(start, end)] = starts_and_ends(cal(*EXCHANGE_ZONES, *vevent(
        "DTSTART;TZID=Eastern Standard Time:20250315T110000",
        "DTEND;TZID=Eastern Standard Time:20250315T120000")))
    assert start == datetime(2025, 3, 15, 11, tzinfo=NEW_YORK)  # 15:00 UTC, not 10:00
    assert end == start + timedelta(hours=1)


def test_ics_custom_vtimezone_without_tzname_keeps_its_fixed_offset():
    [(start, _)] = starts_and_ends(cal(*EXCHANGE_ZONES, *vevent(
        'DTSTART;TZID="Bureau de Montréal":20250315T110000')))
    assert start == datetime(2025, 3, 15, 16, tzinfo=UTC)


def test_ics_override_keeps_its_own_end_when_the_master_has_none():
    occurrences = starts_and_ends(cal(
        *vevent("DTSTART;TZID=Europe/Paris:20250303T180000", "RRULE:FREQ=WEEKLY;COUNT=3",
                uid="no-end"),
        *vevent("RECURRENCE-ID;TZID=Europe/Paris:20250310T180000",
                "DTSTART;TZID=Europe/Paris:20250310T190000",
                "DTEND;TZID=Europe/Paris:20250310T213000", uid="no-end"),
    ))
    assert occurrences == [
        (datetime(2025, 3, 3, 18, tzinfo=PARIS), None),
        (datetime(2025, 3, 10, 19, tzinfo=PARIS), datetime(2025, 3, 10, 21, 30, tzinfo=PARIS)),
        (datetime(2025, 3, 17, 18, tzinfo=PARIS), None),
    ]


def test_ics_vtimezone_of_one_document_never_applies_to_another():
    # A hostile (or just wrong) calendar defines Paris's Windows zone as UTC+9...
    poisoned = (
        "BEGIN:VTIMEZONE", "TZID:Romance Standard Time", "BEGIN:STANDARD",
        "DTSTART:16010101T000000", "TZOFFSETFROM:+0900", "TZOFFSETTO:+0900", "END:STANDARD",
        "END:VTIMEZONE",
    )
    [(start, _)] = starts_and_ends(cal(*poisoned, *vevent(
        "DTSTART;TZID=Romance Standard Time:20250315T110000", uid="hostile")))
    assert start == datetime(2025, 3, 15, 2, tzinfo=UTC)  # its own document reads it so
    # ...which must not move another association's Exchange export parsed afterwards.
    [(start, _)] = starts_and_ends(cal(*vevent(
        "DTSTART;TZID=Romance Standard Time:20250315T110000", uid="honest")))
    assert start == datetime(2025, 3, 15, 11, tzinfo=PARIS)
