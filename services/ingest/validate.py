"""Validate pushed calls for projects and turn them into :class:`~shared.calls.Call`.

The body of ``POST /v1/push/{publisher}/calls`` is one call (an object), a list of calls, or
``{"calls": [...]}``. Every problem is reported, each with the path of the field (``title``,
``calls[2].deadline``, ``attachments[0].url``) and the reason; a batch is accepted whole or
not at all.

A call, as pushed (``id``, ``title``, ``funder`` and ``deadline`` are required)::

    {"id": "2026-quartiers-001", "title": "...", "funder": "Ville de Rennes",
     "description": "<p>...</p>", "themes": ["culture"], "audiences": ["associations"],
     "perimeter": {"kind": "quartier", "name": "Maurepas"},
     "amount": {"min": 500, "max": 5000, "rate": 50, "text": "..."},
     "opens": "2026-03-01T00:00:00+01:00", "deadline": "2026-04-15T12:00:00+02:00",
     "timezone": "Europe/Paris", "application_url": "https://...",
     "attachments": [{"title": "Règlement", "url": "https://..."}],
     "contact": {"name": "...", "email": "...", "phone": "...", "url": "..."},
     "joint_applications": true}

Dates must carry a UTC offset (a deadline without one is ambiguous); ``perimeter`` may also be
the plain string ``"rennes"`` or ``"rennes-metropole"``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.calls import CALL_AUDIENCES, PERIMETERS, Amount, Attachment, Call, Contact
from shared.clean import http_url
from shared.taxonomy import THEMES

THEME_CODES = frozenset(t.code for t in THEMES)
ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:~-]{0,127}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_BATCH = 500
LIMITS = {"title": 300, "funder": 200, "description": 50_000, "text": 500, "name": 200}
KNOWN = frozenset({
    "id", "title", "funder", "description", "themes", "audiences", "perimeter", "amount",
    "opens", "deadline", "timezone", "application_url", "attachments", "contact",
    "joint_applications", "updated",
})  # fmt: skip


class ValidationFailed(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} invalid field(s)")
        self.errors = errors


class _Checker:
    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def fail(self, path: str, reason: str) -> None:
        self.errors.append({"path": path, "reason": reason})

    def text(self, data: dict[str, Any], key: str, path: str, *, required: bool = False,
             limit: int = 500) -> str | None:
        value = data.get(key)
        if value is None or (isinstance(value, str) and not value.strip() and not required):
            if required:
                self.fail(path + key, "is required")
            return None
        if not isinstance(value, str):
            self.fail(path + key, "must be a string")
            return None
        value = value.strip()
        if required and not value:
            self.fail(path + key, "must not be empty")
        elif len(value) > limit:
            self.fail(path + key, f"must be at most {limit} characters")
        return value

    def url(self, data: dict[str, Any], key: str, path: str, *, required: bool = False
            ) -> str | None:
        value = self.text(data, key, path, required=required, limit=2000)
        if value is not None and http_url(value) is None:  # the model's rule (shared.clean)
            self.fail(path + key, "must be an absolute http or https URL")
            return None
        return value

    def date(self, data: dict[str, Any], key: str, path: str, *, required: bool = False
             ) -> datetime | None:
        value = self.text(data, key, path, required=required, limit=64)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            self.fail(path + key, "must be an ISO 8601 date-time, e.g. 2026-04-15T12:00:00+02:00")
            return None
        if parsed.tzinfo is None:
            self.fail(path + key, "must include a UTC offset (e.g. +02:00 or Z)")
            return None
        return parsed

    def codes(self, data: dict[str, Any], key: str, path: str, allowed: frozenset[str]
              ) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(path + key, "must be a list of codes")
            return ()
        out: list[str] = []
        for i, code in enumerate(value):
            if not isinstance(code, str) or code not in allowed:
                self.fail(f"{path}{key}[{i}]", f"unknown code {code!r}; expected one of "
                          + ", ".join(sorted(allowed)))
            elif code not in out:
                out.append(code)
        return tuple(out)

    def number(self, data: dict[str, Any], key: str, path: str, *, top: float | None = None
               ) -> float | None:
        value = data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path + key, "must be a number")
            return None
        if value < 0 or (top is not None and value > top):
            self.fail(path + key, "must be between 0 and " + (f"{top:g}" if top else "infinity"))
            return None
        return float(value)

    def obj(self, data: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.fail(path + key, "must be an object")
            return None
        return value


def _perimeter(c: _Checker, data: dict[str, Any], path: str) -> tuple[str, str | None]:
    raw = data.get("perimeter", "rennes")
    if isinstance(raw, str):
        raw = {"kind": raw}
    if not isinstance(raw, dict):
        c.fail(path + "perimeter", "must be an object {kind, name} or a perimeter code")
        return "rennes", None
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in PERIMETERS:
        c.fail(path + "perimeter.kind", "must be one of " + ", ".join(PERIMETERS))
        return "rennes", None
    name = c.text(raw, "name", path + "perimeter.", required=kind == "quartier", limit=100)
    return kind, name if kind == "quartier" else None


def _amount(c: _Checker, data: dict[str, Any], path: str) -> Amount | None:
    raw = c.obj(data, "amount", path)
    if raw is None:
        return None
    p = path + "amount."
    amount = Amount(
        min=c.number(raw, "min", p), max=c.number(raw, "max", p),
        rate=c.number(raw, "rate", p, top=100), text=c.text(raw, "text", p),
    )
    if amount.min is not None and amount.max is not None and amount.min > amount.max:
        c.fail(p + "min", "must not exceed amount.max")
    if (amount.min, amount.max, amount.rate, amount.text) == (None, None, None, None):
        c.fail(path + "amount", "must give min, max, rate or text")
    return amount


def _attachments(c: _Checker, data: dict[str, Any], path: str) -> tuple[Attachment, ...]:
    raw = data.get("attachments")
    if raw is None:
        return ()
    if not isinstance(raw, list) or len(raw) > 50:
        c.fail(path + "attachments", "must be a list of at most 50 {title, url}")
        return ()
    out = []
    for i, item in enumerate(raw):
        p = f"{path}attachments[{i}]"
        if not isinstance(item, dict):
            c.fail(p, "must be an object {title, url}")
            continue
        url = c.url(item, "url", p + ".", required=True)
        title = c.text(item, "title", p + ".", limit=LIMITS["text"]) or "Document"
        if url:
            out.append(Attachment(title, url))
    return tuple(out)


def _contact(c: _Checker, data: dict[str, Any], path: str) -> Contact | None:
    raw = c.obj(data, "contact", path)
    if raw is None:
        return None
    p = path + "contact."
    email = c.text(raw, "email", p, limit=254)
    if email and not EMAIL.match(email):
        c.fail(p + "email", "is not an e-mail address")
    return Contact(name=c.text(raw, "name", p, limit=LIMITS["name"]), email=email,
                   phone=c.text(raw, "phone", p, limit=40), url=c.url(raw, "url", p))


def check_call(c: _Checker, data: Any, publisher: str, path: str = "") -> Call | None:
    """One pushed call; problems are added to ``c`` (``None`` when any was found)."""
    if not isinstance(data, dict):
        c.fail(path.rstrip(".") or "$", "must be an object")
        return None
    before = len(c.errors)
    for key in sorted(set(data) - KNOWN):
        c.fail(path + key, "unknown field")
    pid = c.text(data, "id", path, required=True, limit=128)
    if pid and not ID_PATTERN.match(pid):
        c.fail(path + "id", "letters, digits and . _ : ~ - only, starting with a letter or digit")
    title = c.text(data, "title", path, required=True, limit=LIMITS["title"])
    funder = c.text(data, "funder", path, required=True, limit=LIMITS["funder"])
    description = c.text(data, "description", path, limit=LIMITS["description"]) or ""
    opens = c.date(data, "opens", path)
    deadline = c.date(data, "deadline", path, required=True)
    updated = c.date(data, "updated", path)
    if opens and deadline and opens >= deadline:
        c.fail(path + "opens", "must be before the deadline")
    tz = c.text(data, "timezone", path, limit=64) or "Europe/Paris"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        c.fail(path + "timezone", "is not an IANA timezone name (e.g. Europe/Paris)")
    joint = data.get("joint_applications", False)
    if not isinstance(joint, bool):
        c.fail(path + "joint_applications", "must be true or false")
    kind, quartier = _perimeter(c, data, path)
    call_kw = dict(
        title=title, funder=funder, deadline=deadline, description=description,
        themes=c.codes(data, "themes", path, THEME_CODES),
        audiences=c.codes(data, "audiences", path, frozenset(CALL_AUDIENCES)) or ("associations",),
        perimeter=kind, quartier=quartier, amount=_amount(c, data, path), opens=opens,
        application_url=c.url(data, "application_url", path),
        attachments=_attachments(c, data, path), contact=_contact(c, data, path),
        joint_welcome=joint is True, timezone=tz, updated=updated, origin="push",
    )
    if len(c.errors) > before or pid is None:
        return None
    return Call.create(publisher=publisher, publisher_id=pid, **call_kw)


def parse_calls(data: Any, publisher: str) -> list[Call]:
    """The calls of a push body; :class:`ValidationFailed` lists every problem."""
    c = _Checker()
    if isinstance(data, dict) and "calls" in data and "id" not in data:
        items, prefix = data["calls"], "calls"
        if not isinstance(items, list):
            raise ValidationFailed([{"path": "calls", "reason": "must be a list"}])
    elif isinstance(data, list):
        items, prefix = data, ""
    else:
        items, prefix = [data], None
    if prefix is not None and not items:
        raise ValidationFailed([{"path": prefix or "$", "reason": "must not be empty"}])
    if len(items) > MAX_BATCH:
        raise ValidationFailed([{"path": prefix or "$", "reason": f"at most {MAX_BATCH} calls"}])
    calls: list[Call] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        path = "" if prefix is None else f"{prefix}[{i}]."
        call = check_call(c, item, publisher, path)
        if call is not None:
            if call.publisher_id in seen:
                c.fail(path + "id", f"duplicates the id of item {seen[call.publisher_id]}")
            seen[call.publisher_id] = i
            calls.append(call)
    if c.errors:
        raise ValidationFailed(c.errors)
    return calls
