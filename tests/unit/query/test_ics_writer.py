"""The hand-written ICS export against the ``icalendar``-built one it replaced.

``old_render`` below is the previous renderer, kept verbatim as the oracle: for a varied set
of occurrences (accents, emoji, long folded texts, escaped characters, all-day and timed,
statuses, places, DST transitions…) the new bytes must read back, with ``icalendar`` and
with ``recurring_ical_events``, exactly as the old ones did, while being folded at 75 octets
with CRLF line endings.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from services.query.exports import ics
from services.query.exports.feed import Feed, all_day_dates, moment, place_label
from shared.model import Event, Location, Occurrence, ThemeTag
from shared.store.base import occurrence_docs
from shared.taxonomy import theme_label

PARIS = ZoneInfo("Europe/Paris")
FEED = Feed(title="Maillage – test", description="Des événements", base_url="https://m.example",
            self_url="https://m.example/v1/events.ics?q=x", html_url="https://m.example/?q=x",
            tz=PARIS, generated=datetime(2026, 12, 1, tzinfo=PARIS))
TRICKY_FEED = dataclasses.replace(
    FEED, title="Maillage : repas, soupe; « pain » \\ fromage 🎉 — " + "é€🎉" * 20,
    description="Événements des associations de Rennes et de Rennes Métropole, réunis.",
    self_url="https://m.example/v1/events.ics?q=repas,soupe;pain&theme=culture")


# --- the oracle: the icalendar-built renderer, as it was ----------------------------------

def old_vevent(item: dict[str, Any], feed: Feed) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", ics.uid(item))
    stamp = ics.revised(item, feed)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    if item.get("all_day"):
        first, after = all_day_dates(item, feed.tz)
        event.add("dtstart", first)
        event.add("dtend", after)
    else:
        start = moment(item["start"]).astimezone(feed.tz)
        end = moment(item["end"]).astimezone(feed.tz)
        event.add("dtstart", start)
        if end > start:
            event.add("dtend", end)
    event.add("summary", item.get("title") or "")
    event.add("description", ics.description(item, feed))
    place = place_label(item)
    if place:
        event.add("location", place)
    loc = item.get("location") or {}
    if loc.get("lat") is not None and loc.get("lon") is not None:
        event.add("geo", (float(loc["lat"]), float(loc["lon"])))
    event.add("url", feed.event_url(item))
    themes = [theme_label(code) for code in item.get("themes") or ()]
    if themes:
        event.add("categories", themes)
    event.add("status", ics.STATUS.get(str(item.get("status")), "CONFIRMED"))
    event.add("transp", "TRANSPARENT")
    event.add("class", "PUBLIC")
    return event


def old_render(items: list[dict[str, Any]], feed: Feed) -> bytes:
    cal = icalendar.Calendar()
    cal.add("prodid", ics.PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", feed.title)
    cal.add("x-wr-caldesc", feed.description)
    cal.add("x-wr-timezone", feed.tz.key)
    cal.add("name", feed.title)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    cal.add("source", feed.self_url, parameters={"VALUE": "URI"})
    first, last = ics.year_range(items, feed)
    cal.add_component(icalendar.Timezone.from_tzid(feed.tz.key, first_date=first,
                                                   last_date=last))
    for item in items:
        cal.add_component(old_vevent(item, feed))
    return bytes(cal.to_ical())


# --- a varied set of occurrences ---------------------------------------------------------

_uids = itertools.count()
RENNES = Location(name="Salle Guy Ropartz", address="14 rue Guy Ropartz", city="Rennes",
                  lat=48.12, lon=-1.65)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def timed(start: datetime, hours: float | None = 2) -> Occurrence:
    return Occurrence(start=start, end=None if hours is None else start + timedelta(hours=hours))


def all_day(first: date, days: int = 1, **kw: Any) -> Occurrence:
    start = datetime(first.year, first.month, first.day, tzinfo=PARIS)
    return Occurrence(start=start, end=start + timedelta(days=days), all_day=True, **kw)


def event(title: str = "Concert", occurrences: list[Occurrence] | None = None,
          **kw: Any) -> list[dict[str, Any]]:
    fields: dict[str, Any] = {"location": RENNES, "organizer": "Chorale",
                              "themes": (ThemeTag("culture", "test"),),
                              "description_text": "Un concert.", "is_free": True}
    fields.update(kw)
    return occurrence_docs(Event.create(
        source_id="s", source_uid=f"u{next(_uids)}", title=title,
        occurrences=occurrences or [timed(at(2026, 12, 5, 20))], **fields))


LONG_TITLE = "Fête de la Saint-Jean 🎉 — « Grand bal » à l’école élémentaire (Cesson-Sévigné) " * 4
LONG_TEXT = (
    "Programme : ouverture des portes à 18 h ; buvette, crêpes & galettes-saucisses, "
    "jeux pour les enfants 🎈🎲, concert du groupe « Les Éphémères » — entrée libre.\n"
    "Chemin d’accès : C:\\Asso\\Plan; suivre les flèches, puis 🚲 parking vélo.\r\n"
    "Ligne Mac\rfin.\n\n") * 6
ITEMS: list[dict[str, Any]] = [
    *event(),
    *event("Fête de l’été à Saint-Grégoire – guinguette", description_text="Ça démarre à 19 h."),
    *event("Soirée jeux 🎲🎉🧩 au café 🍵", description_text="Venez nombreux 😀"),
    *event(LONG_TITLE, description_text=LONG_TEXT),
    *event("Repas; soupe, pain \\ « fromage »", description_text="a\nb\r\nc\rd,e;f\\g"),
    *event("Backslashes \\\\\\ partout\\", description_text="\\" * 300),
    *event("", description_text=""),  # an empty SUMMARY, a description of facts only
    *event("Journée portes ouvertes", occurrences=[all_day(date(2026, 6, 13))]),
    *event("Festival (trois jours)", occurrences=[all_day(date(2026, 7, 10), days=3)]),
    *event("Week-end du changement d'heure", occurrences=[all_day(date(2026, 3, 28), days=2)]),
    *event("Sans fin", occurrences=[timed(at(2026, 9, 12, 14), hours=None)]),
    *event("Série", occurrences=[timed(at(2026, 9, 19, 14)), timed(at(2026, 9, 26, 14, 30)),
                                 timed(at(2027, 1, 2, 10), hours=30)]),
    *event("Annulé", status="cancelled"),
    *event("Reporté", status="postponed"),
    *event("À confirmer", status="tentative"),
    *event("Complet", status="full"),
    *event("Occurrence annulée", occurrences=[
        Occurrence(start=at(2026, 11, 7, 20), end=at(2026, 11, 7, 22), status="cancelled")]),
    *event("Sans lieu", location=None),
    *event("En ligne", location=Location(online=True)),
    *event("Lieu sans coordonnées", location=Location(name="Le Jardin Moderne", city="Rennes")),
    *event("Coordonnées entières", location=Location(name="Place", lat=48, lon=-2)),
    *event("Coordonnées précises", location=Location(name="Parc, des; Gayeulles",
                                                     lat=48.1372591, lon=-1.6255034)),
    *event("Thèmes", themes=(ThemeTag("culture", "t"), ThemeTag("education", "t"),
                             ThemeTag("economie", "t"), ThemeTag("code,inconnu;x", "t"))),
    *event("Sans thème", themes=()),
    *event("Payant", is_free=False, price="5 €, 3 € réduit; gratuit -12 ans"),
    *event("Prix inconnu", is_free=None, price=None, organizer=None),
    *event("Source", url="https://asso.example/agenda?id=1,2;3&x=\\y"),
    *event("Mis à jour", updated=datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)),
    *event("Mis à jour (Paris)", updated=at(2026, 7, 2, 9, 30)),
    # DST transitions in Europe/Paris: 2026-03-29 02:00 → 03:00, 2026-10-25 03:00 → 02:00.
    *event("Nuit du passage à l'heure d'été", occurrences=[
        Occurrence(start=at(2026, 3, 29, 1, 30), end=datetime(2026, 3, 29, 1, 30, tzinfo=UTC))]),
    *event("Nuit du passage à l'heure d'hiver", occurrences=[
        Occurrence(start=datetime(2026, 10, 25, 0, 30, tzinfo=UTC),
                   end=datetime(2026, 10, 25, 3, 0, tzinfo=UTC))]),
    *event("Heure répétée", occurrences=[
        Occurrence(start=datetime(2026, 10, 25, 1, 15, tzinfo=UTC),
                   end=datetime(2026, 10, 25, 2, 15, tzinfo=UTC))]),
    *event("Donné en UTC", occurrences=[
        Occurrence(start=datetime(2026, 8, 1, 16, tzinfo=UTC),
                   end=datetime(2026, 8, 1, 23, 59, 59, tzinfo=UTC))]),
    *event("Il y a longtemps", occurrences=[timed(at(2024, 2, 29, 18))]),
]
for _width in range(6):  # every alignment of multi-byte characters on the folding limit
    ITEMS += event("x" * _width + "é€🎉" * 30, description_text="y" * _width + "\\" * 80)

FEEDS = {
    "paris": FEED,
    "tricky": TRICKY_FEED,
    "utc": dataclasses.replace(FEED, tz=ZoneInfo("UTC")),
    "new-york": dataclasses.replace(FEED, tz=ZoneInfo("America/New_York")),
}


# --- helpers --------------------------------------------------------------------------

def unfold(body: bytes) -> list[str]:
    return body.decode().replace("\r\n ", "").split("\r\n")


def properties(component: icalendar.cal.Component) -> list[tuple[Any, ...]]:
    """Every property of a component: name, parameters, decoded value and ICS text."""
    found = []
    value: Any
    for name, value in component.property_items(recursive=False):
        if name in ("BEGIN", "END"):
            continue
        decoded = component.decoded(name)
        if isinstance(decoded, datetime):  # the wall time, the zone and the instant
            decoded = (decoded.isoformat(), str(decoded.tzinfo), decoded.timestamp())
        found.append((name, dict(value.params), decoded, value.to_ical()))
    return sorted(found, key=repr)


def occurrences(body: bytes) -> list[tuple[Any, ...]]:
    cal = icalendar.Calendar.from_ical(body)
    return sorted(((str(e["UID"]), str(e["SUMMARY"]), repr(e.decoded("DTSTART")),
                    repr(e.decoded("DTEND")) if "DTEND" in e else None, str(e["STATUS"]))
                   for e in recurring_ical_events.of(cal).all()), key=repr)


# --- the comparison with the oracle -------------------------------------------------------

@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
def test_same_properties_as_the_icalendar_built_export(feed: Feed) -> None:
    new, old = ics.render(ITEMS, feed), old_render(ITEMS, feed)
    new_cal, old_cal = icalendar.Calendar.from_ical(new), icalendar.Calendar.from_ical(old)
    assert properties(new_cal) == properties(old_cal)
    assert [c.name for c in new_cal.subcomponents] == [c.name for c in old_cal.subcomponents]
    assert len(new_cal.walk("VEVENT")) == len(ITEMS)
    for new_part, old_part in zip(new_cal.walk(), old_cal.walk(), strict=True):
        assert new_part.name == old_part.name
        assert properties(new_part) == properties(old_part), new_part.get("SUMMARY")


@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
def test_same_content_lines_once_unfolded(feed: Feed) -> None:
    """Only the folding differs: same properties, in the same order, escaped alike."""
    assert unfold(ics.render(ITEMS, feed)) == unfold(old_render(ITEMS, feed))


@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
def test_recurring_ical_events_lists_the_same_occurrences(feed: Feed) -> None:
    listed = occurrences(ics.render(ITEMS, feed))
    assert len(listed) == len(ITEMS)
    assert listed == occurrences(old_render(ITEMS, feed))


def test_an_empty_export_is_the_same() -> None:
    assert unfold(ics.render([], FEED)) == unfold(old_render([], FEED))


def test_texts_read_back_unchanged() -> None:
    by_uid = {ics.uid(i): i for i in ITEMS}
    for vevent in icalendar.Calendar.from_ical(ics.render(ITEMS, FEED)).walk("VEVENT"):
        item = by_uid[str(vevent["UID"])]
        assert str(vevent["SUMMARY"]) == item["title"]
        expected = ics.description(item, FEED).replace("\r\n", "\n").replace("\r", "\n")
        assert str(vevent["DESCRIPTION"]) == expected


# --- the physical format ------------------------------------------------------------------

@pytest.mark.parametrize("feed", FEEDS.values(), ids=FEEDS.keys())
def test_lines_are_crlf_terminated_and_at_most_75_octets(feed: Feed) -> None:
    body = ics.render(ITEMS, feed)
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert b"\r" not in b"".join(lines) and b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75
    for line, following in itertools.pairwise([*lines, b"END"]):
        line.decode("utf-8")  # never a cut inside a multi-byte character
        if following.startswith(b" "):  # folded: only as early as a whole character needs
            assert len(line) >= 71


def test_folding_never_separates_a_backslash_from_what_it_escapes() -> None:
    body = ics.render(ITEMS, FEED).decode()
    logical = ""
    for line in body.split("\r\n"):
        if line.startswith(" "):
            run = len(logical) - len(logical.rstrip("\\"))
            assert run % 2 == 0, logical[-80:]
            logical += line[1:]
        else:
            logical = line


@pytest.mark.parametrize("char", ["a", "é", "€", "🎉", "\\\\", "\\n"])
@pytest.mark.parametrize("width", range(5))
def test_fold_at_every_alignment(char: str, width: int) -> None:
    line = "DESCRIPTION:" + "x" * width + char * 120
    folded = ics.fold(line)
    parts = folded.split("\r\n ")
    assert "".join(parts) == line
    data = [p.encode() for p in parts]
    assert len(data[0]) <= 75 and all(len(p) <= 74 for p in data[1:])
    assert all(len(p) >= 70 for p in data[:-1])


def test_short_lines_are_not_folded() -> None:
    assert ics.fold("SUMMARY:Fête") == "SUMMARY:Fête"
    assert ics.fold("X:" + "é" * 36) == "X:" + "é" * 36  # 74 octets
    assert ics.fold("X:" + "a" * 73) == "X:" + "a" * 73  # 75 octets
    assert ics.fold("X:" + "a" * 74) == "X:" + "a" * 73 + "\r\n a"


def test_the_output_is_byte_stable() -> None:
    first = ics.render(ITEMS, FEED)
    ics.vtimezone.cache_clear()
    assert ics.render(ITEMS, FEED) == first
    assert ics.render(list(ITEMS), dataclasses.replace(FEED)) == first


def test_the_vtimezone_is_rendered_once_per_zone_and_years() -> None:
    ics.vtimezone.cache_clear()
    ics.render(ITEMS[:3], FEED)
    ics.render(ITEMS[3:6], FEED)
    info = ics.vtimezone.cache_info()
    assert (info.misses, info.hits) == (1, 1)
    ics.render(event(occurrences=[timed(at(2030, 1, 1, 10))]), FEED)
    assert ics.vtimezone.cache_info().misses == 2


def test_vevent_gives_the_lines_of_one_event() -> None:
    (item,) = event("Concert")
    lines = ics.vevent(item, FEED)
    assert lines[0] == "BEGIN:VEVENT" and lines[-1] == "END:VEVENT"
    assert "DTSTART;TZID=Europe/Paris:20261205T200000" in lines
    assert "GEO:48.12;-1.65" in lines and "TRANSP:TRANSPARENT" in lines


# --- where the new writer deliberately differs --------------------------------------------

def test_a_literal_backslash_n_stays_text() -> None:
    """``icalendar`` turned the two characters ``\\N`` into a line break; we keep them."""
    (vevent,) = icalendar.Calendar.from_ical(
        ics.render(event("C:\\Nouveau dossier"), FEED)).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "C:\\Nouveau dossier"


def test_control_characters_forbidden_in_text_are_dropped() -> None:
    body = ics.render(event("a\x00b\x07c\td\x1be\x7ff", description_text="x\x0cy"), FEED)
    assert not any(b < 0x20 and b not in b"\t\r\n" or b == 0x7F for b in body)
    (vevent,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "abc\tdef"
    assert str(vevent["DESCRIPTION"]).startswith("xy\n\n")


def test_a_line_break_in_the_calendar_name_becomes_a_space() -> None:
    """``icalendar`` failed on it (an assertion); the name is kept on one line instead."""
    feed = dataclasses.replace(FEED, title="Maillage : repas\r\n\nsoupe\x00")
    cal = icalendar.Calendar.from_ical(ics.render(event(), feed))
    assert str(cal["X-WR-CALNAME"]) == str(cal["NAME"]) == "Maillage : repas soupe"


def test_the_calendar_name_is_written_as_is_like_before() -> None:
    """icalendar and ical.js read ``NAME`` and ``X-WR-*`` raw: no TEXT escaping there."""
    body = ics.render([], TRICKY_FEED)
    assert "X-WR-CALDESC:" + TRICKY_FEED.description in unfold(body)
    assert str(icalendar.Calendar.from_ical(body)["X-WR-CALNAME"]) == TRICKY_FEED.title


def test_a_line_break_in_a_uri_cannot_end_the_line() -> None:
    """``icalendar`` refused such a URI (an error); it is percent-encoded instead."""
    feed = dataclasses.replace(FEED, self_url="https://m.example/v1/events.ics?q=a\r\nb")
    body = ics.render(event(), feed)
    assert b"SOURCE;VALUE=URI:https://m.example/v1/events.ics?q=a%0D%0Ab\r\n" in body
