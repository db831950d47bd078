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


def load_sources(path: Path | str) -> list[Source]:
    """Read and validate a sources file; a relative ``file://`` URL is relative to it."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"sources file not found: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    entries = data.get("sources", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'sources' must be an array of tables ([[sources]])")
    sources: list[Source] = []
    seen: set[str] = set()
    for i, raw in enumerate(entries):
        source = parse_source(raw, f"{path}: sources[{i}]")
        if source.id in seen:
            raise ConfigError(f"{path}: duplicate source id {source.id!r}")
        seen.add(source.id)
        if source.url.startswith("file://") and not source.url.startswith("file:///"):
            resolved = (path.parent / source.url.removeprefix("file://")).resolve()
            source = replace(source, url=resolved.as_uri())
        sources.append(source)
    return sources
