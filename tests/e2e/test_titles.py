"""Every page has a title of its own (RGAA 8.6): the view, the filters, the month, an error."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.e2e

PAGES = ("/", "/?vue=calendrier", "/?vue=calendrier&mois=2027-02", "/?vue=semaine",
         "/?vue=carte", "/?theme=culture", "/?theme=culture&quartier=Centre&free=true",
         "/?q=concert", "/?period=weekend", "/?from=2026-13-45", "/integrer", "/appels",
         "/page-inconnue", "/evenement/oc_inexistant", "/api")


def test_each_page_has_its_own_title(site: Any, page: Any) -> None:
    titles = {}
    for path in PAGES:
        page.goto(site.url + path)
        titles[path] = page.title()
    assert len(set(titles.values())) == len(PAGES), titles
    assert titles["/?vue=calendrier&mois=2027-02"].startswith("Février 2027 — ")
    assert titles["/?theme=culture&quartier=Centre&free=true"].startswith(
        "Culture et arts, Centre, gratuit — ")
    assert titles["/?q=concert"].startswith("«\xa0concert\xa0» — ")
    assert titles["/?from=2026-13-45"].startswith("Erreur")
    assert titles["/page-inconnue"] == "Page introuvable — Maillage"
    assert all(t.endswith("Maillage") for t in titles.values())
