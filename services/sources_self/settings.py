"""Settings of associations' own sources (in the site's settings table).

The preview reads an address as a harvest would, so it takes the harvester's fetch and
parse settings (their documentation is the harvester's), and ``MAILLAGE_ALLOW_PRIVATE``
from the site's own table (loopback addresses in the demo and tests)."""

from __future__ import annotations

from services.harvester.settings import SETTINGS as HARVESTER_SETTINGS
from shared.settings import COMMON, Setting, as_bool

#: The harvester's settings the preview reads with (fetch, parse, window).
PREVIEW_NAMES = frozenset({
    "MAILLAGE_ALLOW_FILES", "MAILLAGE_USER_AGENT",
    "MAILLAGE_FETCH_TIMEOUT", "MAILLAGE_CONNECT_TIMEOUT", "MAILLAGE_MAX_BODY_BYTES",
    "MAILLAGE_PER_HOST_LIMIT", "MAILLAGE_WINDOW_PAST_DAYS", "MAILLAGE_WINDOW_FUTURE_DAYS",
    "MAILLAGE_MAX_OCCURRENCES", "MAILLAGE_MAX_SOURCE_OCCURRENCES", "MAILLAGE_PARSE_TIMEOUT",
    "MAILLAGE_PARSE_MEMORY_MB", "MAILLAGE_PARSE_WORKERS", "MAILLAGE_MAX_PAGES",
    "MAILLAGE_SOURCE_PARSE_BUDGET",
    "MAILLAGE_DEFAULT_INTERVAL", "MAILLAGE_MIN_INTERVAL", "MAILLAGE_MAX_INTERVAL",
    "MAILLAGE_MAX_ERRORS",
})
_COMMON = {s.name for s in COMMON}

SOURCES_SELF_SETTINGS: tuple[Setting, ...] = tuple(
    s for s in HARVESTER_SETTINGS
    # every parser setting: the preview parses with the harvester's own pool and limits
    if (s.name in PREVIEW_NAMES or s.name.startswith("MAILLAGE_PARSE_")) and s.name not in _COMMON
) + (
    Setting("MAILLAGE_SOURCES_APPROVAL", "false",
            "Sources an association adds on the site wait for an operator's approval "
            "(/operateurs/sources) before their first harvest.", as_bool),
)
