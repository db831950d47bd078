"""Format detection and dispatch."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.harvester.formats import FORMATS, load_format, parse_document
from services.harvester.formats.base import ParseContext
from services.harvester.formats.detect import decode_text, detect
from shared.errors import ParseError

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
CTX = ParseContext(source_id="src", now=datetime(2026, 3, 1, tzinfo=UTC))


def test_detect_ics_with_bom_and_lowercase():
    assert detect(b"\xef\xbb\xbfbegin:vcalendar\nend:vcalendar\n").format == "ics"


def test_detect_ics_served_as_text_html():
    assert detect(ICS, "text/html; charset=utf-8").format == "ics"


def test_detect_ics_after_leading_blank_lines():
    assert detect(b"\r\n\r\n" + ICS).format == "ics"


@pytest.mark.parametrize(
    "root",
    [
        b'<rss version="2.0">',
        b"<rdf:RDF xmlns:rdf='x'>",
        b'<feed xmlns="http://www.w3.org/2005/Atom">',
    ],
)
def test_detect_feed_roots(root: bytes):
    assert detect(b'<?xml version="1.0"?>\n<!-- c -->\n' + root).format == "rss"


def test_detect_html_with_json_ld_is_html():
    body = b'<html><head><script type="application/ld+json">{}</script></head></html>'
    assert detect(body).format == "html"


def test_detect_html_with_microdata_event_is_html():
    body = b'<!DOCTYPE html><div itemscope itemtype="http://schema.org/MusicEvent"></div>'
    assert detect(body).format == "html"


def test_detect_html_with_h_event_is_html():
    assert detect(b'<html><div class="h-event vevent">x</div></html>').format == "html"


def test_detect_html_without_events_is_refused_in_one_line():
    body = b"<head><title>Document Moved</title></head><body>Object Moved</body>"
    with pytest.raises(ParseError, match="HTML page with no structured events") as info:
        detect(body, "application/rss+xml")
    assert "\n" not in str(info.value)


def test_detect_empty_body_is_refused():
    with pytest.raises(ParseError, match="empty document"):
        detect(b" \r\n ")


def test_detect_json_is_decoded_once_and_shown_to_each_matcher():
    seen: list[object] = []

    def no(doc: object) -> bool:
        seen.append(doc)
        return False

    result = detect(b'{"events": []}', None, {"a": no, "b": lambda doc: doc is seen[0]})
    assert result.format == "b" and result.doc == {"events": []}


def test_detect_json_matcher_that_raises_is_skipped():
    def boom(doc: object) -> bool:
        raise KeyError("x")

    assert detect(b"[]", None, {"bad": boom, "ok": lambda doc: True}).format == "ok"


def test_detect_json_of_unknown_shape_is_refused():
    with pytest.raises(ParseError, match="JSON document of an unknown shape"):
        detect(b'{"nothing": 1}', None, {"a": lambda doc: False})


def test_detect_invalid_json_is_refused():
    with pytest.raises(ParseError, match="cannot be decoded"):
        detect(b'{"a": ', None, {})


def test_detect_plain_text_is_refused():
    with pytest.raises(ParseError, match="unrecognized document"):
        detect(b"hello world", "text/plain")


def test_decode_text_falls_back_to_windows_1252():
    assert decode_text("Fête – été".encode("cp1252")) == "Fête – été"


def test_decode_text_keeps_mostly_valid_utf8():
    assert decode_text("éèà ".encode() * 3 + b"\xff") == "éèà " * 3 + "\ufffd"


def test_parse_document_dispatches_ics():
    assert parse_document(ICS, CTX).format == "ics"


def test_parse_document_unknown_format_name_is_refused():
    with pytest.raises(ParseError, match="unknown format"):
        parse_document(ICS, CTX, fmt="vcard")


def test_parse_document_explicit_format_with_empty_body_is_refused():
    with pytest.raises(ParseError, match="empty document"):
        parse_document(b"", CTX, fmt="ics")


def test_load_format_tolerates_a_missing_module(monkeypatch):
    monkeypatch.setitem(FORMATS, "ghost", "services.harvester.formats.ghost_format")
    assert load_format("ghost") is None


def test_every_registered_format_is_listed():
    assert set(FORMATS) == {
        "ics",
        "rss",
        "html",
        "openagenda",
        "activitypub",
        "wordpress",
        "opendatasoft",
    }
