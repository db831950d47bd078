"""ICS recurrences: RRULE/RDATE/EXDATE/RECURRENCE-ID and the bounds of the expansion."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from services.harvester.formats.base import ParseContext
from services.harvester.formats.ics import parse
from shared.model import Status

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def ctx(**kw: object) -> ParseContext:
    return ParseContext(source_id="src", now=NOW, **kw)  # type: ignore[arg-type]


def cal(*lines: str) -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *lines, "END:VCALENDAR"]
    return ("\r\n".join(body) + "\r\n").encode("utf-8")


def vevent(*props: str, uid: str = "r1", summary: str = "Répétition") -> list[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{summary}", *props, "END:VEVENT"]


def occurrences(body: bytes, **kw: object):
    result = parse(body, ctx(**kw))
    assert len(result.events) == 1, result.skipped
    return result.events[0], list(result.events[0].occurrences)


WEEKLY = (
    "DTSTART;TZID=Europe/Paris:20260302T190000",
    "DTEND;TZID=Europe/Paris:20260302T210000",
    "RRULE:FREQ=WEEKLY;COUNT=4",
)


def test_ics_weekly_rule_keeps_local_time_across_dst_change():
    _, occs = occurrences(cal(*vevent(*WEEKLY)))
    assert [o.start for o in occs] == [
        datetime(2026, 3, d, 19, tzinfo=PARIS) for d in (2, 9, 16, 23)
    ]
    _, later = occurrences(
        cal(*vevent("DTSTART;TZID=Europe/Paris:20260323T190000", "RRULE:FREQ=WEEKLY;COUNT=2"))
    )
    assert [o.start.utcoffset().seconds // 3600 for o in later] == [1, 2]


def test_ics_exdate_removes_an_occurrence():
    _, occs = occurrences(cal(*vevent(*WEEKLY, "EXDATE;TZID=Europe/Paris:20260309T190000")))
    assert [o.start.day for o in occs] == [2, 16, 23]


def test_ics_empty_exdate_value_is_ignored():
    _, occs = occurrences(cal(*vevent(*WEEKLY, "EXDATE;VALUE=DATE:")))
    assert len(occs) == 4


def test_ics_rdate_adds_an_occurrence():
    _, occs = occurrences(cal(*vevent(*WEEKLY, "RDATE;TZID=Europe/Paris:20260305T100000")))
    assert datetime(2026, 3, 5, 10, tzinfo=PARIS) in [o.start for o in occs]


def test_ics_recurrence_key_is_the_original_start_in_utc():
    _, occs = occurrences(cal(*vevent(*WEEKLY)))
    assert occs[0].recurrence_key == "2026-03-02T18:00:00+00:00"


def test_ics_override_moves_occurrence_before_series_start():
    body = cal(
        *vevent(*WEEKLY),
        *vevent(
            "RECURRENCE-ID;TZID=Europe/Paris:20260316T190000",
            "DTSTART;TZID=Europe/Paris:20260301T150000",
            "DTEND;TZID=Europe/Paris:20260301T170000",
            summary="Déplacée",
        ),
    )
    _, occs = occurrences(body)
    assert occs[0].start == datetime(2026, 3, 1, 15, tzinfo=PARIS)
    assert occs[0].recurrence_key == "2026-03-16T18:00:00+00:00"
    assert datetime(2026, 3, 16, 19, tzinfo=PARIS) not in [o.start for o in occs]
    assert len(occs) == 4


def test_ics_override_keeps_the_occurrence_id_of_the_original_start():
    plain = occurrences(cal(*vevent(*WEEKLY)))[1]
    moved = occurrences(
        cal(
            *vevent(*WEEKLY),
            *vevent(
                "RECURRENCE-ID;TZID=Europe/Paris:20260309T190000",
                "DTSTART;TZID=Europe/Paris:20260310T200000",
            ),
        )
    )[1]
    assert {o.key() for o in plain} == {o.key() for o in moved}


def test_ics_range_thisandfuture_moves_the_following_occurrences():
    body = cal(
        *vevent("DTSTART:20260302T180000Z", "DTEND:20260302T190000Z", "RRULE:FREQ=WEEKLY;COUNT=4"),
        *vevent(
            "RECURRENCE-ID;RANGE=THISANDFUTURE:20260316T180000Z",
            "DTSTART:20260316T160000Z",
            "DTEND:20260316T170000Z",
        ),
    )
    _, occs = occurrences(body)
    assert [o.start.astimezone(UTC).hour for o in occs] == [18, 18, 16, 16]
    assert occs[3].recurrence_key == "2026-03-23T18:00:00+00:00"


def test_ics_override_without_master_is_kept():
    _, occs = occurrences(
        cal(*vevent("RECURRENCE-ID:20260310T180000Z", "DTSTART:20260311T180000Z"))
    )
    assert occs[0].start == datetime(2026, 3, 11, 18, tzinfo=UTC)
    assert occs[0].recurrence_key == "2026-03-10T18:00:00+00:00"


def test_ics_cancelled_override_marks_only_that_occurrence_cancelled():
    body = cal(
        *vevent(*WEEKLY),
        *vevent(
            "RECURRENCE-ID;TZID=Europe/Paris:20260309T190000",
            "DTSTART;TZID=Europe/Paris:20260309T190000",
            "STATUS:CANCELLED",
        ),
    )
    event, occs = occurrences(body)
    assert [o.status for o in occs] == [
        Status.SCHEDULED,
        Status.CANCELLED,
        Status.SCHEDULED,
        Status.SCHEDULED,
    ]
    assert event.status == Status.SCHEDULED


def test_ics_all_day_daily_rule_with_date_exdate():
    _, occs = occurrences(
        cal(
            *vevent(
                "DTSTART;VALUE=DATE:20260302",
                "DTEND;VALUE=DATE:20260303",
                "RRULE:FREQ=DAILY;UNTIL=20260305T235959Z",
                "EXDATE;VALUE=DATE:20260303",
            )
        )
    )
    assert [o.start.day for o in occs] == [2, 4, 5]
    assert all(o.all_day for o in occs)


def test_ics_rrule_with_spaces_is_repaired():
    _, occs = occurrences(
        cal(*vevent("DTSTART:20260302T180000Z", "RRULE:FREQ=WEEKLY;COUNT=3;BYDAY= MO"))
    )
    assert len(occs) == 3


def test_ics_only_occurrences_inside_the_window_are_kept():
    _, occs = occurrences(cal(*vevent("DTSTART:20250101T180000Z", "RRULE:FREQ=MONTHLY")))
    assert occs[0].start == datetime(2026, 2, 1, 18, tzinfo=UTC)
    assert occs[-1].start <= ctx().window_end


def test_ics_max_occurrences_truncates_and_reports():
    event, occs = occurrences(
        cal(*vevent("DTSTART:20260302T180000Z", "RRULE:FREQ=DAILY")), max_occurrences=5
    )
    assert len(occs) == 5
    assert "truncated at 5" in event.extra["expansion"][0]


def test_ics_freq_secondly_with_huge_count_ends_truncated():
    event, occs = occurrences(
        cal(*vevent("DTSTART:20260302T180000Z", "RRULE:FREQ=SECONDLY;COUNT=1000000000"))
    )
    assert len(occs) == ctx().max_occurrences
    assert event.extra["expansion"]


def test_ics_freq_secondly_starting_long_ago_ends_quickly():
    event, occs = occurrences(cal(*vevent("DTSTART:19700101T000000Z", "RRULE:FREQ=SECONDLY")))
    assert occs[0].start >= ctx().window_start
    assert len(occs) == ctx().max_occurrences


def test_ics_interval_zero_is_read_as_one():
    event, occs = occurrences(
        cal(*vevent("DTSTART:20260302T180000Z", "RRULE:FREQ=DAILY;INTERVAL=0;COUNT=3"))
    )
    assert len(occs) == 3
    assert any("INTERVAL=0 read as 1" in note for note in event.extra["expansion"])


def test_ics_daily_rule_from_1900_still_expands_in_the_window():
    _, occs = occurrences(
        cal(*vevent("DTSTART;TZID=Europe/Paris:19000101T100000", "RRULE:FREQ=DAILY"))
    )
    # The window starts on 30 January at 13:00 in Paris.
    assert occs[0].start == datetime(2026, 1, 31, 10, tzinfo=PARIS)


def test_ics_hourly_rule_with_count_long_before_the_window_keeps_the_count():
    # 1 Jan 2000 + 230,000 hours = 28 March 2026 08:00 UTC: 4 occurrences left in the window.
    _, occs = occurrences(
        cal(*vevent("DTSTART:20000101T000000Z", "RRULE:FREQ=HOURLY;COUNT=230004")),
        max_occurrences=5000,
    )
    assert [o.start for o in occs][-1] == datetime(2026, 3, 28, 11, tzinfo=UTC)


def test_ics_unknown_freq_keeps_the_first_date():
    event, occs = occurrences(cal(*vevent("DTSTART:20260302T180000Z", "RRULE:FREQ=SOMETIMES")))
    assert len(occs) == 1
