"""Run every document of a directory through the format detection and parsers; print a table.

    python scripts/corpus_report.py DIR [--now 2026-01-15T12:00:00+01:00] [--past-days 30]
        [--future-days 400] [--timeout 10] [--dates-in-text]

One line per file: file, detected format, events, first start, then ``ok`` or the reason
(the one-line ParseError, or the first skip reason when no event was found). A summary line
counts ok / no-event / error per format. Each file is parsed in a child process killed after
``--timeout`` seconds, so no file can hang the report; tracebacks are never printed.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _parse_one(path: str, ctx_args: dict[str, Any], queue: Any) -> None:
    from services.harvester.formats import parse_document
    from services.harvester.formats.base import ParseContext
    from shared.errors import MaillageError

    try:
        ctx = ParseContext(**ctx_args)
        body = Path(path).read_bytes()
        result = parse_document(body, ctx)
        starts = [o.start for e in result.events for o in e.occurrences]
        first = min(starts).isoformat() if starts else ""
        reason = result.skipped[0].reason if result.skipped else ""
        queue.put(
            (
                "ok" if result.events else "no-event",
                result.format,
                len(result.events),
                first,
                reason,
                len(result.skipped),
            )
        )
    except MaillageError as exc:
        queue.put(("error", "?", 0, "", f"{type(exc).__name__}: {exc.message}", 0))
    except Exception as exc:  # noqa: BLE001 - the report shows bugs as one line too
        queue.put(("crash", "?", 0, "", f"BUG {type(exc).__name__}: {exc}", 0))


def run_file(path: Path, ctx_args: dict[str, Any], timeout: float) -> tuple[Any, ...]:
    queue: Any = mp.get_context("fork").Queue()
    proc = mp.get_context("fork").Process(target=_parse_one, args=(str(path), ctx_args, queue))
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return ("timeout", "?", 0, "", f"no result after {timeout:g}s", 0)
    try:
        return tuple(queue.get(timeout=1))
    except Exception:  # noqa: BLE001
        return ("crash", "?", 0, "", f"parser process died (exit code {proc.exitcode})", 0)


def _short(text: str, size: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= size else text[: size - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--now", help="ISO datetime used as ctx.now (default: current time)")
    parser.add_argument("--past-days", type=int, default=30)
    parser.add_argument("--future-days", type=int, default=400)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument(
        "--dates-in-text",
        action="store_true",
        help="let RSS parsing read French dates in titles and summaries",
    )
    args = parser.parse_args(argv)
    if not args.directory.is_dir():
        print(f"not a directory: {args.directory}", file=sys.stderr)
        return 2
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    ctx_args = {
        "source_id": "corpus",
        "now": now,
        "window_past": timedelta(days=args.past_days),
        "window_future": timedelta(days=args.future_days),
        "options": {"dates_in_text": args.dates_in_text},
    }
    files = sorted(
        p
        for p in args.directory.rglob("*")
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() != ".md"
    )
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    width = min(max((len(str(p.relative_to(args.directory))) for p in files), default=10), 60)
    print(f"{'file':<{width}}  {'format':<12} {'events':>6}  {'first start':<25}  result")
    for path in files:
        outcome, fmt, n, first, reason, skipped = run_file(path, ctx_args, args.timeout)
        name = _short(str(path.relative_to(args.directory)), width)
        if outcome == "ok":
            shown = "ok" + (f" ({skipped} skipped: {_short(reason, 60)})" if skipped else "")
        else:
            shown = f"{outcome}: {_short(reason, 100)}"
        print(f"{name:<{width}}  {fmt:<12} {n:>6}  {first:<25}  {shown}")
        counts[fmt if fmt != "?" else path.parent.name][outcome] += 1
    total: Counter[str] = Counter()
    for c in counts.values():
        total.update(c)
    per_format = "; ".join(
        f"{fmt}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
        for fmt, c in sorted(counts.items())
    )
    print(
        f"\n{len(files)} files: "
        + ", ".join(f"{k} {v}" for k, v in sorted(total.items()))
        + f"  [{per_format}]"
    )
    return 0 if not (total["crash"] or total["timeout"]) else 1


if __name__ == "__main__":
    sys.exit(main())
