"""Guess the format of a fetched document from its bytes, helped by the Content-Type.

The body wins over the header (servers often send ``text/plain`` or ``text/html`` for a
calendar); the header only breaks ties. Detection is cheap: it looks at the first few
kilobytes, except for JSON, which is decoded once and shown to each JSON format's
``matches(doc)`` in turn.

Also here: :func:`decode_text`, the one place where bytes become text for the line-based
formats (BOM, UTF-8, broken UTF-8, Windows-1252/Latin-1).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared.errors import ParseError

HEAD_BYTES = 8192

_XML_ROOT = re.compile(
    rb"<(?![?!])(?:[a-z0-9_.-]+:)?(rss|rdf|feed|html|head|body|channel)\b", re.IGNORECASE
)
_HTML_HINT = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]|<div[\s>]", re.I)
_JSONLD = re.compile(rb"""<script[^>]+application/ld\+json""", re.IGNORECASE)
_MICRODATA_EVENT = re.compile(rb"""itemtype\s*=\s*["']?https?://schema\.org/\w*Event""", re.I)
_H_EVENT = re.compile(rb"""class\s*=\s*["'][^"']*\bh-event\b""", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Detection:
    """The detected format, and the decoded JSON document when the body was JSON."""

    format: str
    doc: Any = None


def strip_bom(body: bytes) -> bytes:
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8) :]
    return body


def decode_text(body: bytes) -> str:
    """Decode a text document whose charset is not reliably declared.

    UTF-16 (with a BOM) and UTF-8 are tried first. A body that is *mostly* valid UTF-8 with a
    few broken sequences keeps its UTF-8 reading (the broken bytes become U+FFFD); otherwise
    it is read as Windows-1252, the usual legacy charset of French exports.
    """
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace")
    body = strip_bom(body)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    loose = body.decode("utf-8", errors="replace")
    broken = loose.count("\ufffd")
    good = sum(1 for ch in loose if ord(ch) > 0x7F and ch != "\ufffd")
    if good > broken:
        return loose
    return body.decode("cp1252", errors="replace")


def _head(body: bytes) -> bytes:
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = body[: HEAD_BYTES * 2].decode("utf-16", errors="replace")
        return text.encode("utf-8", errors="replace")
    return strip_bom(body[:HEAD_BYTES]).lstrip()


def _content_type_hint(content_type: str | None) -> str | None:
    if not content_type:
        return None
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime in ("text/calendar", "application/ics", "text/x-vcalendar"):
        return "ics"
    if mime.endswith(("rss+xml", "atom+xml", "rdf+xml")):
        return "rss"
    if mime in ("text/html", "application/xhtml+xml"):
        return "html"
    if mime.endswith("json"):
        return "json"
    return None


def html_has_events(head_or_body: bytes) -> bool:
    """Whether an HTML page carries structured events (JSON-LD, microdata or h-event)."""
    return bool(
        _JSONLD.search(head_or_body)
        or _MICRODATA_EVENT.search(head_or_body)
        or _H_EVENT.search(head_or_body)
    )


def _detect_json(body: bytes, matchers: Mapping[str, Callable[[Any], bool]]) -> Detection:
    try:
        doc = json.loads(decode_text(body))
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"the document looks like JSON but cannot be decoded: {exc}") from exc
    for name, matches in matchers.items():
        try:
            if matches(doc):
                return Detection(name, doc)
        except Exception:  # noqa: BLE001 - a buggy matcher must not hide the others
            continue
    known = ", ".join(matchers) or "none available"
    raise ParseError(f"JSON document of an unknown shape (known JSON formats: {known})")


def detect(
    body: bytes,
    content_type: str | None = None,
    json_matchers: Mapping[str, Callable[[Any], bool]] | None = None,
) -> Detection:
    """Return the detected format or raise :class:`ParseError` with one clear line."""
    head = _head(body)
    if not head.strip():
        raise ParseError("empty document")
    hint = _content_type_hint(content_type)
    lowered = head[:2048].lower()
    if lowered.startswith(b"begin:vcalendar") or b"\nbegin:vcalendar" in lowered:
        return Detection("ics")
    if lowered.startswith(b"begin:vevent"):
        return Detection("ics")
    if head[:1] in (b"{", b"["):
        return _detect_json(body, json_matchers or {})
    if head[:1] == b"<":
        match = _XML_ROOT.search(head)
        root = match.group(1).decode("ascii").lower() if match else ""
        if root in ("rss", "rdf", "feed", "channel"):
            return Detection("rss")
        is_html = root in ("html", "head", "body") or bool(_HTML_HINT.search(head))
        if is_html or hint == "html" or _JSONLD.search(head):
            if html_has_events(body):
                return Detection("html")
            raise ParseError(
                "HTML page with no structured events (JSON-LD, microdata, "
                "h-event), not a feed or a calendar"
            )
        if hint in ("rss", "ics"):
            return Detection(hint)
        raise ParseError("XML document that is neither RSS nor Atom")
    if hint == "ics" and b"begin:" in lowered:
        return Detection("ics")
    kind = f" (Content-Type {content_type})" if content_type else ""
    raise ParseError(f"unrecognized document{kind}: not iCalendar, RSS/Atom, HTML or JSON")


__all__ = ["Detection", "decode_text", "detect", "html_has_events", "strip_bom"]
