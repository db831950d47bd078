"""Settings of the indexer service."""

from __future__ import annotations

import os

from services.ingest.settings import CALL_STORE_SETTINGS, STORE_BACKEND_SETTINGS
from shared.metrics import METRICS_SETTINGS
from shared.settings import COMMON, Setting, as_float, as_int

STORE_SETTINGS: tuple[Setting, ...] = STORE_BACKEND_SETTINGS + (
    Setting(
        "MAILLAGE_SQLITE_PATH", "", "SQLite index file (default: <data dir>/index.sqlite)."
    ),
    Setting("MAILLAGE_ES_INDEX", "maillage-events", "Elasticsearch index alias of events."),
)

def as_workers(raw: str) -> int:
    """``auto``: one enrichment worker when this process may run on two cores or more (on
    a quiet 2-core machine the worker made the indexer ×1.4 faster, docs/scaling.md), none
    on one core, where it would only add the pickling."""
    if raw.strip().lower() == "auto":
        return 1 if _usable_cores() >= 2 else 0
    try:
        workers = int(raw)
    except ValueError:
        workers = -1
    if workers < 0:
        raise ValueError(f"must be auto or a whole number ≥ 0, not {raw!r}")
    return workers


def _usable_cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux; elsewhere every core counts
    return len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)


SETTINGS: tuple[Setting, ...] = COMMON + METRICS_SETTINGS + STORE_SETTINGS + CALL_STORE_SETTINGS + (
    Setting(
        "MAILLAGE_REFERENCE_DIR",
        "../shared/reference",
        "Directory of reference data (quartiers, communes, venues, streets, RNA themes).",
    ),
    # 1,024 rather than 256: a commit rewrites the index pages its documents touch, shared
    # by many documents (tags, dates, ids): 256 wrote 900 MB of WAL for 19,000 documents,
    # 1,024 wrote 470 MB (docs/scaling.md)
    Setting("MAILLAGE_BATCH_SIZE", "1024", "Messages fetched and committed together.", as_int),
    Setting(
        "MAILLAGE_ENRICH_WORKERS",
        "auto",
        "Processes that decode and enrich the next batch while the indexer writes one "
        "(0: all in the indexer's process; auto: 1 when the indexer may use two cores or "
        "more, else 0).",
        as_workers,
    ),
    Setting(
        "MAILLAGE_MAX_DELIVER",
        "5",
        "Deliveries of a failing message before it goes to the dead-letter store.",
        as_int,
    ),
    Setting(
        "MAILLAGE_ACK_WAIT",
        "30",
        "Seconds before a message delivered to a dead indexer is redelivered.",
        as_float,
    ),
    Setting(
        "MAILLAGE_RETRY_DELAY", "2", "Seconds before a failed batch is retried (doubles).", as_float
    ),
)
