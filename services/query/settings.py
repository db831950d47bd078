"""Settings of the query service (API, exports and the public web page)."""

from __future__ import annotations

from services.indexer.settings import STORE_SETTINGS
from shared.settings import COMMON, Setting, as_int, as_port

SETTINGS: tuple[Setting, ...] = COMMON + STORE_SETTINGS + (
    Setting("MAILLAGE_HTTP_HOST", "127.0.0.1", "Address the query service listens on."),
    Setting("MAILLAGE_HTTP_PORT", "8080", "Port of the query service (API and web page).", as_port),
    Setting(
        "MAILLAGE_PUBLIC_URL",
        "",
        "Public base URL used in feeds and links (default: from the request).",
    ),
    Setting("MAILLAGE_MAX_LIMIT", "100", "Largest page size a client may ask for.", as_int),
)
