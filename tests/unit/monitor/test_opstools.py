"""The operator commands' helpers: progress output without a terminal, plain tables."""

import io

from services.cli.opstools import Progress, table


def test_progress_without_a_terminal_prints_one_line_per_tenth() -> None:
    out = io.StringIO()
    progress = Progress(100, "reindexing", out)
    for _ in range(100):
        progress.advance()
    progress.finish()
    lines = out.getvalue().splitlines()
    assert lines[0] == "reindexing: 1/100 (1%)"
    assert lines[-1] == "reindexing: 100/100 (100%)"
    assert len(lines) == 11


def test_table_shortens_iso_times_and_shows_missing_values_as_dashes() -> None:
    text = table([{"id": "velo", "last_success": "2026-03-02T08:00:00.123456+00:00",
                   "last_error": None}], ("id", "last_success", "last_error"))
    assert text.splitlines()[1].split() == ["velo", "2026-03-02", "08:00", "-"]


def test_empty_table_says_none() -> None:
    assert table([], ("id",)).endswith("(none)")
