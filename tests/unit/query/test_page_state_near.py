"""``near`` and ``bbox`` on the page: one value with commas, never split into two."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from multidict import MultiDict

from services.query.web.state import PageState


def state(qs: str) -> PageState:
    return PageState(MultiDict([(k, v) for k, vs in parse_qs(qs).items() for v in vs]))


def test_near_is_kept_whole_and_its_address_follows_the_links() -> None:
    page = state("near=48.11,-1.68&radius_km=2&autour=10 cours des Alliés&theme=sport")
    assert page.values("near") == ["48.11,-1.68"]
    assert page.search_params()["near"] == "48.11,-1.68"
    link = parse_qs(urlsplit(page.toggle_url("theme", "culture")).query)
    assert link["near"] == ["48.11,-1.68"] and link["autour"] == ["10 cours des Alliés"]
    labels = [c.label for c in page.chips()]
    assert "Autour de : 10 cours des Alliés" in labels
    assert "Rayon : 2\u00a0km" in labels


def test_removing_the_centre_removes_the_radius_and_the_address() -> None:
    page = state("near=48.11,-1.68&radius_km=2&autour=Mairie")
    link = parse_qs(urlsplit(page.remove_url("near", "48.11,-1.68")).query)
    assert "near" not in link and "radius_km" not in link and "autour" not in link


def test_an_address_without_a_centre_is_dropped() -> None:
    assert state("autour=Mairie").around == ""
    assert "autour" not in state("autour=Mairie&theme=sport").toggle_url("theme", "culture")


def test_bbox_is_kept_whole() -> None:
    assert state("bbox=-1.7,48.1,-1.6,48.2").values("bbox") == ["-1.7,48.1,-1.6,48.2"]
