"""MAILLAGE_ENRICH_WORKERS: auto follows the cores this process may use."""

from __future__ import annotations

import os

import pytest

from services.indexer import settings as indexer_settings
from services.indexer.settings import SETTINGS
from shared.settings import ConfigError, load


def test_auto_is_one_worker_with_two_cores_or_more(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(indexer_settings, "_usable_cores", lambda: 2)
    assert load(SETTINGS, {}).enrich_workers == 1
    monkeypatch.setattr(indexer_settings, "_usable_cores", lambda: 1)
    assert load(SETTINGS, {}).enrich_workers == 0
    assert load(SETTINGS, {"MAILLAGE_ENRICH_WORKERS": " AUTO "}).enrich_workers == 0


def test_a_number_is_taken_as_it_is() -> None:
    assert load(SETTINGS, {"MAILLAGE_ENRICH_WORKERS": "0"}).enrich_workers == 0
    assert load(SETTINGS, {"MAILLAGE_ENRICH_WORKERS": "3"}).enrich_workers == 3


@pytest.mark.parametrize("raw", ["-1", "two", "1.5", ""])
def test_anything_else_is_refused_with_the_setting_named(raw: str) -> None:
    with pytest.raises(ConfigError, match="MAILLAGE_ENRICH_WORKERS"):
        load(SETTINGS, {"MAILLAGE_ENRICH_WORKERS": raw})


def test_usable_cores_counts_this_process_cores() -> None:
    assert indexer_settings._usable_cores() == len(os.sched_getaffinity(0))
