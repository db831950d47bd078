"""Subscriptions and widgets carry rolling periods that the server resolves at each request:
a subscription made on a Friday to "Ce week-end" still shows the next weekend's events the
following week (the site's clock is moved)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest

pytestmark = pytest.mark.e2e
PARIS = ZoneInfo("Europe/Paris")
ATELIER = "Atelier d’autoréparation de vélos"  # seeded on the next three Saturdays


def atelier_days(ics: bytes) -> set[date]:
    calendar = icalendar.Calendar.from_ical(ics)
    return {e.decoded("DTSTART").astimezone(PARIS).date() for e in calendar.walk("VEVENT")
            if str(e.get("SUMMARY")) == ATELIER}


@pytest.fixture
def moved_clock(site: Any) -> Any:
    yield site
    site.now = None


def test_weekend_subscription_made_on_friday_shows_next_weekend_a_week_later(
        moved_clock: Any, page: Any) -> None:
    site = moved_clock
    today = datetime.now(PARIS).date()
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    friday = datetime.combine(saturday - timedelta(days=1), time(18), PARIS)
    site.now = friday
    page.goto(site.url + "/")
    page.get_by_role("button", name="Ce week-end").click()
    assert parse_qs(urlsplit(page.url).query)["period"] == ["weekend"]
    feeds = {}
    for name in ("Télécharger le fichier .ics", "Flux RSS", "Ajouter à mon agenda"):
        href = page.locator(".subscribe").get_by_role("link", name=name).get_attribute("href")
        query = parse_qs(urlsplit(href).query)
        assert query.get("period") == ["weekend"] and "from" not in query and "to" not in query
        feeds[name] = href
    ics_url = feeds["Télécharger le fichier .ics"]
    assert atelier_days(page.request.get(ics_url).body()) == {saturday}

    site.now = friday + timedelta(days=7)  # the subscribed calendar refreshes a week later
    assert atelier_days(page.request.get(ics_url).body()) == {saturday + timedelta(days=7)}
    rss = page.request.get(feeds["Flux RSS"]).text()
    assert ATELIER in rss


def test_widget_made_from_a_period_keeps_it(site: Any, page: Any) -> None:
    page.goto(site.url + "/?period=7d&theme=culture")
    href = page.get_by_role("link", name="Intégrer cette sélection sur votre site")
    page.goto(site.url + href.get_attribute("href"))
    snippet = page.locator("pre.snippet").first.inner_text()
    assert "period=7d" in snippet and "theme=culture" in snippet


def test_period_shortcut_keeps_boxes_ticked_but_not_applied(site: Any, nojs_page: Any) -> None:
    """A "Quand ?" shortcut is a button of the filters' form: the boxes ticked but not yet
    applied go along, even without JavaScript, and typed dates give way to it."""
    page = nojs_page
    page.goto(site.url + "/?theme=culture&from=2030-01-01")
    page.get_by_label("Gratuit uniquement").check()
    page.get_by_role("button", name="Dans les 7 jours").click()
    query = parse_qs(urlsplit(page.url).query)
    assert query["theme"] == ["culture"] and query["free"] == ["true"]
    assert query["period"] == ["7d"] and "from" not in query and "quand" not in query
    assert page.get_by_label("Gratuit uniquement").is_checked()
    assert page.get_by_role("button", name="Dans les 7 jours").get_attribute(
        "aria-pressed") == "true"


def test_enter_in_a_date_field_applies_the_filters_not_a_shortcut(site: Any,
                                                                   page: Any) -> None:
    page.goto(site.url + "/?period=weekend")
    day = (datetime.now(PARIS).date() + timedelta(days=3)).isoformat()
    page.get_by_label("À partir du").fill(day)
    page.get_by_label("À partir du").press("Enter")
    page.wait_for_url("**from=**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["from"] == [day] and "quand" not in query
    # the typed date wins over the period left in the address, and the feeds say so
    ics = page.locator(".subscribe").get_by_role("link", name="Télécharger le fichier .ics")
    feed_query = parse_qs(urlsplit(ics.get_attribute("href")).query)
    assert feed_query["from"] == [day] and "period" not in feed_query


def test_typed_dates_replace_the_period(site: Any, nojs_page: Any) -> None:
    nojs_page.goto(site.url + "/?period=weekend")
    day = (datetime.now(PARIS).date() + timedelta(days=3)).isoformat()
    nojs_page.get_by_label("À partir du").fill(day)
    nojs_page.get_by_role("button", name="Appliquer les filtres").click()
    query = parse_qs(urlsplit(nojs_page.url).query)
    assert query["from"] == [day]
    assert "Recherche impossible" not in nojs_page.content()
