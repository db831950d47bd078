"""Take the README screenshots of the accounts and associations pages.

    .venv/bin/python tests/e2e/make_account_screenshots.py [OUTPUT_DIR]   # docs/screenshots

The seeded site of the browser tests with its own nats-server (tests/e2e/accounts_site.py):
a newcomer signs in from the demo outbox, joins a demo association and adds its calendar (the
preview, the sources page, the guides); an operator (and city agent) edits the association
and opens the call form.
Needs /usr/bin/chromium and the playwright package, like the browser tests.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from test_accounts_pages import _grant, seed_call, sign_in, site_class  # noqa: E402

VIEW = {"width": 1100, "height": 900}


@contextmanager
def site_and_browser() -> Iterator[tuple[Any, Any]]:
    """The seeded site with its store of record (an operator granted) and a French chromium."""
    with tempfile.TemporaryDirectory() as tmp:
        seed_call(Path(tmp) / "calls.sqlite")
        site = site_class()(Path(tmp)).start()
        try:
            site.run(_grant(site))
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                             args=[*CHROMIUM_ARGS, "--lang=fr-FR"])
                try:
                    yield site, browser
                finally:
                    browser.close()
        finally:
            site.stop()


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with site_and_browser() as (site, browser):
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                      viewport=VIEW)
        page = context.new_page()
        page.goto(site.url + "/connexion")
        page.screenshot(path=str(out / "connexion.png"))
        page.get_by_label("Adresse électronique").fill("camille@velo-solidaire.test")
        page.get_by_role("button", name="Recevoir un lien de connexion").click()
        page.goto(site.url + "/demo/courrier")
        page.screenshot(path=str(out / "courrier-demo.png"))
        page.get_by_role("link", name="Ouvrir le lien du message").first.click()
        page.get_by_role("button", name="Me connecter").click()
        page.get_by_label("Rejoindre une association").select_option("velo-solidaire")
        page.get_by_role("button", name="Demander à rejoindre").click()
        page.screenshot(path=str(out / "association.png"))
        page.get_by_role("link", name="Les sources de l’agenda de l’association").click()
        page.get_by_label("Adresse de l’agenda ou du flux").fill(site.calendar_url)
        page.get_by_role("button", name="Voir ce que Maillage y trouve").click()
        page.get_by_role("button", name="Confirmer").wait_for()
        page.screenshot(path=str(out / "source-apercu.png"), full_page=True)
        page.get_by_role("button", name="Confirmer").click()
        page.get_by_text("La source est enregistrée").wait_for()
        page.screenshot(path=str(out / "sources-association.png"), full_page=True)
        page.goto(site.url + "/sources/guides")
        page.screenshot(path=str(out / "guides-sources.png"))
        context.close()
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                      viewport=VIEW)
        page = context.new_page()
        sign_in(page, site, "ops@ville.example")
        page.goto(site.url + "/associations/velo-solidaire/modifier")
        page.get_by_label("Sigle").fill("RVS")
        page.get_by_label("Numéro RNA").fill("W353012345")
        page.get_by_role("button", name="Enregistrer").click()
        page.goto(site.url + "/associations/velo-solidaire/historique")
        page.screenshot(path=str(out / "historique.png"))
        page.goto(site.url + "/compte")
        page.screenshot(path=str(out / "compte.png"), full_page=True)
        page.goto(site.url + "/appels/publier")
        page.screenshot(path=str(out / "appel-publier.png"), full_page=True)
        for name in ("connexion", "courrier-demo", "association", "historique",
                     "compte", "source-apercu", "sources-association",
                     "guides-sources", "appel-publier"):
            print(out / f"{name}.png")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
