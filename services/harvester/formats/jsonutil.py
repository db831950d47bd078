"""Small helpers shared by the structured-format parsers (JSON APIs and schema.org).

Safe walking of decoded JSON (:func:`dig`, :func:`text`), multilingual values (:func:`pick`),
lenient date-times (:func:`parse_when`, always timezone-aware), and URL query editing for
paged APIs. Building occurrences and events is in :mod:`.assemble`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import ParseError
from shared.model import PARIS, Location

from .detect import decode_text

LANGS = ("fr", "en")


def load_json(body: bytes, what: str) -> Any:
    """Decode a JSON body, or raise a one-line :class:`ParseError` naming the format."""
    try:
        return json.loads(decode_text(body))
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"{what}: the document is not valid JSON ({exc})") from exc


def dig(obj: Any, *path: str | int, default: Any = None) -> Any:
    """Walk dicts and lists along ``path``; ``default`` as soon as a step is missing."""
    for step in path:
        if isinstance(obj, dict) and isinstance(step, str):
            obj = obj.get(step)
        elif isinstance(obj, list) and isinstance(step, int) and -len(obj) <= step < len(obj):
            obj = obj[step]
        else:
            return default
        if obj is None:
            return default
    return obj


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a dict, else an empty dict (for safe ``.get`` chains)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` when it is a list, else an empty list."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A stripped non-empty string from a string or a number, else ``None``."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return None


def pick(value: Any, langs: Sequence[str] = LANGS) -> str | None:
    """A string from a plain or multilingual value (``{"fr": ..., "en": ...}``), French first."""
    if isinstance(value, dict):
        for lang in langs:
            found = text(value.get(lang))
            if found:
                return found
        for item in value.values():
            found = text(item)
            if found:
                return found
        return None
    if isinstance(value, list):
        for item in value:
            found = pick(item, langs)
            if found:
                return found
        return None
    return text(value)


def pick_list(value: Any, langs: Sequence[str] = LANGS, sep: str = ";") -> list[str]:
    """A list of strings from a list, a ``sep``-separated string or a multilingual dict."""
    if isinstance(value, dict):
        for lang in (*langs, *value.keys()):
            if value.get(lang):
                return pick_list(value[lang], langs, sep)
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.split(sep) if p.strip()]
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            found = pick(item, langs) if not isinstance(item, list) else None
            if found:
                out.append(found)
        return out
    return []


def uniq(items: Iterable[str]) -> tuple[str, ...]:
    """Distinct non-empty strings, first occurrence kept."""
    return tuple(dict.fromkeys(i for i in items if i))


def as_float(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(str(value).strip().replace(",", "."))
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def json_field(value: Any) -> Any:
    """A value that may be JSON encoded inside a string (Opendatasoft does this)."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def stable_uid(*parts: Any) -> str:
    """A uid made from content when the source gives none (changes if the content does)."""
    raw = "\x1f".join(str(p) for p in parts if p is not None)
    return "h:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


def zone(name: str | None, fallback: str | None = None) -> tzinfo:
    """A tzinfo from an IANA name or a ``UTC+2``-style offset; Europe/Paris when unknown."""
    for candidate in (name, fallback):
        if not candidate:
            continue
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            pass
        m = re.fullmatch(r"(?:UTC|GMT)?\s*([+-])(\d{1,2})(?:([:.])(\d{1,2}))?", candidate.strip())
        if m:
            sign, hours, sep, frac = m.groups()
            minutes = int(hours) * 60
            if frac:
                minutes += int(frac) if sep == ":" else round(float("0." + frac) * 60)
            if minutes <= 14 * 60:
                return timezone((-1 if sign == "-" else 1) * timedelta(minutes=minutes))
        if candidate.strip().upper() in ("UTC", "GMT", "Z"):
            return UTC
    return PARIS


_LOOSE_DT = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ]+(\d{1,2})[:h](\d{2})(?::(\d{2}))?(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)


