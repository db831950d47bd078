"""Subscribing from a phone: a copyable https address, Google's link, short steps, and a
calendar named after what it holds (issue 18)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import icalendar
import pytest

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def test_phone_gets_an_https_address_to_copy_steps_and_a_named_calendar(
        site: Any, browser: Any, axe: Any) -> None:
    context = browser.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True,
                                  has_touch=True, bypass_csp=True,
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    try:
        page.goto(site.url + "/?theme=sport")
        page.locator("#filtres > summary").click()  # folded on a phone
        page.get_by_role("button", name="Ce week-end").first.click()
        page.wait_for_url("**period=weekend**")
        box = page.get_by_role("region", name="S’abonner à cette sélection")
        field = box.get_by_label("Adresse de l’abonnement, à coller dans votre agenda")
        address = field.input_value()
        assert urlsplit(address).scheme == "http" and urlsplit(address).path == (
            "/v1/events.ics")  # the site's own scheme (https in production), never webcal
        box.get_by_role("button", name="Copier l’adresse").click()
        box.get_by_role("status").filter(has_text="Adresse copiée").wait_for()
        assert page.evaluate("navigator.clipboard.readText()") == address

        title = box.locator(".calendar-name").inner_text()
        assert title == "Agenda Maillage — Sport et plein air, ce week-end"  # rolling
        calendar = icalendar.Calendar.from_ical(page.request.get(address).body())
        assert str(calendar["X-WR-CALNAME"]) == str(calendar["NAME"]) == title

        google = box.get_by_role("link", name="Ajouter à Google Agenda").get_attribute("href")
        cid = parse_qs(urlsplit(google).query)["cid"][0]
        assert cid == "webcal://" + address.split("://", 1)[1]

        box.get_by_text("S’abonner depuis un téléphone ou un autre agenda").click()
        steps = box.locator(".steps").inner_text()
        for product in ("Google Agenda", "Agenda d’Apple", "Outlook"):
            assert product in steps
        widest = page.evaluate("Math.max(...[...document.querySelectorAll('.subscribe *')]"
                               ".map(e => e.getBoundingClientRect().right))")
        assert widest <= PHONE["width"]  # the box fits the phone
        assert axe(page) == []
    finally:
        context.close()
