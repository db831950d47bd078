"""Event dates written in French prose: "samedi 12 décembre 2026 à 14h30", "12/12/2026",
"le 3 mars de 10h à 12h", "du 3 au 5 mars 2026".

Used only when a source says its dates are in the text (``options["dates_in_text"]``): prose
is ambiguous, so it is never guessed for other sources. A date without a year takes the year
that puts it after ``ref`` (the item's publication date, or now), allowing for a date up to
:data:`PAST_TOLERANCE` before ``ref`` (an item published the day after its event).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PAST_TOLERANCE = timedelta(days=60)

_MONTHS = {
    "janv": 1,
    "janvier": 1,
    "fevr": 2,
    "fevrier": 2,
    "fev": 2,
    "mars": 3,
    "avr": 4,
    "avril": 4,
    "mai": 5,
    "juin": 6,
    "juil": 7,
    "juillet": 7,
    "aout": 8,
    "sept": 9,
    "septembre": 9,
    "oct": 10,
    "octobre": 10,
    "nov": 11,
    "novembre": 11,
    "dec": 12,
    "decembre": 12,
}
_MONTH = (
    r"(?:janv(?:ier)?|f[ée]v(?:r(?:ier)?)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|"
    r"ao[uû]t|sept(?:embre)?|oct(?:obre)?|nov(?:embre)?|d[ée]c(?:embre)?)\.?"
)
_WEEKDAY = r"(?:(?:lun|mar|mercre|jeu|vendre|same)di|dimanche)"
_CLOCK = r"(?:\d{1,2}\s*[hH]\s*(?:\d{2})?|\d{1,2}:\d{2})"
_TIMES = (
    rf"(?:\s*(?:,|à|a|de|dès|des|-|–)?\s*(?P<t1>{_CLOCK})"
    rf"(?:\s*(?:à|a|-|–|jusqu'à|jusqu’à)\s*(?P<t2>{_CLOCK}))?)?"
)
_NAMED = re.compile(
    rf"(?:\b{_WEEKDAY}\s+)?\b(?P<d>\d{{1,2}})(?:er|e)?\s+(?P<m>{_MONTH})"
    rf"(?:\s+(?P<y>\d{{4}}))?(?!\d){_TIMES}",
    re.IGNORECASE,
)
_RANGE = re.compile(
    rf"\bdu\s+(?:{_WEEKDAY}\s+)?(?P<d0>\d{{1,2}})(?:er)?(?:\s+(?P<m0>{_MONTH}))?"
    rf"(?:\s+(?P<y0>\d{{4}}))?\s+au\s+(?:{_WEEKDAY}\s+)?(?P<d>\d{{1,2}})(?:er)?"
    rf"\s+(?P<m>{_MONTH})(?:\s+(?P<y>\d{{4}}))?",
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    rf"(?<![\d/])(?P<d>\d{{1,2}})/(?P<m>\d{{1,2}})/(?P<y>\d{{4}}|\d{{2}})(?![\d/]){_TIMES}"
)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class TextDate:
    """A date found in text. ``end`` is exclusive for all-day dates."""

    start: datetime
    end: datetime | None
    all_day: bool


def _fold(text: str) -> str:
    table = str.maketrans("éèêëûùôîàç", "eeeeuuoiac")
    return text.lower().translate(table).rstrip(".")


def _month(raw: str) -> int | None:
    key = _fold(raw)
    return _MONTHS.get(key) or _MONTHS.get(key[:4]) or _MONTHS.get(key[:3])


def _clock(raw: str | None) -> time | None:
    if not raw:
        return None
    parts = re.split(r"\s*[hH:]\s*", raw.strip())
    try:
        hour = int(parts[0])
        minute = int(parts[1]) if len(parts) > 1 and parts[1] else 0
    except ValueError:
        return None
    if hour == 24 and minute == 0:
        return time(23, 59)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def _year(day: int, month: int, year: str | None, ref: date) -> int:
    if year:
        value = int(year)
        return value + 2000 if value < 100 else value
    for candidate in (ref.year - 1, ref.year, ref.year + 1):
        try:
            if date(candidate, month, day) >= ref - PAST_TOLERANCE:
                return candidate
        except ValueError:
            continue
    return ref.year + 1


def _build(
    day: date, t1: str | None, t2: str | None, tz: ZoneInfo, last_day: date | None = None
) -> TextDate | None:
    start_time, end_time = _clock(t1), _clock(t2)
    if t1 and start_time is None:
        return None
    if start_time is None:
        start = datetime.combine(day, time(0), tzinfo=tz)
        end_day = (last_day or day) + timedelta(days=1)
        return TextDate(start, datetime.combine(end_day, time(0), tzinfo=tz), True)
    start = datetime.combine(day, start_time, tzinfo=tz)
    end = datetime.combine(day, end_time, tzinfo=tz) if end_time else None
    if end is not None and end <= start:
        end += timedelta(days=1)
    return TextDate(start, end, False)


def find_dates(text: str, tz: ZoneInfo, ref: datetime) -> list[TextDate]:
    """All dates found in ``text`` (plain text or HTML), in the order they appear."""
    plain = " ".join(html.unescape(_TAGS.sub(" ", text)).split())
    ref_day = ref.astimezone(tz).date()
    found: list[tuple[int, TextDate]] = []
    taken: list[range] = []
    for match in _RANGE.finditer(plain):
        month = _month(match["m"])
        month0 = _month(match["m0"]) if match["m0"] else month
        if month is None or month0 is None:
            continue
        try:
            last = date(_year(int(match["d"]), month, match["y"], ref_day), month, int(match["d"]))
            first = date(int(match["y0"]) if match["y0"] else last.year, month0, int(match["d0"]))
        except ValueError:
            continue
        if first > last:
            first = first.replace(year=first.year - 1)
        built = _build(first, None, None, tz, last_day=last)
        if built:
            found.append((match.start(), built))
            taken.append(range(match.start(), match.end()))
    for pattern in (_NAMED, _NUMERIC):
        for match in pattern.finditer(plain):
            if any(match.start() in span for span in taken):
                continue
            month = _month(match["m"]) if pattern is _NAMED else int(match["m"])
            if not month:
                continue
            try:
                day = date(
                    _year(int(match["d"]), month, match["y"], ref_day), month, int(match["d"])
                )
            except ValueError:
                continue
            built = _build(day, match["t1"], match["t2"], tz)
            if built:
                found.append((match.start(), built))
                taken.append(range(match.start(), match.end()))
    return [item for _, item in sorted(found, key=lambda pair: pair[0])]


def first_date(text: str, tz: ZoneInfo, ref: datetime) -> TextDate | None:
    dates = find_dates(text, tz, ref)
    return dates[0] if dates else None
