"""scripts/corpus_report.py: a table and a summary, never a traceback."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def load_script():
    spec = importlib.util.spec_from_file_location(
        "corpus_report", ROOT / "scripts" / "corpus_report.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_corpus_report_prints_one_line_per_file_and_a_summary(tmp_path, capsys):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ok.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Bal\r\n"
        b"DTSTART:20260310T180000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (tmp_path / "empty.xml").write_bytes(b"")
    (tmp_path / "junk.bin").write_bytes(b"\x00\x01 not a feed")
    code = load_script().main([str(tmp_path), "--now", "2026-03-01T12:00:00+00:00"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Traceback" not in out
    assert "sub/ok.ics" in out and "2026-03-10T19:00:00+01:00" in out
    assert "error: ParseError: empty document" in out
    assert out.strip().splitlines()[-1].startswith("3 files: error 2, ok 1")
