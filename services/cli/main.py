"""The ``maillage`` command.

    maillage run [--demo]          the whole stack (embedded NATS, every service)
    maillage parse PATH_OR_URL     print the normalized events of one file or URL (JSON lines)

Bad input never prints a traceback: one clear line on stderr and a non-zero exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from shared.errors import MaillageError
from shared.settings import load

if TYPE_CHECKING:
    from services.harvester.parse_pool import Parsed, ParseJob, ParseLimits

EXIT_BAD_INPUT = 1
EXIT_CONFIG = 2
#: 128 + the signal's number, as a shell reports a process ended by SIGPIPE or SIGINT.
EXIT_BROKEN_PIPE = 128 + 13
EXIT_INTERRUPTED = 128 + 2


def cmd_run(args: argparse.Namespace) -> int:
    from services.cli import supervisor

    settings = load(supervisor.SETTINGS, os.environ)
    return supervisor.run(settings, demo=args.demo)


def _read(target: str, allow_private: bool) -> tuple[bytes, str | None, str | None]:
    """The bytes of a local file or URL, its content type and final URL."""
    if "://" not in target:
        try:
            return Path(target).read_bytes(), None, None
        except OSError as exc:
            raise MaillageError(f"cannot read {target}: {exc.strerror or exc}") from exc
    return asyncio.run(_fetch(target, allow_private))


async def _fetch(target: str, allow_private: bool) -> tuple[bytes, str | None, str | None]:
    import ipaddress
    from urllib.parse import urlsplit

    from services.harvester.fetcher import FetchConfig, Fetcher
    from shared.errors import FetchRefused

    fetcher = Fetcher(FetchConfig(allow_private=allow_private, allow_files=True))
    try:
        result = await fetcher.fetch(target)
    except FetchRefused as exc:  # a feed served on this machine (the demo's, a test server)
        host = urlsplit(target).hostname or ""
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:  # another name
            loopback = False
        if exc.kind == "refused_address" and loopback and not allow_private:
            raise FetchRefused(f"{exc.message}; MAILLAGE_ALLOW_PRIVATE=true reads a feed "
                               "served on this machine", kind=exc.kind) from exc
        raise
    finally:
        await fetcher.close()
    return result.body, result.content_type, result.url


async def _parse_bounded(job: ParseJob, limits: ParseLimits) -> Parsed:
    """The harvester's own bounded path: one parser process, its time and memory limits."""
    from services.harvester.parse_pool import ParsePool

    pool = ParsePool(limits)
    try:
        return await pool.parse(job)
    finally:
        await pool.close()


def cmd_parse(args: argparse.Namespace) -> int:
    from services.harvester.formats.base import ParseContext, ParseResult
    from services.harvester.parse_pool import ParseJob, ParseLimits
    from services.harvester.settings import SETTINGS
    from services.harvester.worker import DOCUMENT_SHARE

    settings = load(SETTINGS, os.environ)
    body, content_type, url = _read(args.target, settings.allow_private)
    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    ctx = ParseContext(
        source_id=args.source_id,
        now=now,
        url=url or (args.target if "://" in args.target else None),
        organizer=args.organizer,
        timezone=settings.timezone,
        window_past=timedelta(days=args.past_days),
        window_future=timedelta(days=args.future_days),
        max_document_occurrences=settings.max_source_occurrences,
        document_budget_s=settings.parse_timeout * DOCUMENT_SHARE,
        options={"dates_in_text": args.dates_in_text},
    )
    limits = ParseLimits(settings.parse_timeout, settings.parse_memory_mb, workers=1,
                         reply_bytes=settings.parse_reply_bytes)
    result = asyncio.run(_parse_bounded(ParseJob(body, ctx, args.format, content_type), limits))
    assert isinstance(result, ParseResult)  # events, not calls
    out = sys.stdout
    for event in result.events:
        out.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
    for skipped in result.skipped:
        print(f"skipped: {skipped.title or skipped.uid or '?'}: {skipped.reason}", file=sys.stderr)
    if not result.events:
        print(f"maillage parse: {args.target}: no usable event", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="maillage", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the whole stack on the embedded default")
    run.add_argument("--demo", action="store_true", help="serve and harvest the demo sources")
    run.set_defaults(func=cmd_run)

    parse = sub.add_parser("parse", help="print the normalized events of a file or URL")
    parse.add_argument("target", metavar="PATH_OR_URL")
    parse.add_argument(
        "--format",
        choices=["ics", "rss", "html", "openagenda", "activitypub", "wordpress", "opendatasoft"],
    )
    parse.add_argument("--source-id", default="cli")
    parse.add_argument("--organizer")
    parse.add_argument("--now", help="ISO date-time taken as now (default: the clock)")
    parse.add_argument(
        "--past-days",
        type=int,
        default=3650,
        help="expand recurrences from this many days back (default 3650)",
    )
    parse.add_argument("--future-days", type=int, default=3650)
    parse.add_argument(
        "--dates-in-text", action="store_true", help="read event dates from the text of feed items"
    )
    parse.set_defaults(func=cmd_parse)

    from services.cli.tokens import add_token_parser

    add_token_parser(sub)

    from services.cli.commands import register as register_operator_commands

    register_operator_commands(sub)

    from services.cli.accounts import register as register_accounts

    register_accounts(sub)

    from services.cli.associations import register as register_associations

    register_associations(sub)

    from services.cli.association_links import register as register_association_links

    register_association_links(sub)

    from services.cli.venues import register as register_venues

    register_venues(sub)
    return parser


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush of a closed pipe does
    not print a traceback either (the documented remedy for ``SIGPIPE`` in Python)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    """Run one command. No traceback for bad input, a closed pipe (``maillage parse F | head``)
    or Ctrl-C: one line on stderr at most, and the conventional exit code."""
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    try:
        code: int = args.func(args)
        sys.stdout.flush()
    except MaillageError as exc:
        print(f"maillage {args.command}: {exc.message}", file=sys.stderr)
        return EXIT_CONFIG if exc.kind == "config" else EXIT_BAD_INPUT
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("", file=sys.stderr)
        return EXIT_INTERRUPTED
    return code


if __name__ == "__main__":
    raise SystemExit(main())
