"""Operator commands of ``maillage`` (registered by :func:`register` in :mod:`services.cli.main`).

    maillage sources list [--json]           the registry's sources, with their harvest state
    maillage sources add ID URL [...]        add a source (every harvester, next tick)
    maillage sources disable|enable ID       stop / resume harvesting a source
    maillage sources remove ID               remove a source and retract its events
    maillage sources harvest-now ID          queue a harvest of a source now
    maillage sources import FILE [--prune]   bring a TOML sources file into the registry
    maillage sources export                  the registry as a TOML sources file
    maillage status [--json]                 streams, consumers, backlog, sources by health
    maillage dlq list [--limit N]            dead-lettered messages, with the reason
    maillage dlq replay (SEQ... | --all)     republish them to their original subject
    maillage reindex [--yes]                 empty the search store, rebuild it from the stream
    maillage reference fetch                 the official reference data, into var/reference

``dlq`` and ``reindex`` live in :mod:`services.cli.replay`, the progress bar and the NATS
connection in :mod:`services.cli.opstools`. The commands talk to the running stack: the NATS
URL is ``MAILLAGE_NATS_URL`` when set, else the one ``maillage run`` wrote in its data
directory (``var/nats.url``). The sources are the registry's
(:mod:`services.harvester.registry`), never a file read by the command. Settings come from the
environment as for the services (the store settings for ``reindex``). Failures are one clear
line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from services.cli.opstools import connect, stack_environ, table
from services.cli.replay import REINDEX_BATCH, confirm_reindex, dlq_list, dlq_replay, reindex
from shared.errors import ConfigError, TransientError
from shared.settings import Settings, load

if TYPE_CHECKING:
    from shared.bus import Bus

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def _settings(kind: str) -> Settings:
    if kind == "indexer":
        from services.indexer.settings import SETTINGS as table
    else:
        from services.harvester.settings import SETTINGS as table
    return load(table, stack_environ(os.environ))


def _run(kind: str, command: Command) -> Callable[[argparse.Namespace], int]:
    def runner(args: argparse.Namespace) -> int:
        return asyncio.run(command(args, _settings(kind)))

    return runner


# --- sources ---------------------------------------------------------------------------------

def actor() -> str:
    """Who runs the command, as recorded in the registry (``cli:<user>``)."""
    return f"cli:{getpass.getuser()}"


async def _registry_command(settings: Settings, work: Callable[[Bus, Any], Awaitable[int]]) -> int:
    from services.harvester.registry import SourceRegistry

    bus = await connect(settings)
    try:
        return await work(bus, SourceRegistry(bus))
    finally:
        await bus.close()


def _status(enabled: bool, state: Any) -> str:
    if not enabled:
        return "disabled"
    if state.disabled:
        return "disabled (errors)"
    if state.errors:
        return "failing"
    return "ok" if state.last_success else "waiting"


async def sources_list(args: argparse.Namespace, settings: Settings) -> int:
    from services.harvester.state import StateStore

    zone = ZoneInfo(settings.timezone)

    def local(iso: str | None) -> str | None:  # the operator's clock, zone named
        if not iso:
            return None
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")

    async def work(bus: Bus, registry: Any) -> int:
        store = StateStore(await bus.kv("harvest_state"))
        rows = []
        for record in await registry.list():
            state = await store.get(record.id)
            status = _status(record.enabled, state)
            rows.append({"id": record.id, "status": status,
                         "errors": state.errors, "events": len(state.published),
                         "last_success": state.last_success,
                         "next_check": None if status.startswith("disabled") else
                         state.next_check,  # a disabled source has no next check
                         "last_error": state.last_error, "url": record.source.url,
                         "owner": record.owner, "added_by": record.added_by,
                         "updated_at": record.updated_at})
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            shown = [{**r, "next_check": local(r["next_check"]),
                      "last_success": local(r["last_success"])} for r in rows]
            print(table(shown, ("id", "status", "events", "next_check", "last_success",
                                "last_error")))
        return 0

    return await _registry_command(settings, work)


async def sources_add(args: argparse.Namespace, settings: Settings) -> int:
    from services.harvester.sources import parse_source

    raw: dict[str, Any] = {"id": args.id, "url": args.url}
    for key in ("format", "organizer", "interval", "kind"):
        if getattr(args, key) is not None:
            raw[key] = getattr(args, key)
    if args.themes:
        raw["themes"] = args.themes.split(",")
    if args.disabled:
        raw["enabled"] = False
    source = parse_source(raw, "new source")

    async def work(bus: Bus, registry: Any) -> int:
        await registry.add(source, actor=actor())
        return 0

    await _registry_command(settings, work)
    print(f"source {args.id} added; every harvester picks it up at its next tick "
          f"({settings.scheduler_tick:g} s)")
    return 0


async def _set_enabled(settings: Settings, source_id: str, enabled: bool) -> None:
    from services.harvester.state import StateStore

    async def work(bus: Bus, registry: Any) -> int:
        await registry.set_enabled(source_id, enabled, actor=actor())
        if enabled:  # also lift a disable by the harvester after too many errors
            store = StateStore(await bus.kv("harvest_state"))
            state = await store.get(source_id)
            state.disabled, state.errors, state.next_check = False, 0, None  # due now
            await store.put(source_id, state)
        return 0

    await _registry_command(settings, work)


async def sources_disable(args: argparse.Namespace, settings: Settings) -> int:
    await _set_enabled(settings, args.id, False)
    print(f"source {args.id} disabled: it will not be harvested until "
          f"'maillage sources enable {args.id}'")
    return 0


async def sources_enable(args: argparse.Namespace, settings: Settings) -> int:
    await _set_enabled(settings, args.id, True)
    print(f"source {args.id} enabled; its error count is reset and it is due now")
    return 0


async def sources_remove(args: argparse.Namespace, settings: Settings) -> int:
    from services.harvester.registry import retract_published

    async def work(bus: Bus, registry: Any) -> int:
        record = await registry.remove(args.id, actor=actor())
        return 0 if args.keep_events else await retract_published(bus, record.source)

    retracted = await _registry_command(settings, work)
    print(f"source {args.id} removed" + ("" if args.keep_events else
          f"; {retracted} of its events retracted from the search"))
    return 0


async def sources_harvest_now(args: argparse.Namespace, settings: Settings) -> int:
    from services.harvester.registry import not_found
    from services.harvester.scheduler import enqueue
    from shared.model import now_version

    async def work(bus: Bus, registry: Any) -> int:
        record = await registry.get(args.id)
        if record is None:
            raise not_found(args.id)
        if not record.enabled:
            raise ConfigError(f"source {args.id!r} is disabled "
                              f"(maillage sources enable {args.id})")
        return int(await enqueue(bus, args.id, now_version()))

    if await _registry_command(settings, work):
        print(f"harvest of {args.id} queued; a harvester picks it up within seconds "
              "(see the monitor or 'maillage sources list')")
        return 0
    print(f"a harvest of {args.id} is already queued or running", file=sys.stderr)
    return 0


async def sources_import(args: argparse.Namespace, settings: Settings) -> int:
    from services.harvester.filesync import import_file

    async def work(bus: Bus, registry: Any) -> int:
        report = await import_file(registry, args.file, actor=actor(), prune=args.prune)
        for name, ids in (("added", report.added), ("updated", report.updated),
                          ("removed", report.removed)):
            for sid in ids:
                print(f"{name:<9} {sid}")
        for sid, reason in report.rejected:
            print(f"rejected  {sid}: {reason}", file=sys.stderr)
        print(f"{args.file}: {report.summary()}")
        return 1 if report.rejected else 0

    return await _registry_command(settings, work)


async def sources_export(args: argparse.Namespace, settings: Settings) -> int:
    from services.harvester.filesync import export_toml

    async def work(bus: Bus, registry: Any) -> int:
        sys.stdout.write(export_toml(await registry.list()))
        return 0

    return await _registry_command(settings, work)


# --- status ----------------------------------------------------------------------------------

async def status(args: argparse.Namespace, settings: Settings) -> int:
    from nats.js.errors import NotFoundError

    from shared.bus import STREAMS

    bus = await connect(settings)
    report: dict[str, Any] = {"nats": settings.nats_url, "streams": {}, "consumers": {}}
    try:
        for spec in STREAMS:
            info = await bus.js.stream_info(spec.name)
            report["streams"][spec.name] = {"messages": info.state.messages,
                                            "bytes": info.state.bytes}
        for stream, durable in (("EVENTS", "indexer"), ("JOBS", "harvesters")):
            try:
                c = await bus.js.consumer_info(stream, durable)
            except NotFoundError:
                report["consumers"][durable] = None
                continue
            report["consumers"][durable] = {
                "pending": c.num_pending, "ack_pending": c.num_ack_pending,
                "redelivered": c.num_redelivered}
        report["sources"] = await _source_counts(bus)
    finally:
        await bus.close()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"NATS {report['nats']}")
    width = max(map(len, report["streams"]))
    for name, s in report["streams"].items():
        print(f"  stream {name:<{width}} {s['messages']:>9} messages "
              f"{s['bytes'] / 1e6:>9.1f} MB")
    for name, c in report["consumers"].items():
        print(f"  consumer {name:<10} " + ("not created yet" if c is None else
              f"{c['pending']} pending, {c['ack_pending']} in flight, "
              f"{c['redelivered']} redelivered"))
    counts = report["sources"]
    print(f"sources: {counts['ok']} ok, {counts['erroring']} erroring, "
          f"{counts['disabled']} disabled, {counts['never']} never harvested")
    dlq = report["streams"]["DLQ"]["messages"]
    if dlq:
        print(f"dead letters: {dlq} (maillage dlq list)")
    return 0


async def _source_counts(bus: Bus) -> dict[str, int]:
    from services.harvester.registry import SourceRegistry
    from services.monitor.backlog import read_states

    counts = {"ok": 0, "erroring": 0, "disabled": 0, "never": 0}
    states = await read_states(bus)
    for record in await SourceRegistry(bus).list():
        state = states.get(record.id, {})
        if not record.enabled or state.get("disabled"):
            counts["disabled"] += 1
        elif state.get("errors"):
            counts["erroring"] += 1
        elif state.get("last_success"):
            counts["ok"] += 1
        else:
            counts["never"] += 1
    return counts


# --- reference data --------------------------------------------------------------------------

def reference_target(environ: Any) -> Path:
    """Where ``maillage reference fetch`` writes: ``<data dir>/reference`` (the running
    stack's data directory, see :func:`services.cli.opstools.stack_environ`)."""
    return Path(environ.get("MAILLAGE_DATA_DIR") or "var") / "reference"


async def reference_fetch(args: argparse.Namespace, settings: Settings) -> int:
    from dataclasses import replace
    from urllib.parse import urlsplit

    from services.cli.reference_fetch import DATASETS, UNREACHABLE, fetch_all
    from services.harvester.fetcher import Fetcher
    from services.harvester.service import fetch_config

    urls = {}
    for pair in args.url or ():
        name, _, url = pair.partition("=")
        if name not in {d.name for d in DATASETS} or not url:
            raise ConfigError(f"--url {pair!r}: expected NAME=URL with NAME one of "
                              f"{', '.join(d.name for d in DATASETS)}")
        urls[name] = url
    directory = Path(args.dir) if args.dir else reference_target(stack_environ(os.environ))
    config = replace(fetch_config(settings), max_bytes=200 * 1024 * 1024, total_timeout=600)
    fetcher = Fetcher(config)
    try:
        outcomes = await fetch_all(fetcher, directory, urls, set(args.only or ()) or None)
    finally:
        await fetcher.close()
    failed = [o for o in outcomes if not o.ok]
    if failed and len(failed) == len(outcomes) and all(o.kind in UNREACHABLE for o in failed):
        hosts = ", ".join(dict.fromkeys(urlsplit(o.url).netloc for o in failed))
        raise TransientError(f"cannot reach the open-data portals ({hosts}): "
                             f"{failed[0].message}. No internet access here? Nothing was "
                             f"fetched; {directory} is unchanged.")
    for outcome in outcomes:
        print(f"{outcome.dataset:<10} {'ok' if outcome.ok else 'FAILED':<7} {outcome.message}",
              file=sys.stdout if outcome.ok else sys.stderr)
    if len(failed) == len(outcomes):
        print(f"{directory}: nothing stored ({len(failed)} failed; any previous files are kept)",
              file=sys.stderr)
        return 1
    for name in ("rennes_venues.csv", "accessibility_vocabulary.csv"):
        if not (directory / name).exists():
            print(f"{name}: not downloadable (an edited file, see the README's 'Reference "
                  "data'); the indexer works without it", file=sys.stderr)
    print(f"{directory}: {len(outcomes) - len(failed)} dataset(s) stored, {len(failed)} failed"
          + (" (their previous files are kept)" if failed else "")
          + ". A running indexer reads them within 30 s; 'maillage reindex' places the events "
          "already indexed again.")
    return 1 if failed else 0


# --- wiring ----------------------------------------------------------------------------------

def _reindex(args: argparse.Namespace) -> int:
    if not confirm_reindex(args):
        print("reindex cancelled", file=sys.stderr)
        return 1
    return _run("indexer", reindex)(args)


def register(subparsers: Any) -> None:
    """Add the operator commands to ``maillage``'s sub-command parser."""
    sources = subparsers.add_parser(
        "sources", help="the registry of sources of the running stack: list, add, disable, "
        "enable, remove, harvest-now, import, export")
    ssub = sources.add_subparsers(dest="action", required=True)
    p = ssub.add_parser("list", help="sources with their harvest state")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run("harvester", sources_list))
    p = ssub.add_parser("add", help="add a source; harvesters pick it up at their next tick")
    p.add_argument("id")
    p.add_argument("url")
    p.add_argument("--format")
    p.add_argument("--kind", choices=["events", "calls"])
    p.add_argument("--organizer")
    p.add_argument("--interval", type=int, help="seconds between harvests")
    p.add_argument("--themes", help="the organizer's RNA theme codes, comma-separated")
    p.add_argument("--disabled", action="store_true", help="add it disabled")
    p.set_defaults(func=_run("harvester", sources_add))
    for name, fn, text in (
        ("disable", sources_disable, "stop harvesting a source"),
        ("enable", sources_enable, "resume harvesting a source (resets its errors)"),
        ("harvest-now", sources_harvest_now, "queue a harvest of a source now"),
    ):
        p = ssub.add_parser(name, help=text)
        p.add_argument("id")
        p.set_defaults(func=_run("harvester", fn))
    p = ssub.add_parser("remove", help="remove a source and retract its events")
    p.add_argument("id")
    p.add_argument("--keep-events", action="store_true",
                   help="leave its events in the search until they pass")
    p.set_defaults(func=_run("harvester", sources_remove))
    p = ssub.add_parser("import", help="add or update the sources of a TOML sources file")
    p.add_argument("file")
    p.add_argument("--prune", action="store_true",
                   help="also remove the sources this file brought before and no longer lists")
    p.set_defaults(func=_run("harvester", sources_import))
    p = ssub.add_parser("export", help="the registry as a TOML sources file, on stdout")
    p.set_defaults(func=_run("harvester", sources_export))

    p = subparsers.add_parser("status", help="streams, consumers, backlog and sources")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run("harvester", status))

    dlq = subparsers.add_parser("dlq", help="dead-lettered messages")
    dsub = dlq.add_subparsers(dest="action", required=True)
    p = dsub.add_parser("list", help="dead letters with their reason")
    p.add_argument("--limit", type=int, default=50, help="show the last N (0: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run("harvester", dlq_list))
    p = dsub.add_parser("replay", help="republish dead letters to their original subject")
    p.add_argument("seq", nargs="*", type=int, help="DLQ sequence numbers (see dlq list)")
    p.add_argument("--all", action="store_true")
    p.add_argument("--keep", action="store_true", help="keep them in the DLQ")
    p.set_defaults(func=_run("harvester", dlq_replay))

    reference = subparsers.add_parser("reference", help="the official reference data")
    rsub = reference.add_subparsers(dest="action", required=True)
    p = rsub.add_parser("fetch", help="download, check and convert the official datasets "
                        "(quartiers, communes, RNA themes, streets) into <data dir>/reference")
    p.add_argument("--dir", help="target directory (default: <data dir>/reference)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="fetch only this dataset (repeatable)")
    p.add_argument("--url", action="append", metavar="NAME=URL",
                   help="fetch a dataset from another URL (a mirror, a test server)")
    p.set_defaults(func=_run("harvester", reference_fetch))

    p = subparsers.add_parser("reindex", help="rebuild the search store from the events stream")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--batch-size", type=int, default=REINDEX_BATCH)
    p.set_defaults(func=_reindex)
