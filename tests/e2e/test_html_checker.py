"""The Nu HTML Checker of the browser tests' session (conftest ``check_html``) does report
invalid markup, with the page's URL and line."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def _conftest_check_html():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("maillage_e2e_conftest",
                                                  Path(__file__).with_name("conftest.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check_html


PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>t</title></head>
<body><main><h1 id="t">Titre</h1>{}</main></body></html>"""


def test_checker_reports_invalid_markup_and_passes_valid_pages() -> None:
    check_html = _conftest_check_html()
    errors = check_html({
        "/valide": PAGE.format("<p>Bonjour</p>"),
        "/invalide": PAGE.format('<pre aria-labelledby="t">x</pre>\n'
                                 '<iframe src="/w" title="w" width="100%"></iframe>'),
    })
    assert errors and all(e.startswith("/invalide:") for e in errors)
    assert any("aria-labelledby" in e for e in errors)
    assert any("width" in e for e in errors)
