"""Settings of the harvester service."""

from __future__ import annotations

from shared.metrics import METRICS_SETTINGS
from shared.settings import COMMON, Setting, as_bool, as_float, as_int

SETTINGS: tuple[Setting, ...] = COMMON + METRICS_SETTINGS + (
    Setting("MAILLAGE_SOURCES", "sources.toml",
            "TOML sources file brought into the registry of sources at start-up and at each "
            "edit (optional: sources can also be added with 'maillage sources add')."),
    Setting(
        "MAILLAGE_ALLOW_PRIVATE",
        "false",
        "Allow fetching loopback and private addresses (demo and tests only).",
        as_bool,
    ),
    Setting(
        "MAILLAGE_ALLOW_FILES",
        "false",
        "Allow file:// URLs in the sources file (tests only; a link found in a document is "
        "never read as a file).",
        as_bool,
    ),
    Setting(
        "MAILLAGE_USER_AGENT",
        "Maillage/0.1 (+https://github.com/maillage/maillage; agenda des associations rennaises)",
        "User-Agent sent with every fetch (with a contact URL).",
    ),
    Setting("MAILLAGE_FETCH_TIMEOUT", "30", "Total timeout of one fetch, in seconds.", as_float),
    Setting(
        "MAILLAGE_CONNECT_TIMEOUT", "10", "Connect timeout of one fetch, in seconds.", as_float
    ),
    Setting(
        "MAILLAGE_MAX_BODY_BYTES",
        str(10 * 1024 * 1024),
        "Largest body accepted, counted after decompression.",
        as_int,
    ),
    Setting("MAILLAGE_PER_HOST_LIMIT", "2", "Concurrent fetches per host.", as_int),
    Setting(
        "MAILLAGE_DEFAULT_INTERVAL", "3600", "Default seconds between two harvests.", as_int
    ),
    Setting("MAILLAGE_MIN_INTERVAL", "60", "Shortest interval allowed, in seconds.", as_int),
    Setting(
        "MAILLAGE_MAX_INTERVAL", "86400", "Longest wait between two harvests, in seconds.", as_int
    ),
    Setting(
        "MAILLAGE_MAX_ERRORS",
        "10",
        "Consecutive failures after which a source is disabled.",
        as_int,
    ),
    Setting(
        "MAILLAGE_WINDOW_PAST_DAYS", "30", "Expand recurrences from this many days ago.", as_int
    ),
    Setting(
        "MAILLAGE_WINDOW_FUTURE_DAYS", "400", "Expand recurrences up to this many days ahead.",
        as_int,
    ),
    Setting(
        "MAILLAGE_MAX_OCCURRENCES", "800", "Most occurrences kept for one event.", as_int
    ),
    Setting(
        "MAILLAGE_MAX_SOURCE_OCCURRENCES",
        "20000",
        "Most occurrences one harvest of a source may give (all its pages together); past "
        "it the harvest fails and the events published before are kept.",
        as_int,
    ),
    Setting(
        "MAILLAGE_PARSE_TIMEOUT",
        "20",
        "Seconds of CPU and of wall clock one document may take to parse; its parser process "
        "is stopped past it and the harvest fails.",
        as_float,
    ),
    Setting(
        "MAILLAGE_HARVEST_TIMEOUT",
        "300",
        "Seconds one harvest of a source may take in all (its fetches, pages, event pages, "
        "parses and publishing); past it the harvest is stopped and fails.",
        as_float,
    ),
    Setting(
        "MAILLAGE_SOURCE_PARSE_BUDGET",
        "60",
        "Seconds of parsing one harvest of a source may use, all its documents together "
        "(pages, event pages; parsed one at a time, so a source never holds more than one "
        "parser process); past it the harvest fails.",
        as_float,
    ),
    Setting(
        "MAILLAGE_PARSE_MEMORY_MB",
        "512",
        "Address space of a parser process, in MB (0: no limit).",
        as_int,
    ),
    Setting(
        "MAILLAGE_PARSE_REPLY_BYTES",
        str(64 * 1024 * 1024),
        "Longest reply a parser process may send back (the parsed events, as JSON); a longer "
        "one is refused and the harvest fails.",
        as_int,
    ),
    Setting(
        "MAILLAGE_PARSE_WORKERS",
        "2",
        "Parser processes of one harvester replica (documents parsed at once).",
        as_int,
    ),
    Setting(
        "MAILLAGE_HARVEST_CONCURRENCY", "4", "Sources harvested at once by one replica.", as_int
    ),
    Setting("MAILLAGE_MAX_PAGES", "50", "Most pages followed for a paged API.", as_int),
    Setting(
        "MAILLAGE_MAX_EVENT_PAGES",
        "30",
        "Most event pages read in one harvest of a feed whose items only link to them "
        "(each unchanged page costs a conditional GET).",
        as_int,
    ),
    Setting(
        "MAILLAGE_JOB_ACK_WAIT",
        "60",
        "Seconds before a job held by a dead replica is handed to another (a replica at work "
        "on a job tells the server every third of it).",
        as_float,
    ),
    Setting(
        "MAILLAGE_SCHEDULER_TICK", "5", "Seconds between two looks for due sources.", as_float
    ),
)
