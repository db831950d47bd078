"""The event page's actions: add to a calendar, share, link previews, the source's image
served from this site (issue 18, "the event page")."""

from __future__ import annotations

import io
import json
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest
from PIL import Image

pytestmark = pytest.mark.e2e


def open_event(site: Any, page: Any, text: str) -> None:
    page.goto(site.url + "/?q=" + text)
    page.locator(".event .title a", has_text=text).first.click()
    page.wait_for_url("**/evenement/**")


def test_add_to_my_calendar_offers_ics_google_and_outlook(site: Any, page: Any) -> None:
    open_event(site, page, "Fest-noz de la Saint-Martin")
    box = page.get_by_role("region", name="Ajouter à mon agenda")
    ics_href = box.get_by_role("link", name="Fichier iCalendar (.ics)").get_attribute("href")
    response = page.request.get(site.url + ics_href)
    assert response.headers["content-type"].startswith("text/calendar")
    assert 'filename="fest-noz-de-la-saint-martin.ics"' in response.headers[
        "content-disposition"]
    events = icalendar.Calendar.from_ical(response.body()).walk("VEVENT")
    assert len(events) == 1 and str(events[0]["SUMMARY"]) == "Fest-noz de la Saint-Martin"
    start = events[0].decoded("DTSTART")
    assert (start.hour, start.minute) == (20, 30)

    google = urlsplit(box.get_by_role("link", name="Google Agenda").get_attribute("href"))
    params = parse_qs(google.query)
    assert google.netloc == "calendar.google.com" and params["action"] == ["TEMPLATE"]
    assert params["text"] == ["Fest-noz de la Saint-Martin"]
    begin, end = params["dates"][0].split("/")
    assert begin == start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert "Salle de la Cité" in params["location"][0]
    assert page.url in params["details"][0]
    outlook = parse_qs(urlsplit(box.get_by_role("link", name="Outlook").get_attribute(
        "href")).query)
    assert outlook["subject"] == ["Fest-noz de la Saint-Martin"]
    assert outlook["startdt"][0].startswith(start.astimezone(UTC).strftime(
        "%Y-%m-%dT%H:%M"))


def test_share_copies_the_link(site: Any, browser: Any) -> None:
    context = browser.new_context(locale="fr-FR", permissions=["clipboard-read",
                                                                "clipboard-write"])
    page = context.new_page()
    try:
        open_event(site, page, "Fest-noz de la Saint-Martin")
        assert page.get_by_label("Lien de cet événement").input_value() == page.url
        page.get_by_role("button", name="Copier le lien").click()
        page.get_by_role("status").filter(has_text="Lien copié").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == page.url
        # headless chromium has no share sheet: the button stays hidden, never broken
        has_share = page.evaluate("'share' in navigator")
        assert page.get_by_role("button", name="Partager…").is_visible() == has_share
    finally:
        context.close()


def test_link_preview_tags_and_the_image_served_from_here(site: Any, page: Any) -> None:
    open_event(site, page, "Fest-noz de la Saint-Martin")
    event_url = page.url
    # the first visit asked for the poster in the background; its address answers once ready
    image_path = urlsplit(event_url).path + "/image"
    image = page.request.get(site.url + image_path, timeout=20_000)
    assert image.ok and image.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(image.body())) as img:
        assert img.format == "JPEG" and img.size == (1200, 800)  # from 2400×1600
    page.reload()
    shown = page.locator(".event-image img")
    assert shown.get_attribute("src").startswith(image_path + "?v=")
    assert shown.evaluate("img => img.complete && img.naturalWidth") == 1200
    assert page.locator(f"img[src*='{site.poster_url.split('/')[2]}']").count() == 0

    def meta(attr: str, name: str) -> str:
        return page.locator(f"meta[{attr}='{name}']").get_attribute("content")

    assert meta("property", "og:title") == "Fest-noz de la Saint-Martin"
    assert meta("property", "og:url") == event_url
    assert meta("property", "og:image").startswith(site.url + image_path + "?v=")
    assert meta("name", "twitter:card") == "summary_large_image"
    assert "Salle de la Cité" in meta("property", "og:description")
    cached = page.request.get(meta("property", "og:image"))
    assert "immutable" in cached.headers["cache-control"]
    # the structured data names the same copy, never the source's image
    data = json.loads(page.locator("script[type='application/ld+json']").text_content())
    assert data["image"] == meta("property", "og:image")


def test_event_without_image_has_a_summary_card(site: Any, page: Any) -> None:
    open_event(site, page, "Vide-grenier du Blosne")
    assert page.locator(".event-image").count() == 0
    assert page.locator("meta[name='twitter:card']").get_attribute("content") == "summary"
    assert page.locator("meta[property='og:image']").count() == 0
    response = page.request.get(page.url + "/image")
    assert response.status == 404


def test_event_page_with_actions_passes_axe(site: Any, axe_page: Any, axe: Any) -> None:
    open_event(site, axe_page, "Fest-noz de la Saint-Martin")
    assert axe(axe_page) == []


def test_recurring_event_is_one_card_with_its_rhythm_and_its_dates(
        site: Any, page: Any) -> None:
    page.goto(site.url + "/")
    cards = page.locator(".event", has_text="Atelier d’autoréparation de vélos")
    assert cards.count() == 1
    assert cards.locator(".series").inner_text().startswith("Tous les samedis, 3 dates")
    cards.get_by_role("link", name="voir les dates").click()
    page.wait_for_url("**/evenement/**#dates")
    dates = page.get_by_role("region", name="Dates")
    assert "Tous les samedis, 3 dates à venir." in dates.inner_text()
    assert dates.locator("li").count() == 3
    assert dates.locator("[aria-current='page']").count() == 1
