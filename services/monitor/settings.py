"""Settings of the monitor service."""

from __future__ import annotations

from shared.settings import COMMON, Setting, as_float, as_int, as_port

SETTINGS: tuple[Setting, ...] = COMMON + (
    Setting("MAILLAGE_MONITOR_HOST", "127.0.0.1", "Address the monitor listens on."),
    Setting("MAILLAGE_MONITOR_PORT", "8082", "Port of the monitor dashboard.", as_port),
    Setting("MAILLAGE_MONITOR_USER", "operateur", "Operator user name for the dashboard."),
    Setting(
        "MAILLAGE_MONITOR_PASSWORD",
        "",
        "Operator password (required; maillage run generates one under the data directory).",
    ),
    Setting(
        "MAILLAGE_MAX_ERRORS",
        "10",
        "Consecutive failures after which a source is disabled.",
        as_int,
    ),
    Setting(
        "MAILLAGE_FAILING_AFTER",
        "3",
        "Consecutive failures after which a source is shown as failing.",
        as_int,
    ),
    Setting(
        "MAILLAGE_STALE_AFTER",
        "172800",
        "Seconds without a successful harvest before a source is stale (at least 3 intervals).",
        as_float,
    ),
    Setting(
        "MAILLAGE_DEFAULT_INTERVAL", "3600", "Default seconds between two harvests.", as_int
    ),
    Setting(
        "MAILLAGE_LAG_ALERT",
        "1000",
        "Indexer backlog (messages) above which the consumer-lag alert fires after 10 minutes.",
        as_int,
    ),
    Setting(
        "MAILLAGE_MONITOR_POLL", "15", "Seconds between two looks at the bus and the KV.", as_float
    ),
)
