"""Settings of the ingest (push) service."""

from __future__ import annotations

from typing import Any

from shared.errors import ConfigError
from shared.settings import COMMON, Setting, as_bool, as_choice, as_float, as_int, as_port


def as_push_secrets(raw: str) -> dict[str, tuple[bytes, ...]]:
    from services.ingest.signatures import parse_secrets

    try:
        return parse_secrets(raw)
    except ConfigError as exc:
        raise ValueError(exc.message) from None


def as_positive(raw: str) -> Any:
    value = as_int(raw)
    if value < 1:
        raise ValueError(f"expected a number >= 1, got {value}")
    return value


STORE_BACKEND_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MAILLAGE_STORE",
        "sqlite",
        "Search store: sqlite (embedded) or elasticsearch.",
        as_choice("sqlite", "elasticsearch"),
    ),
    Setting("ELASTICSEARCH_URL", "", "Elasticsearch URL, for MAILLAGE_STORE=elasticsearch."),
)

CALL_STORE_SETTINGS: tuple[Setting, ...] = (
    Setting(
        "MAILLAGE_CALLS_SQLITE_PATH",
        "",
        "SQLite file of calls for projects, interests, tokens and alerts "
        "(default: <data dir>/calls.sqlite; with Elasticsearch, interests, tokens and alerts "
        "only).",
    ),
    Setting(
        "MAILLAGE_ES_CALLS_INDEX",
        "maillage-calls",
        "Elasticsearch index alias of calls for projects, for MAILLAGE_STORE=elasticsearch.",
    ),
)

SETTINGS: tuple[Setting, ...] = COMMON + STORE_BACKEND_SETTINGS + CALL_STORE_SETTINGS + (
    Setting("MAILLAGE_INGEST_HOST", "127.0.0.1", "Address the ingest service listens on."),
    Setting("MAILLAGE_INGEST_PORT", "8081", "Port of the ingest (push) service.", as_port),
    Setting(
        "MAILLAGE_PUSH_SECRETS",
        "",
        "Push publishers and their Standard Webhooks secrets: publisher=whsec_... pairs, "
        "comma-separated; list a publisher twice during a secret rotation.",
        as_push_secrets,
    ),
    Setting("MAILLAGE_PUSH_MAX_BYTES", "1048576", "Largest push body, in bytes.", as_positive),
    Setting(
        "MAILLAGE_PUSH_READ_TIMEOUT",
        "30",
        "Seconds a push body may take to arrive (it is read before its signature is "
        "checked); past it the answer is 408.",
        as_float,
    ),
    Setting(
        "MAILLAGE_PUSH_RATE",
        "5",
        "Pushes per second each publisher may sustain (0 disables the limit).",
        as_float,
    ),
    Setting("MAILLAGE_PUSH_BURST", "30", "Pushes a publisher may send in a burst.", as_positive),
    Setting(
        "MAILLAGE_PUSH_TOLERANCE",
        "300",
        "Largest gap, in seconds, between webhook-timestamp and the server's clock.",
        as_positive,
    ),
    Setting(
        "MAILLAGE_PUSH_REPLAY_TTL",
        "900",
        "Seconds a webhook-id is remembered (NATS KV bucket push_seen) to refuse replays; "
        "at least twice MAILLAGE_PUSH_TOLERANCE (checked at start).",
        as_positive,
    ),
    Setting(
        "MAILLAGE_ALERT_INTERVAL",
        "300",
        "Seconds between two runs of the saved-search alert sender (0 disables it).",
        as_float,
    ),
    Setting(
        "MAILLAGE_ALLOW_PRIVATE",
        "false",
        "Let alert webhooks reach loopback and private addresses (demo and tests only).",
        as_bool,
    ),
)
