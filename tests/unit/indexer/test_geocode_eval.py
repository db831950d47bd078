"""Location strings as associations type them (scripts/eval_geocode.py), on the held-out part.

Before issue 16.3, 16 of the 42 held-out lines were placed right (a commune named only in the
text was never placed; a town outside the Métropole often landed on a Rennes street).
"""

from __future__ import annotations

import json

import pytest

from services.indexer.enrich.geocode import Geocoder


@pytest.mark.parametrize("split", ["dev", "test"])
def test_typed_locations_are_placed_right(reference, split, script):
    script = script("eval_geocode")
    geocoder = Geocoder(reference)
    rows = [json.loads(line) for line in script.TYPED.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["split"] == split]
    wrong = [
        r["text"]
        for r in rows
        if not script.placed_right(geocoder.geocode(script.typed_location(r)), r["expected"])
    ]
    assert len(wrong) <= 0.05 * len(rows), wrong
