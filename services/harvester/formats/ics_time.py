"""Time zones and date values of iCalendar events.

- The calendar's zone: ``X-WR-TIMEZONE`` when it names a zone (IANA or Windows), otherwise
  the source's timezone. Floating times are read in it.
- The event's display zone: the IANA name of its DTSTART's zone. A custom VTIMEZONE (free-text
  TZID such as ``GMT +0100 (Standard) / GMT +0200 (Daylight)``) is matched by its offsets in
  winter and summer against the source zone and a few common zones. UTC/GMT starts keep the
  calendar's zone for display.
- All-day values become local midnight in the display zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from shared.model import DEFAULT_TZ

_CANDIDATES = (
    DEFAULT_TZ,
    "Europe/London",
    "Europe/Lisbon",
    "Europe/Helsinki",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Tokyo",
    "Australia/Sydney",
)
_UTC_NAMES = {"UTC", "GMT", "Z", "ETC/UTC", "ETC/GMT", "UNIVERSAL", "ZULU", "GMT0", "UCT"}


def zone(name: str | None) -> ZoneInfo | None:
    """An IANA zone from an IANA or Windows name, or ``None``."""
    if not name:
        return None
    cleaned = str(name).strip().strip('"').strip("/")
    for candidate in (cleaned, WINDOWS_TO_OLSON.get(cleaned)):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    return None


def is_utc_name(name: str) -> bool:
    return name.upper() in _UTC_NAMES


def calendar_zone(x_wr_timezone: object, source_tz: str) -> tuple[ZoneInfo | None, ZoneInfo]:
    """(zone named by X-WR-TIMEZONE or None, zone used for display and floating times)."""
    source = zone(source_tz) or ZoneInfo(DEFAULT_TZ)
    declared = zone(str(x_wr_timezone)) if x_wr_timezone else None
    if declared is None:
        return None, source
    if is_utc_name(declared.key):
        return declared, source
    return declared, declared


def _offsets(tz: tzinfo, year: int) -> tuple[timedelta | None, timedelta | None]:
    winter = datetime(year, 1, 15, 12, tzinfo=tz)
    summer = datetime(year, 7, 15, 12, tzinfo=tz)
    return winter.utcoffset(), summer.utcoffset()


def display_zone(value: object, fallback: ZoneInfo, source_tz: str) -> ZoneInfo:
    """The IANA zone to show an event in, from its DTSTART value."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return fallback
    tz = value.tzinfo
    if isinstance(tz, ZoneInfo):
        return fallback if is_utc_name(tz.key) else tz
    named = zone(getattr(tz, "zone", None) or getattr(tz, "key", None) or value.tzname())
    if named is not None and not is_utc_name(named.key):
        return named
    try:
        wanted = _offsets(tz, value.year)
    except Exception:  # noqa: BLE001 - custom tzinfo objects can fail in odd ways
        return fallback
    if wanted[0] == timedelta(0) and wanted[1] == timedelta(0):
        return fallback
    for name in (source_tz, fallback.key, *_CANDIDATES):
        candidate = zone(name)
        if candidate is not None and _offsets(candidate, value.year) == wanted:
            return candidate
    return fallback


def to_aware(value: date | datetime, tz: ZoneInfo) -> datetime:
    """A timezone-aware datetime in ``tz``: dates become local midnight, floating is local."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), tzinfo=tz)
    if value.tzinfo is None:
        return value.replace(tzinfo=tz)
    return value.astimezone(tz)


def is_all_day(value: object) -> bool:
    return isinstance(value, date) and not isinstance(value, datetime)
