"""The network's map with associations whose names hold HTML: a line's tooltip shows the
name as text, never as markup (Leaflet sets a string tooltip as ``innerHTML``)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from network_seed import seed  # noqa: E402
from test_accounts_pages import site_class  # noqa: E402

HOSTILE = '<img src="x" onerror="window.pris = 1">Vélo'


async def hostile_link(site: Any) -> None:
    from services.accounts.storage import Stores
    from services.network.model import End
    from services.network.storage import Links
    from services.network.validate import Declaration

    links = Links(await Stores.open(site.bus))
    a = End("piege-a", HOSTILE, "Centre", "Rennes", (), 48.111, -1.680)
    b = End("piege-b", "Jardin <b>gras</b>", "Le Blosne", "Rennes", (), 48.090, -1.650)
    link = await links.declare(Declaration("piege-a", "piege-b", "partnership", "", ""), a, b,
                               actor="test")
    await links.confirm(link.id, "piege-b", actor="test")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    site = site_class()(tmp_path_factory.mktemp("network-hostile")).start()
    try:
        site.run(hostile_link(site))
        site.run(seed(site))
        yield site
    finally:
        site.stop()


def test_a_line_s_tooltip_shows_the_names_as_text(hostile_site: Any, page: Any) -> None:
    page.goto(hostile_site.url + "/reseau?association=piege-a")
    line = page.locator("#carte path.reseau-lien")
    line.first.wait_for()
    box = line.first.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert HOSTILE in tooltip.inner_text() and "<b>gras</b>" in tooltip.inner_text()
    assert page.locator(".leaflet-tooltip img, .leaflet-tooltip b").count() == 0
    assert page.evaluate("window.pris") is None
