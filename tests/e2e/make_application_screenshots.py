"""Take the README screenshots of the joint applications' pages, at 1280 and 390 px.

    .venv/bin/python tests/e2e/make_application_screenshots.py [OUTPUT_DIR]   # docs/screenshots

The seeded site of the browser tests with its own nats-server (tests/e2e/accounts_site.py):
a member of a demo association opens an application from a call's page, a member of another
asks to join; the lead's view of the application, the form and the list.
Needs /usr/bin/chromium and the playwright package, like the browser tests.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from make_account_screenshots import site_and_browser  # noqa: E402
from test_accounts_pages import sign_in  # noqa: E402

WIDTHS = (1280, 390)


async def project_all(site: Any) -> None:
    """What the indexer's board consumer does, once: the site of the browser tests runs
    no indexer, so the applications are projected onto its board here."""
    from services.accounts.storage import Stores
    from services.applications.project import SUBJECT, project
    from shared.store.factory import open_board_store

    stores = await Stores.open(site.bus)
    board = open_board_store(site.settings)
    try:
        entries = await stores.records.latest(SUBJECT + ".*")
        await board.apply([project(e, None) for e in entries])
        await board.settle()
    finally:
        await board.close()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with site_and_browser() as (site, browser):
        lead = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris").new_page()
        sign_in(lead, site, "camille@velo-solidaire.test")
        lead.get_by_label("Rejoindre une association").select_option("velo-solidaire")
        lead.get_by_role("button", name="Demander à rejoindre").click()
        lead.goto(site.url + "/appels")
        lead.locator("a[href^='/appels/']").filter(has_text="Fonds").first.click()
        lead.get_by_role("link", name="Monter une candidature commune").click()
        form_url = lead.url
        lead.get_by_label("Titre du projet").fill("Vélo-école pour les familles du Blosne")
        lead.get_by_label("Résumé du projet").fill(
            "Des ateliers du samedi pour apprendre le vélo en famille, avec le prêt de vélos "
            "et une balade jusqu’aux Gayeulles en fin de parcours.")
        lead.get_by_label("Ce que vous cherchez").fill(
            "Une association du Blosne qui connaît les familles et peut accueillir les "
            "ateliers.")
        lead.get_by_label("Compétences recherchées").fill("animation, médiation")
        lead.get_by_role("button", name="Ouvrir la candidature").click()
        app_url = lead.url.split("?")[0]
        other = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris").new_page()
        sign_in(other, site, "lou@jardins-blosne.test")
        other.get_by_label("Rejoindre une association").select_option("jardins-blosne")
        other.get_by_role("button", name="Demander à rejoindre").click()
        other.goto(app_url)
        other.get_by_label("Votre message à Roazhon Vélo Solidaire").fill(
            "Nos jardins sont au pied des immeubles et nous avons une salle le samedi.")
        other.get_by_role("button", name="Rejoindre cette candidature").click()
        site.run(project_all(site))
        lead.goto(site.url + "/candidatures")  # the site's view of the board follows the
        time.sleep(2)  # file's changes in a thread that a search starts
        shots = []
        for width in WIDTHS:
            lead.set_viewport_size({"width": width, "height": 900})
            for name, url in (("candidature", app_url), ("candidature-nouvelle", form_url),
                              ("candidatures", site.url + "/candidatures")):
                lead.goto(url)
                path = out / f"{name}-{width}.png"
                lead.screenshot(path=str(path), full_page=True)
                shots.append(path)
        for path in shots:
            print(path)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
