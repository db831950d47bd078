"""Event times checked against two other projects' recurrence test suites (issue 16.4).

The calendars of recurring-ical-events and icalevents are vendored with their licences under
tests/data/peer/; cases.json transcribes what their tests assert about them (how many events
a day, a span or the whole calendar holds; the start and end of one). Each vendored calendar
goes through ``maillage parse`` once, and every assertion is checked against its output.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.cli.main import main

pytestmark = pytest.mark.integration

PEER = Path(__file__).resolve().parent.parent / "data" / "peer"
DOC = json.loads((PEER / "cases.json").read_text())
NOW = "2020-01-01T00:00:00Z"
FAR = datetime(9000, 1, 1)


@dataclass(frozen=True)
class Occ:
    start: datetime
    end: datetime  # equal to start when the event has no end
    all_day: bool


def run_parse(calendar: str) -> list[Occ]:
    out, err = io.StringIO(), io.StringIO()
    now = DOC["now"].get(calendar, NOW)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["parse", str(PEER / calendar), "--now", now, "--past-days", "3650",
                     "--future-days", "3650"])
    assert code == 0, err.getvalue()
    found = []
    for line in out.getvalue().splitlines():
        for o in json.loads(line)["occurrences"]:
            start = datetime.fromisoformat(o["start"])
            end = datetime.fromisoformat(o["end"]) if o.get("end") else start
            found.append(Occ(start, end, bool(o.get("all_day"))))
    return sorted(found, key=lambda o: o.start)


@pytest.fixture(scope="module")
def parsed() -> dict[str, list[Occ]]:
    return {name: run_parse(name) for name in sorted({c["calendar"] for c in DOC["cases"]})}


def moment(text: str, tz: ZoneInfo) -> datetime:
    if text.startswith("9999"):
        return FAR.replace(tzinfo=tz)
    return datetime.fromisoformat(text).replace(tzinfo=tz)


def span(case: dict[str, Any], tz: ZoneInfo) -> tuple[datetime, datetime]:
    if case.get("all"):
        return datetime(1, 1, 2, tzinfo=tz), FAR.replace(tzinfo=tz)
    if "between" in case:
        a, b = case["between"]
        return moment(a, tz), moment(b, tz)
    at: str = case["at"]
    if len(at) == 4:
        start = datetime(int(at), 1, 1, tzinfo=tz)
        return start, start.replace(year=start.year + 1)
    if len(at) == 7:
        start = datetime(int(at[:4]), int(at[5:]), 1, tzinfo=tz)
        return start, (start + timedelta(days=32)).replace(day=1)
    if len(at) == 10:
        start = datetime.fromisoformat(at).replace(tzinfo=tz)
        return start, start + timedelta(days=1)
    if len(at) == 13:
        start = datetime.fromisoformat(at + ":00").replace(tzinfo=tz)
        return start, start + timedelta(hours=1)
    start = datetime.fromisoformat(at).replace(tzinfo=tz)
    return start, start + timedelta(minutes=1)


def in_span(o: Occ, a: datetime, b: datetime, tz: ZoneInfo) -> bool:
    """recurring-ical-events' rule: an event is in a span if they overlap; one without a
    length if it starts inside. A day-long event covers its dates' midnights in ``tz``."""
    start, end = o.start, o.end
    if o.all_day:
        start = datetime.combine(o.start.date(), datetime.min.time(), tz)
        end = datetime.combine(o.end.date(), datetime.min.time(), tz)
    if end > start:
        return start < b and end > a
    return a <= start < b


def local(o: Occ, tz: ZoneInfo) -> str:
    if o.all_day:
        return o.start.date().isoformat()
    return o.start.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def check(case: dict[str, Any], occurrences: list[Occ]) -> str | None:
    """None when Maillage agrees with the case, else what differs."""
    tz = ZoneInfo(case["tz"])
    a, b = span(case, tz)
    hits = [o for o in occurrences if in_span(o, a, b, tz)]
    if "count" in case:
        return None if len(hits) == case["count"] else f"{len(hits)} events, not {case['count']}"
    if "present" in case:
        starts = [local(o, tz) for o in hits]
        return None if case["present"] in starts else f"{case['present']} not in {starts}"
    if len(hits) != 1:
        return f"{len(hits)} events, not one"
    [o] = hits
    if "hours" in case:
        hours = (o.end - o.start) / timedelta(hours=1)
        return None if hours == case["hours"] else f"lasts {hours} h, not {case['hours']}"
    if "end" in case:
        got = (o.start.astimezone(tz).strftime("%H:%M"), o.end.astimezone(tz).strftime("%H:%M"))
        want = (case["start"], case["end"])
        return None if got == want else f"{got}, not {want}"
    return None if local(o, tz) == case["start"] else f"starts {local(o, tz)}, not {case['start']}"


@pytest.mark.parametrize("case", DOC["cases"], ids=[c["upstream"] for c in DOC["cases"]])
def test_peer_assertion_holds(case: dict[str, Any], parsed: dict[str, list[Occ]]) -> None:
    assert check(case, parsed[case["calendar"]]) is None


def test_every_vendored_calendar_is_used() -> None:
    vendored = {str(p.relative_to(PEER)) for p in PEER.glob("*/*.ics")}
    assert vendored == {c["calendar"] for c in DOC["cases"]}


def agreement() -> tuple[int, int, list[str]]:
    """(agreeing, total, differences): ``python -m tests.integration.test_peer_recurrence_suite``
    prints the figure for the report."""
    cache = {name: run_parse(name) for name in sorted({c["calendar"] for c in DOC["cases"]})}
    differences = []
    for case in DOC["cases"]:
        problem = check(case, cache[case["calendar"]])
        if problem:
            differences.append(f"{case['upstream']}: {problem}")
    return len(DOC["cases"]) - len(differences), len(DOC["cases"]), differences


if __name__ == "__main__":
    agree, total, diffs = agreement()
    print(f"{agree} of {total} assertions agree")
    print("\n".join(diffs))

