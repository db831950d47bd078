"""RSS/Atom parser: one edge case per test (fixtures written inline)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from services.harvester.formats.base import ParseContext
from services.harvester.formats.rss import NO_DATE, parse
from shared.errors import ParseError

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EV_NS = 'xmlns:ev="http://purl.org/rss/1.0/modules/event/"'


def ctx(**kw: object) -> ParseContext:
    return ParseContext(source_id="src", now=NOW, **kw)  # type: ignore[arg-type]


def rss(*items: str, ns: str = EV_NS) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" {ns}><channel>'
        "<title>Agenda</title><link>https://asso.example/</link>"
        + "".join(items)
        + "</channel></rss>"
    ).encode("utf-8")


def item(
    title: str = "Bal folk",
    extra: str = "",
    pub: str = "Sun, 01 Feb 2026 10:00:00 GMT",
    guid: str = "https://asso.example/bal",
) -> str:
    return (
        f"<item><title>{title}</title><link>https://asso.example/bal</link>"
        f"<guid>{guid}</guid><pubDate>{pub}</pubDate>{extra}</item>"
    )


def test_rss_pubdate_alone_is_not_an_event_date():
    result = parse(rss(item()), ctx())
    assert result.events == []
    assert result.skipped[0].reason == NO_DATE
    assert result.skipped[0].title == "Bal folk"


def test_rss_item_without_event_date_lists_its_page_for_the_worker():
    result = parse(rss(item(), item("Avec date", extra="<ev:startdate>2026-03-10T18:00"
                                    "</ev:startdate>", guid="g2")), ctx())
    [linked] = result.linked
    assert (linked.uid, linked.title, linked.url) == (
        "https://asso.example/bal", "Bal folk", "https://asso.example/bal")


def test_rss_item_with_a_link_that_is_not_a_web_page_lists_nothing():
    body = rss("<item><title>Bal</title><link>javascript:alert(1)</link><guid>g</guid></item>")
    result = parse(body, ctx())
    assert result.linked == [] and result.skipped[0].reason == NO_DATE


def test_rss_mod_event_startdate_and_enddate():
    extra = (
        "<ev:startdate>2026-03-14T20:00:00+01:00</ev:startdate>"
        "<ev:enddate>2026-03-14T23:30:00+01:00</ev:enddate><ev:location>Salle Guy Ropartz"
        "</ev:location>"
    )
    ev = parse(rss(item(extra=extra)), ctx()).events[0]
    occ = ev.occurrences[0]
    assert occ.start == datetime(2026, 3, 14, 20, tzinfo=PARIS)
    assert occ.end == datetime(2026, 3, 14, 23, 30, tzinfo=PARIS)
    assert ev.location is not None and ev.location.name == "Salle Guy Ropartz"
    assert ev.source_format == "rss" and ev.url == "https://asso.example/bal"


def test_rss_mod_event_with_another_prefix_is_found_by_namespace():
    ns = 'xmlns:evt="http://purl.org/rss/1.0/modules/event/"'
    extra = "<evt:startdate>2026-03-14T20:00:00Z</evt:startdate>"
    ev = parse(rss(item(extra=extra), ns=ns), ctx()).events[0]
    assert ev.occurrences[0].start == datetime(2026, 3, 14, 20, tzinfo=UTC)


def test_rss_mod_event_date_only_is_all_day_with_inclusive_end_date():
    extra = "<ev:startdate>2026-03-14</ev:startdate><ev:enddate>2026-03-15</ev:enddate>"
    occ = parse(rss(item(extra=extra)), ctx()).events[0].occurrences[0]
    assert occ.all_day
    assert occ.start == datetime(2026, 3, 14, tzinfo=PARIS)
    assert occ.end == datetime(2026, 3, 16, tzinfo=PARIS)


def test_rss_floating_event_date_is_read_in_source_timezone():
    extra = "<ev:startdate>2026-03-14T20:00:00</ev:startdate>"
    occ = parse(rss(item(extra=extra)), ctx()).events[0].occurrences[0]
    assert occ.start == datetime(2026, 3, 14, 19, tzinfo=UTC)


def test_rss_xcal_dtstart_in_basic_format():
    ns = 'xmlns:xCal="urn:ietf:params:xml:ns:xcal"'
    extra = "<xCal:dtstart>20260314T200000Z</xCal:dtstart><xCal:dtend>20260314T220000Z</xCal:dtend>"
    occ = parse(rss(item(extra=extra), ns=ns), ctx()).events[0].occurrences[0]
    assert occ.start == datetime(2026, 3, 14, 20, tzinfo=UTC)
    assert occ.end == datetime(2026, 3, 14, 22, tzinfo=UTC)


def test_rss_xcal_rfc6321_value_with_tzid_parameter():
    ns = 'xmlns:x="urn:ietf:params:xml:ns:xcal"'
    extra = (
        "<x:dtstart><x:parameters><x:tzid><x:text>America/Montreal</x:text></x:tzid>"
        "</x:parameters><x:date-time>2026-03-14T20:00:00</x:date-time></x:dtstart>"
    )
    occ = parse(rss(item(extra=extra), ns=ns), ctx()).events[0].occurrences[0]
    assert occ.start == datetime(2026, 3, 15, 0, tzinfo=UTC)


def test_rss_french_date_in_title_only_when_the_source_says_so():
    body = rss(item(title="Bal folk samedi 14 mars 2026 à 20h30"))
    assert parse(body, ctx()).events == []
    ev = parse(body, ctx(options={"dates_in_text": True})).events[0]
    assert ev.occurrences[0].start == datetime(2026, 3, 14, 20, 30, tzinfo=PARIS)


def test_rss_french_date_in_description_when_title_has_none():
    body = rss(
        item(extra="<description>&lt;p&gt;Rendez-vous le 14/03/2026&lt;/p&gt;</description>")
    )
    occ = parse(body, ctx(options={"dates_in_text": True})).events[0].occurrences[0]
    assert occ.all_day and occ.start == datetime(2026, 3, 14, tzinfo=PARIS)


def test_rss_event_outside_window_is_skipped_with_reason():
    extra = "<ev:startdate>2020-03-14T20:00:00Z</ev:startdate>"
    result = parse(rss(item(extra=extra)), ctx())
    assert result.events == [] and "outside the window" in result.skipped[0].reason


def test_rss_categories_author_and_image_enclosure():
    extra = (
        "<ev:startdate>2026-03-14T20:00:00Z</ev:startdate><category>Danse</category>"
        "<category>Musique</category><author>bureau@asso.example (Le Bureau)</author>"
        '<enclosure url="https://asso.example/affiche.jpg" type="image/jpeg" length="1"/>'
    )
    ev = parse(rss(item(extra=extra)), ctx()).events[0]
    assert ev.categories == ("Danse", "Musique")
    assert ev.image == "https://asso.example/affiche.jpg"
    assert ev.organizer is not None and "Bureau" in ev.organizer


def test_rss_source_organizer_wins_over_item_author():
    extra = "<ev:startdate>2026-03-14T20:00:00Z</ev:startdate><author>x@y.example (Z)</author>"
    ev = parse(rss(item(extra=extra)), ctx(organizer="Cercle Celtique")).events[0]
    assert ev.organizer == "Cercle Celtique"


def test_rss_atom_entry_with_event_dates():
    body = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" ' + EV_NS + ">"
        "<title>A</title><id>urn:a</id><updated>2026-02-01T00:00:00Z</updated>"
        "<entry><id>urn:e1</id><title>Concert</title><updated>2026-02-01T00:00:00Z</updated>"
        '<link href="https://asso.example/c"/><ev:startdate>2026-03-20T19:00:00Z</ev:startdate>'
        "</entry></feed>"
    ).encode()
    ev = parse(body, ctx()).events[0]
    assert ev.source_uid == "urn:e1" and ev.url == "https://asso.example/c"


def test_rss_1_0_rdf_item_with_mod_event():
    body = (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" ' + EV_NS + ">"
        '<channel rdf:about="https://asso.example/"><title>A</title>'
        "<link>https://asso.example/</link><description>d</description></channel>"
        '<item rdf:about="https://asso.example/i"><title>Fest-noz</title>'
        "<link>https://asso.example/i</link><ev:startdate>2026-03-21T21:00:00+01:00"
        "</ev:startdate></item></rdf:RDF>"
    ).encode()
    ev = parse(body, ctx()).events[0]
    assert ev.title == "Fest-noz"
    assert ev.occurrences[0].start == datetime(2026, 3, 21, 20, tzinfo=UTC)


def test_rss_atom_entry_without_title_is_skipped():
    body = (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<entry><author></author></entry></feed>"
    )
    result = parse(body, ctx())
    assert result.events == [] and result.skipped[0].reason == "no title"


def test_rss_latin1_feed_without_declaration_keeps_accents():
    extra = "<ev:startdate>2026-03-14T20:00:00Z</ev:startdate>"
    body = (
        rss(item(title="Fête de l'été", extra=extra))
        .replace(b' encoding="UTF-8"', b"")
        .decode()
        .encode("latin-1")
    )
    assert parse(body, ctx()).events[0].title == "Fête de l'été"


def test_rss_not_well_formed_feed_falls_back_to_feedparser_names():
    extra = "<ev:startdate>2026-03-14T20:00:00Z</ev:startdate><itunes:x>1</itunes:x>"
    body = rss(item(extra=extra)).replace(b"</rss>", b"</rss")
    ev = parse(body, ctx()).events[0]
    assert ev.occurrences[0].start == datetime(2026, 3, 14, 20, tzinfo=UTC)


def test_rss_truncated_inside_cdata_gives_a_clean_result():
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title><![CD'
    result = parse(body, ctx())
    assert result.events == []


def test_rss_billion_laughs_ends_quickly_with_a_clean_result():
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    body = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + entities + "]>"
        '<rss version="2.0" ' + EV_NS + "><channel><title>t</title><item><title>&lol9;</title>"
        "<ev:startdate>2026-03-14T20:00:00Z</ev:startdate></item></channel></rss>"
    ).encode()
    result = parse(body, ctx())
    titles = [e.title for e in result.events] + [s.title or "" for s in result.skipped]
    assert all(len(t) < 100 for t in titles)


def test_rss_external_entity_is_not_resolved(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<rss version="2.0" ' + EV_NS + "><channel><title>t</title><item><title>A &x;</title>"
        "<ev:startdate>2026-03-14T20:00:00Z</ev:startdate></item></channel></rss>"
    ).encode()
    result = parse(body, ctx())
    assert "TOP-SECRET" not in repr(result)


def test_rss_body_that_is_a_file_name_is_not_opened(tmp_path):
    path = tmp_path / "feed.xml"
    path.write_bytes(rss(item(extra="<ev:startdate>2026-03-14T20:00:00Z</ev:startdate>")))
    with pytest.raises(ParseError):
        parse(str(path).encode(), ctx())


def test_rss_html_page_raises_parse_error():
    with pytest.raises(ParseError, match="not an RSS or Atom feed"):
        parse(b"<html><head><title>Document Moved</title></head><body>x</body></html>", ctx())


def test_rss_feed_without_items_reports_it():
    result = parse(rss(), ctx())
    assert result.events == [] and result.skipped[0].reason == "the feed has no items"


def test_rss_occurrence_has_a_recurrence_key_and_stable_event_id():
    extra = "<ev:startdate>2026-03-14T20:00:00Z</ev:startdate>"
    first = parse(rss(item(extra=extra)), ctx()).events[0]
    second = parse(rss(item(extra=extra, pub="Mon, 02 Feb 2026 10:00:00 GMT")), ctx()).events[0]
    assert first.id == second.id
    assert first.occurrences[0].recurrence_key == "2026-03-14T20:00:00+00:00"
    assert first.updated == datetime(2026, 2, 1, 10, tzinfo=UTC) - timedelta(0)
