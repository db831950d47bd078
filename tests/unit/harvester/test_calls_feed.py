"""Calls for projects harvested from funders' feeds (Aides-territoires-style JSON, RSS, our
push format as a static file)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from services.harvester.formats.base import ParseContext
from services.harvester.formats.calls import parse_calls_document
from shared.errors import ParseError

CTX = ParseContext(source_id="ville-rennes", now=datetime(2026, 11, 1, tzinfo=UTC),
                   organizer="Ville de Rennes")

AIDES = {
    "count": 3,
    "next": "https://aides.example/api/aids/?page=2",
    "results": [
        {"id": 101, "name": "Fonds d'initiatives associatives 2027",
         "description": "<p>Soutien aux projets des associations de quartier.</p>",
         "submission_deadline": "2027-01-31", "start_date": "2026-11-15",
         "application_url": "https://aides.example/fia", "is_call_for_project": True,
         "financers": ["Ville de Rennes"], "targeted_audiences": ["Association"],
         "perimeter": "Rennes Métropole"},
        {"id": 102, "name": "Aide permanente à l'équipement", "submission_deadline": None},
        {"id": 103, "name": "Prêt d'honneur", "is_call_for_project": False,
         "submission_deadline": "2027-03-01"},
    ],
}

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Fondation X</title>
<item><title>Appel à projets : jardins partagés</title><link>https://f.example/jardins</link>
<guid>jardins-2027</guid><description>Ouvert aux associations et collectifs d'habitants.
Ouverture le 1er décembre 2026, date limite : 15 janvier 2027.</description></item>
<item><title>Lettre d'information</title><guid>news</guid>
<description>Rien à signaler.</description></item>
</channel></rss>"""


def test_aides_territoires_calls_with_deadline_become_calls() -> None:
    result = parse_calls_document(json.dumps(AIDES).encode(), CTX)
    [call] = result.calls
    assert call.title == "Fonds d'initiatives associatives 2027"
    assert call.funder == "Ville de Rennes"
    assert call.deadline.isoformat() == "2027-01-31T23:59:00+01:00"
    assert call.opens is not None and call.opens.date().isoformat() == "2026-11-15"
    assert call.perimeter == "rennes-metropole"
    assert call.audiences == ("associations",)
    assert call.origin == "harvest"
    assert result.next_url == "https://aides.example/api/aids/?page=2"


def test_aides_without_deadline_or_not_calls_are_skipped_with_reason() -> None:
    reasons = {s.uid: s.reason for s in parse_calls_document(json.dumps(AIDES).encode(),
                                                             CTX).skipped}
    assert reasons == {"102": "no deadline (permanent aid)", "103": "not a call for projects"}


def test_rss_call_reads_deadline_and_opening_from_text() -> None:
    result = parse_calls_document(RSS.encode(), CTX)
    [call] = result.calls
    assert call.deadline.isoformat() == "2027-01-15T23:59:00+01:00"
    assert call.opens is not None and call.opens.date().isoformat() == "2026-12-01"
    assert set(call.audiences) == {"associations", "collectifs", "habitants"}
    assert [s.reason for s in result.skipped] == ["no deadline in the item's text"]


def test_push_format_published_as_a_static_file_is_read() -> None:
    doc = [{"id": "c1", "title": "Budget participatif", "funder": "Ville de Rennes",
            "deadline": "2027-02-01T12:00:00+01:00"}]
    [call] = parse_calls_document(json.dumps(doc).encode(), CTX).calls
    assert (call.publisher, call.publisher_id, call.origin) == ("ville-rennes", "c1", "harvest")


@pytest.mark.parametrize("body", [b"", b"<html><p>hello</p></html>", b'{"foo": 1}'])
def test_unusable_documents_raise_one_clear_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse_calls_document(body, CTX)


def test_calls_rss_declaring_entities_is_read_without_expanding_them() -> None:
    """Billion laughs in a funder's feed: the events' RSS reader drops a DOCTYPE that declares
    entities, the calls' one expanded them (expat stops near 8 MB of text, which feedparser
    took one character at a time: seconds of a parser process for 1 KB of document)."""
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    for declared, title in ((entities, "Appel &lol9; jardins"),
                            ('<!ENTITY x "DÉVELOPPÉ">', "Appel &x; jardins")):
        body = (
            '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + declared + "]>"
            '<rss version="2.0"><channel><title>Fondation X</title><item>'
            f"<title>{title}</title><guid>jardins</guid>"
            "<description>Date limite : 15 janvier 2027.</description></item></channel></rss>"
        ).encode()
        [call] = parse_calls_document(body, CTX).calls
        assert len(call.title) < 100 and "DÉVELOPPÉ" not in call.title
