"""The filters say how they combine (themes: any, quartiers: any, accessibility: all), and
options stay offered (with 0) when the current search matches none of their events."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.e2e


def test_each_group_says_how_its_choices_combine(site: Any, page: Any) -> None:
    page.goto(site.url + "/?accessibility=mi&accessibility=hi")
    themes = page.get_by_role("group", name="Thèmes")
    assert "Un thème ou l’autre" in themes.inner_text()
    access = page.get_by_role("group", name="Accessibilité")
    assert "Tous les critères cochés" in access.inner_text()
    # the rule is the group's description for screen readers too
    rule_id = access.get_attribute("aria-describedby")
    assert rule_id and page.locator(f"#{rule_id}").is_visible()


def test_options_without_results_stay_offered_with_zero(site: Any, page: Any) -> None:
    page.goto(site.url + "/?theme=solidarite")
    culture = page.get_by_label(re.compile(r"^Culture et arts"))
    assert culture.is_visible() and not culture.is_checked()
    label = page.locator("label", has_text="Culture et arts").text_content()
    assert re.search(r"\(0\s+événements?\)", label)
    assert page.get_by_label(re.compile(r"^Le Blosne")).is_visible()
    assert page.get_by_label(re.compile(r"^Handicap auditif")).is_visible()
