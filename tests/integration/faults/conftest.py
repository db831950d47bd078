"""Fixtures of the fault tests (real processes on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.faults.procs import Processes


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    group = Processes(tmp_path / "logs")
    try:
        yield group
    finally:
        group.stop_all()
