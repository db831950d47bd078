"""HTML parser (JSON-LD, microdata, h-event): one edge case per test."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.harvester.formats import html
from services.harvester.formats.base import ParseContext
from shared.errors import ParseError
from shared.model import Status

FIXTURES = Path(__file__).parents[2] / "fixtures" / "harvester" / "html"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
PAGE = "https://asso.example.org/agenda/"


def ctx(url: str | None = PAGE, **kw) -> ParseContext:
    return ParseContext(source_id="asso-html", now=NOW, url=url, **kw)


def page(**kw):
    return html.parse((FIXTURES / "agenda_page.html").read_bytes(), ctx(**kw))


def parse_html(markup: str, **kw):
    return html.parse(markup.encode(), ctx(**kw))


def jsonld(body: str) -> str:
    return f'<script type="application/ld+json">{body}</script>'


def by_title(result, title):
    return next(e for e in result.events if e.title == title)


def test_every_syntax_is_read_and_duplicates_are_dropped():
    titles = [e.title for e in page().events]
    assert titles == [
        "Concert de soutien & scène ouverte",
        "Théâtre d'impro",
        "Vide-grenier de Bourg-l'Évêque",
    ]


def test_graph_with_comment_and_trailing_commas_is_repaired():
    event = page().events[0]
    assert event.source_uid == "https://asso.example.org/agenda/concert-ubu#event"
    assert event.occurrences[0].start == datetime(2025, 6, 20, 18, 30, tzinfo=UTC)


def test_location_reference_is_resolved_to_place_with_geo():
    loc = page().events[0].location
    assert (loc.name, loc.address, loc.postcode, loc.city) == (
        "L'Ubu",
        "1 rue Saint-Hélier",
        "35000",
        "Rennes",
    )
    assert (loc.lat, loc.lon, loc.precision) == (48.1049, -1.673, "source")


def test_relative_url_and_image_are_resolved_against_page_url():
    event = page().events[0]
    assert event.url == "https://asso.example.org/agenda/concert-ubu"
    assert event.image == "https://asso.example.org/img/concert.jpg"


def test_offer_price_zero_is_free():
    assert page().events[0].is_free is True


def test_subtype_is_a_category_and_performers_kept():
    event = page().events[0]
    assert event.categories == ("MusicEvent",)
    assert event.extra["performers"] == ["Les Ramoneurs de menhirs"]


def test_event_cancelled_status_short_form():
    event = by_title(page(), "Théâtre d'impro")
    assert event.status == Status.CANCELLED
    assert event.occurrences[0].status == Status.CANCELLED


def test_floating_start_is_read_in_source_timezone():
    occ = by_title(page(), "Théâtre d'impro").occurrences[0]
    assert occ.start.isoformat() == "2025-06-27T20:00:00+02:00"


def test_organizer_object_and_numeric_price():
    event = by_title(page(), "Théâtre d'impro")
    assert (event.organizer, event.price, event.is_free) == ("Impro Rennes", "8 EUR", None)


def test_h_event_with_h_card_location_and_category():
    event = by_title(page(), "Vide-grenier de Bourg-l'Évêque")
    assert event.occurrences[0].end.isoformat() == "2025-06-29T18:00:00+02:00"
    assert (event.location.name, event.location.city) == ("Place de Bourg-l'Évêque", "Rennes")
    assert event.url == "https://asso.example.org/agenda/vide-grenier"
    assert event.keywords == ("brocante",)


def test_jsonld_quoted_inside_another_script_is_ignored():
    titles = [e.title for e in page().events]
    assert titles.count("Théâtre d'impro") == 1


def test_fragment_without_html_element_and_bad_offset_is_read_as_wall_clock():
    markup = jsonld(
        '{"@type": "SportsEvent", "name": "Open de bloc", '
        '"startDate": "2025-06-07T08:30-0400", '
        '"location": {"@type": "Place", "name": "Salle", '
        '"address": "12 rue de Lorient, 35000 Rennes, France"}}'
    )
    event = parse_html(markup).events[0]
    assert event.occurrences[0].start.isoformat() == "2025-06-07T08:30:00+02:00"
    assert event.extra["source_offset_ignored"] == "-04:00"


def test_offset_of_an_event_abroad_is_trusted():
    markup = jsonld(
        '{"@type": "MusicEvent", "name": "Tournée", '
        '"startDate": "2025-06-10T19:30:00-0400", "location": {"@type": "Place", '
        '"name": "Club", "address": {"addressLocality": "Brooklyn", '
        '"addressCountry": "US"}}}'
    )
    occ = parse_html(markup).events[0].occurrences[0]
    assert occ.start == datetime(2025, 6, 10, 23, 30, tzinfo=UTC)


def test_utc_times_are_not_flagged():
    markup = jsonld('{"@type": "Event", "name": "Conseil", "startDate": "2025-06-13T17:00:00Z"}')
    event = parse_html(markup).events[0]
    assert event.occurrences[0].start == datetime(2025, 6, 13, 17, tzinfo=UTC)
    assert "source_offset_ignored" not in event.extra


def test_single_event_without_url_uses_page_url_as_url_and_uid():
    event = parse_html(
        jsonld('{"@type": "Event", "name": "AG", "startDate": "2025-06-13"}')
    ).events[0]
    assert event.url == PAGE and event.source_uid == PAGE


def test_date_only_start_is_all_day():
    occ = (
        parse_html(jsonld('{"@type": "Event", "name": "AG", "startDate": "2025-06-13"}'))
        .events[0]
        .occurrences[0]
    )
    assert occ.all_day and occ.start.isoformat() == "2025-06-13T00:00:00+02:00"


def test_duration_gives_the_end():
    markup = jsonld(
        '{"@type": "Event", "name": "Atelier", "startDate": "2025-06-13T14:00", '
        '"duration": "PT1H30M"}'
    )
    occ = parse_html(markup).events[0].occurrences[0]
    assert occ.end.isoformat() == "2025-06-13T15:30:00+02:00"


def test_moved_online_status_sets_online_location():
    markup = jsonld(
        '{"@type": "Event", "name": "Débat", "startDate": "2025-06-13T18:00", '
        '"eventStatus": "https://schema.org/EventMovedOnline"}'
    )
    event = parse_html(markup).events[0]
    assert event.status == Status.MOVED_ONLINE and event.location.online


def test_postponed_and_rescheduled_statuses():
    def status(word):
        return (
            parse_html(
                jsonld(
                    '{"@type": "Event", "name": "X", "startDate": "2025-06-13", '
                    f'"eventStatus": "https://schema.org/{word}"}}'
                )
            )
            .events[0]
            .status
        )

    assert (status("EventPostponed"), status("EventRescheduled")) == (
        Status.POSTPONED,
        Status.RESCHEDULED,
    )


def test_is_accessible_for_free_flag():
    markup = jsonld(
        '{"@type": "Event", "name": "Expo", "startDate": "2025-06-13", "isAccessibleForFree": true}'
    )
    assert parse_html(markup).events[0].is_free is True


def test_sold_out_offers_mark_the_event_full():
    markup = jsonld(
        '{"@type": "Event", "name": "Gala", "startDate": "2025-06-13T20:00", '
        '"offers": {"price": "15", "availability": "https://schema.org/SoldOut"}}'
    )
    assert parse_html(markup).events[0].status == Status.FULL


def test_event_schedule_weekly_is_expanded_within_the_window():
    markup = jsonld(
        '{"@type": "Event", "name": "Permanence", "eventSchedule": {'
        '"@type": "Schedule", "startDate": "2025-06-02", "endDate": "2025-06-30", '
        '"repeatFrequency": "P1W", "byDay": "https://schema.org/Tuesday", '
        '"startTime": "18:00:00", "endTime": "20:00:00"}}'
    )
    occs = parse_html(markup).events[0].occurrences
    assert [o.start.day for o in occs] == [3, 10, 17, 24]
    assert occs[0].end.isoformat() == "2025-06-03T20:00:00+02:00"


def test_microdata_nested_event_inside_another_item():
    markup = """<div itemscope itemtype="http://schema.org/MusicGroup">
      <span itemprop="name">Fanfare</span>
      <div itemprop="event" itemscope itemtype="http://schema.org/Event">
        <a itemprop="url" href="fete-musique"><span itemprop="name">Fête de la musique</span></a>
        <meta itemprop="startDate" content="2025-06-21T18:00">
        <div itemprop="location" itemscope itemtype="http://schema.org/Place">
          <span itemprop="name">Parc du Thabor</span>
          <div itemprop="address" itemscope itemtype="http://schema.org/PostalAddress">
            <span itemprop="addressLocality">Rennes</span></div></div>
      </div></div>"""
    event = parse_html(markup).events[0]
    assert event.title == "Fête de la musique"
    assert event.url == "https://asso.example.org/agenda/fete-musique"
    assert (event.location.name, event.location.city) == ("Parc du Thabor", "Rennes")


def test_unreadable_jsonld_block_is_skipped_and_others_used():
    markup = jsonld("{not json at all") + jsonld(
        '{"@type": "Event", "name": "OK", "startDate": "2025-06-13"}'
    )
    result = parse_html(markup)
    assert [e.title for e in result.events] == ["OK"]
    assert result.skipped[0].reason.startswith("unreadable JSON-LD block")


def test_page_without_event_raises_one_line_parse_error():
    markup = jsonld('{"@type": "NewsArticle", "headline": "x", // comment\n}')
    with pytest.raises(ParseError, match=r"no schema.org Event .*found: NewsArticle") as info:
        parse_html(markup)
    assert "\n" not in str(info.value)


def test_event_without_start_is_skipped_with_reason():
    result = parse_html(jsonld('{"@type": "Event", "name": "Bientôt"}'))
    assert result.events == [] and result.skipped[0].reason == "no usable date"


def test_comment_repair_keeps_double_slashes_inside_strings():
    markup = jsonld(
        '{"@type": "Event", "name": "Ciné", /* block */ "startDate": "2025-06-13T21:00",\n'
        '"url": "https://asso.example.org/cine", // line comment\n}'
    )
    assert parse_html(markup).events[0].url == "https://asso.example.org/cine"


def test_html_escaped_jsonld_is_unescaped():
    markup = jsonld(
        "{&quot;@type&quot;: &quot;Event&quot;, &quot;name&quot;: &quot;Bal&quot;, "
        "&quot;startDate&quot;: &quot;2025-06-13&quot;}"
    )
    assert parse_html(markup).events[0].title == "Bal"
