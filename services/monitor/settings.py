"""Settings of the monitor service."""

from __future__ import annotations

from shared.settings import COMMON, Setting, as_port

SETTINGS: tuple[Setting, ...] = COMMON + (
    Setting("MAILLAGE_MONITOR_HOST", "127.0.0.1", "Address the monitor listens on."),
    Setting("MAILLAGE_MONITOR_PORT", "8082", "Port of the monitor dashboard.", as_port),
    Setting("MAILLAGE_MONITOR_USER", "operateur", "Operator user name for the dashboard."),
    Setting(
        "MAILLAGE_MONITOR_PASSWORD",
        "",
        "Operator password (required; maillage run generates one under the data directory).",
    ),
)
