"""The golden check of the enrichment: ~4,000 varied events (``bench.enrich``'s generated,
real and hard sets) enrich to exactly what they did when ``tests/data/enrich_golden.json``
was written. Work that makes the enrichment cheaper must leave every output unchanged; a
change of behaviour rewrites the file (``python -m bench.enrich --write-golden``) in the
same commit, with its reason."""

from __future__ import annotations

import json

import pytest

from bench.enrich import GOLDEN, digest, enriched_digests, golden_events
from services.indexer.enrich import Enricher
from shared.reference import Reference


@pytest.mark.parametrize("batch", [1, 256])
def test_every_golden_event_enriches_as_recorded(reference: Reference, batch: int) -> None:
    """One by one (``enrich``) and in the indexer's batches (``enrich_many``)."""
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    enricher = Enricher(reference)
    actual = enriched_digests(
        (lambda events: [enricher.enrich(e) for e in events]) if batch == 1
        else enricher.enrich_many, batch)
    assert actual.keys() == expected.keys()
    changed = [uid for uid in expected if actual[uid] != expected[uid]]
    if changed:
        events = {e.source_uid: e for e in golden_events()}
        first = enricher.enrich(events[changed[0]]).to_dict()
        raise AssertionError(f"{len(changed)} of {len(expected)} events enrich differently, "
                             f"e.g. {changed[:5]}; the first now gives {first}")


def test_the_digest_sees_a_change_of_any_enriched_field(reference: Reference) -> None:
    event = Enricher(reference).enrich(golden_events()[0])
    assert digest(event.with_(keywords=(*event.keywords, "x"))) != digest(event)
    assert digest(event.with_(themes=event.themes[1:])) != digest(event)
