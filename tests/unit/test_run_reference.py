"""Which reference data ``maillage run`` gives the services: what ``maillage reference fetch``
stored under the data directory, else the development copy, else one line saying how to get
it (and the fetched directory, which the indexer reads once it exists)."""

from __future__ import annotations

from pathlib import Path

import pytest

import shared.reference
from services.cli.supervisor import SETTINGS, Supervisor
from shared.settings import load


def supervisor(data: Path) -> Supervisor:
    return Supervisor(load(SETTINGS, {"MAILLAGE_DATA_DIR": str(data)}), demo=False)


def test_fetched_data_first_then_the_development_copy_then_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dev = tmp_path / "dev-copy"
    dev.mkdir()
    monkeypatch.setattr(shared.reference, "DEFAULT_REFERENCE_DIR", str(dev))
    run = supervisor(tmp_path / "var")
    fetched = tmp_path / "var" / "reference"
    assert run.reference_dir() == fetched
    assert "maillage reference fetch" in capsys.readouterr().err
    (dev / "rennes_quartiers.geojson").write_text("{}")
    assert run.reference_dir() == dev
    fetched.mkdir(parents=True)
    (fetched / "rennes_quartiers.geojson").write_text("{}")
    assert run.reference_dir() == fetched
    assert capsys.readouterr().err == ""
