"""Settings of the ingest (push) service."""

from __future__ import annotations

from shared.settings import COMMON, Setting, as_port

SETTINGS: tuple[Setting, ...] = COMMON + (
    Setting("MAILLAGE_INGEST_HOST", "127.0.0.1", "Address the ingest service listens on."),
    Setting("MAILLAGE_INGEST_PORT", "8081", "Port of the ingest (push) service.", as_port),
)
