"""deploy/nats/streams/*.json: the stream definitions Bus.ensure() declares, with 3 replicas.

Regenerate after changing STREAMS in shared/bus.py:
    .venv/bin/python tests/unit/deploy/test_nats_streams.py
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from shared.bus import STREAMS

STREAMS_DIR = Path(__file__).resolve().parents[3] / "deploy" / "nats" / "streams"


def definition(spec) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return {k: v for k, v in spec.config(3).as_dict().items() if v is not None}


def test_there_is_one_file_per_stream_and_no_other() -> None:
    assert {p.stem for p in STREAMS_DIR.glob("*.json")} == {s.name for s in STREAMS}


@pytest.mark.parametrize("spec", STREAMS, ids=[s.name for s in STREAMS])
def test_stream_file_matches_the_code_with_three_replicas(spec) -> None:  # type: ignore[no-untyped-def]
    assert json.loads((STREAMS_DIR / f"{spec.name}.json").read_text()) == definition(spec)


def test_every_stream_and_bucket_is_documented_in_deploy_nats_readme() -> None:
    from services.harvester.filesync import LEASES
    from services.harvester.registry import BUCKET, URL_BUCKET
    from services.ingest.push import REPLAY_BUCKET
    from shared.bus import KV_BUCKETS

    text = (STREAMS_DIR.parent / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([A-Za-z_]+)` \|", text, re.MULTILINE))
    buckets = {*KV_BUCKETS, BUCKET, URL_BUCKET, LEASES, REPLAY_BUCKET}
    assert {s.name for s in STREAMS} | buckets == rows


def test_nats_config_declares_a_cluster_with_jetstream() -> None:
    text = (STREAMS_DIR.parent / "nats.conf").read_text()
    assert "jetstream {" in text and "cluster {" in text
    assert text.count("$NATS_ROUTE_") == 3


if __name__ == "__main__":
    for stale in STREAMS_DIR.glob("*.json"):
        stale.unlink()
    for spec in STREAMS:
        text = json.dumps(definition(spec), indent=2) + "\n"
        (STREAMS_DIR / f"{spec.name}.json").write_text(text)
