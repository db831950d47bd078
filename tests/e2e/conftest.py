"""Browser tests: Playwright driving Debian's chromium against the seeded agenda on loopback.

They skip, saying why, only where ``/usr/bin/chromium`` (``apt-get install chromium``) or the
Python ``playwright`` package is absent. ``playwright install`` is never needed.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
AXE_JS = HERE / "vendor" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")


def load_site() -> ModuleType:
    """``tests/e2e/site.py`` under a unique module name (tests are not a package)."""
    name = "maillage_e2e_site"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, HERE / "site.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    running = load_site().Site(tmp_path_factory.mktemp("e2e")).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (apt-get install chromium): browser tests skipped")
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="the playwright package is not installed (pip install -e '.[dev]')")
    with sync_api.sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def new_page(browser: Any, **options: Any) -> Any:
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", **options)
    page = context.new_page()
    page.console_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return page


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    p = new_page(browser)
    try:
        yield p
    finally:
        p.context.close()


@pytest.fixture
def nojs_page(browser: Any) -> Iterator[Any]:
    p = new_page(browser, java_script_enabled=False)
    try:
        yield p
    finally:
        p.context.close()


@pytest.fixture
def axe_page(browser: Any) -> Iterator[Any]:
    """A page where axe-core can be injected (the site's CSP forbids inline scripts)."""
    p = new_page(browser, bypass_csp=True)
    try:
        yield p
    finally:
        p.context.close()


@pytest.fixture
def axe() -> Any:
    return axe_violations


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the page as loaded."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"][:5]]}
        for v in result["violations"] if v["impact"] in BLOCKING_IMPACTS
    ]
