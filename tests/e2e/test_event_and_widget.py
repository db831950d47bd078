"""The event page, the embeddable widget and the security of what untrusted sources write."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def open_event(site: Any, page: Any, text: str) -> None:
    page.goto(site.url + "/")
    page.get_by_role("link", name=text).first.click()
    page.wait_for_url("**/evenement/**")


def test_event_page_carries_schema_org_json_ld(site: Any, page: Any) -> None:
    open_event(site, page, "Fest-noz de la Saint-Martin")
    data = json.loads(page.locator("script[type='application/ld+json']").text_content())
    assert data["@type"] == "Event" and data["name"] == "Fest-noz de la Saint-Martin"
    assert data["location"]["address"]["addressLocality"] == "Rennes"
    assert data["url"] == page.url


def test_event_page_shows_french_labels_of_codes(site: Any, page: Any) -> None:
    open_event(site, page, "Conférence : la santé mentale des étudiants")
    text = page.locator(".facts").inner_text()
    assert "Langue des signes française (LSF)" in text
    assert "Santé et bien-être" in text


def test_event_announced_by_two_sources_lists_both(site: Any, page: Any) -> None:
    open_event(site, page, "Forum des associations")
    api = page.request.get(page.url.replace("/evenement/", "/v1/events/")).json()
    links = page.locator(".sources li")
    assert links.count() == len(api["sources"]) >= 2
    assert {s["url"] for s in api["sources"]} == {
        a.get_attribute("href") for a in page.locator(".sources a").all()}


def test_event_page_lists_related_events(site: Any, page: Any) -> None:
    open_event(site, page, "Fest-noz de la Saint-Martin")
    related = [t.replace("\xa0", " ") for t in page.locator(".related .title").all_inner_texts()]
    assert "Exposition : Rennes au fil de la Vilaine" in related


def test_unknown_event_is_a_french_404(site: Any, page: Any) -> None:
    response = page.goto(site.url + "/evenement/oc_inexistant")
    assert response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Événement introuvable"


def test_untrusted_title_and_description_cannot_run_script(site: Any, page: Any) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(site.url + "/?q=poésie")
    title = page.locator(".event .title").first.inner_text()
    assert title.startswith("<script>alert('titre')</script>")
    page.locator(".event .title a").first.click()
    page.wait_for_url("**/evenement/**")
    description = page.locator(".description")
    assert description.locator("script, img, [onerror]").count() == 0
    assert description.locator("a[href^='javascript']").count() == 0
    assert "L’Encre <b>rouge</b>" in page.locator(".facts").inner_text()
    assert dialogs == []


def test_pages_send_a_content_security_policy(site: Any, page: Any) -> None:
    response = page.goto(site.url + "/?vue=carte")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'self'" in csp
    assert f"img-src 'self' data: {site.other_url}" in csp
    page.wait_for_selector(".leaflet-tile-loaded")
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


def test_widget_filters_by_organizer(site: Any, page: Any) -> None:
    response = page.goto(site.url + "/widget?organizer=Le%20Jardin%20Moderne&titre=Nos%20dates")
    assert "frame-ancestors *" in response.headers["content-security-policy"]
    assert page.get_by_role("heading", level=1).inner_text() == "Nos dates"
    titles = page.locator(".event .title").all_inner_texts()
    assert titles and all("Jazz" in t or "rock" in t or "jazz" in t for t in titles)


def test_widget_script_embeds_the_agenda_in_another_site(site: Any, page: Any) -> None:
    page.goto(site.other_url + "/hote")
    frame_element = page.wait_for_selector("iframe")
    assert frame_element.get_attribute("title") == "Au Jardin Moderne"
    frame = frame_element.content_frame()
    frame.wait_for_selector(".event")
    assert "Concert de jazz manouche" in frame.locator("main").inner_text()


def test_integrer_generates_both_snippets(site: Any, nojs_page: Any) -> None:
    nojs_page.goto(site.url + "/integrer")
    nojs_page.get_by_label("Organisateur").fill("Le Jardin \"Moderne\"")
    nojs_page.get_by_label("Culture et arts").check()
    nojs_page.get_by_role("button", name="Générer le code").click()
    snippets = nojs_page.locator("pre.snippet").all_inner_texts()
    # an organizer that names nothing known is said, not silently embedded as an empty widget
    assert "Le Jardin \"Moderne\"" in nojs_page.get_by_role("alert").inner_text()
    assert 'data-organizer="Le Jardin &quot;Moderne&quot;"' in snippets[1]
    assert "/widget?organizer=Le+Jardin+%22Moderne%22&amp;theme=culture" in snippets[0]
    assert nojs_page.locator("iframe.preview").get_attribute("src").startswith("/widget?")


def test_skip_link_is_the_first_tab_stop_and_moves_focus(site: Any, page: Any) -> None:
    page.goto(site.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"


def test_filters_are_reachable_and_usable_with_the_keyboard(site: Any, page: Any) -> None:
    page.goto(site.url + "/")
    page.get_by_label("Gratuit uniquement").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Appliquer les filtres"
    page.keyboard.press("Enter")
    page.wait_for_url("**free=true**")
