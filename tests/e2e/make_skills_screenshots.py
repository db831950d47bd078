"""Take the screenshots of the shared skills pages at 1280 and 390 pixels wide: the search
(with the demo's posts), a need's page, the form.

    .venv/bin/python tests/e2e/make_skills_screenshots.py [OUTPUT_DIR]   # docs/screenshots

The seeded site of the browser tests with its own nats-server (demo mode: the demo
associations' posts). Needs /usr/bin/chromium and the playwright package.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from make_account_screenshots import site_and_browser  # noqa: E402
from test_skills_pages import index, publish_need  # noqa: E402

WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with site_and_browser() as (site, browser):
        for n, (width, viewport) in enumerate(WIDTHS.items()):
            context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                          viewport=viewport)
            page = context.new_page()
            url = publish_need(page, site, f"camille{n}@velo-solidaire.test")
            index(site)  # what the indexer's board consumer does
            shots = (("competences", site.url + "/competences"), ("competence-besoin", url),
                     ("competence-formulaire", site.url + "/competences/nouveau"))
            for name, path in shots:
                page.goto(path)
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=width == "390")
                print(target)
            context.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "screenshots")
