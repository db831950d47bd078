"""Fixtures of the enrichment tests: the reference data, loaded once per session.

The directory is ``MAILLAGE_REFERENCE_DIR`` when set, else ``../shared/reference`` relative
to the repository (where development machines and CI keep a copy of the shared data).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

import pytest

from services.indexer.enrich import Enricher
from shared.model import PARIS, Event, Occurrence
from shared.reference import Reference, load_reference, reference_dir


@pytest.fixture(scope="session")
def reference() -> Reference:
    directory = reference_dir(os.environ)
    if not directory.is_dir():
        pytest.skip(f"reference data not found at {directory} (set MAILLAGE_REFERENCE_DIR)")
    return load_reference(directory)


@pytest.fixture(scope="session")
def enricher(reference: Reference) -> Enricher:
    return Enricher(reference)


def _make_event(title: str = "Événement", **kw: object) -> Event:
    occurrence = Occurrence(start=datetime(2025, 5, 3, 20, 30, tzinfo=PARIS))
    uid = str(kw.pop("uid", title))
    return Event.create(
        source_id="test", source_uid=uid, title=title, occurrences=(occurrence,), **kw
    )


@pytest.fixture
def make_event() -> Callable[..., Event]:
    """A factory of minimal events with one occurrence; keyword arguments set fields."""
    return _make_event
