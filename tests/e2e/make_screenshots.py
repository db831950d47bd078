"""Take the README screenshots of the main views from the seeded agenda (tests/e2e/site.py).

    .venv/bin/python tests/e2e/make_screenshots.py [OUTPUT_DIR] [--only a.png,b.png]
                                                  # default docs/screenshots, every shot

Needs /usr/bin/chromium and the playwright package, like the browser tests. Everything is
served on loopback (the map tiles are plain offline stand-ins).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).parent))

from conftest import CHROMIUM, CHROMIUM_ARGS, load_site  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

WIDE = {"width": 1280, "height": 1000}
PHONE = {"width": 390, "height": 844}
SHOTS = (
    # file, path, viewport, full page
    ("agenda-liste.png", "/", WIDE, False),
    ("agenda-liste-390.png", "/", PHONE, False),
    ("agenda-calendrier.png", "/?vue=calendrier", {"width": 1280, "height": 1250}, False),
    ("agenda-calendrier-390.png", "/?vue=calendrier", PHONE, True),
    ("agenda-carte.png", "/?vue=carte", WIDE, False),
    ("evenement.png", "/?q=fest-noz", WIDE, False),
    ("widget.png", "other:/hote", {"width": 560, "height": 760}, False),
    ("integrer.png", "/integrer?theme=culture&theme=environnement&period=30d", WIDE, True),
    ("integrer-390.png", "/integrer?theme=culture&theme=environnement&period=30d", PHONE,
     False),
    ("appels.png", "/appels", WIDE, False),
    ("appels-390.png", "/appels", PHONE, True),
    ("api.png", "/api", WIDE, True),
    ("api-390.png", "/api", PHONE, False),
    ("erreur-404.png", "/page-inconnue", WIDE, False),
    ("erreur-404-390.png", "/page-inconnue", PHONE, False),
    ("evenement-390.png", "/?q=fest-noz", PHONE, True),
    ("autour-de-moi.png", "/?autour=Les+Champs+Libres&radius_km=1", WIDE, False),
    ("autour-de-moi-390.png", "/?autour=Les+Champs+Libres&radius_km=1", PHONE, True),
    ("abonnement.png", "/?theme=sport", WIDE, False),
    ("abonnement-390.png", "/?theme=sport", PHONE, False),
    ("participer.png", "/participer", WIDE, False),
    ("participer-390.png", "/participer", PHONE, False),
    ("signaler.png", "/?q=fest-noz", WIDE, False),
    ("signaler-390.png", "/?q=fest-noz", PHONE, True),
    ("accessibilite.png", "/accessibilite", WIDE, False),
    ("accessibilite-390.png", "/accessibilite", PHONE, False),
    ("carte-sans-tuiles.png", "/?vue=carte", WIDE, False),
    ("carte-sans-tuiles-390.png", "/?vue=carte", PHONE, False),
)
#: Shots taken with the tile server unreachable (the map's own base layer alone).
NO_TILES = ("carte-sans-tuiles.png", "carte-sans-tuiles-390.png")


def main(out: Path, only: set[str] | None = None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        module = load_site()
        module.seed_calls(Path(tmp) / "calls.sqlite")
        site = module.Site(Path(tmp), hostile=False).start()
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                             args=[*CHROMIUM_ARGS, "--lang=fr-FR"])
                for name, path, viewport, full in SHOTS:
                    if only and name not in only:
                        continue
                    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                                  viewport=viewport)
                    page = context.new_page()
                    if name in NO_TILES:
                        page.route("**/tiles/**", lambda route: route.abort())
                    base = site.other_url if path.startswith("other:") else site.url
                    page.goto(base + path.removeprefix("other:"))
                    if name.startswith("signaler"):
                        page.locator(".event .title a").first.click()
                        page.get_by_role("link", name="Signaler une erreur").click()
                        page.wait_for_url("**/signaler")
                    if name.startswith("evenement"):
                        page.locator(".event .title a").first.click()
                        page.wait_for_url("**/evenement/**")
                        page.request.get(page.url + "/image")  # its poster, now cached
                        page.reload()
                    if name in NO_TILES:
                        page.wait_for_selector("path.area-quartier")
                    elif "carte" in name:
                        page.wait_for_selector(".leaflet-tile-loaded")
                    if name == "widget.png":
                        page.wait_for_selector("iframe")
                        page.frame_locator("iframe").locator(".event").first.wait_for()
                    page.wait_for_timeout(400)
                    if name.startswith("abonnement"):  # the subscription box, steps open
                        page.locator(".subscribe details summary").click()
                        page.locator(".subscribe").screenshot(path=str(out / name))
                    else:
                        page.screenshot(path=str(out / name), full_page=full)
                    context.close()
                    print(out / name)
                browser.close()
        finally:
            site.stop()


if __name__ == "__main__":
    args = sys.argv[1:]
    chosen = None
    if "--only" in args:
        at = args.index("--only")
        chosen = set(args[at + 1].split(","))
        del args[at:at + 2]
    main(Path(args[0]) if args else REPO / "docs" / "screenshots", chosen)
