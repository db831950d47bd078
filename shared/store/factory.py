"""Open the configured search store."""

from __future__ import annotations

from shared.errors import ConfigError
from shared.settings import Settings, data_path
from shared.store.base import SearchStore


def sqlite_path(settings: Settings) -> str:
    return settings.sqlite_path or str(data_path(settings, "index.sqlite"))


def open_store(settings: Settings, *, cache_mb: int | None = None,
               reader: bool = False) -> SearchStore:
    """The configured store; ``cache_mb``: SQLite's page cache per connection (default 64);
    ``reader``: the process only searches (SQLite rebuilds its index in the background)."""
    if settings.store == "sqlite":
        from shared.store.sqlite import SqliteStore

        if cache_mb is None:
            return SqliteStore(sqlite_path(settings), background_rebuilds=reader)
        return SqliteStore(sqlite_path(settings), cache_mb=cache_mb, background_rebuilds=reader)
    if not settings.elasticsearch_url:
        raise ConfigError("MAILLAGE_STORE=elasticsearch needs ELASTICSEARCH_URL")
    from shared.store.elastic import ElasticStore

    return ElasticStore(settings.elasticsearch_url, settings.es_index)
