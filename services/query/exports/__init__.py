"""Renderers of a list of search documents as ICS, RSS 2.0, JSON-LD and CSV.

Each module exposes ``render(items, feed) -> bytes`` and ``CONTENT_TYPE``; they are pure
(no I/O), so they are tested without a server.
"""
