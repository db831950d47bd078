"""scripts/corpus_report.py: a table and a summary, never a traceback."""

from __future__ import annotations


def test_corpus_report_prints_one_line_per_file_and_a_summary(tmp_path, capsys, script):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "ok.ics").write_bytes(
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Bal\r\n"
        b"DTSTART:20260310T180000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    (tmp_path / "empty.xml").write_bytes(b"")
    (tmp_path / "junk.bin").write_bytes(b"\x00\x01 not a feed")
    code = script("corpus_report").main([str(tmp_path), "--now", "2026-03-01T12:00:00+00:00"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Traceback" not in out
    assert "sub/ok.ics" in out and "2026-03-10T19:00:00+01:00" in out
    assert "error: ParseError: empty document" in out
    assert out.strip().splitlines()[-1].startswith("3 files: error 2, ok 1")
