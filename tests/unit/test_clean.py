"""The http(s)-only and XML-safe rules (shared/clean.py), where events and calls are made."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.calls import Attachment, Call, Contact
from shared.clean import http_url, xml_text
from shared.model import Event, Location, Occurrence

START = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JavaScript:alert(1)", " JAVASCRIPT:alert(1)", "jAvAsCrIpT:x",
    "vbscript:x", "data:text/html,<script>x</script>", "file:///etc/passwd", "//evil.example/",
    "/relative/path", "https://", "http:///path", "https://ex ample.org/", "https://ex\tample.org",
    "https://example.org/\x00", "java\nscript:alert(1)", "mailto:a@b.example", "https://[::1",
    "", None, 42,
])
def test_anything_but_an_absolute_http_url_is_dropped(url: object) -> None:
    assert http_url(url) is None


@pytest.mark.parametrize("url", ["https://example.org", "HTTP://Example.org/agenda?x=1#y",
                                 "https://exemple.fr/agenda/été", "http://[2001:db8::1]:8080/"])
def test_http_urls_are_kept(url: str) -> None:
    assert http_url(url) == url


def test_xml_text_removes_what_xml_forbids_and_keeps_the_rest() -> None:
    assert xml_text("a\x00b\x01c\x08d\x0be\x0cf\x1fg\ud800h\ufffei\uffffj") == "abcdefghij"
    kept = "tab\there\nline\rcr — « é » 🎶"
    assert xml_text(kept) is kept


def test_event_keeps_only_http_links_and_xml_safe_text_by_any_path() -> None:
    event = Event.create(source_id="s", source_uid="u", title="Concert\x01 de\x0b soutien",
                         occurrences=[Occurrence(start=START)], url="JavaScript:alert(1)",
                         image="data:image/png;base64,x", organizer="Asso\x1f",
                         keywords=("chant\x02",), location=Location(name="Salle\x0b A"))
    assert (event.title, event.url, event.image, event.organizer) == (
        "Concert de soutien", None, None, "Asso")
    assert event.keywords == ("chant",) and event.location.name == "Salle A"
    assert event.with_(url="javascript:x").url is None
    raw = event.to_dict() | {"title": "T\x0b", "url": "javascript:y"}
    again = Event.from_dict(raw)  # a message published before the rule
    assert (again.title, again.url) == ("T", None)


def test_call_keeps_only_http_links_and_drops_attachments_without_one() -> None:
    call = Call.create(publisher="p", publisher_id="1", title="Fonds\x0b", funder="Ville\x01",
                       deadline=START, application_url="JAVASCRIPT:alert(1)",
                       attachments=(Attachment("Règlement", "javascript:x"),
                                    Attachment("Annexe\x01", "https://example.org/a.pdf")),
                       contact=Contact(name="Service\x0b", url="vbscript:x"))
    assert (call.title, call.funder, call.application_url) == ("Fonds", "Ville", None)
    assert call.attachments == (Attachment("Annexe", "https://example.org/a.pdf"),)
    assert call.contact == Contact(name="Service")
    assert Call.from_dict(call.to_dict() | {"application_url": "javascript:z"}
                          ).application_url is None
