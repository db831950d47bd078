"""Hostile iCalendar documents of issue 17 (written here, never copied from anywhere)."""

from __future__ import annotations

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\n"
TAIL = "END:VCALENDAR\r\n"


def vevent(uid: str, *lines: str) -> str:
    body = "".join(f"{line}\r\n" for line in lines)
    return f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:{uid}\r\n{body}END:VEVENT\r\n"


def calendar(*events: str) -> bytes:
    return (HEAD + "".join(events) + TAIL).encode()


def secondly_two_rules() -> bytes:
    """FREQ=SECONDLY with a second RRULE, from 1970: dateutil never reached the window."""
    return calendar(vevent("secondly", "DTSTART:19700101T000000Z", "RRULE:FREQ=SECONDLY",
                           "RRULE:FREQ=SECONDLY;INTERVAL=7"))


def yearly_by_lists() -> bytes:
    """FREQ=YEARLY with full BYHOUR/BYMINUTE/BYSECOND lists from 1970: 86,400 dates a year."""
    hours = ",".join(str(h) for h in range(24))
    sixty = ",".join(str(m) for m in range(60))
    return calendar(vevent("yearly", "DTSTART:19700101T000000Z",
                           f"RRULE:FREQ=YEARLY;BYHOUR={hours};BYMINUTE={sixty};BYSECOND={sixty}"))


def daily_series(count: int = 600) -> bytes:
    """Many endless daily series in a small document (600 in about 50 KB: 258,000 dates)."""
    return calendar(*(vevent(f"d{i}", f"DTSTART:2020{i % 12 + 1:02d}01T{i % 24:02d}0000Z",
                             "RRULE:FREQ=DAILY") for i in range(count)))


def many_events(count: int, text: int = 100) -> bytes:
    """A multi-MB document of ``count`` single events with ``text`` bytes of description."""
    return calendar(*(vevent(f"b{i}", f"DTSTART:2026{i % 12 + 1:02d}{i % 28 + 1:02d}T100000Z",
                             "DESCRIPTION:" + "x" * text) for i in range(count)))


def never_ending() -> bytes:
    """A rule no date matches: dateutil walks second by second inside one call, never
    yielding (more than ten minutes here): only a process stopped from outside bounds it."""
    return calendar(vevent("never", "DTSTART:20250101T100000Z",
                           "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30;BYHOUR=3"))


def good(day: str, uid: str = "good") -> bytes:
    """An ordinary event on ``day`` (YYYYMMDD)."""
    return calendar(vevent(uid, f"DTSTART:{day}T180000Z", f"DTEND:{day}T200000Z"))