def _offset(raw: str | None) -> tzinfo | None:
    if raw is None:
        return None
    if raw.upper() == "Z":
        return UTC
    sign = -1 if raw[0] == "-" else 1
    digits = raw[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_when(value: Any, tz: str | tzinfo | None = None) -> tuple[datetime, bool] | None:
    """``(aware datetime, date_only)`` from an ISO string, a unix time or ``{"$date": ...}``.

    Floating times are read in ``tz`` (Europe/Paris by default); a date without a time gives
    local midnight and ``date_only=True``. Malformed offsets (``+2500``) are ignored rather
    than fatal. Returns ``None`` when nothing date-like is found.
    """
    local = tz if isinstance(tz, tzinfo) else zone(tz)
    if isinstance(value, dict) and "$date" in value:
        return parse_when(value["$date"], local)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=local)), False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    raw = text(value)
    if raw is None:
        return None
    if re.fullmatch(r"\d{10}(?:\d{3})?(?:\.\d+)?", raw):
        return _from_epoch(float(raw))
    try:
        parsed = datetime.fromisoformat(raw)
        date_only = len(raw) <= 10
    except ValueError:
        m = _LOOSE_DT.search(raw)
        if not m:
            return None
        y, mo, d, hh, mm, ss, off = m.groups()
        try:
            parsed = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
        except ValueError:
            return None
        date_only = hh is None
        offset = _offset(off)
        if offset is not None:
            parsed = parsed.replace(tzinfo=offset)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local)
    return parsed, date_only


def _from_epoch(seconds: float) -> tuple[datetime, bool] | None:
    if seconds > 1e11:  # milliseconds
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC), False
    except (OverflowError, OSError, ValueError):
        return None


def parse_dt(value: Any, tz: str | tzinfo | None = None) -> datetime | None:
    found = parse_when(value, tz)
    return found[0] if found else None


_FREE = re.compile(r"\b(gratuit[es]?|entrée libre|accès libre|free)\b", re.IGNORECASE)


def free_from_text(price: str | None) -> bool | None:
    """``True`` for 'Gratuit' / 'Entrée libre' texts without any amount, else unknown."""
    if price and _FREE.search(price) and not re.search(r"\d", price):
        return True
    return None


def location_or_none(**parts: Any) -> Location | None:
    """A :class:`Location` when at least one field is set.

    Coordinates are kept only as a valid pair (both set, in range), and then marked as the
    source's (``precision="source"``); a half or out-of-range pair is dropped.
    """
    lat, lon = parts.pop("lat", None), parts.pop("lon", None)
    if lat is not None and lon is not None and abs(lat) <= 90 and abs(lon) <= 180:
        parts.update(lat=lat, lon=lon, precision="source")
    clean = {k: v for k, v in parts.items() if v not in (None, "", False)}
    return Location(**clean) if clean else None


def absolute(base: str | None, href: Any) -> str | None:
    """``href`` resolved against ``base``; ``None`` for empty or unresolvable links."""
    raw = text(href)
    if raw is None or raw.startswith(("javascript:", "data:")):
        return None
    if urlsplit(raw).scheme in ("http", "https", "mailto", "tel"):
        return raw
    if raw.startswith("//"):
        return "https:" + raw
    if not base:
        return None
    return urljoin(base, raw)


def with_query(url: str, drop: Iterable[str], add: Iterable[tuple[str, str]]) -> str:
    """``url`` with the query parameters named in ``drop`` removed and ``add`` appended."""
    parts = urlsplit(url)
    gone = set(drop)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in gone]
    params.extend(add)
    query = urlencode(params, safe="[]:,")
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def query_int(url: str | None, name: str) -> int | None:
    if not url:
        return None
    for key, value in parse_qsl(urlsplit(url).query):
        if key == name and value.strip().isdigit():
            return int(value)
    return None


def age_audience(low: Any, high: Any) -> tuple[str, ...]:
    """Audience code ``age:MIN-MAX`` (``age:6+``, ``age:0-12``) from an age range."""
    lo, hi = as_float(low), as_float(high)
    lo_i = int(lo) if lo is not None and lo > 0 else None
    hi_i = int(hi) if hi is not None and hi < 99 else None
    if lo_i is None and hi_i is None:
        return ()
    if hi_i is None:
        return (f"age:{lo_i}+",)
    return (f"age:{lo_i or 0}-{hi_i}",)


ACCESSIBILITY_CODES = ("hi", "vi", "pi", "mi", "ii")


def accessibility_codes(value: Any) -> tuple[str, ...]:
    """Accessibility codes from ``{"hi": true, ...}``, ``["hi", ...]`` or ``"hi;vi"``."""
    if isinstance(value, dict):
        codes = [k for k, v in value.items() if v is True or v == 1]
    elif isinstance(value, list | str):
        codes = [c.strip().lower() for c in pick_list(value)]
    else:
        return ()
    known = [c for c in ACCESSIBILITY_CODES if c in codes]
    return uniq([*known, *(c for c in codes if re.fullmatch(r"[a-z]{2,8}", c))])
