"""Every setting of every service is documented in the README's settings table."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from shared.settings import Setting

README = Path(__file__).resolve().parents[2] / "README.md"
TABLES = (
    "services.harvester.settings",
    "services.indexer.settings",
    "services.query.settings",
    "services.ingest.settings",
    "services.monitor.settings",
    "services.cli.supervisor",
    "demo.server",
)


def all_settings() -> list[Setting]:
    found: dict[str, Setting] = {}
    for module in TABLES:
        for setting in importlib.import_module(module).SETTINGS:
            found.setdefault(setting.name, setting)
    return list(found.values())


@pytest.mark.parametrize("setting", all_settings(), ids=lambda s: s.name)
def test_setting_is_in_readme_table(setting: Setting) -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \|", README.read_text(encoding="utf-8"), re.MULTILINE)
    assert setting.name in rows, f"{setting.name} is not documented in README.md"


@pytest.mark.parametrize("setting", all_settings(), ids=lambda s: s.name)
def test_setting_default_parses(setting: Setting) -> None:
    setting.parse(setting.default)
