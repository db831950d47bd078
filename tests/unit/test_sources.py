"""The sources file: validation with clear messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.harvester.sources import load_sources
from shared.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_every_field(tmp_path: Path) -> None:
    path = write(tmp_path, '''
[[sources]]
id = "velo"
url = "https://example.org/a.ics"
format = "ics"
organizer = "Vélo Rennes"
interval = 600
[sources.options]
dates_in_text = true
''')
    [source] = load_sources(path)
    assert (source.id, source.format, source.organizer, source.interval) == (
        "velo", "ics", "Vélo Rennes", 600)
    assert source.options == {"dates_in_text": True}


def test_relative_file_url_is_relative_to_the_sources_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[[sources]]\nid = "local"\nurl = "file://feeds/a.ics"\n')
    [source] = load_sources(path)
    assert source.url == (tmp_path / "feeds" / "a.ics").as_uri()


@pytest.mark.parametrize(("text", "message"), [
    ('[[sources]]\nid = "a b"\nurl = "https://x"\n', "'id'"),
    ('[[sources]]\nid = "a"\nurl = "ftp://x"\n', "'url'"),
    ('[[sources]]\nid = "a"\nurl = "https://x"\nformat = "pdf"\n', "unknown format"),
    ('[[sources]]\nid = "a"\nurl = "https://x"\ninterval = -1\n', "'interval'"),
    ('[[sources]]\nid = "a"\nurl = "https://x"\ncolour = 1\n', "unknown key"),
    ('[[sources]]\nid = "a"\nurl = "https://x"\n[[sources]]\nid = "a"\nurl = "https://y"\n',
     "duplicate"),
    ("[[sources]\n", "invalid TOML"),
])
def test_invalid_files_give_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_sources(write(tmp_path, text))


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_sources(tmp_path / "nope.toml")
