"""Take the README screenshots of the venues pages, at 1280 and 390 px.

    .venv/bin/python tests/e2e/make_venues_screenshots.py [OUTPUT_DIR]   # docs/screenshots

The seeded site of the browser tests with its own nats-server (tests/e2e/accounts_site.py)
and its demo venues, projected onto the site's board as the indexer's board consumer does;
a member of an association asks for a slot, and a member of the owner's sees the request.
Needs /usr/bin/chromium and the playwright package, like the browser tests.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from make_account_screenshots import site_and_browser  # noqa: E402
from test_accounts_pages import sign_in  # noqa: E402

WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


async def project(site: Any) -> None:
    """The demo venues and slots onto the site's board (what the board consumer does)."""
    from services.accounts.storage import Stores
    from services.venues.project import PROJECTIONS
    from shared.records import RECORDS_SUBJECT
    from shared.store.factory import open_board_store

    stores = await Stores.open(site.bus)
    board = open_board_store(site.settings)
    messages = []
    for kind, projection in PROJECTIONS.items():
        entries = await stores.records.latest(f"{RECORDS_SUBJECT}.{kind}.>")
        messages += [projection(e, None) for e in entries]
    await board.apply(messages)
    await board.close()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with site_and_browser() as (site, browser):
        site.run(project(site))
        shots = []
        for suffix, viewport in WIDTHS.items():
            context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                          viewport=viewport)
            page = context.new_page()
            page.goto(site.url + "/salles")
            shots.append(out / f"salles-{suffix}.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
            page.goto(site.url + "/salles/maison-du-blosne")
            shots.append(out / f"salle-{suffix}.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
            context.close()
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                      viewport=WIDTHS["1280"])
        page = context.new_page()
        sign_in(page, site, "ines@velo-solidaire.test")
        page.get_by_label("Rejoindre une association").select_option("velo-solidaire")
        page.get_by_role("button", name="Demander à rejoindre").click()
        page.goto(site.url + "/salles/maison-du-blosne")
        page.get_by_label("Nombre de personnes attendues").fill("18")
        page.get_by_label("Ce que vous prévoyez").fill("Atelier de réparation de vélos "
                                                       "pour les habitants du quartier")
        page.get_by_role("button", name="Envoyer la demande").click()
        page.get_by_text("Votre demande est envoyée").wait_for()
        context.close()
        for suffix, viewport in WIDTHS.items():
            context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                          viewport=viewport)
            page = context.new_page()
            sign_in(page, site, "noe@jardins-blosne.test")
            if suffix == "1280":
                page.get_by_label("Rejoindre une association").select_option("jardins-blosne")
                page.get_by_role("button", name="Demander à rejoindre").click()
            page.goto(site.url + "/salles/maison-du-blosne/gerer")
            shots.append(out / f"salle-gerer-{suffix}.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
            context.close()
        for shot in shots:
            print(shot)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
