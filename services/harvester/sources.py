"""The sources file: which calendars to harvest.

```toml
[[sources]]
id = "velo-rennes"                 # stable id, letters, digits, '-' and '_'
url = "https://example.org/agenda.ics"   # http(s)://, webcal:// or file://
kind = "events"                    # optional; "calls" for a funder's calls for projects
format = "ics"                     # optional; auto-detected when absent
organizer = "Vélo Rennes"          # optional; the organizer when the source does not say
interval = 3600                    # optional; seconds between harvests
themes = ["009000"]                # optional; the organizer's RNA theme codes
enabled = true                     # optional
[sources.options]                  # optional, format-specific (e.g. dates_in_text = true)
```
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from shared.errors import ConfigError

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
FORMATS = {"ics", "rss", "html", "openagenda", "activitypub", "wordpress", "opendatasoft"}
SCHEMES = ("http://", "https://", "webcal://", "file://")


@dataclass(frozen=True, slots=True)
class Source:
    id: str
    url: str
    format: str | None = None
    organizer: str | None = None
    interval: int | None = None
    enabled: bool = True
    themes: tuple[str, ...] = ()
    kind: str = "events"
    options: dict[str, Any] = field(default_factory=dict)


def parse_source(raw: dict[str, Any], where: str) -> Source:
    unknown = set(raw) - {
        "id", "url", "format", "organizer", "interval", "enabled", "themes", "kind", "options"
    }
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    sid = raw.get("id")
    if not isinstance(sid, str) or not ID_RE.match(sid):
        raise ConfigError(f"{where}: 'id' must be letters, digits, '-' or '_' (got {sid!r})")
    url = raw.get("url")
    if not isinstance(url, str) or not url.lower().startswith(SCHEMES):
        raise ConfigError(f"{where} ({sid}): 'url' must start with {', '.join(SCHEMES)}")
    fmt = raw.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(f"{where} ({sid}): unknown format {fmt!r}; one of {sorted(FORMATS)}")
    interval = raw.get("interval")
    if interval is not None and (not isinstance(interval, int) or interval <= 0):
        raise ConfigError(f"{where} ({sid}): 'interval' must be a positive number of seconds")
    kind = raw.get("kind", "events")
    if kind not in ("events", "calls"):
        raise ConfigError(f"{where} ({sid}): 'kind' must be \"events\" or \"calls\"")
    themes = raw.get("themes", [])
    if not isinstance(themes, list) or not all(
        isinstance(t, str) and t.isdigit() and len(t) == 6 for t in themes
    ):
        raise ConfigError(f"{where} ({sid}): 'themes' must be a list of 6-digit RNA codes")
    options = raw.get("options", {})
    if not isinstance(options, dict):
        raise ConfigError(f"{where} ({sid}): 'options' must be a table")
    return Source(
        id=sid,
        url=url,
        format=fmt,
        organizer=raw.get("organizer"),
        interval=interval,
        enabled=bool(raw.get("enabled", True)),
        themes=tuple(themes),
        kind=kind,
        options=options,
    )


def source_to_raw(source: Source) -> dict[str, Any]:
    """The source as a table of the sources file (what :func:`parse_source` reads back);
    fields left at their default are omitted."""
    raw: dict[str, Any] = {"id": source.id, "url": source.url}
    if source.kind != "events":
        raw["kind"] = source.kind
    for key in ("format", "organizer", "interval"):
        if getattr(source, key) is not None:
            raw[key] = getattr(source, key)
    if source.themes:
        raw["themes"] = list(source.themes)
    if not source.enabled:
        raw["enabled"] = False
    if source.options:
        raw["options"] = dict(source.options)
    return raw


def normalize_url(url: str) -> str:
    """The form two URLs of the same calendar share: ``webcal`` read as ``https``, scheme and
    host in lower case, no default port, no fragment, no trailing slash."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme == "webcal":
        scheme = "https"
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, 80 if scheme == "http" else 443) else None
    netloc = f"{host}:{port}" if port else host
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((scheme, netloc, path, parts.query, ""))


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``[[sources]]`` table of a file: its source, or why it was refused."""

    index: int
    id: str | None
    source: Source | None = None
    error: str | None = None


def read_entries(path: Path | str) -> list[Entry]:
    """Every table of a sources file, each validated alone (an invalid table does not hide
    the others); a relative ``file://`` URL is relative to the file. A file that cannot be
    read or is not TOML raises :class:`ConfigError`."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"sources file not found: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    tables = data.get("sources", [])
    if not isinstance(tables, list):
        raise ConfigError(f"{path}: 'sources' must be an array of tables ([[sources]])")
    entries: list[Entry] = []
    seen: set[str] = set()
    for i, raw in enumerate(tables):
        sid = raw.get("id") if isinstance(raw, dict) else None
        sid = sid if isinstance(sid, str) else None
        try:
            if not isinstance(raw, dict):
                raise ConfigError(f"{path}: sources[{i}] must be a table")
            source = parse_source(raw, f"{path}: sources[{i}]")
            if source.id in seen:
                raise ConfigError(f"{path}: duplicate source id {source.id!r}")
        except ConfigError as exc:
            entries.append(Entry(i, sid, error=exc.message))
            continue
        seen.add(source.id)
        if source.url.startswith("file://") and not source.url.startswith("file:///"):
            resolved = (path.parent / source.url.removeprefix("file://")).resolve()
            source = replace(source, url=resolved.as_uri())
        entries.append(Entry(i, source.id, source))
    return entries


def load_sources(path: Path | str) -> list[Source]:
    """Read and validate a sources file; the first invalid table raises :class:`ConfigError`."""
    sources: list[Source] = []
    for entry in read_entries(path):
        if entry.error is not None:
            raise ConfigError(entry.error)
        assert entry.source is not None
        sources.append(entry.source)
    return sources
