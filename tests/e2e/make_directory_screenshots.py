"""Take the screenshots of the directory, an association's page, the inventory of tools and
the operators' review queue of links, at 1280 and 390 pixels wide.

    .venv/bin/python tests/e2e/make_directory_screenshots.py [OUTPUT_DIR]   # docs/screenshots

The seeded site of the browser tests with its own nats-server and the associations of
tests/e2e/directory_seed.py. Needs /usr/bin/chromium and the playwright package.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from directory_seed import seed  # noqa: E402
from make_account_screenshots import site_and_browser  # noqa: E402
from test_accounts_pages import sign_in  # noqa: E402

WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
SHOTS = (("annuaire", "/associations"), ("fiche-association", "/associations/jardin-moderne"),
         ("outils", "/outils"), ("liens-a-verifier", "/operateurs/liens"))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with site_and_browser() as (site, browser):
        site.run(seed(site))
        for width, viewport in WIDTHS.items():
            context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                          viewport=viewport)
            page = context.new_page()
            sign_in(page, site, "ops@ville.example")
            for name, path in SHOTS:
                page.goto(site.url + path)
                if path == "/associations":
                    page.locator("#carte .leaflet-marker-icon").first.wait_for()
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=width == "390")
                print(target)
            context.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
