"""Settings of the query service (API, exports and the public web page)."""

from __future__ import annotations

from urllib.parse import urlsplit

from services.accounts.settings import ACCOUNT_SETTINGS
from services.city_calls.settings import CITY_CALLS_SETTINGS
from services.indexer.settings import STORE_SETTINGS
from services.ingest.settings import CALL_STORE_SETTINGS
from services.query.trust import parse_networks
from services.sources_self.settings import SOURCES_SELF_SETTINGS
from shared.reference import REFERENCE_SETTING
from shared.settings import COMMON, Setting, as_bool, as_float, as_port


def as_non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(f"expected a number >= 0, got {value}")
    return value


def as_non_negative_float(raw: str) -> float:
    value = as_float(raw)
    if not value >= 0:
        raise ValueError(f"expected a number >= 0, got {raw!r}")
    return value


def as_positive_int(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise ValueError(f"expected a number >= 1, got {value}")
    return value


#: Largest page a store serves in one read: Elasticsearch refuses from+size beyond its
#: ``index.max_result_window`` (10,000 by default) with a 400, and a cursor page starts at 0.
MAX_PAGE = 1000


def as_page_limit(raw: str) -> int:
    value = as_positive_int(raw)
    if value > MAX_PAGE:
        raise ValueError(f"expected a number <= {MAX_PAGE}, got {value}")
    return value


def as_public_url(raw: str) -> str:
    """Empty, or an absolute http(s) URL without query or fragment (no trailing slash)."""
    value = raw.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or parts.password:
        raise ValueError(f"expected an absolute http(s) URL such as https://agenda.example.org, "
                         f"got {raw!r}")
    return value


def as_host_list(raw: str) -> tuple[str, ...]:
    """Host names or addresses, comma-separated, without scheme nor port; ``*`` for any."""
    names = tuple(n.strip().lower().strip("[]") for n in raw.split(",") if n.strip())
    for name in names:
        if any(c in name for c in "/@ ") or name.count(":") == 1:
            raise ValueError(f"expected host names without scheme or port, got {name!r}")
    return names


SETTINGS: tuple[Setting, ...] = (
    COMMON + STORE_SETTINGS + CALL_STORE_SETTINGS + ACCOUNT_SETTINGS + SOURCES_SELF_SETTINGS
    + CITY_CALLS_SETTINGS
) + (
    Setting(
        "MAILLAGE_TILE_URL",
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "Map tile URL pattern for the web page (empty: the map shows only the quartier and "
        "commune boundaries of MAILLAGE_REFERENCE_DIR).",
    ),
    Setting(
        "MAILLAGE_TILE_ATTRIBUTION",
        "© les contributeurs d'OpenStreetMap",
        "Attribution shown on the map.",
    ),
    REFERENCE_SETTING,  # the quartier and commune outlines drawn under the map
    Setting(
        "MAILLAGE_ALLOW_PRIVATE",
        "false",
        "Allow loopback and private addresses as alert webhook URLs (tests only).",
        as_bool,
    ),
    Setting("MAILLAGE_HTTP_HOST", "127.0.0.1", "Address the query service listens on."),
    Setting("MAILLAGE_HTTP_PORT", "8080", "Port of the query service (API and web page).", as_port),
    Setting(
        "MAILLAGE_QUERY_WORKERS",
        "1",
        "Processes of the query service sharing its port (SO_REUSEPORT, Linux); 0: one per "
        "CPU. Each has its own caches and rate limits (see docs/scaling.md).",
        as_non_negative_int,
    ),
    Setting(
        "MAILLAGE_QUERY_WORKER_MAX_MB",
        "100",
        "With several workers: a worker whose own memory (what it no longer shares with the "
        "master: its caches, the writes it followed, an index it rebuilt) passes this many MB "
        "is replaced by a new one forked from an up-to-date master. 0: never.",
        as_non_negative_int,
    ),
    Setting(
        "MAILLAGE_PUBLIC_URL",
        "",
        "Public base URL used in feeds and links, e.g. https://agenda.example.org; set it in "
        "production (empty: from the request's Host, when MAILLAGE_ALLOWED_HOSTS allows it).",
        as_public_url,
    ),
    Setting(
        "MAILLAGE_ALLOWED_HOSTS",
        "",
        "Host names the service answers for, comma-separated (* for any); other Host headers "
        "get a 400 (/healthz and /metrics excepted). Empty: the host of MAILLAGE_PUBLIC_URL, "
        "localhost, 127.0.0.1 and ::1.",
        as_host_list,
    ),
    Setting("MAILLAGE_MAX_LIMIT", "100", f"Largest page size a client may ask for (1-{MAX_PAGE}).",
            as_page_limit),
    Setting(
        "MAILLAGE_EXPORT_MAX",
        "1000",
        "Most occurrences in one export (ICS, RSS, JSON-LD, CSV); exports read the search "
        "page by page up to this cap.",
        as_positive_int,
    ),
    Setting(
        "MAILLAGE_CONTACT_EMAIL",
        "",
        "Address the site's contact and accessibility pages give (empty: they point to the "
        "forms of the site only).",
    ),
    Setting(
        "MAILLAGE_CALENDAR_NAME",
        "Maillage – agenda des associations rennaises",
        "Name of the exported calendars and feeds (X-WR-CALNAME, RSS channel title).",
    ),
    Setting(
        "MAILLAGE_RATE_LIMIT",
        "20",
        "Requests per second each client IP may sustain (token bucket refill rate); "
        "0 disables rate limiting.",
        as_non_negative_float,
    ),
    Setting(
        "MAILLAGE_RATE_BURST",
        "60",
        "Requests a client IP may send in a burst (token bucket size).",
        as_positive_int,
    ),
    Setting(
        "MAILLAGE_TRUSTED_PROXIES",
        "",
        "Addresses or CIDRs of the reverse proxies in front of the service, comma-separated: "
        "from them, the client IP for rate limiting is the right-most X-Forwarded-For entry "
        "that is not one of them. Empty: the connection's address.",
        parse_networks,
    ),
    Setting(
        "MAILLAGE_TRUST_FORWARDED",
        "false",
        "Trust the immediate peer as a proxy whatever its address (one hop: the client IP is "
        "the last X-Forwarded-For entry); prefer MAILLAGE_TRUSTED_PROXIES.",
        as_bool,
    ),
    Setting(
        "MAILLAGE_MICROCACHE_SECONDS",
        "2",
        "Seconds the service keeps a whole API answer in memory to serve identical requests "
        "again without reading the store; 0 disables.",
        as_non_negative_float,
    ),
    Setting(
        "MAILLAGE_MICROCACHE_MB",
        "16",
        "Memory bound of that answer cache, in MB.",
        as_positive_int,
    ),
    Setting(
        "MAILLAGE_CACHE_SEARCH_SECONDS",
        "60",
        "Cache-Control max-age of search results and exports, in seconds.",
        as_non_negative_int,
    ),
    Setting(
        "MAILLAGE_CACHE_STATIC_SECONDS",
        "3600",
        "Cache-Control max-age of slow-changing answers (event pages, term lists, "
        "OpenAPI, static files), in seconds.",
        as_non_negative_int,
    ),
)
