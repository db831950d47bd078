"""Operator commands of ``maillage`` (registered by :func:`register` in :mod:`services.cli.main`).

    maillage sources list [--json]           sources of the sources file, with their shared state
    maillage sources add ID URL [...]        append a source to the sources file
    maillage sources disable|enable ID       stop / resume harvesting a source (shared state)
    maillage sources harvest-now ID          queue a harvest of a source now
    maillage status [--json]                 streams, consumers, backlog, sources by health
    maillage dlq list [--limit N]            dead-lettered messages, with the reason
    maillage dlq replay (SEQ... | --all)     republish them to their original subject
    maillage reindex [--yes]                 empty the search store, rebuild it from the stream

``dlq`` and ``reindex`` live in :mod:`services.cli.replay`, the progress bar and the NATS
connection in :mod:`services.cli.opstools`. Settings come from the environment as for the
services (``MAILLAGE_NATS_URL``, ``MAILLAGE_SOURCES``, the store settings for ``reindex``).
Failures are one clear line on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any

from services.cli.opstools import connect, table
from services.cli.replay import confirm_reindex, dlq_list, dlq_replay, reindex
from shared.errors import ConfigError, MaillageError
from shared.settings import Settings, load

if TYPE_CHECKING:
    from shared.bus import Bus

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def _settings(kind: str) -> Settings:
    if kind == "indexer":
        from services.indexer.settings import SETTINGS as table
    else:
        from services.harvester.settings import SETTINGS as table
    return load(table, os.environ)


def _run(kind: str, command: Command) -> Callable[[argparse.Namespace], int]:
    def runner(args: argparse.Namespace) -> int:
        return asyncio.run(command(args, _settings(kind)))

    return runner


# --- sources ---------------------------------------------------------------------------------

def _sources(settings: Settings) -> list[Any]:
    from services.harvester.sources import load_sources

    return load_sources(settings.sources)


def _known(settings: Settings, source_id: str) -> None:
    if source_id not in {s.id for s in _sources(settings)}:
        raise ConfigError(f"unknown source {source_id!r} (not in {settings.sources})")


async def sources_list(args: argparse.Namespace, settings: Settings) -> int:
    from services.harvester.state import StateStore

    sources = _sources(settings)
    bus = await connect(settings)
    try:
        store = StateStore(await bus.kv("harvest_state"))
        rows = []
        for source in sources:
            state = await store.get(source.id)
            status = "disabled" if (not source.enabled or state.disabled) else (
                "failing" if state.errors else "ok")
            rows.append({"id": source.id, "status": status, "errors": state.errors,
                         "events": len(state.published), "last_success": state.last_success,
                         "next_check": state.next_check, "last_error": state.last_error,
                         "url": source.url})
    finally:
        await bus.close()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(table(rows, ("id", "status", "errors", "events", "last_success", "last_error")))
    return 0


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # JSON strings are valid TOML basic strings


def _append_source(path: Path, raw: dict[str, Any]) -> None:
    """Append a ``[[sources]]`` table; the file is restored if it no longer loads."""
    from services.harvester.sources import load_sources

    existing = load_sources(path) if path.exists() else []
    if raw["id"] in {s.id for s in existing}:
        raise ConfigError(f"source {raw['id']!r} already exists in {path}")
    block = "\n[[sources]]\n" + "".join(
        f"{k} = {v if isinstance(v, int) else _toml_str(v)}\n" for k, v in raw.items())
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(before.rstrip("\n") + ("\n" if before else "") + block, encoding="utf-8")
    try:
        load_sources(path)
    except MaillageError:
        path.write_text(before, encoding="utf-8")
        raise


async def sources_add(args: argparse.Namespace, settings: Settings) -> int:
    from services.harvester.sources import parse_source

    raw: dict[str, Any] = {"id": args.id, "url": args.url}
    for key in ("format", "organizer", "interval"):
        if getattr(args, key) is not None:
            raw[key] = getattr(args, key)
    parse_source(raw, "new source")
    await asyncio.to_thread(_append_source, Path(settings.sources), raw)
    print(f"source {args.id} added to {settings.sources}; harvesters read this file at "
          "start-up: restart them to harvest it (the monitor picks it up by itself)")
    return 0


async def _set_disabled(settings: Settings, source_id: str, disabled: bool) -> None:
    from services.harvester.state import StateStore

    _known(settings, source_id)
    bus = await connect(settings)
    try:
        store = StateStore(await bus.kv("harvest_state"))
        state = await store.get(source_id)
        state.disabled = disabled
        if not disabled:
            state.errors = 0
            state.next_check = None  # due at the next scheduler tick
        await store.put(source_id, state)
    finally:
        await bus.close()


async def sources_disable(args: argparse.Namespace, settings: Settings) -> int:
    await _set_disabled(settings, args.id, True)
    print(f"source {args.id} disabled: it will not be harvested until "
          f"'maillage sources enable {args.id}'")
    return 0


async def sources_enable(args: argparse.Namespace, settings: Settings) -> int:
    await _set_disabled(settings, args.id, False)
    print(f"source {args.id} enabled; its error count is reset and it is due now")
    return 0


async def sources_harvest_now(args: argparse.Namespace, settings: Settings) -> int:
    from services.harvester.scheduler import enqueue
    from shared.model import now_version

    _known(settings, args.id)
    bus = await connect(settings)
    try:
        queued = await enqueue(bus, args.id, now_version())
    finally:
        await bus.close()
    if queued:
        print(f"harvest of {args.id} queued; a harvester picks it up within seconds "
              "(see the monitor or 'maillage sources list')")
        return 0
    print(f"a harvest of {args.id} is already queued or running", file=sys.stderr)
    return 0


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
    for name, s in report["streams"].items():
        print(f"  stream {name:<7} {s['messages']:>9} messages {s['bytes'] / 1e6:>9.1f} MB")
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
    from services.monitor.backlog import read_states

    counts = {"ok": 0, "erroring": 0, "disabled": 0, "never": 0}
    for state in (await read_states(bus)).values():
        if state.get("disabled"):
            counts["disabled"] += 1
        elif state.get("errors"):
            counts["erroring"] += 1
        elif state.get("last_success"):
            counts["ok"] += 1
        else:
            counts["never"] += 1
    return counts


# --- wiring ----------------------------------------------------------------------------------

def _reindex(args: argparse.Namespace) -> int:
    if not confirm_reindex(args):
        print("reindex cancelled", file=sys.stderr)
        return 1
    return _run("indexer", reindex)(args)


def register(subparsers: Any) -> None:
    """Add the operator commands to ``maillage``'s sub-command parser."""
    sources = subparsers.add_parser("sources", help="list, add, disable, enable, harvest sources")
    ssub = sources.add_subparsers(dest="action", required=True)
    p = ssub.add_parser("list", help="sources with their harvest state")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_run("harvester", sources_list))
    p = ssub.add_parser("add", help="append a source to the sources file")
    p.add_argument("id")
    p.add_argument("url")
    p.add_argument("--format")
    p.add_argument("--organizer")
    p.add_argument("--interval", type=int, help="seconds between harvests")
    p.set_defaults(func=_run("harvester", sources_add))
    for name, fn, text in (
        ("disable", sources_disable, "stop harvesting a source"),
        ("enable", sources_enable, "resume harvesting a source (resets its errors)"),
        ("harvest-now", sources_harvest_now, "queue a harvest of a source now"),
    ):
        p = ssub.add_parser(name, help=text)
        p.add_argument("id")
        p.set_defaults(func=_run("harvester", fn))

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

    p = subparsers.add_parser("reindex", help="rebuild the search store from the events stream")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--batch-size", type=int, default=500)
    p.set_defaults(func=_reindex)
