"""Without reference data (a fresh machine), the indexer still enriches and indexes events."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from services.indexer.service import make_enricher
from services.indexer.settings import SETTINGS
from shared.model import PARIS, Event, Location, Occurrence
from shared.settings import load


def test_missing_reference_directory_gives_an_enricher_that_does_not_place(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    enricher = make_enricher(load(SETTINGS, {"MAILLAGE_REFERENCE_DIR": str(tmp_path / "none")}))
    assert "'maillage reference fetch' downloads it" in caplog.text  # the command, not a hunt
    event = Event.create(
        source_id="s", source_uid="u", title="Concert de la chorale",
        description="<p>Entrée libre</p><script>x()</script>",
        location=Location(name="Les Champs Libres", city="Rennes"),
        occurrences=(Occurrence(datetime(2026, 12, 5, 20, tzinfo=PARIS)),),
    )
    enriched = enricher.enrich(event)
    assert "<script" not in enriched.description
    assert "culture" in {t.code for t in enriched.themes}
    assert enriched.location is not None and enriched.location.quartier is None
