"""The ICS parser bounds itself whatever a document says (issue 17.1): rules that would walk
from a far past start near the window or are refused, dense rules are refused, and a whole
document cannot give more occurrences than its source may.

Times are measured only to show the walk ended (a generous bound on a shared machine), never
as a performance figure: those come from ``python -m bench``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from services.harvester.formats import ics_rules
from services.harvester.formats.base import ParseContext
from services.harvester.formats.ics import parse
from shared.errors import ParseError
from tests.unit.harvester import hostile_ics

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ENDS_WITHIN_S = 30  # the unbounded code never ended (or took minutes)


def ctx(**kw: object) -> ParseContext:
    return ParseContext(source_id="src", now=NOW, **kw)  # type: ignore[arg-type]


def timed(body: bytes, **kw: object):
    started = time.monotonic()
    result = parse(body, ctx(**kw))
    assert time.monotonic() - started < ENDS_WITHIN_S
    return result


# --- the documents of the issue --------------------------------------------------------------


def test_secondly_rule_with_a_second_rule_from_1970_starts_at_the_window():
    result = timed(hostile_ics.secondly_two_rules())
    [event] = result.events
    starts = [o.start for o in event.occurrences]
    assert len(starts) == ctx().max_occurrences
    assert starts[0] >= ctx().window_start
    # Exactly the rules' dates: every second (the 7-second rule adds nothing new).
    assert all((b - a).total_seconds() == 1 for a, b in zip(starts, starts[1:], strict=False))
    assert any("truncated" in note for note in event.extra["expansion"])


def test_yearly_rule_with_hour_minute_second_lists_is_refused_with_a_reason():
    result = timed(hostile_ics.yearly_by_lists())
    assert result.events == []
    [skipped] = result.skipped
    assert skipped.reason.startswith("recurrence refused")
    assert "86,400 dates per period" in skipped.reason


def test_hundreds_of_daily_series_exhaust_the_document_budget():
    body = hostile_ics.daily_series(600)
    assert len(body) < 64 * 1024
    with pytest.raises(ParseError) as info:  # the count, not the clock, must stop it
        timed(body, max_document_occurrences=5000, document_budget_s=ENDS_WITHIN_S)
    assert info.value.kind == "too_many_occurrences"


def test_multi_megabyte_document_with_more_events_than_the_cap_is_refused_unread():
    body = hostile_ics.many_events(30_000)
    assert len(body) > 3_000_000
    started = time.monotonic()
    with pytest.raises(ParseError) as info:
        parse(body, ctx(max_document_occurrences=20_000))
    assert info.value.kind == "too_many_occurrences"
    assert time.monotonic() - started < 5  # counted, not parsed


def test_document_budget_of_occurrences_counts_every_series():
    body = hostile_ics.daily_series(5)  # 5 x 430 dates in the window
    assert len(timed(body).events) == 5
    with pytest.raises(ParseError):
        timed(body, max_document_occurrences=1000)


def test_document_over_its_time_budget_is_refused():
    with pytest.raises(ParseError) as info:
        parse(hostile_ics.daily_series(50), ctx(document_budget_s=0.0))
    assert info.value.kind == "parse_timeout"


# --- rules from a far past -------------------------------------------------------------------


def cal(*lines: str) -> bytes:
    return hostile_ics.calendar(hostile_ics.vevent("r", *lines))


def starts(body: bytes, **kw: object) -> list[datetime]:
    result = timed(body, **kw)
    return [o.start for e in result.events for o in e.occurrences]


def test_rdate_in_the_window_is_kept_beside_a_secondly_rule_from_1970():
    got = starts(cal("DTSTART:19700101T000000Z", "RRULE:FREQ=SECONDLY;INTERVAL=3600",
                     "RDATE:20260315T123456Z"), max_occurrences=100_000)
    assert datetime(2026, 3, 15, 12, 34, 56, tzinfo=UTC) in got
    assert got[0] >= ctx().window_start


def test_rule_ending_before_the_window_is_not_walked():
    # 31 million seconds from 1970 to its UNTIL, all before the window.
    result = timed(cal("DTSTART:19700101T000000Z", "RRULE:FREQ=SECONDLY;UNTIL=19710101T000000Z"))
    assert result.events == [] and "no occurrence" in result.skipped[0].reason


def test_minutely_rule_with_count_from_far_past_keeps_the_count():
    # The window opens on 30 January 2026 at 12:00 UTC; 1 January 2000 + 13,718,170 minutes
    # leaves exactly 10 dates in it, the last at 12:09.
    got = starts(cal("DTSTART:20000101T000000Z", "RRULE:FREQ=MINUTELY;COUNT=13718170"))
    assert got[-1] == datetime(2026, 1, 30, 12, 9, tzinfo=UTC)
    assert len(got) == 10


def test_rule_with_count_and_by_parts_from_far_past_is_refused():
    result = timed(cal("DTSTART:19700101T000000Z",
                       "RRULE:FREQ=HOURLY;BYMINUTE=0,30;COUNT=1000000"))
    assert result.skipped[0].reason.startswith("recurrence refused")


def test_day_and_month_rules_together_from_far_past_are_refused():
    result = timed(cal("DTSTART:19700101T000000Z", "RRULE:FREQ=MINUTELY",
                       "RRULE:FREQ=MONTHLY;BYMONTHDAY=1"))
    assert result.skipped[0].reason.startswith("recurrence refused")


# The move of DTSTART must not change any date: each rule is expanded twice, once walking from
# its DTSTART (affordable: a few periods before the window) and once with the move forced.
SAME_DATES = [
    ("DTSTART;TZID=Europe/Paris:20250301T093000", "RRULE:FREQ=DAILY;BYHOUR=9,18"),
    ("DTSTART;TZID=Europe/Paris:20240105T190000", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE"),
    ("DTSTART:20260120T000000Z", "RRULE:FREQ=HOURLY;INTERVAL=5;BYMINUTE=0,30"),
    ("DTSTART:20260127T000000Z", "RRULE:FREQ=MINUTELY;INTERVAL=7", "RRULE:FREQ=HOURLY;INTERVAL=3"),
    ("DTSTART;TZID=Europe/Paris:20200131T100000", "RRULE:FREQ=MONTHLY;BYMONTHDAY=31"),
    ("DTSTART;VALUE=DATE:20000229", "RRULE:FREQ=YEARLY;BYMONTH=2,3;BYMONTHDAY=29"),
    ("DTSTART;TZID=Europe/Paris:20150315T140000", "RRULE:FREQ=YEARLY;BYMONTH=3,6;BYDAY=2SA"),
    ("DTSTART:20250101T080000Z", "RRULE:FREQ=DAILY;COUNT=500"),
    ("DTSTART;TZID=Europe/Paris:20251026T013000", "RRULE:FREQ=HOURLY;INTERVAL=25",
     "EXDATE;TZID=Europe/Paris:20260301T123000"),
]


@pytest.mark.parametrize("lines", SAME_DATES, ids=[" ".join(x) for x in SAME_DATES])
def test_moving_dtstart_forward_gives_the_same_dates(lines, monkeypatch):
    body = cal(*lines)
    unhurried = {"max_occurrences": 5000, "time_budget_s": 60.0, "document_budget_s": 60.0}
    monkeypatch.setattr(ics_rules, "WALK_LIMIT", 10**12)
    walked = starts(body, **unhurried)
    monkeypatch.setattr(ics_rules, "WALK_LIMIT", 0)
    result = timed(body, **unhurried)
    moved = [o.start for e in result.events for o in e.occurrences]
    assert walked and moved == walked, result.skipped
