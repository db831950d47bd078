"""Take the screenshots of the network's pages at 1280 and 390 pixels wide: the map with its
lists (/reseau), one link, the declaration form.

    .venv/bin/python tests/e2e/make_network_screenshots.py [OUTPUT_DIR]   # docs/screenshots

The seeded site of the browser tests with its own nats-server and the demo's links
(tests/e2e/network_seed.py). Needs /usr/bin/chromium and the playwright package.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from make_account_screenshots import site_and_browser  # noqa: E402
from network_seed import seed  # noqa: E402
from test_accounts_pages import sign_in  # noqa: E402

WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
SHOTS = (("reseau", "/reseau"),
         ("reseau-lien", "/reseau/liens/jardins-blosne.velo-solidaire.events"),
         ("reseau-declarer", "/reseau/declarer?avec=choeur-arc-en-ciel"))


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with site_and_browser() as (site, browser):
        site.run(seed(site))
        for width, viewport in WIDTHS.items():
            context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                          viewport=viewport)
            page = context.new_page()
            sign_in(page, site, "camille@velo-solidaire.test")
            if page.locator('#f-association option[value="velo-solidaire"]').count():
                page.get_by_label("Rejoindre une association").select_option("velo-solidaire")
                page.get_by_role("button", name="Demander à rejoindre").click()
            for name, path in SHOTS:
                page.goto(site.url + path)
                if path == "/reseau":
                    page.locator("#carte path.reseau-lien").first.wait_for()
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=width == "390")
                print(target)
            context.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
