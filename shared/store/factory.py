"""Open the configured stores: the search store and the store of calls for projects."""

from __future__ import annotations

from shared.errors import ConfigError
from shared.settings import Settings, data_path
from shared.store.base import SearchStore
from shared.store.board_base import BoardStore
from shared.store.calls_base import CallsStore
from shared.store.directory_base import DirectoryStore


def sqlite_path(settings: Settings) -> str:
    return settings.sqlite_path or str(data_path(settings, "index.sqlite"))


def calls_sqlite_path(settings: Settings) -> str:
    """MAILLAGE_CALLS_SQLITE_PATH or <data dir>/calls.sqlite."""
    return (getattr(settings, "calls_sqlite_path", "")
            or str(data_path(settings, "calls.sqlite")))


def _elasticsearch_url(settings: Settings) -> str:
    url: str = getattr(settings, "elasticsearch_url", "")
    if not url:
        raise ConfigError("MAILLAGE_STORE=elasticsearch needs ELASTICSEARCH_URL")
    return url


def open_store(settings: Settings, *, cache_mb: int | None = None,
               reader: bool = False) -> SearchStore:
    """The configured store; ``cache_mb``: SQLite's page cache per connection (default 64);
    ``reader``: the process only searches (SQLite rebuilds its index in the background)."""
    if settings.store == "sqlite":
        from shared.store.sqlite import SqliteStore

        if cache_mb is None:
            return SqliteStore(sqlite_path(settings), background_rebuilds=reader)
        return SqliteStore(sqlite_path(settings), cache_mb=cache_mb, background_rebuilds=reader)
    from shared.store.elastic import ElasticStore

    return ElasticStore(_elasticsearch_url(settings), settings.es_index)


def open_call_store(settings: Settings) -> CallsStore:
    """The calls store: SQLite (``calls.sqlite``) or, with MAILLAGE_STORE=elasticsearch, the
    index MAILLAGE_ES_CALLS_INDEX (tokens, declarations and alerts stay in ``calls.sqlite``)."""
    if getattr(settings, "store", "sqlite") == "sqlite":
        from shared.store.calls_sqlite import CallStore

        return CallStore(calls_sqlite_path(settings))
    from shared.store.elastic_calls import ElasticCallStore

    return ElasticCallStore(_elasticsearch_url(settings), settings.es_calls_index,
                            calls_sqlite_path(settings))


def directory_sqlite_path(settings: Settings) -> str:
    """``directory.sqlite`` beside the events' index (:func:`sqlite_path`)."""
    from pathlib import Path

    return str(Path(sqlite_path(settings)).with_name("directory.sqlite"))


def open_directory_store(settings: Settings) -> DirectoryStore:
    """The directory of associations, in the configured store: ``directory.sqlite`` beside
    the events' index, or the Elasticsearch index ``<MAILLAGE_ES_INDEX>-associations``."""
    if getattr(settings, "store", "sqlite") == "sqlite":
        from shared.store.directory_sqlite import SqliteDirectory

        return SqliteDirectory(directory_sqlite_path(settings))
    from shared.store.elastic_directory import ElasticDirectory

    return ElasticDirectory(_elasticsearch_url(settings), f"{settings.es_index}-associations")


def board_sqlite_path(settings: Settings) -> str:
    """``board.sqlite`` beside the events' index (:func:`sqlite_path`)."""
    from pathlib import Path

    return str(Path(sqlite_path(settings)).with_name("board.sqlite"))


def open_board_store(settings: Settings) -> BoardStore:
    """The board (:mod:`shared.store.board_base`), in the configured store:
    ``board.sqlite`` beside the events' index, or the Elasticsearch index
    ``<MAILLAGE_ES_INDEX>-board``."""
    if getattr(settings, "store", "sqlite") == "sqlite":
        from shared.store.board_sqlite import SqliteBoard

        return SqliteBoard(board_sqlite_path(settings))
    from shared.store.elastic_board import ElasticBoard

    return ElasticBoard(_elasticsearch_url(settings), f"{settings.es_index}-board")
